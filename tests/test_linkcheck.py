"""The link checker against real local servers: classification, politeness, retries, cache.

Politeness is asserted from the server's side: its records of arrival times and of
requests in flight per host, not from what the checker believes it did.
"""

from __future__ import annotations

import email.utils
import itertools
import math
import socket
import time
from datetime import timedelta

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver

from articles import asyncio_runtime
from articles.linkcheck import (
    FAILING_OUTCOMES,
    LinkChecker,
    LinkOutcome,
    check_urls_sync,
    parse_retry_after,
)
from articles.models import LinkCheckResult, LinkStatus
from tests.httpfixtures import LocalHTTPServer, unused_port

FAST = {"backoff_base": 0.05, "timeout": 2.0}


@pytest.fixture
def server(settings):
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = True
    with LocalHTTPServer(hosts=["127.0.0.2", "127.0.0.3", "127.0.0.4"]) as srv:
        yield srv


def check(url, **options):
    return check_urls_sync([url], **{**FAST, **options})[url]


def test_outcome_values_match_the_model():
    assert {o.value for o in LinkOutcome} == {c.value for c in LinkStatus.Result}


# --- classification --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(200, "ok"), (204, "ok"), (404, "broken"), (410, "broken"), (403, "broken"), (451, "broken")],
)
def test_status_classification(server, status, outcome):
    server.route("/x", status=status)
    result = check(server.url("/x"))
    assert result.result == outcome
    assert result.status == status
    assert result.attempts == 1
    assert result.final_url == server.url("/x")


def test_server_error_after_retries_with_backoff(server):
    server.route("/down", status=500)
    result = check(server.url("/down"), max_retries=2, backoff_base=0.2)
    assert result.result == LinkOutcome.SERVER_ERROR and result.status == 500
    assert result.attempts == 3
    requests = server.requests_for("/down")
    assert [r.method for r in requests] == ["HEAD", "GET", "GET"]  # after a 5xx, retries use GET
    # Exponential backoff: the n-th wait is at least half of base * 2**(n-1).
    for n, (before, after) in enumerate(itertools.pairwise(requests), start=1):
        assert after.arrival - before.end >= 0.2 * 2 ** (n - 1) / 2 - 0.01


def test_flaky_503_recovers(server):
    server.route("/flaky", fail_times=2, fail_status=503)
    result = check(server.url("/flaky"))
    assert result.result == LinkOutcome.OK and result.attempts == 3


@pytest.mark.parametrize(
    ("first", "outcome"),
    [(301, "redirect_permanent"), (308, "redirect_permanent"), (302, "redirect_temporary"),
     (303, "redirect_temporary"), (307, "redirect_temporary")],
)
def test_redirect_classification(server, first, outcome):
    server.route("/old", status=first, location="/new")
    server.route("/new")
    result = check(server.url("/old"))
    assert result.result == outcome
    assert result.status == 200
    assert result.final_url == server.url("/new")
    assert result.redirect_chain == [{"url": server.url("/old"), "status": first}]


def test_redirect_chain_across_hosts_recorded(server):
    server.route("/a", status=301, location=server.url("/b", host="127.0.0.3"))
    server.route("/b", status=302, location=server.url("/c", host="127.0.0.4"))
    server.route("/c")
    result = check(server.url("/a"))
    assert result.result == LinkOutcome.REDIRECT_PERMANENT  # the link itself moved for good
    assert [hop["status"] for hop in result.redirect_chain] == [301, 302]
    assert result.final_url == server.url("/c", host="127.0.0.4")


def test_redirect_to_missing_page_is_broken(server):
    server.route("/moved", status=301, location="/gone")
    server.route("/gone", status=410)
    result = check(server.url("/moved"))
    assert result.result == LinkOutcome.BROKEN and result.status == 410
    assert result.redirect_chain[0]["status"] == 301


def test_redirect_loop_is_broken(server):
    server.route("/loop1", status=302, location="/loop2")
    server.route("/loop2", status=302, location="/loop1")
    result = check(server.url("/loop1"), max_redirects=4)
    assert result.result == LinkOutcome.BROKEN and "too many redirects" in result.error
    assert len(server.requests) == 5


