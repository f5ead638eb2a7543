"""SSRF-safe HTTP: the address policy, a checking resolver and page fetching.

Anything the app fetches on a user's behalf (a source post, a feed, a link check) goes
through this module, so a URL typed by a collector can never make the server talk to
itself, the local network or the cloud metadata service.

Public API
----------
``is_public_address(ip) -> bool``
    True only for globally routable unicast addresses (see "Address policy").
``is_allowed_address(ip, *, allow_private: bool | None = None) -> bool``
    ``is_public_address`` plus loopback when ``FETCH_ALLOW_PRIVATE_ADDRESSES`` is on.
``parse_target(url, *, allow_private=None) -> Target``
    Parse a URL the way aiohttp will (yarl) and refuse what can be refused before any
    DNS lookup: non-http(s) schemes, user-info, odd IPv4 spellings of non-public
    addresses, IPv6 literals outside global unicast, ``localhost`` names. Raises ``FetchError``.
``validate_fetch_url(url) -> Target``
    ``parse_target`` plus the domain rules (sync, reads ``DomainRule``): what a
    collect form calls before queueing a fetch.
``DomainPolicy.load() -> DomainPolicy``, ``policy.check(host)``, ``domain_rule_for(host)``
``SafeResolver(upstream=None, *, allow_private=None)``
    aiohttp resolver refusing non-public answers on every connection.
``make_session(*, resolver=None, limit=100, cookie_jar=None, allow_private=None) -> aiohttp.ClientSession``
``async fetch_page(url, *, session=None, etag=None, last_modified=None,
                   domain_policy=None, max_bytes=None, timeout=None) -> FetchResult``
``fetch_page_sync(url, **same) -> FetchResult``
    ``fetch_page`` on the per-process loop (``articles.asyncio_runtime``).
``FetchError(reason, *, url="", status=None, detail="")`` with ``.reason`` (a
    ``FetchErrorReason``), ``.status`` and ``.message`` (translated, e.g. "HTTP 404").
``classify_exception(exc) -> FetchErrorReason`` maps aiohttp/asyncio errors to reasons.

Address policy
--------------
Refused: 0.0.0.0/8, 10/8, 100.64/10 (CGNAT), 127/8, 169.254/16 (link-local, cloud
metadata), 172.16/12, 192.0.0/24, 192.0.2/24, 192.88.99/24, 192.168/16, 198.18/15,
198.51.100/24, 203.0.113/24, 224/4 (multicast), 240/4 (reserved, broadcast). For IPv6
only global unicast 2000::/3 is accepted, minus 2001::/23 (IETF protocol assignments,
which includes Teredo 2001::/32 whose embedded addresses are obfuscated), 2001:db8::/32
and 3fff::/20 (documentation); 6to4 2002::/16 and NAT64 64:ff9b::/96 are judged by the
IPv4 address they embed; IPv4-mapped ``::ffff:a.b.c.d`` likewise; IPv4-compatible
``::a.b.c.d``, local-use NAT64 64:ff9b:1::/48, ULA fc00::/7, link-local fe80::/10,
site-local fec0::/10 and multicast ff00::/8 are refused outright, as is any address with
a zone id. The list is written out rather than taken from ``ipaddress.is_global``
because that property changed between Python releases.

``FETCH_ALLOW_PRIVATE_ADDRESSES`` (read at call time, so tests can flip it) admits
loopback only (127.0.0.0/8, ::1 and ``localhost``): tests serve pages on 127.0.0.x, while
the metadata address, the LAN ranges and everything else stay refused.

Every port is accepted: the danger is the address, and links to public sites on ports
such as 8080 are common. Proxies from the environment are ignored (``trust_env=False``),
since a proxy would resolve names where the policy cannot see.

Why a resolver: aiohttp resolves host names through the connector's resolver and
connects to exactly the addresses it returns, so checking them there means the address
that was checked is the address connected to, on every connection, redirects included
(no time-of-check/time-of-use gap, no DNS rebinding). IP literals bypass the resolver,
so ``parse_target`` checks them for every hop.

Domain rules
------------
``DomainRule`` rows cover their domain and its subdomains; the most specific rule wins
(block ``example.com`` but allow ``docs.example.com``). A block rule always refuses,
with its reason. Allow rules are informational unless ``FETCH_ONLY_ALLOWED_DOMAINS`` is
on, in which case a host without an allow rule is refused. Link checks do not apply
domain rules (a translation may link to any site); fetches do.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import enum
import ipaddress
import re
import socket
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils.translation import gettext
from yarl import URL

from articles.urlnorm import host_of

__all__ = [
    "FEED_CONTENT_TYPES",
    "HTML_CONTENT_TYPES",
    "BlockedAddressError",
    "DomainPolicy",
    "FetchError",
    "FetchErrorReason",
    "FetchResult",
    "RedirectHop",
    "SafeResolver",
    "Target",
    "classify_exception",
    "domain_rule_for",
    "fetch_page",
    "fetch_page_sync",
    "is_allowed_address",
    "is_public_address",
    "make_session",
    "parse_target",
    "validate_fetch_url",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
HTML_CONTENT_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Feeds are XML; servers label them every which way, so the generic XML types count too.
FEED_CONTENT_TYPES = frozenset({
    "application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml",
    "text/xml", "application/x-rss+xml", "text/rss+xml", "application/x-atom+xml",
})
_HTML_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
_FEED_ACCEPT = "application/atom+xml,application/rss+xml;q=0.9,application/xml;q=0.8,text/xml;q=0.8,*/*;q=0.1"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

_BLOCKED_V4 = tuple(
    ipaddress.IPv4Network(net)
    for net in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
        "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    )
)
_LOOPBACK_V4 = ipaddress.IPv4Network("127.0.0.0/8")
_GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
_BLOCKED_V6 = tuple(
    ipaddress.IPv6Network(net) for net in ("2001::/23", "2001:db8::/32", "3fff::/20")
)
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
# Every spelling inet_aton accepts: 1-4 parts, each decimal, octal (leading 0) or hex.
_NUMERIC_HOST_RE = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}$", re.IGNORECASE)
_LOCALHOST_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


# --- errors ---------------------------------------------------------------------------


class FetchErrorReason(enum.StrEnum):
    TIMEOUT = "timeout"
    HTTP_STATUS = "http_status"
    NOT_HTML = "not_html"
    TOO_LARGE = "too_large"
    BLOCKED_ADDRESS = "blocked_address"
    BLOCKED_DOMAIN = "blocked_domain"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    DNS_ERROR = "dns_error"
    CONNECTION_ERROR = "connection_error"
    TLS_ERROR = "tls_error"
    INVALID_URL = "invalid_url"


class FetchError(Exception):
    """A fetch that did not give a usable page; ``reason`` is for code, ``message`` for people."""

    def __init__(
        self, reason: FetchErrorReason | str, *, url: str = "", status: int | None = None,
        detail: str = "",
    ) -> None:
        self.reason = FetchErrorReason(reason)
        self.url = url
        self.status = status
        self.detail = detail
        super().__init__(self.message)

    @property
    def message(self) -> str:
        reason = self.reason
        if reason is FetchErrorReason.HTTP_STATUS:
            return gettext("HTTP %(status)s") % {"status": self.status}
        if reason is FetchErrorReason.BLOCKED_DOMAIN and self.detail:
            return gettext("This site is blocked: %(reason)s") % {"reason": self.detail}
        text = {
            FetchErrorReason.TIMEOUT: gettext("The site took too long to answer"),
            FetchErrorReason.NOT_HTML: gettext("Not an HTML page"),
            FetchErrorReason.TOO_LARGE: gettext("The page is too large"),
            FetchErrorReason.BLOCKED_ADDRESS: gettext("This address is not allowed (private or local network)"),
            FetchErrorReason.BLOCKED_DOMAIN: gettext("This site is blocked"),
            FetchErrorReason.TOO_MANY_REDIRECTS: gettext("Too many redirects"),
            FetchErrorReason.DNS_ERROR: gettext("The site's name could not be resolved"),
            FetchErrorReason.CONNECTION_ERROR: gettext("Could not connect to the site"),
            FetchErrorReason.TLS_ERROR: gettext("The site's secure connection (TLS) failed"),
            FetchErrorReason.INVALID_URL: gettext("Not a valid http(s) address"),
        }[reason]
        if reason is FetchErrorReason.INVALID_URL and self.detail:
            return f"{text}: {self.detail}"
        return text

    def __str__(self) -> str:
        return self.message


class BlockedAddressError(OSError):
    """Raised by ``SafeResolver``; an OSError so aiohttp reports it as a connect failure."""

    def __init__(self, host: str, address: str) -> None:
        self.host = host
        self.address = address
        super().__init__(f"{host} resolves to a non-public address ({address})")


def classify_exception(exc: BaseException) -> FetchErrorReason:
    """The reason for an exception raised while requesting (order matters: subclasses first)."""
    if isinstance(exc, FetchError):
        return exc.reason
    if _find_blocked(exc) is not None:
        return FetchErrorReason.BLOCKED_ADDRESS
    if isinstance(exc, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        return FetchErrorReason.INVALID_URL
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError | ssl.SSLError):
        return FetchErrorReason.TLS_ERROR
    if isinstance(exc, aiohttp.ClientConnectorDNSError | socket.gaierror):
        return FetchErrorReason.DNS_ERROR
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return FetchErrorReason.TIMEOUT
    return FetchErrorReason.CONNECTION_ERROR


def _find_blocked(exc: BaseException | None) -> BlockedAddressError | None:
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, BlockedAddressError):
            return exc
        inner = getattr(exc, "os_error", None)
        if isinstance(inner, BlockedAddressError):
            return inner
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


# --- address policy -------------------------------------------------------------------


def _as_address(ip: str | IPAddress) -> IPAddress:
    if isinstance(ip, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return ip
    return ipaddress.ip_address(ip.strip().strip("[]"))


def is_public_address(ip: str | IPAddress) -> bool:
    try:
        address = _as_address(ip)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv4Address):
        return not any(address in net for net in _BLOCKED_V4)
    if address.scope_id:
        return False
    if address.ipv4_mapped is not None:
        return is_public_address(address.ipv4_mapped)
    if address in _NAT64:
        return is_public_address(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address in _SIX_TO_FOUR:
        return address.sixtofour is not None and is_public_address(address.sixtofour)
    if address in _NAT64_LOCAL or address in _IPV4_COMPATIBLE:
        return False
    if address not in _GLOBAL_UNICAST_V6:
        return False
    return not any(address in net for net in _BLOCKED_V6)


def _allow_private(override: bool | None) -> bool:
    if override is not None:
        return override
    return bool(getattr(settings, "FETCH_ALLOW_PRIVATE_ADDRESSES", False))


def is_allowed_address(ip: str | IPAddress, *, allow_private: bool | None = None) -> bool:
    try:
        address = _as_address(ip)
    except ValueError:
        return False
    if is_public_address(address):
        return True
    if not _allow_private(allow_private):
        return False
    if isinstance(address, ipaddress.IPv6Address) and not address.scope_id:
        if address == ipaddress.IPv6Address("::1"):
            return True
        mapped = address.ipv4_mapped
        return mapped is not None and mapped in _LOOPBACK_V4
    return isinstance(address, ipaddress.IPv4Address) and address in _LOOPBACK_V4


def parse_ip_host(host: str) -> IPAddress | None:
    """The address an IP-literal host denotes, with inet_aton's odd IPv4 spellings; else None."""
    host = host.strip().strip("[]").rstrip(".")
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            return None
    if _NUMERIC_HOST_RE.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


