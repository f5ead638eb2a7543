"""The Celery app, configured from Django settings under the CELERY_ namespace."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "translate_hub.settings")

app = Celery("translate_hub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic work. Each entry calls a thin task; the schedule lives here, next to the app,
# so `celery beat` and the embedded `worker --beat` of `make run` read the same table.
app.conf.beat_schedule = {
    "sweep-jobs": {"task": "articles.sweep_jobs", "schedule": 30.0},
    # Deadlines (times are CELERY_TIMEZONE, the site's zone).
    "expire-claims": {"task": "workflow.expire_claims", "schedule": crontab(hour=3, minute=10)},
    # Hourly so a reminder is never a day late; Claim.reminded_days keeps each one single.
    "claim-reminders": {"task": "workflow.send_claim_reminders", "schedule": crontab(minute=20)},
    "weekly-digests": {"task": "workflow.send_weekly_digests",
                       "schedule": crontab(day_of_week="mon", hour=9, minute=30)},
    # Email of notifications whose task never reached the broker.
    "deliver-notification-emails": {"task": "workflow.deliver_notification_emails", "schedule": 300.0},
    # Feeds and links.
    "poll-feeds": {"task": "articles.schedule_feed_polls", "schedule": crontab(minute="*/30")},
    "recheck-published-links": {"task": "articles.schedule_link_rechecks",
                                "schedule": crontab(day_of_week="sun", hour=4, minute=0)},
    # Source drift: re-fetch the sources of articles in translation, review or published.
    "check-source-drift": {"task": "articles.schedule_drift_checks",
                           "schedule": crontab(day_of_week="sat", hour=4, minute=30)},
}
