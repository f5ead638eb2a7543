"""A small thread-safe LRU per process, in front of the shared cache: hot pages and rendered
markdown skip the network round trip to Redis (``read_through``)."""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from django.core.cache import cache


class LocalLRU:
    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> object | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            if item[0] < time.monotonic():
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return item[1]

    def put(self, key: str, value: object, timeout: float | None = None) -> None:
        """Keep ``value`` for ``timeout`` seconds (None: until pushed out by newer items)."""
        expires = math.inf if timeout is None else time.monotonic() + timeout
        with self._lock:
            self._items[key] = (expires, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def read_through(local: LocalLRU, key: str, render: Callable[[], object], *, timeout: int) -> object:
    """The value under ``key``: from this process, else from the shared cache, else
    ``render()`` stored in both for ``timeout`` seconds. A cache outage costs a render,
    never the page; the next request tries the cache again."""
    value = local.get(key)
    if value is not None:
        return value
    try:
        value = cache.get(key)
    except Exception:
        value = None
    if value is None:
        value = render()
        store(local, key, value, timeout=timeout)
    else:
        local.put(key, value, timeout)
    return value


def store(local: LocalLRU, key: str, value: object, *, timeout: int) -> None:
    """Put ``value`` in both levels (a cache outage leaves it in this process only)."""
    with contextlib.suppress(Exception):
        cache.set(key, value, timeout)
    local.put(key, value, timeout)