@dataclass(frozen=True)
class Target:
    """A URL that passed the checks possible before DNS."""

    url: str
    scheme: str
    host: str  # ASCII (punycode), lower case, no trailing dot
    port: int
    address: IPAddress | None  # set when the host is an IP literal


def parse_target(url: str, *, allow_private: bool | None = None) -> Target:
    text = (url or "").strip()
    try:
        parsed = URL(text)
    except (ValueError, TypeError) as exc:
        raise FetchError(FetchErrorReason.INVALID_URL, url=text, detail=str(exc)) from exc
    scheme = (parsed.scheme or "").lower()
    if scheme not in ("http", "https"):
        raise FetchError(FetchErrorReason.INVALID_URL, url=text, detail=gettext("only http and https"))
    if "\\" in text.split("?", 1)[0] or parsed.raw_user is not None or parsed.raw_password is not None:
        raise FetchError(
            FetchErrorReason.INVALID_URL, url=text, detail=gettext("user names and backslashes are not allowed")
        )
    raw_host = (parsed.raw_host or "").lower()
    host = raw_host.rstrip(".")
    if not host or any(c in host for c in " %@\\/"):
        raise FetchError(FetchErrorReason.INVALID_URL, url=text, detail=gettext("no valid host name"))
    try:
        port = parsed.port
    except ValueError as exc:
        raise FetchError(FetchErrorReason.INVALID_URL, url=text, detail=str(exc)) from exc
    if port is None or not 0 < port < 65536:
        raise FetchError(FetchErrorReason.INVALID_URL, url=text, detail=gettext("invalid port"))
    address = parse_ip_host(host)
    if address is None and (":" in host or _NUMERIC_HOST_RE.match(host)):
        raise FetchError(FetchErrorReason.INVALID_URL, url=text, detail=gettext("invalid IP address"))
    if address is not None:
        if not is_allowed_address(address, allow_private=allow_private):
            raise FetchError(FetchErrorReason.BLOCKED_ADDRESS, url=text, detail=str(address))
    elif (host in _LOCALHOST_NAMES or host.endswith(".localhost")) and not _allow_private(allow_private):
        raise FetchError(FetchErrorReason.BLOCKED_ADDRESS, url=text, detail=host)
    return Target(url=text, scheme=scheme, host=host, port=port, address=address)


