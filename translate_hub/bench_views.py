"""Views that exist only for bench/http (TRANSLATE_HUB_BENCH_VIEWS=1): never in a deployment.

``bare`` answers a constant through the full middleware stack, the yardstick every page's
requests per second is divided by.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET


@require_GET
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare, name="bench_bare")]
