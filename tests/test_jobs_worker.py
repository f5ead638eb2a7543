"""Jobs on a real Celery worker process and a real (private) Redis: nothing is lost and
nothing runs twice when the worker is killed, Redis is flushed, restarted or down."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from articles import jobs
from articles.models import Job
from tests import job_probes
from tests.celery_worker import WorkerProcess, unique_queue
from tests.factories import ArticleFactory
from tests.redis_server import RedisServer
from workflow.models import Event

pytestmark = [pytest.mark.postgres, pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


def reset_connections(app) -> None:
    """Drop pooled broker connections so the next send connects afresh."""
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker(redis_server):
    """Point this test process's Celery app at the private Redis and a private queue."""
    from translate_hub.celery import app

    saved = (app.conf.broker_url, app.conf.task_default_queue)
    queue = unique_queue()
    app.conf.broker_url = redis_server.url
    app.conf.task_default_queue = queue
    app.amqp.__dict__.pop("queues", None)
    reset_connections(app)
    yield queue
    app.conf.broker_url, app.conf.task_default_queue = saved
    reset_connections(app)


def start_worker(redis_server, queue, tmp_path, **env) -> WorkerProcess:
    return WorkerProcess(
        queue=queue, redis_url=redis_server.url, log_path=tmp_path / "worker.log",
        extra_env={"CELERY_EXTRA_IMPORTS": "tests.job_probes", "JOB_LEASE_SECONDS": "3",
                   "JOB_RESEND_AFTER_SECONDS": "2", **env},
    ).start()


def wait_for(predicate, timeout=60, interval=0.2, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message}")


def probe_event_count(article) -> int:
    return Event.objects.filter(article=article, note__startswith="probe job").count()


def test_worker_killed_mid_job_completes_exactly_once(redis_server, broker, tmp_path, settings):
    settings.JOB_LEASE_SECONDS = 3
    article = ArticleFactory()
    worker = start_worker(redis_server, broker, tmp_path)
    try:
        job = jobs.create_job(kind=job_probes.PROBE, article=article, payload={"sleep": 6})
        wait_for(lambda: Job.objects.get(pk=job.pk).status == Job.Status.RUNNING, message="job running")
        worker.kill_hard()
        assert Job.objects.get(pk=job.pk).status == Job.Status.RUNNING
        worker = start_worker(redis_server, broker, tmp_path)
        # The lease runs out; the sweeper (a beat task in production) resends the job.
        wait_for(lambda: Job.objects.get(pk=job.pk).lease_until < timezone.now(), message="lease expiry")
        assert jobs.sweep_jobs(resend_after=0) >= 1
        wait_for(lambda: Job.objects.get(pk=job.pk).status == Job.Status.DONE, message="job done")
    finally:
        worker.stop()
    job.refresh_from_db()
    assert job.attempts == 2
    assert probe_event_count(article) == 1


def test_flushed_redis_loses_no_job(redis_server, broker, tmp_path, settings):
    article = ArticleFactory()
    created = [jobs.create_job(kind=job_probes.PROBE, article=article) for _ in range(30)]
    assert all(Job.objects.get(pk=j.pk).enqueued_at for j in created)
    redis_server.command("FLUSHALL")  # every queued message is gone
    worker = start_worker(redis_server, broker, tmp_path)
    try:
        assert jobs.sweep_jobs(resend_after=0) == 30
        wait_for(lambda: Job.objects.filter(pk__in=[j.pk for j in created], status=Job.Status.DONE).count() == 30,
                 message="30 jobs done")
    finally:
        worker.stop()
    assert probe_event_count(article) == 30


def test_redis_down_when_user_acts_then_jobs_run_once_back(redis_server, broker, tmp_path):
    article = ArticleFactory()
    redis_server.stop()
    started = time.monotonic()
    created = [jobs.create_job(kind=job_probes.PROBE, article=article) for _ in range(5)]
    assert time.monotonic() - started < 15
    assert all(Job.objects.get(pk=j.pk).enqueued_at is None for j in created)
    redis_server.start()
    from translate_hub.celery import app

    reset_connections(app)
    worker = start_worker(redis_server, broker, tmp_path)
    try:
        assert jobs.sweep_jobs() == 5
        wait_for(lambda: Job.objects.filter(pk__in=[j.pk for j in created], status=Job.Status.DONE).count() == 5,
                 message="5 jobs done")
        assert jobs.sweep_jobs() == 0
    finally:
        worker.stop()
    assert probe_event_count(article) == 5
