"""The beat schedule and the periodic tasks it runs: claim expiry, reminders, weekly digests,
feed polls, weekly link rechecks and the notification email sweep."""

from __future__ import annotations

import datetime as dt

import pytest
from celery.schedules import crontab
from django.core import mail
from django.utils import timezone

import articles.tasks  # noqa: F401 - registers the job handlers, as in a worker
from articles import jobs
from articles import tasks as article_tasks
from articles.link_services import record_article_links
from articles.models import ArticleState, Feed, FeedEntry, Job, LinkCheckResult, LinkStatus
from tests.factories import ArticleFactory, make_user
from tests.httpfixtures import LocalHTTPServer
from translate_hub.celery import app
from workflow import notifications, services
from workflow import tasks as workflow_tasks
from workflow.models import Claim, Notification
from workflow.tasks import send_notification_email_task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings, monkeypatch):
    settings.LANGUAGE_CODE = "en"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    monkeypatch.setattr(send_notification_email_task, "apply_async", lambda *a, **k: None)


def test_every_scheduled_task_exists_and_runs_when_it_should():
    app.loader.import_default_modules()
    schedule = app.conf.beat_schedule
    for name, entry in schedule.items():
        assert entry["task"] in app.tasks, f"{name}: no task {entry['task']}"
    expected = {
        "sweep-jobs": "articles.sweep_jobs",
        "expire-claims": "workflow.expire_claims",
        "claim-reminders": "workflow.send_claim_reminders",
        "weekly-digests": "workflow.send_weekly_digests",
        "deliver-notification-emails": "workflow.deliver_notification_emails",
        "poll-feeds": "articles.schedule_feed_polls",
        "recheck-published-links": "articles.schedule_link_rechecks",
        "check-source-drift": "articles.schedule_drift_checks",
    }
    assert {name: entry["task"] for name, entry in schedule.items()} == expected
    daily, weekly = schedule["expire-claims"]["schedule"], schedule["recheck-published-links"]["schedule"]
    assert isinstance(daily, crontab) and daily.hour == {3} and len(daily.day_of_week) == 7
    assert isinstance(weekly, crontab) and len(weekly.day_of_week) == 1
    assert len(schedule["weekly-digests"]["schedule"].day_of_week) == 1
    assert len(schedule["claim-reminders"]["schedule"].hour) == 24  # hourly


def test_expire_claims_task_returns_overdue_claims(settings):
    translator = make_user("alice", "translator")
    overdue, current = ArticleFactory(), ArticleFactory()
    services.claim_article(article=overdue, user=translator)
    services.claim_article(article=current, user=translator)
    Claim.objects.filter(article=overdue).update(deadline=timezone.now() - dt.timedelta(minutes=1))
    assert workflow_tasks.expire_claims_task() == 1
    overdue.refresh_from_db()
    current.refresh_from_db()
    assert (overdue.state, current.state) == (ArticleState.AVAILABLE, ArticleState.CLAIMED)
    assert workflow_tasks.expire_claims_task() == 0


def test_reminder_task_sends_each_reminder_once(django_capture_on_commit_callbacks):
    translator = make_user("alice", "translator")
    claim = services.claim_article(article=ArticleFactory(), user=translator)
    Claim.objects.filter(pk=claim.pk).update(deadline=timezone.now() + dt.timedelta(days=6))
    with django_capture_on_commit_callbacks(execute=True):
        assert workflow_tasks.send_claim_reminders_task() == 1
        assert workflow_tasks.send_claim_reminders_task() == 0
    assert Notification.objects.filter(kind=Notification.Kind.CLAIM_EXPIRING).count() == 1


