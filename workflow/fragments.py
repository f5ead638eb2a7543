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

import hashlib
from collections.abc import Callable

from django.utils.safestring import SafeString
from django.utils.translation import get_language

from translate_hub.lru import LocalLRU, read_through

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


# --- Rendering memoized by its inputs ---------------------------------------------------------


def _placeholder(name: str) -> str:
    return f"memo-fill-{name}-5f0c1e"


def memo_render(template_name: str, context: dict, *, inputs: object,
                fill: dict[str, str] | None = None, timeout: int = DEFAULT_TIMEOUT) -> SafeString:
    """``render_to_string(template_name, context)``, cached under a hash of ``inputs``.

    ``inputs`` must determine the output completely (plain values — ids, strings, dates —
    not model instances, whose repr hides their fields); the language is added here.
    ``fill`` names context variables that differ per request (``csrf_token``, a return
    address): the template renders a placeholder for each, and every page puts its own
    (already escaped) value back, so a cached fragment never carries anyone's token.
    """
    from django.template.loader import render_to_string

    fill = fill or {}
    digest = hashlib.sha256(repr((inputs, sorted(fill))).encode()).hexdigest()[:32]
    cache_key = f"memo:{template_name}:{get_language()}:{digest}"
    html = cached(cache_key, lambda: render_to_string(
        template_name, {**context, **{name: _placeholder(name) for name in fill}}),
        timeout=timeout, local=ROWS)
    for name, value in fill.items():
        html = html.replace(_placeholder(name), str(value))
    return SafeString(html)
