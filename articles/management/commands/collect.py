"""``python manage.py collect URL [URL …] --as USERNAME [--category C] [--difficulty N] [--wait]``

Queues each URL as ``articles.services.collect_article`` does for the collector page and
prints one line per URL (queued / refused, with the reason). With ``--wait`` it then polls
the fetch jobs' rows until every one has finished, and prints each outcome; if no worker
picks the jobs up within ``--timeout`` seconds it says so (the usual cause: no worker
running, e.g. with the default filesystem broker) and exits with status 1.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from articles.models import Article, Job
from articles.services import collect_articles


class Command(BaseCommand):
    help = "Collect source posts by URL: create the articles and queue their fetch jobs."

    def add_arguments(self, parser) -> None:
        parser.add_argument("urls", nargs="+", metavar="URL")
        parser.add_argument("--as", dest="username", required=True, help="the collecting user")
        parser.add_argument("--category", default=None, help="tech, talk or news (default: guessed)")
        parser.add_argument("--difficulty", type=int, default=None, help="0-3 stars")
        parser.add_argument("--wait", action="store_true", help="wait for the fetches and print the outcomes")
        parser.add_argument("--timeout", type=float, default=180.0, help="seconds --wait waits (default 180)")

    def handle(self, *args, **options) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"There is no user {options['username']!r}.")
        results = collect_articles(urls=options["urls"], user=user, category=options["category"],
                                   difficulty=options["difficulty"])
        queued: list[Article] = []
        for result in results:
            if result.ok:
                queued.append(result.article)
                self.stdout.write(f"queued  {result.url}  (article {result.article.pk})")
            else:
                line = f"refused {result.url}: {result.error.message}"
                if result.error.existing is not None:
                    line += f" (article {result.error.existing.pk})"
                self.stderr.write(line)
                if result.error.code == "not_allowed":
                    raise CommandError(result.error.message)
        if options["wait"] and queued:
            self._wait(queued, timeout=options["timeout"])
        if not queued:
            raise CommandError("Nothing was queued.")

    def _wait(self, articles: list[Article], *, timeout: float) -> None:
        ids = [a.pk for a in articles]
        deadline = time.monotonic() + timeout
        while True:
            latest = self._latest_jobs(ids)
            if all(job.status in (Job.Status.DONE, Job.Status.FAILED) for job in latest.values()):
                break
            if time.monotonic() >= deadline:
                untouched = [job for job in latest.values() if job.attempts == 0]
                if untouched:
                    raise CommandError(
                        f"No worker took the jobs within {timeout:g} s ({len(untouched)} never started). "
                        f"Is a worker running? Start one with `celery -A translate_hub worker` "
                        f"(broker: {settings.CELERY_BROKER_URL.split('@')[-1]}). The jobs stay queued "
                        "and run once a worker starts."
                    )
                raise CommandError(f"The jobs did not finish within {timeout:g} s; they keep running.")
            time.sleep(0.5)
        failed = 0
        for article in Article.objects.filter(pk__in=ids).without_bodies().order_by("pk"):
            job = latest[article.pk]
            if job.status == Job.Status.DONE:
                self.stdout.write(self.style.SUCCESS(
                    f"fetched {article.via}: “{article.subject}” ({article.word_count} words, "
                    f"{article.category}) → {article.lctt_filename} (article {article.pk})"))
            else:
                failed += 1
                self.stdout.write(self.style.ERROR(f"failed  {article.via}: {job.error}"))
        if failed:
            raise CommandError(f"{failed} fetch(es) failed.")

    @staticmethod
    def _latest_jobs(article_ids: list[int]) -> dict[int, Job]:
        latest: dict[int, Job] = {}
        for job in Job.objects.filter(article_id__in=article_ids, kind=Job.Kind.FETCH).order_by("pk"):
            latest[job.article_id] = job
        return latest
