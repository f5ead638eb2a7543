"""Collecting on a real Celery worker process and a real (private) Redis.

A collected post is fetched by the worker from a page this test serves on 127.0.0.x and
becomes the expected LCTT file; a worker killed with SIGKILL mid-fetch, a flushed Redis and
Redis being down while a collector submits the page lose nothing and run each fetch's
effect exactly once.
"""

from __future__ import annotations

import asyncio
import io
import time

import pytest
from aiohttp import web
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from articles import jobs, lctt
from articles import services as collect
from articles.lctt_repo import article_fields
from articles.models import Article, ArticleState, Job, SourceSnapshot
from articles.people import handles_by_user_id
from tests import test_jobs_worker
from tests.collect_pages import STRACE_PATH, STRACE_POST, expected_strace_file
from tests.factories import make_user
from tests.httpfixtures import LocalHTTPServer
from tests.test_jobs_worker import reset_connections, start_worker, wait_for
from workflow.models import Event, EventAction

pytestmark = [pytest.mark.postgres, pytest.mark.services, pytest.mark.django_db(transaction=True)]

# The private redis-server and the broker pointed at it, as in test_jobs_worker.
redis_server = test_jobs_worker.redis_server
broker = test_jobs_worker.broker


def get_user(username: str):
    return get_user_model().objects.get(username=username)


@pytest.fixture
def pages(settings):
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = True
    settings.LANGUAGE_CODE = "en"
    with LocalHTTPServer(hosts=["127.0.0.6"]) as server:
        server.route(STRACE_PATH, body=STRACE_POST)
        yield server


@pytest.fixture
def alice(db):
    from django.contrib.auth.models import Group

    from workflow.models import Role

    # transaction=True tests flush every table, the migration's role groups included.
    for role in Role.values:
        Group.objects.get_or_create(name=role)
    return make_user("alice", "collector", "translator")


def fetch_job(article) -> Job:
    return Job.objects.filter(article=article, kind=Job.Kind.FETCH).latest("pk")


def fetch_done(article) -> bool:
    return fetch_job(article).status == Job.Status.DONE


def base_of(server) -> str:
    return server.url("").rstrip("/")


def test_worker_fetches_a_collected_post_into_the_lctt_file(redis_server, broker, tmp_path, pages, alice):
    worker = start_worker(redis_server, broker, tmp_path)
    try:
        article = collect.collect_article(url=pages.url(STRACE_PATH), user=alice)
        wait_for(lambda: fetch_done(article), timeout=30, message=f"fetch done\n{worker.log_tail()}")
    finally:
        worker.stop()
    article.refresh_from_db()
    assert article.state == ArticleState.NEW
    fields = article_fields(article, kind="sources", handles=handles_by_user_id())
    assert lctt.new_document(fields, kind="sources").render() == expected_strace_file(
        base=base_of(pages), collector="alice")
    assert article.lctt_filename == "20250304.0 Tracing system calls with strace.md"
    assert Event.objects.filter(article=article, action=EventAction.FETCH).count() == 1


