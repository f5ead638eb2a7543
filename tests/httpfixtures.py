"""Real local HTTP servers for tests and benchmarks (no mocked HTTP).

``LocalHTTPServer`` runs an aiohttp web server in a background thread, bound to one or
more loopback addresses (Linux routes all of 127.0.0.0/8 to ``lo``), each on a free
port, and serves scripted routes. It records every request with its arrival and end
times and the number of requests in flight on the same host at arrival, so tests can
assert politeness (per-host concurrency, Retry-After) from the server's side.

    with LocalHTTPServer(hosts=["127.0.0.2", "127.0.0.3"]) as server:
        server.route("/ok")                                    # 200 text/html
        server.route("/gone", status=410)
        server.route("/old", status=301, location="/ok")
        server.route("/flaky", status=200, fail_times=2, fail_status=503)
        server.route("/limited", fail_times=1, fail_status=429, retry_after=2)
        server.route("/no-head", head_status=405)
        server.route("/slow", delay=0.5)
        server.route("/hang", hang=True)
        server.route("/files/", prefix=True)                  # every path under /files/
        server.url("/ok", host="127.0.0.3")                   # http://127.0.0.3:PORT/ok
        server.requests_for("/flaky")                         # RecordedRequest list
        server.wait_idle()                                    # every request has its end time
        server.max_in_flight()                                # {host: peak concurrent}

Counters for ``fail_times`` are kept per host and full path (so prefix routes fail
per URL). A route may also be an ``async def handler(request) -> web.StreamResponse``
given as ``handler=``. In pytest, wrap it in a fixture of your own:

    @pytest.fixture
    def server(settings):
        settings.FETCH_ALLOW_PRIVATE_ADDRESSES = True   # let the SSRF policy admit 127.0.0.x
        with LocalHTTPServer(hosts=["127.0.0.2"]) as srv:
            yield srv

``Route(content_type=None)`` makes aiohttp send ``application/octet-stream``.
Requests the checker under test abandons (timeouts) end when the client disconnects
(``handler_cancellation``), so they stop counting as in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from aiohttp import web

__all__ = ["LocalHTTPServer", "RecordedRequest", "Route", "unused_port"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Route:
    status: int = 200
    body: bytes | str = b"<!doctype html><html><head><title>ok</title></head><body><p>ok</p></body></html>"
    content_type: str | None = "text/html; charset=utf-8"  # None: aiohttp's application/octet-stream
    headers: dict[str, str] = field(default_factory=dict)
    location: str | None = None  # for redirects; relative to the request URL
    delay: float = 0.0  # seconds before answering
    hang: bool = False  # never answer (until the client goes away)
    fail_times: int = 0  # answer fail_status this many times first
    fail_status: int = 503
    retry_after: str | int | None = None  # sent with the failing answers
    head_status: int | None = None  # answer HEAD with this status (e.g. 405)
    body_size: int | None = None  # stream this many bytes instead of ``body``
    chunked: bool = False  # stream without Content-Length
    handler: Handler | None = None


@dataclass
class RecordedRequest:
    host: str
    port: int
    method: str
    path: str  # path and query
    headers: dict[str, str]
    arrival: float  # time.monotonic() when the request arrived
    in_flight: int  # requests in flight on this host at arrival, this one included
    end: float | None = None  # when the answer was written (or the client left)
    status: int | None = None


def unused_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on (for "connection refused")."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class LocalHTTPServer:
    def __init__(self, hosts: Iterable[str] = ("127.0.0.1",)) -> None:
        self.hosts = list(hosts)
        self.ports: dict[str, int] = {}
        self._routes: dict[str, Route] = {}
        self._prefix_routes: list[tuple[str, Route]] = []
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._in_flight: dict[str, int] = defaultdict(int)
        self._peak: dict[str, int] = defaultdict(int)
        self._counters: dict[tuple[str, str], int] = defaultdict(int)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # --- configuration ---

    def route(self, path: str, *, prefix: bool = False, **options) -> Route:
        route = Route(**options)
        with self._lock:
            if prefix:
                self._prefix_routes.append((path, route))
                self._prefix_routes.sort(key=lambda item: -len(item[0]))
            else:
                self._routes[path] = route
        return route

    def url(self, path: str = "/", *, host: str | None = None) -> str:
        host = host or self.hosts[0]
        return f"http://{host}:{self.ports[host]}{path}"

    def reset(self) -> None:
        """Forget recorded requests and failure counters (routes stay)."""
        with self._lock:
            self._requests.clear()
            self._peak.clear()
            self._counters.clear()

    # --- what happened ---

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_for(self, path: str, *, host: str | None = None) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path and (host is None or r.host == host)]

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Wait until every recorded request has ended.

        The server runs in its own thread: a client may read an answer before the server
        thread has written down the request's ``end``.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if all(r.end is not None for r in self._requests):
                    return
            time.sleep(0.01)

    def max_in_flight(self) -> dict[str, int]:
        with self._lock:
            return dict(self._peak)

    # --- lifecycle ---

    def __enter__(self) -> LocalHTTPServer:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._serve, name="LocalHTTPServer", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise RuntimeError("test server failed to start") from self._error

    def stop(self) -> None:
        if self._loop is None:
            return
        loop = self._loop
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
        with contextlib.suppress(Exception):
            future.result(10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        self._loop = None

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._startup())
        except BaseException as exc:  # report to start()
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _startup(self) -> None:
        app = web.Application(middlewares=[self._record])
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        # Cancel a handler when its client disconnects, so a hanging request stops
        # counting as in flight once the client has given up on it.
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        for host in self.hosts:
            site = web.TCPSite(self._runner, host, 0, backlog=1024, reuse_address=True)
            await site.start()
            server = site._server
            assert server is not None and server.sockets
            self.ports[host] = server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- serving ---

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        sockname = request.transport.get_extra_info("sockname") if request.transport else ("?", 0)
        host, port = sockname[0], sockname[1]
        with self._lock:
            self._in_flight[host] += 1
            record = RecordedRequest(
                host=host, port=port, method=request.method, path=request.path_qs,
                headers=dict(request.headers), arrival=time.monotonic(),
                in_flight=self._in_flight[host],
            )
            self._peak[host] = max(self._peak[host], record.in_flight)
            self._requests.append(record)
        try:
            response = await handler(request)
            record.status = response.status
            # Write the answer completely before the request stops counting as in flight:
            # the client can only start its next request after reading this one.
            await response.prepare(request)
            await response.write_eof()
            return response
        finally:
            with self._lock:
                self._in_flight[host] -= 1
                record.end = time.monotonic()

    def _find_route(self, path: str) -> Route | None:
        with self._lock:
            if path in self._routes:
                return self._routes[path]
            for prefix, route in self._prefix_routes:
                if path.startswith(prefix):
                    return route
        return None

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        route = self._find_route(request.path)
        if route is None:
            return web.Response(status=404, text="no such route", content_type="text/plain")
        if route.delay:
            await asyncio.sleep(route.delay)
        if route.hang:
            await asyncio.sleep(3600)
        if route.handler is not None:
            return await route.handler(request)
        host = request.transport.get_extra_info("sockname")[0] if request.transport else "?"
        with self._lock:
            key = (host, request.path_qs)
            self._counters[key] += 1
            count = self._counters[key]
        headers = dict(route.headers)
        if count <= route.fail_times:
            if route.retry_after is not None:
                headers["Retry-After"] = str(route.retry_after)
            return web.Response(status=route.fail_status, headers=headers, text="try later")
        if request.method == "HEAD" and route.head_status is not None:
            return web.Response(status=route.head_status, headers=headers)
        if route.location is not None:
            headers["Location"] = route.location
        if route.body_size is not None:
            return await self._stream(request, route, headers)
        body = route.body.encode() if isinstance(route.body, str) else route.body
        response = web.Response(status=route.status, headers=headers, body=body)
        if route.content_type is None:
            response.headers.pop("Content-Type", None)
        else:
            response.headers["Content-Type"] = route.content_type
        return response

    async def _stream(self, request: web.Request, route: Route, headers: dict[str, str]) -> web.StreamResponse:
        response = web.StreamResponse(status=route.status, headers=headers)
        if route.content_type:
            response.headers["Content-Type"] = route.content_type
        if route.chunked:
            response.enable_chunked_encoding()
        else:
            response.content_length = route.body_size
        await response.prepare(request)
        chunk = b"<p>" + b"x" * 65530 + b"</p>"
        sent = 0
        assert route.body_size is not None
        with contextlib.suppress(ConnectionError):
            while sent < route.body_size:
                part = chunk[: route.body_size - sent]
                await response.write(part)
                sent += len(part)
        return response