# --- domain rules ---------------------------------------------------------------------


@dataclass(frozen=True)
class DomainPolicy:
    """A snapshot of the ``DomainRule`` table (small; loaded once per fetch)."""

    rules: dict[str, tuple[str, str]] = field(default_factory=dict)  # domain -> (action, reason)
    only_allowed: bool = False

    @classmethod
    def load(cls) -> DomainPolicy:
        from articles.models import DomainRule

        rules = {
            _rule_domain(domain): (action, reason)
            for domain, action, reason in DomainRule.objects.values_list("domain", "action", "reason")
        }
        return cls(rules=rules, only_allowed=bool(getattr(settings, "FETCH_ONLY_ALLOWED_DOMAINS", False)))

    def rule_for(self, host: str) -> tuple[str, str, str] | None:
        """(domain, action, reason) of the most specific rule covering ``host``."""
        for candidate in _parent_domains(host):
            if candidate in self.rules:
                action, reason = self.rules[candidate]
                return candidate, action, reason
        return None

    def check(self, host: str, *, url: str = "") -> None:
        rule = self.rule_for(host)
        if rule is not None and rule[1] == "block":
            raise FetchError(FetchErrorReason.BLOCKED_DOMAIN, url=url, detail=rule[2] or rule[0])
        if self.only_allowed and (rule is None or rule[1] != "allow"):
            raise FetchError(
                FetchErrorReason.BLOCKED_DOMAIN, url=url, detail=gettext("not on the list of allowed sites")
            )


