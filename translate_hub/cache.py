"""A Redis cache that degrades instead of failing when Redis is down.

Django's ``RedisCache`` raises ``redis.ConnectionError`` from ``cache.get`` when Redis cannot
be reached, so every page that touches the cache would answer 500 during a Redis restart.
The cache only ever holds things that can be recomputed (rendered markdown, counters'
fragments), so here an outage means: reads miss, writes are dropped, deletes are forgotten
(entries carry timeouts, and keys of changing content carry a version). After a failure the
cache is bypassed for ``RETRY_AFTER_SECONDS`` so a dead or hanging Redis costs a request at
most one connect timeout, not one per cache call.

A write or delete that could not reach Redis leaves whatever Redis held before the outage
(Redis may well come back with its data): a session deleted at sign-out would sign the
person in again, a rewritten entry would come back stale. So the keys of failed writes and
deletes are remembered (up to ``MAX_PENDING_INVALIDATIONS`` per process) and deleted first
thing when Redis answers again, before anything is read from it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5.0
MAX_PENDING_INVALIDATIONS = 100_000
OUTAGE = (RedisError, OSError)


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django builds a new ``redis.Redis`` object (parsers, callbacks, retry policy) for every
    cache call; that cost a signed-in request about 0.3 ms, twice. A client only wraps its
    connection pool and is thread-safe, so one per pool does."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
        self._down_until = 0.0
        self._lock = threading.Lock()
        self._pending: OrderedDict[str, None] = OrderedDict()  # final keys to delete once back

    # --- outage bookkeeping -------------------------------------------------------------

    def is_available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, operation: str, error: Exception) -> None:
        with self._lock:
            first = self.is_available()
            self._down_until = time.monotonic() + RETRY_AFTER_SECONDS
        if first:  # one line per outage window, not one per call
            logger.warning("cache unavailable (%s: %s); serving without it for %.0fs",
                           operation, error, RETRY_AFTER_SECONDS)

    def _remember(self, keys, version=None) -> None:
        with self._lock:
            for key in keys:
                self._pending[self.make_and_validate_key(key, version=version)] = None
            dropped = 0
            while len(self._pending) > MAX_PENDING_INVALIDATIONS:
                self._pending.popitem(last=False)
                dropped += 1
        if dropped:
            logger.error("cache: %d pending invalidations dropped; those entries may be stale", dropped)

    def _replay_invalidations(self) -> None:
        """Delete what failed writes and deletes left behind, before Redis is read again."""
        with self._lock:
            keys = list(self._pending)
        if keys:
            self._cache.delete_many(keys)
            with self._lock:
                for key in keys:
                    self._pending.pop(key, None)
            logger.warning("cache back: %d entries written or deleted during the outage invalidated", len(keys))

    def _try(self, operation: str, call, fallback, *, writes=(), version=None):
        if self.is_available():
            try:
                if self._pending:
                    self._replay_invalidations()
                return call()
            except OUTAGE as error:
                self._failed(operation, error)
        if writes:
            self._remember(writes, version)
        return fallback

    # --- the cache API --------------------------------------------------------------------

    def get(self, key, default=None, version=None):
        return self._try("get", lambda: super(ResilientRedisCache, self).get(key, default, version), default)

    def get_many(self, keys, version=None):
        return self._try("get_many", lambda: super(ResilientRedisCache, self).get_many(keys, version), {})

    def has_key(self, key, version=None):
        return self._try("has_key", lambda: super(ResilientRedisCache, self).has_key(key, version), False)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._try("add", lambda: super(ResilientRedisCache, self).add(key, value, timeout, version), False,
                         writes=[key], version=version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._try("set", lambda: super(ResilientRedisCache, self).set(key, value, timeout, version), None,
                  writes=[key], version=version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._try("set_many", lambda: super(ResilientRedisCache, self).set_many(data, timeout, version),
                         list(data), writes=list(data), version=version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._try("touch", lambda: super(ResilientRedisCache, self).touch(key, timeout, version), False,
                         writes=[key], version=version)

    def delete(self, key, version=None):
        return self._try("delete", lambda: super(ResilientRedisCache, self).delete(key, version), False,
                         writes=[key], version=version)

    def delete_many(self, keys, version=None):
        self._try("delete_many", lambda: super(ResilientRedisCache, self).delete_many(keys, version), None,
                  writes=list(keys), version=version)

    def incr(self, key, delta=1, version=None):
        missing = object()
        value = self._try("incr", lambda: super(ResilientRedisCache, self).incr(key, delta, version), missing,
                          writes=[key], version=version)
        if value is missing:  # what incr says about a key it cannot find
            raise ValueError(f"Key '{key}' not found (the cache is unavailable)")
        return value

    def clear(self):
        return self._try("clear", lambda: super(ResilientRedisCache, self).clear(), False)
