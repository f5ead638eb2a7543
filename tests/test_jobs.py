"""The job machinery: leases, retries, sweeping, and a real worker surviving kill -9."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from articles import jobs
from articles.models import Job
from tests import job_probes
from tests.factories import ArticleFactory
from tests.test_jobs_worker import reset_connections
from workflow.models import Event

pytestmark = pytest.mark.django_db


def probe_events(article):
    return Event.objects.filter(article=article, note__startswith="probe job")


def test_run_job_applies_effect_once_and_skips_redelivery(django_capture_on_commit_callbacks):
    article = ArticleFactory()
    with django_capture_on_commit_callbacks(execute=False):
        job = jobs.create_job(kind=job_probes.PROBE, article=article)
    assert jobs.run_job(job.pk) == "done"
    assert jobs.run_job(job.pk) == "skipped"  # a second delivery of the same message
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.attempts == 1
    assert probe_events(article).count() == 1


def test_job_whose_lease_ran_out_is_taken_over_and_the_old_holder_cannot_finish(
    django_capture_on_commit_callbacks,
):
    article = ArticleFactory()
    with django_capture_on_commit_callbacks(execute=False):
        job = jobs.create_job(kind=job_probes.PROBE, article=article)
    first = jobs._take_lease(job.pk)
    assert first is not None
    assert jobs._take_lease(job.pk) is None  # live lease: nobody else may take it
    Job.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert jobs.run_job(job.pk) == "done"  # the sweeper's resend, on another worker
    with pytest.raises(jobs.LeaseLost):
        jobs._finish(first[0], first[1], status=Job.Status.DONE)
    assert probe_events(article).count() == 1


def test_a_job_whose_worker_dies_on_every_attempt_fails_instead_of_killing_the_next(
    django_capture_on_commit_callbacks, english,
):
    """A poison job (its worker is killed, runs out of memory or hits the hard time limit each
    time) ends failed after max_attempts takeovers, and a fetch marks its article failed."""
    from articles.models import ArticleState

    article = ArticleFactory(state=ArticleState.NEW, available_at=None)
    with django_capture_on_commit_callbacks(execute=False):
        job = jobs.create_job(kind=Job.Kind.FETCH, article=article, max_attempts=3)
    for _attempt in range(3):  # each holder dies: the lease simply runs out
        assert jobs._take_lease(job.pk) is not None
        Job.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert jobs.run_job(job.pk) == "failed"  # the sweeper's resend: no fourth worker killed
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.result == {"reason": "worker_died"}
    assert "during each of its 3 attempts" in job.error
    article.refresh_from_db()
    assert article.state == ArticleState.FETCH_FAILED
    assert Event.objects.filter(article=article, to_state=ArticleState.FETCH_FAILED).count() == 1


def test_failures_retry_with_backoff_then_fail(django_capture_on_commit_callbacks):
    article = ArticleFactory()
    with django_capture_on_commit_callbacks(execute=False):
        job = jobs.create_job(kind=job_probes.PROBE, article=article,
                              payload={"fail_times": 99}, max_attempts=2)
    with django_capture_on_commit_callbacks(execute=False):
        assert jobs.run_job(job.pk) == "retry"
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED and job.not_before > timezone.now()
    assert jobs.run_job(job.pk) == "skipped"  # not before its backoff
    Job.objects.filter(pk=job.pk).update(not_before=timezone.now())
    assert jobs.run_job(job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "probe asked to fail" in job.error
    assert probe_events(article).count() == 0


def test_sweeper_resends_unsent_and_abandoned_jobs_only(django_capture_on_commit_callbacks, monkeypatch):
    article = ArticleFactory()
    with django_capture_on_commit_callbacks(execute=False):
        unsent = jobs.create_job(kind=job_probes.PROBE, article=article)
        abandoned = jobs.create_job(kind=job_probes.PROBE, article=article)
        fresh = jobs.create_job(kind=job_probes.PROBE, article=article)
        done = jobs.create_job(kind=job_probes.PROBE, article=article)
    now = timezone.now()
    Job.objects.filter(pk=abandoned.pk).update(status=Job.Status.RUNNING, lease_until=now - timedelta(seconds=5))
    Job.objects.filter(pk=fresh.pk).update(enqueued_at=now)
    Job.objects.filter(pk=done.pk).update(status=Job.Status.DONE)
    sent = []
    monkeypatch.setattr(jobs, "enqueue_job", lambda job_id, countdown=None: sent.append(job_id) or True)
    assert jobs.sweep_jobs(now=now) == 2
    assert sorted(sent) == sorted([unsent.pk, abandoned.pk])


@pytest.mark.django_db(transaction=True)
def test_enqueue_with_broker_down_keeps_the_job_queued():
    from translate_hub.celery import app

    article = ArticleFactory()
    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    reset_connections(app)
    try:
        started = time.monotonic()
        job = jobs.create_job(kind=job_probes.PROBE, article=article)
        elapsed = time.monotonic() - started
    finally:
        app.conf.broker_url = original
        reset_connections(app)
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED and job.enqueued_at is None
    assert elapsed < 10, f"enqueue blocked for {elapsed:.1f}s with the broker down"