def _rule_domain(domain: str) -> str:
    domain = domain.strip().lower().removeprefix("*.").strip(".")
    return host_of(f"http://{domain}/") or domain


def _parent_domains(host: str) -> Iterable[str]:
    labels = host.lower().rstrip(".").split(".")
    for index in range(len(labels)):
        yield ".".join(labels[index:])


def domain_rule_for(host: str) -> Any:
    """The most specific ``DomainRule`` covering ``host`` (or its parent domains), or None."""
    from articles.models import DomainRule

    candidates = list(_parent_domains(host_of(f"http://{host}/") or host))
    rules = {r.domain.lower(): r for r in DomainRule.objects.filter(domain__in=candidates)}
    for candidate in candidates:
        if candidate in rules:
            return rules[candidate]
    return None


def validate_fetch_url(url: str) -> Target:
    """Everything checkable without the network: URL form, IP literals, domain rules."""
    target = parse_target(url)
    DomainPolicy.load().check(target.host, url=target.url)
    return target


# --- resolver and session -------------------------------------------------------------


class SafeResolver(AbstractResolver):
    """Wraps a resolver and refuses the whole answer if any address is not allowed.

    Refusing the whole answer (not filtering it) matters: a name answering with one
    public and one private address is an attack, not a misconfiguration.
    """

    def __init__(self, upstream: AbstractResolver | None = None, *, allow_private: bool | None = None) -> None:
        self._upstream = upstream
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if self._upstream is None:
            self._upstream = aiohttp.DefaultResolver()
        name = host.rstrip(".").lower()
        if (name in _LOCALHOST_NAMES or name.endswith(".localhost")) and not _allow_private(self._allow_private):
            raise BlockedAddressError(host, name)
        results = await self._upstream.resolve(host, port, family)
        if not results:
            raise OSError(f"no address for {host}")
        for result in results:
            if not is_allowed_address(result["host"], allow_private=self._allow_private):
                raise BlockedAddressError(host, result["host"])
        return results

    async def close(self) -> None:
        if self._upstream is not None:
            await self._upstream.close()


