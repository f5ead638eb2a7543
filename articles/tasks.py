"""Celery tasks: thin wrappers that take primary keys and call the services.

Every task is late-acknowledged and rejected back to the queue when its worker dies
(settings CELERY_TASK_ACKS_LATE / CELERY_TASK_REJECT_ON_WORKER_LOST); the job row's lease
makes a second delivery harmless. Importing this module registers the job handlers
(articles.job_handlers), so every worker can run every job kind.
"""

from __future__ import annotations

from celery import shared_task

from articles import (
    drift,  # also registers the drift handler
    job_handlers,  # noqa: F401 - registers the fetch / check_links / poll_feed handlers
    jobs,
)


@shared_task(name="articles.run_job", acks_late=True, reject_on_worker_lost=True)
def run_job_task(job_id: int) -> str:
    return jobs.run_job(job_id)


@shared_task(name="articles.sweep_jobs")
def sweep_jobs_task() -> int:
    return jobs.sweep_jobs()


@shared_task(name="articles.schedule_feed_polls")
def schedule_feed_polls_task() -> int:
    from articles import feeds

    return feeds.schedule_feed_polls()


@shared_task(name="articles.schedule_link_rechecks")
def schedule_link_rechecks_task() -> int:
    from articles import services

    return services.schedule_link_rechecks()


@shared_task(name="articles.schedule_drift_checks")
def schedule_drift_checks_task() -> int:
    return drift.schedule_drift_checks()
