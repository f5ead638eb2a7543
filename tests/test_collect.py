"""Collecting source posts: validation, duplicates, the fetch job's effect and its failures.

Jobs run in this process through ``articles.jobs.run_job`` against pages served on
127.0.0.x (the real worker process is in test_collect_worker.py).
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

import articles.tasks  # noqa: F401 - registers the job handlers, as in a worker
from articles import jobs, lctt
from articles import services as collect
from articles.lctt_repo import article_fields
from articles.models import (
    Article,
    ArticleLink,
    ArticleState,
    DomainRule,
    Feed,
    FeedEntry,
    Job,
    SourceSnapshot,
    normalized_url_hash,
)
from articles.people import handles_by_user_id
from articles.urlnorm import normalize_url
from tests.collect_pages import NOT_AN_ARTICLE, STRACE_PATH, STRACE_POST, expected_strace_file
from tests.factories import ArticleFactory, make_user
from tests.httpfixtures import LocalHTTPServer
from workflow import services as workflow_services
from workflow.models import Event, EventAction

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def server(settings):
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = True
    settings.FETCH_TIMEOUT_SECONDS = 3
    with LocalHTTPServer(hosts=["127.0.0.5"]) as srv:
        srv.route(STRACE_PATH, body=STRACE_POST)
        yield srv


@pytest.fixture
def alice():
    return make_user("alice", "collector", "translator")


def base_of(server) -> str:
    return server.url("").rstrip("/")


def fetch_jobs(article):
    return Job.objects.filter(article=article, kind=Job.Kind.FETCH).order_by("pk")


def run_fetch(article) -> str:
    return jobs.run_job(fetch_jobs(article).last().pk)


def nothing_written():
    return not Article.objects.exists() and not Job.objects.exists() and not Event.objects.exists()


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "code"), [
    ("", "invalid_url"),
    ("not a url", "invalid_url"),
    ("ftp://files.example.org/post.html", "invalid_url"),
    ("javascript:alert(1)", "invalid_url"),
    ("https://" + "a" * 2001 + ".org/", "invalid_url"),
    ("http://127.0.0.1/admin/", "blocked_address"),
    ("http://169.254.169.254/latest/meta-data/", "blocked_address"),
    ("http://10.1.2.3/post", "blocked_address"),
    ("http://[::1]/post", "blocked_address"),
    ("http://0x7f000001/post", "blocked_address"),
    ("http://localhost:8000/post", "blocked_address"),
])
def test_bad_urls_are_refused_with_a_reason_and_nothing_written(alice, url, code):
    with pytest.raises(collect.CollectError) as caught:
        collect.collect_article(url=url, user=alice)
    assert caught.value.code == code
    assert caught.value.message  # a sentence for the collector
    assert nothing_written()


def test_blocked_domain_is_refused_with_the_rules_reason(alice):
    DomainRule.objects.create(domain="paywalled.example", action="block",
                              reason="No CC-BY-SA licence (DMCA notice 2019)")
    for url in ("https://paywalled.example/post/1", "https://news.paywalled.example/a"):
        with pytest.raises(collect.CollectError) as caught:
            collect.collect_article(url=url, user=alice)
        assert caught.value.code == "blocked_domain"
        assert "No CC-BY-SA licence (DMCA notice 2019)" in caught.value.message
    assert nothing_written()


def test_only_collectors_collect():
    translator = make_user("tom", "translator")
    with pytest.raises(collect.CollectError) as caught:
        collect.collect_article(url="https://blog.example.com/post", user=translator)
    assert caught.value.code == "not_allowed"
    assert nothing_written()


@pytest.mark.parametrize("state", [ArticleState.AVAILABLE, ArticleState.CLAIMED, ArticleState.PUBLISHED,
                                   ArticleState.NEW, ArticleState.FETCH_FAILED])
def test_duplicates_are_refused_with_the_existing_article(alice, state):
    translator = make_user("tina", "translator")
    existing = ArticleFactory(
        via="https://blog.example.com/2024/06/post/",
        via_normalized=normalize_url("https://blog.example.com/2024/06/post/"),
        state=state, translator=translator if state in (ArticleState.CLAIMED, ArticleState.PUBLISHED) else None,
        claimed_at=timezone.now(), published_at=timezone.now(),
    )
    for spelling in ("https://blog.example.com/2024/06/post",
                     "HTTPS://Blog.Example.com:443/2024/06/post/?utm_source=rss&utm_medium=feed#comments",
                     "https://blog.example.com/2024/06/post/amp/"):
        with pytest.raises(collect.CollectError) as caught:
            collect.collect_article(url=spelling, user=alice)
        assert caught.value.code == "duplicate"
        assert caught.value.existing == existing
    assert Article.objects.count() == 1 and not Job.objects.exists()


def test_a_withdrawn_article_does_not_block_collecting_again(alice):
    ArticleFactory(via="https://blog.example.com/old", via_normalized=normalize_url("https://blog.example.com/old"),
                   state=ArticleState.WITHDRAWN, withdrawn_at=timezone.now())
    article = collect.collect_article(url="https://blog.example.com/old", user=alice)
    assert article.state == ArticleState.NEW


def test_collect_creates_a_new_article_an_event_and_a_fetch_job(alice):
    article = collect.collect_article(url="https://blog.example.com/post?utm_campaign=x", user=alice,
                                      category="talk", difficulty=2)
    article.refresh_from_db()
    assert article.state == ArticleState.NEW
    assert article.collector == alice
    assert article.via_normalized == "https://blog.example.com/post"
    assert (article.category, article.difficulty) == ("talk", 2)
    events = list(Event.objects.filter(article=article))
    assert [(e.action, e.to_state, e.actor) for e in events] == [(EventAction.COLLECT, ArticleState.NEW, alice)]
    job = fetch_jobs(article).get()
    assert job.status == Job.Status.QUEUED
    assert job.payload == {"url": "https://blog.example.com/post?utm_campaign=x", "category": "talk"}


def test_collecting_a_feed_candidate_marks_it_collected(alice):
    feed = Feed.objects.create(url="https://blog.example.com/feed.xml")
    url = "https://blog.example.com/2024/07/new-release/"
    entry = FeedEntry.objects.create(feed=feed, url=url, url_normalized=normalize_url(url),
                                     url_hash=normalized_url_hash(normalize_url(url)), title="New release")
    article = collect.collect_article(url=url + "?utm_source=rss", user=alice)
    entry.refresh_from_db()
    assert (entry.status, entry.article, entry.decided_by) == (FeedEntry.Status.COLLECTED, article, alice)


def test_bulk_collect_reports_each_url(alice):
    ArticleFactory(via="https://blog.example.com/taken", via_normalized="https://blog.example.com/taken")
    text = """
        https://blog.example.com/one
        https://blog.example.com/taken/
        http://192.168.1.10/router
        https://blog.example.com/one#again
    """
    results = collect.collect_articles(urls=collect.split_urls(text), user=alice)
    assert [r.ok for r in results] == [True, False, False, False]
    assert [r.error.code for r in results[1:]] == ["duplicate", "blocked_address", "duplicate"]
    assert results[3].error.existing == results[0].article
    assert Article.objects.filter(state=ArticleState.NEW).count() == 1


def test_too_many_urls_at_once_are_refused_whole(alice):
    urls = [f"https://blog.example.com/p{n}" for n in range(collect.MAX_URLS_PER_BATCH + 1)]
    results = collect.collect_articles(urls=urls, user=alice)
    assert not any(r.ok for r in results) and nothing_written()


# --- the fetch job ----------------------------------------------------------------------------


def test_fetch_turns_the_page_into_the_lctt_source_file(server, alice):
    url = server.url(STRACE_PATH)
    article = collect.collect_article(url=url, user=alice)
    assert run_fetch(article) == "done", fetch_jobs(article).get().error
    article.refresh_from_db()
    assert article.state == ArticleState.NEW  # the collector reviews it, then makes it available
    assert article.subject == "Tracing system calls with strace"
    assert (article.author_name, article.author_url) == ("Ada Fernsby", f"{base_of(server)}/authors/ada-fernsby/")
    assert article.source_date.isoformat() == "2025-03-04"
    assert article.category == "tech"  # guessed: it has code blocks
    assert 100 < article.word_count < 250
    assert article.lctt_filename == "20250304.0 Tracing system calls with strace.md"
    assert article.fetched_at is not None
    # What the repository would hold, header and footer included.
    fields = article_fields(article, kind="sources", handles=handles_by_user_id())
    rendered = lctt.new_document(fields, kind="sources").render()
    assert rendered == expected_strace_file(base=base_of(server), collector="alice")
    # Side effects: one fetch event, a snapshot for drift, links recorded, the page text kept.
    assert Event.objects.filter(article=article, action=EventAction.FETCH).count() == 1
    assert SourceSnapshot.objects.filter(article=article).count() == 1
    assert set(ArticleLink.objects.filter(article=article).values_list("link__url", flat=True)) == {
        "https://man7.org/linux/man-pages/man1/strace.1.html",
        f"{base_of(server)}/2025/03/filtering-output/",
        f"{base_of(server)}/images/strace-summary.png",
    }
    job = fetch_jobs(article).get()
    assert job.result["source_text"].startswith("Every program on Linux talks to the kernel")


def test_collector_handle_is_their_github_handle(server, alice):
    from workflow.models import Profile

    Profile.objects.create(user=alice, github="alice-gh")
    article = collect.collect_article(url=server.url(STRACE_PATH), user=alice, category="talk")
    run_fetch(article)
    article.refresh_from_db()
    assert article.category == "talk"  # asked for, so not guessed
    fields = article_fields(article, kind="sources", handles=handles_by_user_id())
    assert '[#]: collector: "alice-gh"' in lctt.new_document(fields, kind="sources").render()


def test_fetch_effect_is_applied_once_when_the_job_is_delivered_twice(server, alice):
    article = collect.collect_article(url=server.url(STRACE_PATH), user=alice)
    job = fetch_jobs(article).get()
    assert jobs.run_job(job.pk) == "done"
    assert jobs.run_job(job.pk) == "skipped"
    assert Event.objects.filter(article=article, action=EventAction.FETCH).count() == 1
    assert len(server.requests_for(STRACE_PATH)) == 1


@pytest.mark.parametrize(("route", "reason", "message"), [
    ({"status": 404}, "http_status", "HTTP 404"),
    ({"status": 410}, "http_status", "HTTP 410"),
    ({"content_type": "application/pdf", "body": b"%PDF-1.7"}, "not_html", "Not an HTML page"),
    ({"body": NOT_AN_ARTICLE}, "nothing_extracted", "Nothing could be extracted"),
])
def test_permanent_failures_mark_the_article_fetch_failed_with_the_reason(server, alice, route, reason, message):
    server.route("/broken", **route)
    article = collect.collect_article(url=server.url("/broken"), user=alice)
    assert run_fetch(article) == "failed"
    article.refresh_from_db()
    assert article.state == ArticleState.FETCH_FAILED
    job = fetch_jobs(article).get()
    assert job.result["reason"] == reason and message in job.error
    failure = Event.objects.get(article=article, action=EventAction.FETCH_FAIL)
    assert (failure.from_state, failure.to_state) == (ArticleState.NEW, ArticleState.FETCH_FAILED)
    assert message in failure.note
    assert len(server.requests_for("/broken")) == 1  # not retried


def test_blocked_domain_at_fetch_time_fails_with_the_reason(server, alice):
    article = collect.collect_article(url=server.url(STRACE_PATH), user=alice)
    DomainRule.objects.create(domain="127.0.0.5", action="block", reason="Licence withdrawn")
    assert run_fetch(article) == "failed"
    article.refresh_from_db()
    assert article.state == ArticleState.FETCH_FAILED
    assert "Licence withdrawn" in fetch_jobs(article).get().error
    assert server.requests_for(STRACE_PATH) == []


def test_transient_failures_retry_with_backoff_then_succeed(server, alice):
    server.route("/flaky", body=STRACE_POST, fail_times=2, fail_status=503)
    article = collect.collect_article(url=server.url("/flaky"), user=alice)
    job = fetch_jobs(article).get()
    for _ in range(2):
        assert jobs.run_job(job.pk) == "retry"
        job.refresh_from_db()
        assert job.status == Job.Status.QUEUED and job.not_before > timezone.now()
        assert job.result["reason"] == "http_status"
        Job.objects.filter(pk=job.pk).update(not_before=timezone.now() - timedelta(seconds=1))
    assert jobs.run_job(job.pk) == "done"
    article.refresh_from_db()
    assert article.state == ArticleState.NEW and article.subject == "Tracing system calls with strace"
    assert job.__class__.objects.get(pk=job.pk).attempts == 3


def test_timeouts_retry_and_the_last_one_fails_the_fetch(server, alice, settings):
    settings.FETCH_TIMEOUT_SECONDS = 1
    server.route("/slow", body=STRACE_POST, delay=3)
    article = collect.collect_article(url=server.url("/slow"), user=alice)
    job = fetch_jobs(article).get()
    assert jobs.run_job(job.pk) == "retry"
    article.refresh_from_db()
    assert article.state == ArticleState.NEW  # still trying
    Job.objects.filter(pk=job.pk).update(not_before=None, max_attempts=2)
    assert jobs.run_job(job.pk) == "failed"
    article.refresh_from_db()
    assert article.state == ArticleState.FETCH_FAILED
    assert "too long" in Event.objects.get(article=article, action=EventAction.FETCH_FAIL).note


def test_a_failed_fetch_can_be_retried(server, alice):
    server.route("/later", status=404)
    article = collect.collect_article(url=server.url("/later"), user=alice, category="news")
    run_fetch(article)
    article.refresh_from_db()
    assert article.state == ArticleState.FETCH_FAILED
    server.route("/later", body=STRACE_POST)
    job = collect.refetch_article(article=article, user=alice)
    article.refresh_from_db()
    assert article.state == ArticleState.NEW and job.payload["category"] == "news"
    assert jobs.run_job(job.pk) == "done"
    article.refresh_from_db()
    assert article.subject == "Tracing system calls with strace" and article.category == "news"
    actions = list(Event.objects.filter(article=article).values_list("action", flat=True))
    assert actions == ["collect", "fetch_fail", "collect", "fetch"]


def test_retry_is_refused_unless_the_fetch_failed(alice):
    article = collect.collect_article(url="https://blog.example.com/x", user=alice)
    with pytest.raises(workflow_services.WrongState):
        collect.refetch_article(article=article, user=alice)
    assert fetch_jobs(article).count() == 1


def test_withdrawn_while_fetching_writes_nothing(server, alice):
    article = collect.collect_article(url=server.url(STRACE_PATH), user=alice)
    workflow_services.withdraw_article(article=article, user=alice, reason="Not our topic")
    assert run_fetch(article) == "done"
    article.refresh_from_db()
    assert article.state == ArticleState.WITHDRAWN and article.source_markdown == ""
    assert not Event.objects.filter(article=article, action=EventAction.FETCH).exists()


# --- after the fetch: edit and make available -------------------------------------------------


def test_collector_edits_then_makes_available(server, alice):
    article = collect.collect_article(url=server.url(STRACE_PATH), user=alice)
    run_fetch(article)
    article.refresh_from_db()
    collect.update_collected_article(
        article=article, user=alice, subject="Tracing system calls with strace (2025)", category="tech",
        difficulty=2, source_markdown=article.source_markdown + "\nOne more line.\n",
    )
    article.refresh_from_db()
    assert article.lctt_filename == "20250304.0 ⭐️⭐️ Tracing system calls with strace (2025).md"
    assert "One more line." in article.source_markdown
    workflow_services.make_available(article=article, user=alice)
    article.refresh_from_db()
    assert article.state == ArticleState.AVAILABLE
    with pytest.raises(workflow_services.WrongState):
        collect.update_collected_article(article=article, user=alice, subject="x", category="tech",
                                         difficulty=0, source_markdown="x")


def test_edit_refuses_bad_input_and_strangers(alice):
    article = collect.collect_article(url="https://blog.example.com/y", user=alice)
    stranger = make_user("sam", "translator")
    with pytest.raises(workflow_services.NotAllowed):
        collect.update_collected_article(article=article, user=stranger, subject="x", category="tech",
                                         difficulty=0, source_markdown="x")
    for bad in ({"subject": " "}, {"category": "poetry"}, {"difficulty": 7}):
        values = {"subject": "Fine", "category": "tech", "difficulty": 0, "source_markdown": "x", **bad}
        with pytest.raises(workflow_services.InvalidInput):
            collect.update_collected_article(article=article, user=alice, **values)
    article.refresh_from_db()
    assert article.source_markdown == "" and article.subject == "https://blog.example.com/y"


# --- the command ------------------------------------------------------------------------------


def test_collect_command_reports_each_url(alice):
    ArticleFactory(via="https://blog.example.com/taken", via_normalized="https://blog.example.com/taken")
    out = io.StringIO()
    call_command("collect", "https://blog.example.com/fresh", "https://blog.example.com/taken",
                 "--as", "alice", "--category", "talk", stdout=out, stderr=out)
    text = out.getvalue()
    fresh = Article.objects.get(via="https://blog.example.com/fresh")
    assert f"queued  https://blog.example.com/fresh  (article {fresh.pk}" in text
    assert "refused https://blog.example.com/taken" in text and "Already collected" in text
    assert fresh.category == "talk"


def test_collect_command_refuses_unknown_users_and_non_collectors():
    make_user("tom", "translator")
    with pytest.raises(CommandError, match="no user"):
        call_command("collect", "https://blog.example.com/a", "--as", "nobody")
    with pytest.raises(CommandError, match="Only collectors"):
        call_command("collect", "https://blog.example.com/a", "--as", "tom")
    assert nothing_written()


def test_collect_command_wait_says_when_no_worker_runs(alice):
    out = io.StringIO()
    with pytest.raises(CommandError, match="No worker took the jobs"):
        call_command("collect", "https://blog.example.com/waiting", "--as", "alice", "--wait",
                     "--timeout", "1", stdout=out)
    assert "queued" in out.getvalue()