def make_session(
    *, resolver: AbstractResolver | None = None, limit: int = 100,
    cookie_jar: aiohttp.abc.AbstractCookieJar | None = None, allow_private: bool | None = None,
) -> aiohttp.ClientSession:
    """A session whose every connection goes through ``SafeResolver(resolver)``.

    Call it inside the loop that will use it. The DNS cache is off so every new
    connection is resolved, and checked, again. ``allow_private`` overrides the setting
    for the resolver only (tests); IP literals are still judged by ``parse_target``.
    """
    connector = aiohttp.TCPConnector(
        resolver=SafeResolver(resolver, allow_private=allow_private), limit=limit, limit_per_host=0, use_dns_cache=False,
        enable_cleanup_closed=True,
    )
    return aiohttp.ClientSession(
        connector=connector,
        trust_env=False,
        cookie_jar=cookie_jar if cookie_jar is not None else aiohttp.DummyCookieJar(),
        headers={"User-Agent": settings.FETCH_USER_AGENT},
        max_line_size=16384,
        max_field_size=16384,
    )


# --- fetching pages -------------------------------------------------------------------


@dataclass(frozen=True)
class RedirectHop:
    url: str
    status: int
    location: str


@dataclass
class FetchResult:
    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    text: str
    encoding: str
    content_type: str
    etag: str
    last_modified: str
    not_modified: bool
    redirect_chain: list[RedirectHop]
    body: bytes = b""  # the raw bytes, for parsers that decode themselves (feeds)


async def fetch_page(
    url: str,
    *,
    session: aiohttp.ClientSession | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    domain_policy: DomainPolicy | None = None,
    max_bytes: int | None = None,
    timeout: float | None = None,
    content_types: Sequence[str] | None = HTML_CONTENT_TYPES,
) -> FetchResult:
    """Fetch one HTML page, following at most ``FETCH_MAX_REDIRECTS`` redirects by hand.

    ``content_types=None`` accepts any type; feeds pass ``FEED_CONTENT_TYPES`` (and are
    then asked for with a feed ``Accept`` header). ``FetchResult.body`` keeps the bytes. A 304 answer
    to a conditional request returns ``not_modified=True`` with an empty text.
    Raises ``FetchError`` for every failure.
    """
    if domain_policy is None:
        domain_policy = await sync_to_async(DomainPolicy.load)()
    if session is None:
        from articles import asyncio_runtime

        session = await asyncio_runtime.get_session()
    total = float(timeout if timeout is not None else settings.FETCH_TIMEOUT_SECONDS)
    limit = int(max_bytes if max_bytes is not None else settings.FETCH_MAX_BYTES)
    try:
        async with asyncio.timeout(total):
            return await _fetch(
                url, session=session, etag=etag, last_modified=last_modified,
                domain_policy=domain_policy, max_bytes=limit, timeout=total,
                content_types=content_types,
            )
    except FetchError:
        raise
    except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
        raise FetchError(classify_exception(exc), url=url, detail=str(exc)) from exc


def fetch_page_sync(url: str, **kwargs: Any) -> FetchResult:
    """``fetch_page`` for sync code; the domain rules are read here, in the caller's thread."""
    from articles import asyncio_runtime

    if kwargs.get("domain_policy") is None:
        kwargs["domain_policy"] = DomainPolicy.load()
    return asyncio_runtime.run(fetch_page(url, **kwargs))