def test_timeout_retried_once(server):
    server.route("/hang", hang=True)
    started = time.monotonic()
    result = check(server.url("/hang"), timeout=0.4, max_timeout_retries=1)
    assert result.result == LinkOutcome.TIMEOUT and result.status is None
    assert result.attempts == 2 and "0.4" in result.error
    assert len(server.requests_for("/hang")) == 2
    assert time.monotonic() - started < 2.5


def test_connection_refused(server):
    url = f"http://127.0.0.5:{unused_port('127.0.0.5')}/x"
    result = check(url)
    assert result.result == LinkOutcome.CONNECTION_ERROR and result.attempts == 1


def test_connection_reset_is_retried(server):
    calls = {"n": 0}

    async def drop_twice(request):
        calls["n"] += 1
        if calls["n"] <= 4:
            request.transport.abort()
            raise web.HTTPInternalServerError()
        return web.Response(text="fine", content_type="text/html")

    server.route("/reset", handler=drop_twice)
    result = check(server.url("/reset"))
    assert result.result == LinkOutcome.OK
    # aiohttp itself repeats a request once on a dropped connection, so four drops are
    # HEAD, HEAD, GET (fallback), GET: the first attempt fails and the checker retries.
    assert result.attempts == 2
    assert [r.method for r in server.requests] == ["HEAD", "HEAD", "GET", "GET", "GET"]


def test_tls_error(server):
    # An https URL to a plain-http port: the TLS handshake fails.
    result = check(f"https://127.0.0.2:{server.ports['127.0.0.2']}/x")
    assert result.result == LinkOutcome.TLS_ERROR


class FailingResolver(AbstractResolver):
    async def resolve(self, host, port=0, family=socket.AF_INET):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    async def close(self):
        pass


def test_dns_error(server):
    result = check("http://no-such-host.test/", resolver=FailingResolver(), skip_reserved_domains=False)
    assert result.result == LinkOutcome.DNS_ERROR and result.attempts == 1


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("mailto:someone@example.org", "not an http(s) link"),
        ("tel:+861012345678", "not an http(s) link"),
        ("javascript:alert(1)", "not an http(s) link"),
        ("data:text/plain,hi", "not an http(s) link"),
        ("ftp://ftp.gnu.org/gnu/", "not an http(s) link"),
        ("/relative/path.png", "relative link"),
        ("https://example.com/", "reserved example domain"),
        ("http://www.example.org/x", "reserved example domain"),
        ("http://server.test/", "reserved example domain"),
        ("https://skip.me.invalid/x", "reserved example domain"),
        ("https://internal.corp.example.net/x", "reserved example domain"),
    ],
)
def test_skipped(url, why, server):
    result = check(url)
    assert result.result == LinkOutcome.SKIPPED
    assert result.error == why
    assert server.requests == []


def test_excluded_pattern_skipped(server):
    server.route("/private/x")
    result = check(server.url("/private/x"), exclude=[r"/private/"])
    assert result.result == LinkOutcome.SKIPPED and "excluded" in result.error
    assert server.requests == []


def test_private_addresses_skipped_by_the_ssrf_policy(server, settings):
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = False
    server.route("/x")
    for url in (server.url("/x"), "http://169.254.169.254/latest/", "http://192.168.1.1/", "http://[::1]:8080/"):
        result = check(url)
        assert result.result == LinkOutcome.SKIPPED, url
        assert result.error == "private or local address"
    assert server.requests == []


def test_redirect_to_metadata_address_is_not_followed(server):
    server.route("/sneaky", status=302, location="http://169.254.169.254/latest/meta-data/")
    result = check(server.url("/sneaky"))
    assert result.result == LinkOutcome.SKIPPED
    assert len(server.requests) == 1


# --- HEAD and GET ------------------------------------------------------------------------------


