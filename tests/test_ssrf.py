"""SSRF-safe fetching: the address policy, the checking resolver and the page fetch caps.

Pages are served by a real local server on 127.0.0.x. Tests that fetch from it turn
``FETCH_ALLOW_PRIVATE_ADDRESSES`` on, which admits loopback only; every other vector
(metadata, LAN, odd spellings, IPv6 embeddings) must stay refused with it on or off.
Names are resolved by a fake upstream resolver, so no test asks real DNS or leaves the
machine.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
import time

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver
from django.utils import translation

from articles import asyncio_runtime
from articles.models import DomainRule
from articles.safe_http import (
    BlockedAddressError,
    DomainPolicy,
    FetchError,
    FetchErrorReason,
    SafeResolver,
    domain_rule_for,
    fetch_page,
    fetch_page_sync,
    is_allowed_address,
    is_public_address,
    make_session,
    parse_target,
    validate_fetch_url,
)
from tests.httpfixtures import LocalHTTPServer, unused_port

NO_RULES = DomainPolicy()


class FakeResolver(AbstractResolver):
    """Answers from a script: ``answers[name]`` is a list of answers, one per lookup."""

    def __init__(self, answers: dict[str, list[list[str]] | list[str]], *, error: Exception | None = None):
        self.answers = {k: (v if v and isinstance(v[0], list) else [v]) for k, v in answers.items()}
        self.error = error
        self.lookups: list[str] = []

    async def resolve(self, host, port=0, family=socket.AF_INET):
        self.lookups.append(host)
        if self.error is not None:
            raise self.error
        script = self.answers[host.rstrip(".")]
        addresses = script[min(len(self.lookups_for(host)) - 1, len(script) - 1)]
        return [
            {
                "hostname": host, "host": address, "port": port,
                "family": socket.AF_INET6 if ":" in address else socket.AF_INET,
                "proto": 0, "flags": socket.AI_NUMERICHOST,
            }
            for address in addresses
        ]

    def lookups_for(self, host):
        return [h for h in self.lookups if h == host]

    async def close(self):
        pass


@pytest.fixture(autouse=True)
def english():
    # Messages are asserted by their English msgids; the site default is Chinese.
    with translation.override("en"):
        yield


@pytest.fixture
def server():
    with LocalHTTPServer(hosts=["127.0.0.2", "127.0.0.3"]) as srv:
        yield srv


@pytest.fixture
def allow_loopback(settings):
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = True
    return settings


def fetch(url, *, resolver=None, **kwargs):
    async def go():
        async with make_session(resolver=resolver) as session:
            return await fetch_page(url, session=session, domain_policy=kwargs.pop("policy", NO_RULES), **kwargs)

    return asyncio_runtime.run(go())


def fetch_error(url, **kwargs) -> FetchError:
    with pytest.raises(FetchError) as info:
        fetch(url, **kwargs)
    return info.value


# --- URL vectors refused before any lookup ---------------------------------------------

BLOCKED_URLS = [
    "http://127.0.0.1/",
    "http://127.0.0.2:8080/admin",
    "https://127.0.0.1:443/",
    "http://127.0.0.1./",
    "http://localhost/",
    "http://LOCALHOST./",
    "http://app.localhost/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0x7f.0.0.1/",
    "http://0x7f.1/",
    "http://0177.0.0.1/",
    "http://017700000001/",
    "http://127.1/",
    "http://127.0.1/",
    "http://127.000.000.001/",
    "http://0/",
    "http://0.0.0.0/",
    "http://10.0.0.1/",
    "http://10.255.255.255/",
    "http://172.16.0.1/",
    "http://172.31.255.254/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://100.100.100.200/latest/meta-data/",
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.0.1/",
    "http://0xa9fea9fe/",
    "http://2852039166/",
    "http://0251.0376.0251.0376/",
    "http://169.254.43518/",
    "http://224.0.0.1/",
    "http://239.255.255.250:1900/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://192.0.0.1/",
    "http://198.18.0.1/",
    "http://[::1]/",
    "http://[::]/",
    "http://[0:0:0:0:0:0:0:1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[0:0:0:0:0:ffff:a9fe:a9fe]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[::ffff:0:127.0.0.1]/",
    "http://[::127.0.0.1]/",
    "http://[::10.0.0.1]/",
    "http://[::8.8.8.8]/",
    "http://[64:ff9b::127.0.0.1]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[64:ff9b:1::8.8.8.8]/",
    "http://[2002:7f00:1::]/",
    "http://[2002:a9fe:a9fe::1]/",
    "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
    "http://[fc00::1]/",
    "http://[fd00:ec2::254]/",
    "http://[fe80::1]/",
    "http://[fe80::1%25eth0]/",
    "http://[ff02::1]/",
    "http://[fec0::1]/",
    "http://[2001:db8::1]/",
    "http://good.example@127.0.0.1/",
    "http://127.0.0.1#@good.example/",
    "http://127.0.0.1?@good.example/",
]
INVALID_URLS = [
    "file:///etc/passwd",
    "gopher://127.0.0.1:70/_stats",
    "dict://127.0.0.1:11211/stat",
    "ftp://example.com/file",
    "javascript:alert(1)",
    "http:///nohost",
    "http://good.example\\@127.0.0.1/",
    "http://user:pass@example.com/",
    "http://example.com:0/",
    "http://[::1/",
]


def _is_plain_loopback(url: str) -> bool:
    loopback = ("127.", "localhost", "0x7f", "0177", "2130706433", "017700000001", "[::1]",
                "[0:0:0:0:0:0:0:1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "app.localhost", "LOCALHOST")
    host = url.split("//", 1)[1]
    return host.startswith(loopback) or ("@127.0.0.1" in url and "\\" not in url)


@pytest.mark.parametrize("url", BLOCKED_URLS)
def test_non_public_url_refused(url):
    with pytest.raises(FetchError) as info:
        parse_target(url, allow_private=False)
    assert info.value.reason in (FetchErrorReason.BLOCKED_ADDRESS, FetchErrorReason.INVALID_URL)


@pytest.mark.parametrize("url", [u for u in BLOCKED_URLS if not _is_plain_loopback(u)])
def test_non_public_url_refused_with_loopback_allowed(url):
    with pytest.raises(FetchError) as info:
        parse_target(url, allow_private=True)
    assert info.value.reason in (FetchErrorReason.BLOCKED_ADDRESS, FetchErrorReason.INVALID_URL)


@pytest.mark.parametrize("url", INVALID_URLS)
def test_invalid_url_refused(url):
    with pytest.raises(FetchError) as info:
        parse_target(url)
    assert info.value.reason in (FetchErrorReason.INVALID_URL, FetchErrorReason.BLOCKED_ADDRESS)


def test_vector_count():
    assert len(BLOCKED_URLS) + len(INVALID_URLS) + len(BLOCKED_ANSWERS) >= 60


@pytest.mark.parametrize("url", ["http://169.254.169.254/", "http://2130706433/", "http://[::ffff:7f00:1]/"])
def test_blocked_url_is_refused_by_fetch_without_a_request(url, server):
    error = fetch_error(url)
    assert error.reason == FetchErrorReason.BLOCKED_ADDRESS
    assert error.message == "This address is not allowed (private or local network)"


# --- addresses a name resolves to --------------------------------------------------------

BLOCKED_ANSWERS = [
    ["127.0.0.1"], ["127.53.53.53"], ["10.1.2.3"], ["172.20.0.5"], ["192.168.0.10"],
    ["169.254.169.254"], ["100.64.1.1"], ["0.0.0.0"], ["224.0.0.251"], ["255.255.255.255"],
    ["::1"], ["::"], ["::ffff:127.0.0.1"], ["::ffff:169.254.169.254"], ["fe80::1"],
    ["fd00:ec2::254"], ["ff02::1"], ["64:ff9b::7f00:1"], ["2002:a9fe:a9fe::"],
    ["2001:0:4136:e378:8000:63bf:3fff:fdd2"],
    ["93.184.216.34", "127.0.0.1"],  # one bad address spoils the answer
    ["2606:4700:4700::1111", "fe80::1"],
]


@pytest.mark.parametrize("answer", BLOCKED_ANSWERS)
def test_resolver_refuses_non_public_answers(answer, allow_loopback):
    # Loopback answers are admitted by the test setting; check those with it off.
    loopback_only = any(a.startswith("127.") or a in ("::1", "::ffff:127.0.0.1") for a in answer)
    resolver = SafeResolver(FakeResolver({"evil.example": answer}), allow_private=False if loopback_only else None)
    with pytest.raises(BlockedAddressError):
        asyncio_runtime.run(resolver.resolve("evil.example", 80))


@pytest.mark.parametrize(
    "answer", [["169.254.169.254"], ["10.0.0.1"], ["::ffff:169.254.169.254"], ["fd00:ec2::254"]]
)
def test_fetch_refuses_name_resolving_to_metadata_even_with_loopback_allowed(answer, allow_loopback):
    error = fetch_error("http://metadata.example/latest/", resolver=FakeResolver({"metadata.example": answer}))
    assert error.reason == FetchErrorReason.BLOCKED_ADDRESS


def test_fetch_refuses_name_resolving_to_loopback_when_not_allowed(server, settings):
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = False
    server.route("/secret", body="secret")
    port = server.ports["127.0.0.2"]
    error = fetch_error(f"http://intranet.example:{port}/secret", resolver=FakeResolver({"intranet.example": ["127.0.0.2"]}))
    assert error.reason == FetchErrorReason.BLOCKED_ADDRESS
    assert server.requests == []


def test_dns_rebinding_second_answer_refused_on_connect(server, allow_loopback):
    """First answer public (what a pre-check would see), second private: the connect is refused."""
    server.route("/page")
    port = server.ports["127.0.0.2"]
    upstream = FakeResolver({"rebind.example": [["93.184.216.34"], ["169.254.169.254"]]})
    resolver = SafeResolver(upstream)
    # A naive pre-check resolves once and sees a public address ...
    first = asyncio_runtime.run(resolver.resolve("rebind.example", port))
    assert first[0]["host"] == "93.184.216.34"
    # ... but the connection resolves again through the same checking resolver.
    error = fetch_error(f"http://rebind.example:{port}/page", resolver=upstream)
    assert error.reason == FetchErrorReason.BLOCKED_ADDRESS
    assert len(upstream.lookups_for("rebind.example")) == 2
    assert server.requests == []


def test_every_connection_is_checked_not_only_the_first(server, allow_loopback):
    """Each new connection resolves again: a name that turns private later is refused then."""
    server.route("/page")
    port = server.ports["127.0.0.2"]
    upstream = FakeResolver({"flip.example": [["127.0.0.2"], ["10.0.0.7"]]})

    async def two_fetches():
        results = []
        for _ in range(2):
            # A fresh session per fetch forces a new connection, as a new worker task would.
            async with make_session(resolver=upstream) as session:
                try:
                    results.append(await fetch_page(f"http://flip.example:{port}/page", session=session, domain_policy=NO_RULES))
                except FetchError as exc:
                    results.append(exc)
        return results

    first, second = asyncio_runtime.run(two_fetches())
    assert first.status == 200
    assert isinstance(second, FetchError) and second.reason == FetchErrorReason.BLOCKED_ADDRESS
    assert len(server.requests) == 1


def test_dns_failure_is_dns_error(allow_loopback):
    error = fetch_error("http://no-such-host.example/", resolver=FakeResolver({}, error=socket.gaierror(-2, "Name or service not known")))
    assert error.reason == FetchErrorReason.DNS_ERROR
    assert "resolved" in error.message


# --- public controls accepted by the policy (nothing is fetched) ------------------------

PUBLIC_ADDRESSES = [
    "8.8.8.8", "1.1.1.1", "93.184.216.34", "100.63.255.255", "100.128.0.1", "172.15.255.255",
    "172.32.0.1", "192.167.255.255", "169.253.255.255", "223.255.255.254",
    "2606:4700:4700::1111", "2a00:1450:4001:81c::200e", "2001:4860:4860::8888",
    "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
]


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
def test_public_addresses_accepted(address):
    assert is_public_address(address)
    assert is_allowed_address(address, allow_private=False)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/", "https://example.com:8443/x?y=1", "https://8.8.8.8/",
        "http://[2606:4700:4700::1111]/", "https://b\u00fccher.example/", "http://example.com./",
        "http://www.example.org:8080/a/b",
    ],
)
def test_public_urls_accepted_by_policy(url):
    target = parse_target(url, allow_private=False)
    assert target.scheme in ("http", "https")
    assert not target.host.endswith(".")


def test_resolver_passes_public_answers_through():
    resolver = SafeResolver(FakeResolver({"example.com": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]}))
    answer = asyncio_runtime.run(resolver.resolve("example.com", 443))
    assert [a["host"] for a in answer] == ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]


def test_allow_private_admits_loopback_only():
    assert is_allowed_address("127.0.0.5", allow_private=True)
    assert is_allowed_address("::1", allow_private=True)
    for address in ("169.254.169.254", "10.0.0.1", "192.168.1.1", "100.64.0.1", "fe80::1", "fd00::1", "0.0.0.0"):
        assert not is_allowed_address(address, allow_private=True), address


def test_setting_is_read_at_call_time(settings):
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = False
    assert not is_allowed_address("127.0.0.2")
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = True
    assert is_allowed_address("127.0.0.2")


# --- redirects ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://0xa9fea9fe/",
        "http://metadata.example/",
    ],
)
def test_redirect_to_non_public_address_refused(server, allow_loopback, location):
    server.route("/go", status=302, location=location)
    upstream = FakeResolver({"metadata.example": ["169.254.169.254"]})
    error = fetch_error(server.url("/go"), resolver=upstream)
    assert error.reason == FetchErrorReason.BLOCKED_ADDRESS
    assert len(server.requests) == 1


def test_redirect_to_loopback_refused_when_private_not_allowed(server, settings):
    """A "public" site (scripted DNS) redirecting to a loopback literal: the hop is refused."""
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = False
    port = server.ports["127.0.0.2"]
    server.route("/go", status=301, location=server.url("/secret", host="127.0.0.3"))
    server.route("/secret", body="secret")
    upstream = FakeResolver({"public.example": ["127.0.0.2"]})

    async def go():
        # The resolver alone is told to admit loopback, standing in for a public address.
        async with make_session(resolver=upstream, allow_private=True) as session:
            return await fetch_page(f"http://public.example:{port}/go", session=session, domain_policy=NO_RULES)

    with pytest.raises(FetchError) as info:
        asyncio_runtime.run(go())
    assert info.value.reason == FetchErrorReason.BLOCKED_ADDRESS
    assert [r.path for r in server.requests] == ["/go"]


@pytest.mark.parametrize("location", ["file:///etc/passwd", "gopher://127.0.0.1:70/", "http://user@127.0.0.3/"])
def test_redirect_to_other_scheme_or_userinfo_refused(server, allow_loopback, location):
    server.route("/go", status=302, location=location)
    error = fetch_error(server.url("/go"))
    assert error.reason == FetchErrorReason.INVALID_URL


def test_redirects_followed_and_recorded_up_to_the_limit(server, allow_loopback):
    for hop in range(5):
        server.route(f"/r{hop}", status=301 if hop % 2 else 302, location=f"/r{hop + 1}")
    server.route("/r5", body="<html><body>final</body></html>")
    result = fetch(server.url("/r0"))
    assert result.status == 200
    assert result.final_url == server.url("/r5")
    assert [hop.status for hop in result.redirect_chain] == [302, 301, 302, 301, 302]
    assert result.redirect_chain[0].location == server.url("/r1")
    assert "final" in result.text


def test_too_many_redirects(server, allow_loopback):
    for hop in range(7):
        server.route(f"/r{hop}", status=302, location=f"/r{hop + 1}")
    server.route("/r7")
    error = fetch_error(server.url("/r0"))
    assert error.reason == FetchErrorReason.TOO_MANY_REDIRECTS
    assert len(server.requests) == 6  # the first request and five redirects followed


def test_redirect_loop_stops(server, allow_loopback):
    server.route("/a", status=302, location="/b")
    server.route("/b", status=302, location="/a")
    assert fetch_error(server.url("/a")).reason == FetchErrorReason.TOO_MANY_REDIRECTS


def test_redirect_across_hosts(server, allow_loopback):
    server.route("/moved", status=308, location=server.url("/here", host="127.0.0.3"))
    server.route("/here")
    result = fetch(server.url("/moved"))
    assert result.final_url == server.url("/here", host="127.0.0.3")
    assert [r.host for r in server.requests] == ["127.0.0.2", "127.0.0.3"]


# --- caps: size, type, time ---------------------------------------------------------------


def test_size_cap_from_content_length(server, allow_loopback):
    allow_loopback.FETCH_MAX_BYTES = 100_000
    server.route("/big", body_size=300_000)
    error = fetch_error(server.url("/big"))
    assert error.reason == FetchErrorReason.TOO_LARGE
    assert error.message == "The page is too large"


def test_size_cap_while_streaming_without_length(server, allow_loopback):
    allow_loopback.FETCH_MAX_BYTES = 200_000
    server.route("/endless", body_size=50_000_000, chunked=True)
    started = time.monotonic()
    error = fetch_error(server.url("/endless"))
    assert error.reason == FetchErrorReason.TOO_LARGE
    # It stopped reading near the cap instead of downloading 50 MB.
    assert time.monotonic() - started < 3


def test_default_size_cap_is_five_megabytes(settings):
    assert settings.FETCH_MAX_BYTES == 5 * 1024 * 1024


def test_page_at_the_cap_is_accepted(server, allow_loopback):
    allow_loopback.FETCH_MAX_BYTES = 131_072
    server.route("/fits", body_size=131_072)
    assert len(fetch(server.url("/fits")).text) == 131_072


@pytest.mark.parametrize("content_type", ["application/pdf", "image/png", "application/json", "text/plain; charset=utf-8"])
def test_only_html_accepted(server, allow_loopback, content_type):
    server.route("/file", content_type=content_type, body=b"%PDF-1.4")
    error = fetch_error(server.url("/file"))
    assert error.reason == FetchErrorReason.NOT_HTML
    assert error.message == "Not an HTML page"


def test_xhtml_and_untyped_html_accepted(server, allow_loopback):
    server.route("/x", content_type="application/xhtml+xml; charset=utf-8")
    server.route("/untyped", content_type=None, body=b"<!DOCTYPE html><html><body>hi</body></html>")
    server.route("/untyped-binary", content_type=None, body=b"\x89PNG\r\n")
    assert fetch(server.url("/x")).status == 200
    assert "hi" in fetch(server.url("/untyped")).text
    assert fetch_error(server.url("/untyped-binary")).reason == FetchErrorReason.NOT_HTML


def test_timeout(server, allow_loopback):
    allow_loopback.FETCH_TIMEOUT_SECONDS = 1
    server.route("/hang", hang=True)
    started = time.monotonic()
    error = fetch_error(server.url("/hang"))
    assert error.reason == FetchErrorReason.TIMEOUT
    assert 0.9 < time.monotonic() - started < 3


def test_timeout_covers_the_whole_redirect_chain(server, allow_loopback):
    for hop in range(4):
        server.route(f"/s{hop}", status=302, location=f"/s{hop + 1}", delay=0.4)
    server.route("/s4")
    assert fetch_error(server.url("/s0"), timeout=1).reason == FetchErrorReason.TIMEOUT


@pytest.mark.parametrize("status", [404, 410, 500, 503])
def test_http_error_status(server, allow_loopback, status):
    server.route("/x", status=status)
    error = fetch_error(server.url("/x"))
    assert error.reason == FetchErrorReason.HTTP_STATUS
    assert error.status == status
    assert error.message == f"HTTP {status}"


def test_connection_refused(allow_loopback):
    port = unused_port("127.0.0.4")
    assert fetch_error(f"http://127.0.0.4:{port}/").reason == FetchErrorReason.CONNECTION_ERROR


# --- decoding and conditional requests ---------------------------------------------------


def test_charset_from_header_and_meta(server, allow_loopback):
    server.route("/latin", content_type="text/html; charset=ISO-8859-1", body="<p>caf\u00e9</p>".encode("latin-1"))
    server.route("/gbk", content_type="text/html", body='<meta charset="gbk"><p>\u4e2d\u6587</p>'.encode("gbk"))
    server.route("/utf8", content_type="text/html", body="<p>\u4e2d\u6587</p>".encode())
    assert "caf\u00e9" in fetch(server.url("/latin")).text
    gbk = fetch(server.url("/gbk"))
    assert "\u4e2d\u6587" in gbk.text and gbk.encoding == "gbk"
    assert "\u4e2d\u6587" in fetch(server.url("/utf8")).text


def test_conditional_get_not_modified(server, allow_loopback):
    async def handler(request):
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304)
        return web.Response(text="<p>v1</p>", content_type="text/html", headers={"ETag": '"v1"', "Last-Modified": "Mon, 02 Jan 2023 10:00:00 GMT"})

    server.route("/feedish", handler=handler)
    first = fetch(server.url("/feedish"))
    assert first.etag == '"v1"' and first.last_modified.startswith("Mon")
    second = fetch(server.url("/feedish"), etag=first.etag)
    assert second.not_modified and second.status == 304 and second.text == ""


# --- domain rules ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_blocked_domain_and_subdomains_refused_with_reason(server, allow_loopback):
    DomainRule.objects.create(domain="Blocked.Example", action="block", reason="DMCA takedown 2019")
    for url in ("https://blocked.example/post", "https://www.blocked.example/post", "http://a.b.blocked.example./x"):
        with pytest.raises(FetchError) as info:
            validate_fetch_url(url)
        assert info.value.reason == FetchErrorReason.BLOCKED_DOMAIN
        assert "DMCA takedown 2019" in info.value.message
    validate_fetch_url("https://notblocked.example/post")
    validate_fetch_url("https://example/post")


@pytest.mark.django_db
def test_most_specific_rule_wins(settings):
    DomainRule.objects.create(domain="example.net", action="block", reason="not CC-BY-SA")
    DomainRule.objects.create(domain="docs.example.net", action="allow", reason="CC-BY-SA docs")
    assert domain_rule_for("docs.example.net").action == "allow"
    assert domain_rule_for("api.docs.example.net").action == "allow"
    assert domain_rule_for("www.example.net").action == "block"
    assert domain_rule_for("example.org") is None
    validate_fetch_url("https://api.docs.example.net/x")
    with pytest.raises(FetchError):
        validate_fetch_url("https://example.net/x")


@pytest.mark.django_db
def test_only_allowed_domains_setting(settings):
    DomainRule.objects.create(domain="opensource.com", action="allow")
    settings.FETCH_ONLY_ALLOWED_DOMAINS = True
    validate_fetch_url("https://opensource.com/article/x")
    with pytest.raises(FetchError) as info:
        validate_fetch_url("https://elsewhere.example/x")
    assert info.value.reason == FetchErrorReason.BLOCKED_DOMAIN
    settings.FETCH_ONLY_ALLOWED_DOMAINS = False
    validate_fetch_url("https://elsewhere.example/x")


@pytest.mark.django_db
def test_blocked_redirect_target_domain(server, allow_loopback):
    DomainRule.objects.create(domain="blocked.example", action="block", reason="no")
    server.route("/go", status=302, location="https://blocked.example/x")
    with pytest.raises(FetchError) as info:
        fetch_page_sync(server.url("/go"))
    assert info.value.reason == FetchErrorReason.BLOCKED_DOMAIN


# --- the per-process runtime ----------------------------------------------------------------


@pytest.mark.django_db
def test_fetch_page_sync_uses_one_session_per_process(server, allow_loopback):
    server.route("/p")
    fetch_page_sync(server.url("/p"))
    session = asyncio_runtime.run(asyncio_runtime.get_session())
    fetch_page_sync(server.url("/p"))
    assert asyncio_runtime.run(asyncio_runtime.get_session()) is session
    assert not session.closed


def _child_fetch(url, queue):
    try:
        session = asyncio_runtime.run(asyncio_runtime.get_session())
        result = fetch_page_sync(url, domain_policy=NO_RULES)
        queue.put((result.status, id(asyncio_runtime.get_loop()), id(session)))
    except Exception as exc:  # report to the parent
        queue.put(repr(exc))


def test_forked_worker_gets_its_own_loop_and_session(server, allow_loopback):
    server.route("/p")
    parent_loop = asyncio_runtime.get_loop()
    asyncio_runtime.run(asyncio_runtime.get_session())
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_child_fetch, args=(server.url("/p"), queue))
    child.start()
    outcome = queue.get(timeout=20)
    child.join(10)
    assert isinstance(outcome, tuple), outcome
    assert outcome[0] == 200
    # The parent's loop still works after the child ran.
    assert fetch_page_sync(server.url("/p"), domain_policy=NO_RULES).status == 200
    assert asyncio_runtime.get_loop() is parent_loop


def test_run_refuses_nested_loops():
    async def outer():
        async def inner():
            return 1

        with pytest.raises(RuntimeError):
            asyncio_runtime.run(inner())

    asyncio.run(outer())


def test_client_errors_are_classified():
    from articles.safe_http import classify_exception

    assert classify_exception(TimeoutError()) == FetchErrorReason.TIMEOUT
    assert classify_exception(aiohttp.ServerDisconnectedError()) == FetchErrorReason.CONNECTION_ERROR
    assert classify_exception(BlockedAddressError("h", "10.0.0.1")) == FetchErrorReason.BLOCKED_ADDRESS