async def _fetch(
    url: str, *, session: aiohttp.ClientSession, etag: str | None, last_modified: str | None,
    domain_policy: DomainPolicy, max_bytes: int, timeout: float, content_types: Sequence[str] | None,
) -> FetchResult:
    chain: list[RedirectHop] = []
    current = url
    max_redirects = int(settings.FETCH_MAX_REDIRECTS)
    client_timeout = aiohttp.ClientTimeout(total=timeout, connect=min(timeout, 10.0))
    while True:
        target = parse_target(current)
        domain_policy.check(target.host, url=current)
        feed = content_types is not None and not set(content_types) & HTML_CONTENT_TYPES
        headers = {"Accept": _FEED_ACCEPT if feed else _HTML_ACCEPT}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        async with session.get(
            target.url, allow_redirects=False, headers=headers, timeout=client_timeout
        ) as response:
            location = response.headers.get("Location")
            if response.status in REDIRECT_STATUSES and location:
                if len(chain) >= max_redirects:
                    raise FetchError(FetchErrorReason.TOO_MANY_REDIRECTS, url=url, status=response.status)
                next_url = str(response.url.join(URL(location.strip())))
                chain.append(RedirectHop(url=current, status=response.status, location=next_url))
                current = next_url
                continue
            if response.status == 304:
                return _result(url, current, response, b"", chain, not_modified=True)
            if not 200 <= response.status < 300:
                raise FetchError(FetchErrorReason.HTTP_STATUS, url=url, status=response.status)
            # No type, or the generic binary one, is sniffed once the body is in.
            mimetype = response.content_type.lower() if "Content-Type" in response.headers else ""
            untyped = mimetype in ("", "application/octet-stream")
            if content_types is not None and not untyped and mimetype not in content_types:
                raise FetchError(FetchErrorReason.NOT_HTML, url=url, detail=mimetype)
            length = response.content_length
            if length is not None and length > max_bytes:
                raise FetchError(FetchErrorReason.TOO_LARGE, url=url, detail=str(length))
            body = bytearray()
            async for chunk in response.content.iter_chunked(65536):
                body += chunk
                if len(body) > max_bytes:
                    raise FetchError(FetchErrorReason.TOO_LARGE, url=url, detail=f">{max_bytes}")
            if content_types is not None and untyped and not _looks_like_html(body):
                raise FetchError(FetchErrorReason.NOT_HTML, url=url, detail="no content type")
            return _result(url, current, response, bytes(body), chain, not_modified=False)


def _result(
    url: str, final_url: str, response: aiohttp.ClientResponse, body: bytes,
    chain: list[RedirectHop], *, not_modified: bool,
) -> FetchResult:
    text, encoding = decode_html(body, response.charset)
    return FetchResult(
        url=url,
        final_url=final_url,
        status=response.status,
        headers={k.lower(): v for k, v in response.headers.items()},
        text=text,
        encoding=encoding,
        content_type=response.content_type if "Content-Type" in response.headers else "",
        etag=response.headers.get("ETag", ""),
        last_modified=response.headers.get("Last-Modified", ""),
        not_modified=not_modified,
        redirect_chain=chain,
        body=body,
    )


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml"))


_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.+-]+)""", re.IGNORECASE)
# The WHATWG encoding standard decodes these labels as windows-1252.
_WINDOWS_1252_LABELS = frozenset({"iso-8859-1", "iso8859-1", "latin-1", "latin1", "us-ascii", "ascii", "l1"})


def decode_html(body: bytes, header_charset: str | None) -> tuple[str, str]:
    """Decode a page: BOM, then the Content-Type charset, then <meta charset>, then UTF-8."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(name, errors="replace"), name
    candidates: list[str] = []
    if header_charset:
        candidates.append(header_charset)
    match = _META_CHARSET_RE.search(body[:4096])
    if match:
        candidates.append(match.group(1).decode("ascii", "ignore"))
    for label in candidates:
        name = label.strip().lower()
        name = "windows-1252" if name in _WINDOWS_1252_LABELS else name
        with contextlib.suppress(LookupError):
            codec = codecs.lookup(name).name
            return body.decode(codec, errors="replace"), codec
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return body.decode("windows-1252", errors="replace"), "windows-1252"
