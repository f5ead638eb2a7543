"""Cached HTML for what is the same for everyone: published lists, the leaderboard, the feed.

Keys carry ``aggregates.published_version()`` — a token the article triggers replace in the
same transaction as any change to a published article (a publication, a withdrawal, an
admin edit, a new reviewer credit) — so a fragment is never served after the data it shows
changed; there is nothing to delete. A TTL bounds what the version does not see (a renamed
user) and what an unused key costs.

Two levels: a small per-process LRU in front of Django's cache (Redis in production), so a
hot page costs a dictionary lookup rather than a network round trip and an unpickle; the
shared level makes one worker's rendering serve the others. A cache outage renders the
fragment instead of failing the page.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from translate_hub.lru import LocalLRU, read_through, store

from . import aggregates

DEFAULT_TIMEOUT = 600


# Whole fragments (lists, the feed: up to hundreds of kB) and rendered rows (a kB each) in
# separate LRUs, so that a burst of rows never pushes a hot page out of memory.
_local = LocalLRU(256)
ROWS = LocalLRU(8192)


def clear_local() -> None:
    """Forget this process's copies (tests; the shared cache is keyed by version anyway)."""
    _local.clear()
    ROWS.clear()


def key(name: str, *parts: object, version: int | None = None) -> str:
    """A cache key for fragment ``name`` showing published data, in the active language
    (``version=0`` for a fragment that ``parts`` determine on their own)."""
    version = aggregates.published_version() if version is None else version
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:24]
    return f"frag:{name}:{version}:{get_language()}:{digest}"


def cached(cache_key: str, render: Callable[[], object], *, timeout: int = DEFAULT_TIMEOUT,
           local: LocalLRU | None = None) -> object:
    """The value cached under ``cache_key``, rendering (and storing) it on a miss."""
    return read_through(_local if local is None else local, cache_key, render, timeout=timeout)


def cached_html(cache_key: str, render: Callable[[], str], *, timeout: int = DEFAULT_TIMEOUT,
                local: LocalLRU | None = None) -> SafeString:
    """Like :func:`cached` for template output (stored as a plain string, returned safe)."""
    return SafeString(cached(cache_key, lambda: str(render()), timeout=timeout, local=local))


# --- Values filled in per request -------------------------------------------------------------


def placeholder(name: str) -> str:
    return f"memo-fill-{name}-5f0c1e"


def fill_in(html: str, values: dict[str, object]) -> str:
    """``html`` with each placeholder replaced by its (already escaped) value. A value is
    turned into text only when its placeholder occurs: the CSRF token is lazy, and asking
    for it on a page without forms would set the cookie for nothing."""
    for name, value in values.items():
        mark = placeholder(name)
        if mark in html:
            html = html.replace(mark, str(value))
    return html


# --- Relative times in cached HTML ---------------------------------------------------------------
#
# "3 hours", "2 days left": text that changes with the clock, not with the data. A cached
# block records the earliest moment any of its relative times would read differently, and
# is rendered again from then on — exact, where keying by the hour would show "0 hours" for
# up to an hour too long.

_horizon: ContextVar[list[dt.datetime] | None] = ContextVar("fragment_horizon", default=None)


@contextlib.contextmanager
def horizon() -> Iterator[list[dt.datetime]]:
    """Collect :func:`changes_at` moments reported while the block renders."""
    moments: list[dt.datetime] = []
    token = _horizon.set(moments)
    try:
        yield moments
    finally:
        _horizon.reset(token)


def changes_at(moment: dt.datetime) -> None:
    """A relative-time filter's text changes at ``moment`` (for the block being cached, if any)."""
    moments = _horizon.get()
    if moments is not None:
        moments.append(moment)


def cached_block(cache_key: str, render: Callable[[], str], *, values: dict[str, object],
                 timeout: int = DEFAULT_TIMEOUT) -> SafeString:
    """A block cached under ``cache_key`` until the first of its relative times changes;
    ``render`` leaves placeholders for ``values``, filled in per request (:func:`fill_in`)."""
    def render_timed() -> tuple[dt.datetime | None, str]:
        with horizon() as moments:
            html = str(render())
        return (min(moments) if moments else None), html

    until, html = cached(cache_key, render_timed, timeout=timeout)
    if until is not None and timezone.now() >= until:
        until, html = entry = render_timed()
        store(_local, cache_key, entry, timeout=timeout)
    return SafeString(fill_in(html, values))


# --- Rendering memoized by its inputs ---------------------------------------------------------


def memo_render(template_name: str, context: dict | Callable[[], dict], *, inputs: object,
                fill: dict[str, str] | None = None, timeout: int = DEFAULT_TIMEOUT) -> SafeString:
    """``render_to_string(template_name, context)``, cached under a hash of ``inputs``.

    ``inputs`` must determine the output completely (plain values — ids, strings, dates —
    not model instances, whose repr hides their fields); the language is added here.
    ``context`` may be a function, called only on a miss, when its data costs queries.
    ``fill`` names context variables that differ per request (``csrf_token``, a return
    address): the template renders a placeholder for each, and every page puts its own
    (already escaped) value back, so a cached fragment never carries anyone's token.
    """
    from django.template.loader import render_to_string

    values = fill or {}
    digest = hashlib.sha256(repr((inputs, sorted(values))).encode()).hexdigest()[:32]
    cache_key = f"memo:{template_name}:{get_language()}:{digest}"
    html = cached(cache_key, lambda: render_to_string(
        template_name, {**(context() if callable(context) else context),
                        **{name: placeholder(name) for name in values}}),
        timeout=timeout, local=ROWS)
    return SafeString(fill_in(html, values))
