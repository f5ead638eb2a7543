"""Values every page's navigation needs, computed once per request."""

from __future__ import annotations

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict:
    return {}
