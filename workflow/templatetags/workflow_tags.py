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
from ..fragments import changes_at
from ..urlcache import reverse_fixed, reverse_one

register = template.Library()

_CATEGORY_LABELS = dict(Category.choices)  # lazy labels: str() gives the active language


@register.filter
def markdown(text: str | None) -> SafeString:
    """Markdown → sanitized HTML (articles.rendering, nh3 allow-list): safe to mark safe."""
    return mark_safe(render_markdown_cached(text or ""))  # noqa: S308 - sanitized by nh3


@register.simple_tag
def url_cached(name: str, *args: object) -> str:
    """``{% url %}`` for patterns of no or one argument, reversed once per process (every
    page's header links to a dozen of them)."""
    return reverse_one(name, args[0]) if args else reverse_fixed(name)


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
        changes_at(when + dt.timedelta(hours=hours + 1))
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    changes_at(when + dt.timedelta(days=delta.days + 1))
    return ngettext("%(n)d day", "%(n)d days", delta.days) % {"n": delta.days}


@register.filter
def days_left(when: dt.datetime | None) -> str:
    if when is None:
        return "—"
    delta = when - timezone.now()
    if delta.total_seconds() < 0:
        return _("overdue")
    # n days left while the deadline is at least n days away; overdue from the deadline on.
    changes_at(when - dt.timedelta(days=delta.days) if delta.days else when)
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
               e.actor if isinstance(e.actor, str) or e.actor is None else e.actor.get_username())
              for e in events]
    return memo_render("workflow/partials/timeline.html", {"events": events}, inputs=inputs)


@register.simple_tag
def filter_form(form, template_name: str) -> str:
    """A list's filter form, rendered once per distinct input (its values and choices)."""
    from ..fragments import memo_render

    inputs = (type(form).__name__, [
        (name, form[name].value(), [(value, str(label)) for value, label in getattr(field, "choices", ())])
        for name, field in form.fields.items()
    ])
    return memo_render(template_name, {"form": form}, inputs=inputs)


def _compile_path(path: str) -> tuple[tuple[str, ...], object]:
    """``translator.username`` or ``submitted_at|age`` → (names, filter of this library)."""
    path, _bar, filter_name = path.partition("|")
    return tuple(path.split(".")), register.filters[filter_name] if filter_name else None


def _lookup(item, compiled: tuple[tuple[str, ...], object]):
    names, apply = compiled
    for name in names:
        if item is None:
            return None
        item = item[name] if type(item) is selectors.Row else getattr(item, name)
        if callable(item):
            item = item()
    return apply(item) if apply is not None else item


@register.simple_tag(takes_context=True)
def memo_each(context, items, template_name: str, name: str, keys: str, per_user: bool = False,
              return_here: bool = False) -> str:
    """Render ``template_name`` for each item (as ``name``), once per distinct content.

    ``keys`` lists, space-separated, every attribute path the partial reads (``pk subject
    translator.username``), with the filter applied where the partial shows a time relative
    to now (``submitted_at|age``, ``deadline|days_left``: those filters also tell a
    cached {% worklist %} block when they change); ``per_user`` adds the signed-in user (and
    passes ``user``) for partials that compare an item with them. The CSRF token is filled
    in per request, and with ``return_here`` the page's own address as ``next_url`` (forms
    that come back to the list).
    """
    from ..fragments import memo_render

    paths = [_compile_path(path) for path in keys.split()]
    user = context.get("user")
    extra = (getattr(user, "pk", None),) if per_user else ()
    fill = {"csrf_token": context.get("csrf_token", "")}
    if return_here:
        # Inside a cached {% worklist %} block the page's address is itself a placeholder.
        request = context.get("request")
        fill["next_url"] = context.get("next_url") or (escape(request.get_full_path()) if request else "")
    rows = []
    for item in items:
        inputs = (tuple(_lookup(item, path) for path in paths), extra)
        data = {name: item, "user": user} if per_user else {name: item}
        rows.append(memo_render(template_name, data, inputs=inputs, fill=fill))
    return SafeString("".join(rows))
