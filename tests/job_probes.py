"""A job kind for testing the job machinery itself, imported by test workers only
(CELERY_EXTRA_IMPORTS=tests.job_probes). Its effect is one Event per completed run, so a
test can count how often a job's effect happened."""

from __future__ import annotations

import time

from django.utils import timezone

from articles.jobs import JobFailed, JobOutcome, job_handler

PROBE = "probe"


@job_handler(PROBE)
def probe(job) -> JobOutcome:
    from workflow.models import Event

    time.sleep(float(job.payload.get("sleep", 0)))
    if job.payload.get("fail_times", 0) >= job.attempts:
        raise JobFailed("probe asked to fail", reason="probe", retry=True)

    def apply() -> None:
        Event.objects.create(
            article=job.article, action="fetch", from_state=job.article.state,
            to_state=job.article.state, note=f"probe job {job.pk}", created_at=timezone.now(),
        )

    return JobOutcome(result={"slept": job.payload.get("sleep", 0)}, apply=apply)
