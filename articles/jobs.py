"""Background jobs that survive a killed worker, a flushed Redis, or Redis being down.

How it holds together
---------------------
* ``create_job`` writes a ``Job`` row in the caller's transaction and sends its primary key
  to Celery only after commit. If the broker is unreachable the send fails fast, the row
  stays ``queued`` and the request still succeeds.
* ``run_job`` (the Celery task body) takes a lease with a conditional UPDATE: a job that is
  done, or running under someone else's live lease, is skipped. So a message delivered
  twice (late ack after a worker died, a sweeper resend) runs the job's effect once.
* A handler does its slow work (network) outside any transaction and returns a
  ``JobOutcome``; its database effect is applied in the same transaction that marks the job
  done, and only while the worker still holds the lease.
* ``sweep_jobs`` (a beat task every 30 s, translate_hub/celery.py) resends queued jobs that were
  never sent or whose message was lost, and jobs whose lease ran out (the worker died).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from articles.models import Article, Feed, Job

logger = logging.getLogger(__name__)

Handler = Callable[[Job], "JobOutcome"]
_HANDLERS: dict[str, Handler] = {}


@dataclass
class JobOutcome:
    result: dict = field(default_factory=dict)
    # Database effect of the job, run in the transaction that marks it done.
    apply: Callable[[], None] | None = None


class JobFailed(Exception):
    """A handler's way to say the job failed; ``retry`` asks for another attempt."""

    def __init__(
        self, message: str, *, reason: str = "", retry: bool = False,
        on_final_failure: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.retry = retry
        self.on_final_failure = on_final_failure


class LeaseLost(Exception):
    pass


def job_handler(kind: str, *, on_give_up: Callable[[Job, str], None] | None = None
                ) -> Callable[[Handler], Handler]:
    """Register ``func`` for jobs of ``kind``. ``on_give_up(job, message)`` runs when such a
    job ends failed without a handler's own ``on_final_failure``: it crashed on every
    attempt, or its worker died during every attempt."""
    def register(func: Handler) -> Handler:
        _HANDLERS[kind] = func
        if on_give_up is not None:
            _GIVE_UP[kind] = on_give_up
        return func

    return register


_GIVE_UP: dict[str, Callable[[Job, str], None]] = {}


def lease_seconds() -> int:
    return getattr(settings, "JOB_LEASE_SECONDS", 300)


def create_job(
    *, kind: str, article: Article | None = None, feed: Feed | None = None,
    payload: dict | None = None, user=None, max_attempts: int = 5,
) -> Job:
    job = Job.objects.create(
        kind=kind, article=article, feed=feed, payload=payload or {},
        created_by=user if getattr(user, "pk", None) else None, max_attempts=max_attempts,
    )
    transaction.on_commit(lambda: enqueue_job(job.pk))
    return job


def enqueue_job(job_id: int, *, countdown: float | None = None) -> bool:
    """Send the job to the broker; False (and the row stays queued) when it can't be sent."""
    from articles.tasks import run_job_task  # the task module imports this one

    try:
        run_job_task.apply_async(args=[job_id], countdown=countdown, retry=False)
    except Exception as exc:  # the broker is down: the sweeper sends it later
        logger.warning("job %s not sent to the broker (%s); the sweeper will retry", job_id, exc)
        return False
    Job.objects.filter(pk=job_id).update(enqueued_at=timezone.now())
    return True


def _take_lease(job_id: int) -> tuple[Job, str] | None:
    now = timezone.now()
    token = secrets.token_hex(16)
    taken = (
        Job.objects.filter(pk=job_id)
        .filter(
            Q(status=Job.Status.QUEUED) | Q(status=Job.Status.RUNNING, lease_until__lt=now)
        )
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .update(
            status=Job.Status.RUNNING, lease_token=token, attempts=F("attempts") + 1,
            lease_until=now + timedelta(seconds=lease_seconds()), started_at=now,
        )
    )
    if not taken:
        return None
    return Job.objects.select_related("article", "feed").get(pk=job_id), token


def extend_lease(job: Job, token: str) -> None:
    """Long handlers call this so the sweeper doesn't hand the job to another worker."""
    updated = Job.objects.filter(pk=job.pk, lease_token=token, status=Job.Status.RUNNING).update(
        lease_until=timezone.now() + timedelta(seconds=lease_seconds())
    )
    if not updated:
        raise LeaseLost(f"job {job.pk} lease lost")


def _finish(job: Job, token: str, **fields) -> None:
    updated = Job.objects.filter(pk=job.pk, lease_token=token, status=Job.Status.RUNNING).update(
        lease_until=None, lease_token="", finished_at=timezone.now(), **fields
    )
    if not updated:
        raise LeaseLost(f"job {job.pk} lease lost before it finished")


def run_job(job_id: int) -> str:
    """Run one job if it still needs running; returns what happened (for logs and tests)."""
    leased = _take_lease(job_id)
    if leased is None:
        return "skipped"
    job, token = leased
    if job.attempts > job.max_attempts:
        # Every earlier holder died mid-job (killed, out of memory, the hard time limit):
        # taking it over again would only kill the next worker.
        message = _("The worker stopped during each of its %(n)d attempts (out of memory or out of time?).")
        return _fail(job, token, message % {"n": job.max_attempts}, retry=False, reason="worker_died")
    handler = _HANDLERS.get(job.kind)
    try:
        if handler is None:
            raise JobFailed(f"no handler for job kind {job.kind!r}", reason="no_handler")
        outcome = handler(job)
        with transaction.atomic():
            _finish(job, token, status=Job.Status.DONE, result=outcome.result, error="")
            if outcome.apply is not None:
                outcome.apply()
        return "done"
    except LeaseLost:
        logger.warning("job %s: lease lost, leaving it to the new holder", job_id)
        return "lease_lost"
    except JobFailed as failure:
        return _fail(job, token, str(failure), retry=failure.retry,
                     reason=failure.reason, on_final_failure=failure.on_final_failure)
    except Exception as exc:  # an unexpected bug or outage: retry, and keep the trace
        logger.exception("job %s crashed", job_id)
        return _fail(job, token, f"{type(exc).__name__}: {exc}", retry=True, reason="crash")


def _fail(job: Job, token: str, message: str, *, retry: bool, reason: str,
          on_final_failure: Callable[[], None] | None = None) -> str:
    attempts = Job.objects.filter(pk=job.pk).values_list("attempts", flat=True).first() or 0
    try:
        if retry and attempts < job.max_attempts:
            delay = min(300, 5 * 2 ** (attempts - 1))
            _finish(job, token, status=Job.Status.QUEUED, error=message,
                    not_before=timezone.now() + timedelta(seconds=delay),
                    result={"reason": reason})
            transaction.on_commit(lambda: enqueue_job(job.pk, countdown=delay))
            return "retry"
        with transaction.atomic():
            _finish(job, token, status=Job.Status.FAILED, error=message, result={"reason": reason})
            if on_final_failure is not None:
                on_final_failure()
            elif job.kind in _GIVE_UP:
                _GIVE_UP[job.kind](job, message)
        return "failed"
    except LeaseLost:
        return "lease_lost"


def retry_job(job: Job) -> Job:
    """A person asks to run a failed job again."""
    Job.objects.filter(pk=job.pk, status=Job.Status.FAILED).update(
        status=Job.Status.QUEUED, attempts=0, error="", not_before=None, finished_at=None
    )
    transaction.on_commit(lambda: enqueue_job(job.pk))
    job.refresh_from_db()
    return job


def sweep_jobs(*, now=None, resend_after: int | None = None) -> int:
    """Resend jobs whose message may be lost and jobs whose worker died; returns how many."""
    now = now or timezone.now()
    resend_after = resend_after if resend_after is not None else getattr(
        settings, "JOB_RESEND_AFTER_SECONDS", 60
    )
    stale_send = now - timedelta(seconds=resend_after)
    due = Q(not_before__isnull=True) | Q(not_before__lte=now)
    candidates = Job.objects.filter(
        (Q(status=Job.Status.QUEUED) & due & (Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale_send)))
        | Q(status=Job.Status.RUNNING, lease_until__lt=now)
    ).values_list("pk", flat=True)[:1000]
    sent = 0
    for job_id in list(candidates):
        if enqueue_job(job_id):
            sent += 1
        else:
            break  # the broker is down: no point trying the rest now
    return sent