def test_weekly_digests_reach_collectors_and_reviewers_once_a_week(django_capture_on_commit_callbacks):
    make_user("cora", "collector")
    reviewer = make_user("rita", "reviewer")
    make_user("bea", "collector", "reviewer")
    quiet = make_user("quinn", "collector")
    notifications.set_preferences(user=quiet, muted=[Notification.Kind.DIGEST], email=True)
    feed = Feed.objects.create(url="https://blog.example.com/feed")
    for n in range(3):
        FeedEntry.objects.create(feed=feed, url=f"https://blog.example.com/{n}", url_normalized=f"https://blog.example.com/{n}",
                                 url_hash=f"{n:064d}", title=f"Post {n}")
    translator = make_user("alice", "translator")
    article = ArticleFactory()
    services.claim_article(article=article, user=translator)
    services.save_draft(article=article, user=translator, text="# 标题\n\nLinux 是开源的。\n", title="标题",
                        base_version=article.version)
    services.submit_translation(article=article, user=translator)
    monday = timezone.make_aware(dt.datetime(2026, 11, 30, 9, 30))
    with django_capture_on_commit_callbacks(execute=True):
        notifications.send_weekly_digests(now=monday)
        notifications.send_weekly_digests(now=monday + dt.timedelta(hours=1))  # a retried run
    digests = Notification.objects.filter(kind=Notification.Kind.DIGEST)
    by_user = {}
    for note in digests:
        by_user.setdefault(note.user.username, []).append(note.message)
    assert sorted(by_user) == ["bea", "cora", "rita"]
    assert len(by_user["bea"]) == 2  # both digests: candidates and the review queue
    assert by_user["cora"] == ["3 new candidates from your feeds this week are waiting to be collected or dismissed."]
    assert by_user["rita"][0].startswith("1 translation is waiting for review")
    with django_capture_on_commit_callbacks(execute=True):
        notifications.send_weekly_digests(now=monday + dt.timedelta(days=7))
    assert Notification.objects.filter(kind=Notification.Kind.DIGEST, user=reviewer).count() == 2  # a new week


def test_no_digest_when_there_is_nothing_to_say(django_capture_on_commit_callbacks):
    make_user("cora", "collector")
    make_user("rita", "reviewer")
    with django_capture_on_commit_callbacks(execute=True):
        assert workflow_tasks.send_weekly_digests_task() == 0
    assert not Notification.objects.exists()


def test_email_sweep_task_sends_pending_emails(django_capture_on_commit_callbacks):
    alice = make_user("alice", "translator")
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(user=alice, kind=Notification.Kind.APPROVED, article=None, message="Approved!")
    assert workflow_tasks.deliver_notification_emails_task() == 1
    assert workflow_tasks.deliver_notification_emails_task() == 0
    assert len(mail.outbox) == 1 and mail.outbox[0].body.startswith("Approved!")


def test_feed_poll_task_queues_a_job_per_active_feed():
    Feed.objects.create(url="https://a.example.org/feed")
    Feed.objects.create(url="https://b.example.org/feed", active=False)
    assert article_tasks.schedule_feed_polls_task() == 1
    assert Job.objects.filter(kind=Job.Kind.POLL_FEED).count() == 1


def test_weekly_link_recheck_checks_published_articles_in_batches(settings):
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = True
    with LocalHTTPServer(hosts=["127.0.0.9"]) as server:
        server.route("/ok")
        server.route("/gone", status=404)
        published = []
        for n in range(3):
            article = ArticleFactory(
                state=ArticleState.PUBLISHED, published_at=timezone.now(), translator=make_user(f"t{n}", "translator"),
                source_markdown=f"See [ok]({server.url('/ok')}) and [gone][1].\n\n[1]: {server.url('/gone')}\n")
            published.append(article)
        ArticleFactory(source_markdown=f"Not published: [x]({server.url('/ok?draft')})\n")
        record_article_links(article=published[0])  # the others have never been recorded
        from articles import services as article_services

        assert article_services.schedule_link_rechecks(batch_size=2) == 2
        assert article_services.schedule_link_rechecks(batch_size=2) == 0  # the first run still pending
        batches = list(Job.objects.filter(kind=Job.Kind.CHECK_LINKS).order_by("pk"))
        assert [len(job.payload["article_ids"]) for job in batches] == [2, 1]
        for job in batches:
            assert jobs.run_job(job.pk) == "done"
        assert [job.__class__.objects.get(pk=job.pk).result["articles"] for job in batches] == [2, 1]
        results = dict(LinkStatus.objects.values_list("url", "result"))
        assert results == {server.url("/ok"): "ok", server.url("/gone"): "broken"}
        # One check per URL for all three articles: the per-URL cache is shared.
        assert LinkCheckResult.objects.filter(link__url=server.url("/gone")).count() == 1
        assert article_services.schedule_link_rechecks(batch_size=2) == 0  # all checked recently
