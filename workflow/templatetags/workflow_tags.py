"""Template helpers: the one markdown renderer, people links, states, effort, durations."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from articles.models import Category
from articles.rendering import render_markdown_cached

from .. import selectors
from ..urlcache import reverse_one

register = template.Library()

_CATEGORY_LABELS = dict(Category.choices)  # lazy labels: str() gives the active language


@register.filter
def markdown(text: str | None) -> SafeString:
    """Markdown → sanitized HTML (articles.rendering, nh3 allow-list): safe to mark safe."""
    return mark_safe(render_markdown_cached(text or ""))  # noqa: S308 - sanitized by nh3


@register.simple_tag
def person(user) -> str:
    """A link to a contributor's page (from a user or a username), or a dash.

    List pages call it for every row, so it builds the URL without reverse().
    """
    if user is None or user == "":
        return "—"
    name = user if isinstance(user, str) else user.get_username()
    return SafeString(f'<a class="person" href="{escape(reverse_one("workflow:contributor", name))}">'
                      f"{escape(name)}</a>")


@register.filter
def article_url(pk: int) -> str:
    """``article.get_absolute_url`` without a reverse() per row."""
    return reverse_one("workflow:article_detail", pk)


@register.filter
def words(n: int | None) -> str:
    """"1 word" / "12 words": the msgids of the pages' {% blocktranslate count %}."""
    n = int(n or 0)
    return ngettext("%(words)s word", "%(words)s words", n) % {"words": n}


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
    label = _CATEGORY_LABELS.get(value)
    return str(label) if label is not None else value


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


@register.simple_tag(takes_context=True)
def timeline(context, events) -> str:
    """workflow/partials/timeline.html, rendered once per distinct list of events."""
    from ..fragments import memo_render

    inputs = [(e.pk, e.action, e.from_state, e.to_state, e.note, e.created_at,
               e.actor.get_username() if e.actor_id else None) for e in events]
    return memo_render("workflow/partials/timeline.html", {"events": events}, inputs=inputs,
                       csrf_token=context.get("csrf_token", ""))
