"""Template helpers: the one markdown renderer, people links, states, effort, durations."""

from __future__ import annotations

import datetime as dt

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from articles.models import Category
from articles.rendering import render_markdown_cached

from .. import selectors

register = template.Library()


@register.filter
def markdown(text: str | None) -> SafeString:
    """Markdown → sanitized HTML (articles.rendering, nh3 allow-list): safe to mark safe."""
    return mark_safe(render_markdown_cached(text or ""))  # noqa: S308 - sanitized by nh3


@register.simple_tag
def person(user) -> str:
    """A link to a contributor's page, or a dash."""
    if user is None:
        return "—"
    return format_html('<a class="person" href="{}">{}</a>',
                       reverse("workflow:contributor", args=[user.get_username()]),
                       user.get_username())


@register.filter
def effort(word_count: int | None) -> str:
    hours = selectors.effort_hours(int(word_count or 0))
    shown = f"{hours:g}"
    return _("≈ %(hours)s h") % {"hours": shown}


@register.filter
def age(when: dt.datetime | None) -> str:
    """How long ago, in days (or hours for the first day): review queues care about days."""
    if when is None:
        return "—"
    delta = timezone.now() - when
    if delta < dt.timedelta(days=1):
        hours = max(0, int(delta.total_seconds() // 3600))
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    return ngettext("%(n)d day", "%(n)d days", delta.days) % {"n": delta.days}


@register.filter
def days_left(when: dt.datetime | None) -> str:
    if when is None:
        return "—"
    delta = when - timezone.now()
    if delta.total_seconds() < 0:
        return _("overdue")
    return ngettext("%(n)d day left", "%(n)d days left", delta.days) % {"n": delta.days}


@register.filter
def category_label(value: str) -> str:
    """tech / talk / news in the reader's language; named series as they are."""
    return str(dict(Category.choices).get(value, value))


@register.filter
def state_class(state: str) -> str:
    return f"state state-{state}"


@register.simple_tag
def workflow_dashboard():
    """For the admin index: counts per state and the review backlog."""
    return selectors.dashboard()


@register.filter
def duration_days(delta: dt.timedelta | None) -> str:
    if delta is None:
        return "—"
    days = delta.days
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
