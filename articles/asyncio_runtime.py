"""One event loop and one aiohttp session per process, for sync callers (Celery tasks).

Celery has no async tasks, and creating a loop plus a ``ClientSession`` per task throws
away the connection pool and DNS work every time. This module keeps one loop and one
SSRF-safe session per process *and thread* (a forked worker notices the new pid and
starts afresh, because a loop or socket inherited across ``fork`` must not be reused),
and closes them at interpreter exit.

Public API
----------
``run(coro) -> T``
    Run ``coro`` to completion on this process's loop (``loop.run_until_complete``).
    Must not be called from inside a running event loop.
``async get_session() -> aiohttp.ClientSession``
    The shared session; only valid on the loop ``run`` drives.
``get_loop() -> asyncio.AbstractEventLoop``
``close() -> None``
    Close the session and the loop of the calling thread (also registered with atexit).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import aiohttp

T = TypeVar("T")

__all__ = ["close", "get_loop", "get_session", "run"]


class _Runtime:
    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.session: aiohttp.ClientSession | None = None

    async def get_session(self) -> aiohttp.ClientSession:
        if self.session is None or self.session.closed:
            from articles.safe_http import make_session

            self.session = make_session()
        return self.session

    def close(self) -> None:
        if self.loop.is_closed() or self.loop.is_running():
            return
        if self.session is not None and not self.session.closed:
            self.loop.run_until_complete(self.session.close())
        self.session = None
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()


_local = threading.local()
_all_runtimes: list[_Runtime] = []
_registry_lock = threading.Lock()


def _runtime() -> _Runtime:
    runtime: _Runtime | None = getattr(_local, "runtime", None)
    if runtime is None or runtime.pid != os.getpid() or runtime.loop.is_closed():
        # After fork the inherited loop and sockets belong to the parent: drop them
        # without closing (closing would shut the parent's file descriptors too).
        runtime = _Runtime()
        _local.runtime = runtime
        with _registry_lock:
            _all_runtimes.append(runtime)
    return runtime


def get_loop() -> asyncio.AbstractEventLoop:
    return _runtime().loop


def run(coro: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        coro.close()
        raise RuntimeError("asyncio_runtime.run() cannot be called from a running event loop")
    runtime = _runtime()
    return runtime.loop.run_until_complete(coro)


async def get_session() -> aiohttp.ClientSession:
    runtime = _runtime()
    if asyncio.get_running_loop() is not runtime.loop:
        raise RuntimeError(
            "the shared session belongs to asyncio_runtime's loop: call through "
            "asyncio_runtime.run() or pass a session explicitly"
        )
    return await runtime.get_session()


def close() -> None:
    runtime: _Runtime | None = getattr(_local, "runtime", None)
    if runtime is not None and runtime.pid == os.getpid():
        runtime.close()
        _local.runtime = None


@atexit.register
def _close_all() -> None:
    pid = os.getpid()
    with _registry_lock:
        runtimes = [r for r in _all_runtimes if r.pid == pid]
        _all_runtimes.clear()
    for runtime in runtimes:
        with contextlib.suppress(Exception):  # best effort at interpreter exit
            runtime.close()
