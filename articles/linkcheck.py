"""The asynchronous link checker: polite, concurrent, and exact about what it found.

Public API
----------
``LinkChecker(*, concurrency=None, per_host=None, timeout=15.0, connect_timeout=5.0,
              max_retries=3, max_timeout_retries=1, backoff_base=0.5, backoff_max=30.0,
              retry_after_cap=60.0, max_redirects=10, exclude=(), skip_reserved_domains=True,
              session=None, resolver=None)``
    ``async with LinkChecker() as checker:`` then
    ``await checker.check(url) -> LinkResult`` for one URL,
    ``async for result in checker.check_many(urls)`` for many (results in completion
    order, each distinct URL once), or ``await checker.check_all(urls) -> dict[str,
    LinkResult]``. From sync code: ``check_urls_sync(urls, **checker_options) -> dict``.
``LinkResult``: ``url``, ``result`` (a ``LinkOutcome``), ``status``, ``final_url``,
    ``redirect_chain`` (``[{"url", "status"}]``), ``attempts``, ``elapsed_ms``, ``error``;
    ``.as_dict()`` and ``.is_failure``.
``LinkOutcome``: ok, redirect_permanent, redirect_temporary, broken, server_error,
    timeout, connection_error, dns_error, tls_error, skipped (the values of
    ``LinkStatus.Result``).
``FAILING_OUTCOMES``: the outcomes that make ``checklinks`` exit 1.

Behaviour
---------
* Concurrency: at most ``concurrency`` requests in flight in all (default
  ``LINKCHECK_CONCURRENCY``) and at most ``per_host`` per host name (default
  ``LINKCHECK_PER_HOST``). A request holds its host's slot from before it is sent until
  its answer is released, for every request: HEAD, the GET fallback, each redirect hop
  (counted against the hop's own host) and each retry. Waiting for a retry holds no slot.
  The host slot is taken before the global one, so a busy host never idles global slots.
* HEAD first. A HEAD answered with a 4xx other than 429, or 501, is repeated as GET at
  once (servers that refuse or mishandle HEAD are common); after a 5xx the retries use GET.
* Redirects (301/302/303/307/308) are followed by hand, at most ``max_redirects``, and
  recorded. A check that ends in 2xx after redirects is ``redirect_permanent`` when the
  first hop was 301/308 (the link itself moved for good) and ``redirect_temporary``
  otherwise.
* Retries with exponential backoff and jitter (``backoff_base * 2**n``, half of it
  random, capped at ``backoff_max``) for 5xx (not 501), 429, and dropped connections;
  timeouts are retried ``max_timeout_retries`` times. ``Retry-After`` (seconds or an
  HTTP date, read against the answer's ``Date``) is always honoured: the next attempt is
  never sent before it ends. A ``Retry-After`` beyond ``retry_after_cap`` is not waited
  for: the link is classified from that answer without retrying. Refused connections,
  DNS and TLS errors are not retried.
* Classification: 2xx → ok (or redirect_*), 4xx → broken (429 too, once retries are
  spent), 5xx → server_error, plus timeout, connection_error, dns_error, tls_error.
  ``skipped``: non-http(s) links (mailto:, tel:, javascript:, data:, ftp:, relative),
  ``exclude`` regex matches, reserved example names (example.com/.net/.org, *.example,
  *.test, *.invalid, *.localhost) unless ``skip_reserved_domains=False``, and links to
  private or local addresses (the SSRF policy of ``articles.safe_http`` applies: the same
  resolver, the same ``FETCH_ALLOW_PRIVATE_ADDRESSES`` setting).
* Memory stays bounded: ``check_many`` keeps at most ``4 × concurrency`` checks pending
  and pulls URLs from the iterable as slots free up; response bodies are never read.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import random
import re
import ssl
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver
from django.conf import settings
from yarl import URL

from articles.safe_http import (
    REDIRECT_STATUSES,
    FetchError,
    FetchErrorReason,
    classify_exception,
    make_session,
    parse_target,
)

__all__ = ["FAILING_OUTCOMES", "LinkChecker", "LinkOutcome", "LinkResult", "check_urls_sync", "parse_retry_after"]


class LinkOutcome(enum.StrEnum):
    OK = "ok"
    REDIRECT_PERMANENT = "redirect_permanent"
    REDIRECT_TEMPORARY = "redirect_temporary"
    BROKEN = "broken"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    CONNECTION_ERROR = "connection_error"
    DNS_ERROR = "dns_error"
    TLS_ERROR = "tls_error"
    SKIPPED = "skipped"


FAILING_OUTCOMES = frozenset(
    {
        LinkOutcome.BROKEN, LinkOutcome.SERVER_ERROR, LinkOutcome.TIMEOUT,
        LinkOutcome.CONNECTION_ERROR, LinkOutcome.DNS_ERROR, LinkOutcome.TLS_ERROR,
    }
)


@dataclass
class LinkResult:
    url: str
    result: LinkOutcome
    status: int | None = None
    final_url: str = ""
    redirect_chain: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    elapsed_ms: int = 0
    error: str = ""

    @property
    def is_failure(self) -> bool:
        return self.result in FAILING_OUTCOMES

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["result"] = str(self.result)
        return data


_PERMANENT = frozenset({301, 308})
_SKIPPED_SCHEMES_MESSAGE = "not an http(s) link"
_RESERVED_NAMES = ("example.com", "example.net", "example.org")
_RESERVED_SUFFIXES = (".example", ".test", ".invalid", ".localhost", ".example.com", ".example.net", ".example.org")
_SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


def parse_retry_after(value: str | None, *, date_header: str | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or an HTTP date), else None."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    now = datetime.now(UTC)
    if date_header:
        # Measure against the server's own clock: our clocks may disagree.
        with contextlib.suppress(TypeError, ValueError, IndexError):
            server_now = parsedate_to_datetime(date_header)
            if server_now is not None:
                now = server_now
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class _HostLimiter:
    """At most ``limit`` holders per host; entries vanish when unused (bounded memory)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._slots: dict[str, list[Any]] = {}  # host -> [semaphore, users]

    @contextlib.asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        entry = self._slots.get(host)
        if entry is None:
            entry = self._slots[host] = [asyncio.Semaphore(self.limit), 0]
        entry[1] += 1
        try:
            async with entry[0]:
                yield
        finally:
            entry[1] -= 1
            if entry[1] == 0 and self._slots.get(host) is entry:
                del self._slots[host]