@pytest.mark.parametrize("head_status", [405, 403, 501, 400, 404])
def test_head_falls_back_to_get(server, head_status):
    server.route("/nohead", head_status=head_status)
    result = check(server.url("/nohead"))
    assert result.result == LinkOutcome.OK and result.status == 200 and result.attempts == 1
    assert [r.method for r in server.requests_for("/nohead")] == ["HEAD", "GET"]


def test_head_only_when_it_works(server):
    server.route("/fine")
    check(server.url("/fine"))
    assert [r.method for r in server.requests_for("/fine")] == ["HEAD"]


# --- Retry-After -----------------------------------------------------------------------------------


def _assert_no_retry_before(requests, seconds):
    for before, after in itertools.pairwise(requests):
        if before.status in (429, 503):
            assert after.arrival >= before.end + seconds, (after.arrival - before.end)


def test_retry_after_seconds_honoured(server):
    server.route("/limited", fail_times=2, fail_status=429, retry_after=1)
    result = check(server.url("/limited"), backoff_base=0.01)
    assert result.result == LinkOutcome.OK and result.attempts == 3
    requests = server.requests_for("/limited")
    assert [r.status for r in requests] == [429, 429, 200]
    _assert_no_retry_before(requests, 1.0)


def test_retry_after_http_date_honoured(server):
    state = {"not_before": None, "calls": 0}

    async def handler(request):
        state["calls"] += 1
        if state["calls"] == 1:
            now = time.time()
            until = math.ceil(now) + 2  # HTTP dates have one-second resolution
            state["not_before"] = time.monotonic() + (until - now)
            return web.Response(
                status=503,
                headers={"Retry-After": email.utils.formatdate(until, usegmt=True),
                         "Date": email.utils.formatdate(math.floor(now), usegmt=True)},
            )
        return web.Response(text="back", content_type="text/html")

    server.route("/maint", handler=handler)
    result = check(server.url("/maint"), backoff_base=0.01)
    assert result.result == LinkOutcome.OK and result.attempts == 2
    second = server.requests_for("/maint")[1]
    assert second.arrival >= state["not_before"]


def test_retry_after_beyond_cap_is_not_waited_for(server):
    server.route("/busy", fail_times=5, fail_status=429, retry_after=120)
    server.route("/maintenance", fail_times=5, fail_status=503, retry_after=3600)
    started = time.monotonic()
    results = check_urls_sync([server.url("/busy"), server.url("/maintenance")], retry_after_cap=60, **FAST)
    assert time.monotonic() - started < 2
    busy, maintenance = results[server.url("/busy")], results[server.url("/maintenance")]
    assert busy.result == LinkOutcome.BROKEN and busy.status == 429 and busy.attempts == 1
    assert "exceeds" in busy.error
    assert maintenance.result == LinkOutcome.SERVER_ERROR and maintenance.attempts == 1
    assert len(server.requests) == 2


def test_retries_spent_on_429_is_broken(server):
    server.route("/always429", fail_times=99, fail_status=429, retry_after=0)
    result = check(server.url("/always429"), max_retries=2)
    assert result.result == LinkOutcome.BROKEN and result.status == 429 and result.attempts == 3


