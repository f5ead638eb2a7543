"""Celery tasks of the workflow: deadlines, reminders, digests and notification email.

Thin wrappers around workflow.services and workflow.notifications; the beat schedule that
runs them lives in translate_hub/celery.py. Each is idempotent: expiring twice expires
nothing more, reminders and digests carry dedupe keys, emails are claimed by ``emailed_at``.
"""

from __future__ import annotations

from celery import shared_task

from . import notifications, services


@shared_task(name="workflow.expire_claims")
def expire_claims_task() -> int:
    return services.expire_claims()


@shared_task(name="workflow.send_claim_reminders")
def send_claim_reminders_task() -> int:
    return notifications.send_claim_reminders()


@shared_task(name="workflow.send_weekly_digests")
def send_weekly_digests_task() -> int:
    return notifications.send_weekly_digests()


@shared_task(name="workflow.send_notification_email", acks_late=True, reject_on_worker_lost=True,
             autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def send_notification_email_task(notification_id: int) -> bool:
    return notifications.send_notification_email(notification_id)


@shared_task(name="workflow.deliver_notification_emails")
def deliver_notification_emails_task() -> int:
    return notifications.deliver_pending_emails()
