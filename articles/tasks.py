"""Celery tasks: thin wrappers that take primary keys and call the services.

Every task is late-acknowledged and rejected back to the queue when its worker dies
(settings CELERY_TASK_ACKS_LATE / CELERY_TASK_REJECT_ON_WORKER_LOST); the job row's lease
makes a second delivery harmless.
"""

from __future__ import annotations

from celery import shared_task

from articles import jobs


@shared_task(name="articles.run_job", acks_late=True, reject_on_worker_lost=True)
def run_job_task(job_id: int) -> str:
    return jobs.run_job(job_id)


@shared_task(name="articles.sweep_jobs")
def sweep_jobs_task() -> int:
    return jobs.sweep_jobs()