@pytest.mark.parametrize(
    ("value", "date", "expected"),
    [
        ("5", None, 5.0), (" 0 ", None, 0.0), ("-3", None, 0.0), ("", None, None), ("soon", None, None),
        ("Wed, 21 Oct 2015 07:28:10 GMT", "Wed, 21 Oct 2015 07:28:00 GMT", 10.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", "Wed, 21 Oct 2015 07:28:30 GMT", 0.0),
    ],
)
def test_parse_retry_after(value, date, expected):
    assert parse_retry_after(value, date_header=date) == expected


# --- concurrency ---------------------------------------------------------------------------------


def _max_overlap(requests):
    events = sorted([(r.arrival, 1) for r in requests] + [(r.end, -1) for r in requests])
    peak = current = 0
    for _, step in events:
        current += step
        peak = max(peak, current)
    return peak


def test_per_host_limit_holds_exactly_including_retries_and_fallbacks(server):
    server.route("/page/", prefix=True, delay=0.05)
    server.route("/flaky/", prefix=True, delay=0.05, fail_times=1, fail_status=503)
    server.route("/nohead/", prefix=True, delay=0.05, head_status=405)
    urls = []
    for host in ("127.0.0.2", "127.0.0.3", "127.0.0.4"):
        for i in range(20):
            urls += [server.url(f"/page/{i}", host=host), server.url(f"/flaky/{i}", host=host),
                     server.url(f"/nohead/{i}", host=host)]
    results = check_urls_sync(urls, per_host=3, concurrency=64, backoff_base=0.01)
    assert all(r.result == LinkOutcome.OK for r in results.values())
    peaks = server.max_in_flight()
    assert peaks == {"127.0.0.2": 3, "127.0.0.3": 3, "127.0.0.4": 3}
    server.wait_idle()
    for host in peaks:
        assert _max_overlap([r for r in server.requests if r.host == host]) <= 3


def test_global_limit_holds(server):
    server.route("/page/", prefix=True, delay=0.05)
    urls = [server.url(f"/page/{i}", host=h) for h in ("127.0.0.2", "127.0.0.3", "127.0.0.4") for i in range(15)]
    check_urls_sync(urls, per_host=4, concurrency=5)
    server.wait_idle()
    assert _max_overlap(server.requests) <= 5
    assert sum(server.max_in_flight().values()) >= 5


def test_many_urls_bounded_and_deduplicated(server):
    server.route("/n/", prefix=True)

    def urls():
        for i in range(400):
            yield server.url(f"/n/{i % 300}", host=("127.0.0.2", "127.0.0.3")[i % 2])

    async def run():
        async with LinkChecker(concurrency=8, per_host=4) as checker:
            seen = []
            async for result in checker.check_many(urls()):
                seen.append(result)
            return seen

    results = asyncio_runtime.run(run())
    assert len(results) == len({r.url for r in results}) == 300
    assert all(r.result == LinkOutcome.OK for r in results)


def test_failing_outcomes():
    assert {str(o) for o in FAILING_OUTCOMES} == {
        "broken", "server_error", "timeout", "connection_error", "dns_error", "tls_error"
    }


# --- the shared cache and history (database) ------------------------------------------------------


@pytest.mark.django_db
def test_cache_reuse_and_history(server):
    from articles.link_services import check_urls

    server.route("/cached")
    server.route("/other", status=404)
    url, other = server.url("/cached"), server.url("/other")
    first = check_urls([url, other], checker_options=FAST)
    assert first[url].result == LinkOutcome.OK and first[other].result == LinkOutcome.BROKEN
    assert len(server.requests) == 3  # HEAD /cached, HEAD+GET /other
    status = LinkStatus.objects.get(url=url)
    assert status.result == "ok" and status.status_code == 200 and status.checked_at is not None
    assert LinkCheckResult.objects.filter(link=status).count() == 1

    # Within max_age: answered from the cache, no request, no new history row.
    again = check_urls([url, other], max_age=timedelta(hours=1), checker_options=FAST)
    assert again[url].result == LinkOutcome.OK and again[other].status == 404
    assert len(server.requests) == 3
    assert LinkCheckResult.objects.count() == 2

    # Too old: checked again, history grows, the status row is updated.
    server.route("/cached", status=500)
    third = check_urls([url], max_age=timedelta(0), checker_options={**FAST, "max_retries": 0})
    assert third[url].result == LinkOutcome.SERVER_ERROR
    status.refresh_from_db()
    assert status.result == "server_error" and status.status_code == 500
    assert list(LinkCheckResult.objects.filter(link=status).order_by("checked_at").values_list("result", flat=True)) == [
        "ok", "server_error"
    ]


@pytest.mark.django_db
def test_fragment_variants_share_one_cached_result(server):
    from articles.link_services import check_urls

    server.route("/doc")
    results = check_urls([server.url("/doc#a"), server.url("/doc#b"), server.url("/doc")], checker_options=FAST)
    assert {r.result for r in results.values()} == {LinkOutcome.OK}
    assert len(server.requests) == 1
    assert LinkStatus.objects.filter(url=server.url("/doc")).count() == 1
