"""The Celery app, configured from Django settings under the CELERY_ namespace."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "translate_hub.settings")

app = Celery("translate_hub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic work. Each entry calls a thin task; the schedule lives here, next to the app,
# so `celery beat` and the embedded `worker --beat` of `make run` read the same table.
app.conf.beat_schedule = {
    "sweep-jobs": {"task": "articles.sweep_jobs", "schedule": 30.0},
}
