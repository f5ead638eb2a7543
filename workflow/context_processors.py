"""Values every page's navigation needs, computed once per request."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import permissions
from .urlcache import reverse_fixed


def navigation(request: HttpRequest) -> dict:
    """Navigation links (with the current one marked) and the user's roles for templates."""
    user = getattr(request, "user", None)
    path = getattr(request, "path", "")
    links = [(reverse_fixed("workflow:published_list"), _("Published"), "published")]
    signed_in = permissions.is_active_user(user)
    if signed_in:
        links.insert(0, (reverse_fixed("workflow:available"), _("Available articles"), "available"))
        links.insert(1, (reverse_fixed("workflow:my_work"), _("My work"), "my_work"))
        if permissions.is_reviewer(user):
            links.insert(2, (reverse_fixed("workflow:review_queue"), _("Review queue"), "review_queue"))
        from articles.services import can_collect

        if can_collect(user):
            links.insert(2, (reverse_fixed("articles:collect"), _("Collect"), "collect"))
    if signed_in:
        links.append((reverse_fixed("workflow:glossary"), _("Glossary"), "glossary"))
    links.append((reverse_fixed("workflow:leaderboard"), _("Leaderboard"), "leaderboard"))
    nav = []
    for url, label, key in links:
        current = path == url if url == "/" else path.startswith(url)
        nav.append({"url": url, "label": label, "key": key, "current": current})
    return {
        "nav_links": nav,
        "user_roles": {
            "reviewer": permissions.is_reviewer(user),
            "publisher": permissions.is_publisher(user),
            "editor": permissions.is_editor(user),
        } if signed_in else {},
    }