def test_worker_killed_mid_fetch_then_the_fetch_completes_exactly_once(
    redis_server, broker, tmp_path, pages, alice, settings,
):
    settings.JOB_LEASE_SECONDS = 3
    calls = {"n": 0}

    async def slow_first_time(request: web.Request) -> web.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            await asyncio.sleep(30)  # the worker is killed while it waits here
        return web.Response(text=STRACE_POST, content_type="text/html")

    pages.route("/slow-post/", handler=slow_first_time)
    worker = start_worker(redis_server, broker, tmp_path)
    try:
        article = collect.collect_article(url=pages.url("/slow-post/"), user=alice)
        wait_for(lambda: pages.requests_for("/slow-post/") and fetch_job(article).status == Job.Status.RUNNING,
                 timeout=20, message="worker fetching")
        worker.kill_hard()
        assert fetch_job(article).status == Job.Status.RUNNING
        worker = start_worker(redis_server, broker, tmp_path)
        wait_for(lambda: fetch_job(article).lease_until < timezone.now(), timeout=10, message="lease expiry")
        assert jobs.sweep_jobs(resend_after=0) >= 1  # what the beat sweeper does every 30 s
        wait_for(lambda: fetch_done(article), timeout=30, message=f"fetch done\n{worker.log_tail()}")
    finally:
        worker.stop()
    job = fetch_job(article)
    assert job.attempts == 2 and Job.objects.filter(article=article).count() == 1
    assert Event.objects.filter(article=article, action=EventAction.FETCH).count() == 1
    assert SourceSnapshot.objects.filter(article=article).count() == 1
    article.refresh_from_db()
    assert article.subject == "Tracing system calls with strace"
    assert len(pages.requests_for("/slow-post/")) == 2


def test_flushed_redis_loses_no_collected_post(redis_server, broker, tmp_path, pages, alice):
    for n in range(8):
        pages.route(f"/posts/{n}/", body=STRACE_POST.replace("Tracing system calls", f"Tracing system calls, part {n},"))
    articles = [collect.collect_article(url=pages.url(f"/posts/{n}/"), user=alice) for n in range(8)]
    assert all(fetch_job(a).enqueued_at for a in articles)
    redis_server.command("FLUSHALL")  # every queued message is gone
    worker = start_worker(redis_server, broker, tmp_path)
    try:
        assert jobs.sweep_jobs(resend_after=0) == 8
        wait_for(lambda: all(fetch_done(a) for a in articles), timeout=30,
                 message=f"8 fetches done\n{worker.log_tail()}")
    finally:
        worker.stop()
    assert Event.objects.filter(action=EventAction.FETCH).count() == 8
    subjects = sorted(Article.objects.values_list("subject", flat=True))
    assert subjects == sorted(f"Tracing system calls, part {n}, with strace" for n in range(8))


def test_redis_down_while_a_collector_submits_the_page_then_the_fetch_runs(
    redis_server, broker, tmp_path, pages, alice, client,
):
    client.force_login(get_user("alice"))
    redis_server.stop()
    started = time.monotonic()
    response = client.post(reverse("articles:collect"), {"urls": pages.url(STRACE_PATH), "category": "",
                                                         "difficulty": ""})
    assert time.monotonic() - started < 15
    assert response.status_code in (200, 302)
    article = Article.objects.get()
    assert article.state == ArticleState.NEW
    job = fetch_job(article)
    assert job.status == Job.Status.QUEUED and job.enqueued_at is None  # never reached the broker
    redis_server.start()
    from translate_hub.celery import app

    reset_connections(app)
    worker = start_worker(redis_server, broker, tmp_path)
    try:
        assert jobs.sweep_jobs() == 1
        wait_for(lambda: fetch_done(article), timeout=30, message=f"fetch done\n{worker.log_tail()}")
        assert jobs.sweep_jobs() == 0
    finally:
        worker.stop()
    assert Event.objects.filter(article=article, action=EventAction.FETCH).count() == 1


def test_collect_command_waits_for_the_worker_and_prints_each_outcome(redis_server, broker, tmp_path, pages, alice):
    pages.route("/missing/", status=404)
    worker = start_worker(redis_server, broker, tmp_path)
    out = io.StringIO()
    try:
        with pytest.raises(Exception, match="1 fetch"):
            call_command("collect", pages.url(STRACE_PATH), pages.url("/missing/"), "--as", "alice",
                         "--wait", "--timeout", "30", stdout=out)
    finally:
        worker.stop()
    text = out.getvalue()
    assert "fetched " + pages.url(STRACE_PATH) + ": “Tracing system calls with strace”" in text
    assert "20250304.0 Tracing system calls with strace.md" in text
    assert "failed  " + pages.url("/missing/") + ": HTTP 404" in text