@dataclass
class _Answer:
    """What one attempt (all its redirect hops) ended with."""

    status: int | None = None
    final_url: str = ""
    chain: list[dict[str, Any]] = field(default_factory=list)
    retry_after: float | None = None
    received_at: float = 0.0
    error: BaseException | None = None
    error_text: str = ""
    outcome: LinkOutcome | None = None  # set when the attempt decided the outcome itself
    used_get: bool = False


class LinkChecker:
    def __init__(
        self,
        *,
        concurrency: int | None = None,
        per_host: int | None = None,
        timeout: float = 15.0,
        connect_timeout: float = 5.0,
        max_retries: int = 3,
        max_timeout_retries: int = 1,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        retry_after_cap: float = 60.0,
        max_redirects: int = 10,
        exclude: Iterable[str] = (),
        skip_reserved_domains: bool = True,
        session: aiohttp.ClientSession | None = None,
        resolver: AbstractResolver | None = None,
    ) -> None:
        self.concurrency = int(concurrency or settings.LINKCHECK_CONCURRENCY)
        self.per_host = int(per_host or settings.LINKCHECK_PER_HOST)
        self.timeout = aiohttp.ClientTimeout(total=timeout, connect=min(connect_timeout, timeout))
        self.max_retries = max_retries
        self.max_timeout_retries = max_timeout_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.retry_after_cap = retry_after_cap
        self.max_redirects = max_redirects
        self.exclude = [re.compile(pattern) for pattern in exclude]
        self.skip_reserved_domains = skip_reserved_domains
        self._session = session
        self._resolver = resolver
        self._own_session = False
        self._global: asyncio.Semaphore | None = None
        self._hosts = _HostLimiter(self.per_host)

    # --- lifecycle ---

    async def __aenter__(self) -> LinkChecker:
        await self._ensure_session()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None
            self._own_session = False

    async def _ensure_session(self) -> aiohttp.ClientSession:
        if self._global is None:
            self._global = asyncio.Semaphore(self.concurrency)
        if self._session is None:
            session = None
            if self._resolver is None:
                from articles import asyncio_runtime

                with contextlib.suppress(RuntimeError):
                    session = await asyncio_runtime.get_session()
            if session is None:
                session = make_session(resolver=self._resolver, limit=max(self.concurrency, 10))
                self._own_session = True
            self._session = session
        return self._session

    # --- many URLs ---

    async def check_many(self, urls: Iterable[str]) -> AsyncIterator[LinkResult]:
        await self._ensure_session()
        max_pending = max(16, self.concurrency * 4)
        source = iter(urls)
        seen: set[str] = set()
        pending: set[asyncio.Task[LinkResult]] = set()
        exhausted = False
        try:
            while True:
                while not exhausted and len(pending) < max_pending:
                    url = next(source, None)
                    if url is None:
                        exhausted = True
                        break
                    if url in seen:
                        continue
                    seen.add(url)
                    pending.add(asyncio.ensure_future(self.check(url)))
                if not pending:
                    return
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    yield task.result()
        finally:
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)

    async def check_all(self, urls: Iterable[str]) -> dict[str, LinkResult]:
        return {result.url: result async for result in self.check_many(urls)}

    # --- one URL ---

    async def check(self, url: str) -> LinkResult:
        started = time.monotonic()
        try:
            result = await self._check(url, started)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a checker bug must not lose the other results
            result = LinkResult(url=url, result=LinkOutcome.CONNECTION_ERROR, error=f"internal error: {exc!r}")
        result.elapsed_ms = int((time.monotonic() - started) * 1000)
        return result

    def _skip_reason(self, url: str) -> str | None:
        match = _SCHEME_RE.match(url)
        if match is None:
            return "relative link"
        if match.group(1).lower() not in ("http", "https"):
            return _SKIPPED_SCHEMES_MESSAGE
        for pattern in self.exclude:
            if pattern.search(url):
                return f"excluded by {pattern.pattern!r}"
        if self.skip_reserved_domains:
            host = (URL(url).raw_host or "").lower().rstrip(".") if _safe_url(url) else ""
            if host in _RESERVED_NAMES or host.endswith(_RESERVED_SUFFIXES) or host == "localhost":
                return "reserved example domain"
        return None

    async def _check(self, url: str, started: float) -> LinkResult:
        await self._ensure_session()
        reason = self._skip_reason(url.strip())
        if reason is not None:
            return LinkResult(url=url, result=LinkOutcome.SKIPPED, error=reason)
        method = "HEAD"
        attempts = retries = timeout_retries = 0
        while True:
            attempts += 1
            answer = await self._attempt(url.strip(), method)
            if answer.used_get:
                method = "GET"
            retry, why_not = self._should_retry(answer, retries, timeout_retries)
            if not retry:
                return self._result(url, answer, attempts, why_not)
            if answer.error is not None and classify_exception(answer.error) == FetchErrorReason.TIMEOUT:
                timeout_retries += 1
            else:
                retries += 1
            if answer.status is not None and answer.status >= 500:
                method = "GET"  # a server failing HEAD may still serve GET
            delay = self._backoff(retries + timeout_retries)
            if answer.retry_after is not None:
                # Never before Retry-After ends, counted from when the answer arrived.
                delay = max(delay, answer.retry_after + 0.05)
            await asyncio.sleep(max(0.0, answer.received_at + delay - time.monotonic()))

    def _backoff(self, retry_number: int) -> float:
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** (retry_number - 1)))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def _should_retry(self, answer: _Answer, retries: int, timeout_retries: int) -> tuple[bool, str]:
        if answer.outcome is not None:
            return False, ""
        if answer.error is not None:
            reason = classify_exception(answer.error)
            if reason == FetchErrorReason.TIMEOUT:
                return timeout_retries < self.max_timeout_retries, ""
            dropped = isinstance(
                answer.error,
                aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError | aiohttp.ClientConnectionResetError,
            ) or (
                isinstance(answer.error, aiohttp.ClientOSError)
                and not isinstance(answer.error, aiohttp.ClientConnectorError)
            )
            return dropped and retries < self.max_retries, ""
        status = answer.status or 0
        if not (status == 429 or (500 <= status < 600 and status != 501)):
            return False, ""
        if answer.retry_after is not None and answer.retry_after > self.retry_after_cap:
            return False, f"Retry-After {answer.retry_after:.0f} s exceeds the {self.retry_after_cap:.0f} s cap"
        return retries < self.max_retries, ""

    def _result(self, url: str, answer: _Answer, attempts: int, note: str) -> LinkResult:
        result = LinkResult(
            url=url, result=LinkOutcome.OK, status=answer.status, final_url=answer.final_url,
            redirect_chain=answer.chain, attempts=attempts, error=answer.error_text or note,
        )
        if answer.outcome is not None:
            result.result = answer.outcome
            return result
        if answer.error is not None:
            result.result = {
                FetchErrorReason.TIMEOUT: LinkOutcome.TIMEOUT,
                FetchErrorReason.DNS_ERROR: LinkOutcome.DNS_ERROR,
                FetchErrorReason.TLS_ERROR: LinkOutcome.TLS_ERROR,
                FetchErrorReason.BLOCKED_ADDRESS: LinkOutcome.SKIPPED,
                FetchErrorReason.INVALID_URL: LinkOutcome.BROKEN,
            }.get(_reason_with_tls(answer.error), LinkOutcome.CONNECTION_ERROR)
            if not result.error:
                result.error = (
                    f"no answer within {self.timeout.total:g} s"
                    if result.result == LinkOutcome.TIMEOUT else _describe(answer.error)
                )
            return result
        status = answer.status or 0
        if 200 <= status < 400:
            if answer.chain:
                first = answer.chain[0]["status"]
                result.result = LinkOutcome.REDIRECT_PERMANENT if first in _PERMANENT else LinkOutcome.REDIRECT_TEMPORARY
        elif 400 <= status < 500:
            result.result = LinkOutcome.BROKEN
        else:
            result.result = LinkOutcome.SERVER_ERROR
        return result

    async def _attempt(self, url: str, method: str) -> _Answer:
        """One try: request ``url``, following redirects; HEAD falls back to GET per hop."""
        session = await self._ensure_session()
        assert self._global is not None
        answer = _Answer()
        current = url
        cookies: dict[str, dict[str, str]] = {}
        while True:
            try:
                target = parse_target(current)
            except FetchError as exc:
                answer.received_at = time.monotonic()
                answer.final_url = current
                if exc.reason == FetchErrorReason.BLOCKED_ADDRESS:
                    answer.outcome = LinkOutcome.SKIPPED
                    answer.error_text = "private or local address"
                else:
                    answer.outcome = LinkOutcome.BROKEN if answer.chain else LinkOutcome.SKIPPED
                    answer.error_text = f"invalid URL: {exc.detail or exc.message}"
                return answer
            hop_method = method
            while True:
                try:
                    status, location, retry_after, set_cookies = await self._request(
                        session, target, hop_method, cookies.get(target.host)
                    )
                except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
                    if hop_method == "HEAD" and isinstance(exc, aiohttp.ServerDisconnectedError):
                        hop_method = "GET"  # some servers hang up on HEAD
                        answer.used_get = True
                        continue
                    answer.error = exc
                    answer.received_at = time.monotonic()
                    answer.final_url = current
                    return answer
                if hop_method == "HEAD" and ((400 <= status < 500 and status != 429) or status == 501):
                    hop_method = "GET"
                    answer.used_get = True
                    continue
                break
            answer.received_at = time.monotonic()
            if set_cookies:
                cookies.setdefault(target.host, {}).update(set_cookies)
            if status in REDIRECT_STATUSES and location:
                if len(answer.chain) >= self.max_redirects:
                    answer.status = status
                    answer.final_url = current
                    answer.outcome = LinkOutcome.BROKEN
                    answer.error_text = "too many redirects"
                    return answer
                next_url = _join(current, location)
                answer.chain.append({"url": current, "status": status})
                current = next_url
                continue
            answer.status = status
            answer.final_url = current
            answer.retry_after = retry_after
            return answer

    async def _request(
        self, session: aiohttp.ClientSession, target: Any, method: str, cookies: dict[str, str] | None
    ) -> tuple[int, str | None, float | None, dict[str, str]]:
        assert self._global is not None
        headers = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        async with self._hosts.slot(target.host), self._global, session.request(
            method, target.url, allow_redirects=False, headers=headers, timeout=self.timeout
        ) as response:
            retry_after = None
            if response.status == 429 or response.status >= 500:
                retry_after = parse_retry_after(
                    response.headers.get("Retry-After"), date_header=response.headers.get("Date")
                )
            set_cookies = {name: morsel.value for name, morsel in response.cookies.items()}
            return response.status, response.headers.get("Location"), retry_after, set_cookies


def _safe_url(url: str) -> bool:
    try:
        URL(url)
    except (ValueError, TypeError):
        return False
    return True


def _join(base: str, location: str) -> str:
    try:
        return str(URL(base).join(URL(location.strip())))
    except (ValueError, TypeError):
        return location.strip()


def _reason_with_tls(exc: BaseException) -> FetchErrorReason:
    reason = classify_exception(exc)
    if reason == FetchErrorReason.CONNECTION_ERROR:
        inner: BaseException | None = exc
        for _ in range(6):
            if inner is None:
                break
            if isinstance(inner, ssl.SSLError):
                return FetchErrorReason.TLS_ERROR
            inner = getattr(inner, "os_error", None) or inner.__cause__ or inner.__context__
    return reason


def _describe(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    return text[:500]


def check_urls_sync(urls: Iterable[str], **options: Any) -> dict[str, LinkResult]:
    """Check ``urls`` from sync code on the per-process loop (Celery tasks, commands)."""
    from articles import asyncio_runtime

    async def run() -> dict[str, LinkResult]:
        async with LinkChecker(**options) as checker:
            return await checker.check_all(urls)

    return asyncio_runtime.run(run())
