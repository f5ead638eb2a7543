"""Reads for the collector pages: recent collections with their fetch jobs, the fetched
page's text, feeds, candidates (with staleness), pending link checks.

Public API
----------
``recent_collections(user, *, limit=50) -> list[Collection]``
``collections_for(user, article_ids) -> list[Collection]``
``latest_fetch_job(article) -> Job | None``
``source_page_text(article) -> str``
``feeds() -> QuerySet[Feed]``
``candidates(*, include_stale=False, since=None, now=None) -> QuerySet[FeedEntry]``
    New candidates, newest first; ``stale`` annotated (news older than NEWS_STALE_DAYS).
``pending_link_check(article) -> Job | None``
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.utils import timezone

from articles.models import Article, ArticleState, Category, Feed, FeedEntry, Job
from articles.services import news_stale_before

__all__ = [
    "Collection",
    "candidates",
    "collections_for",
    "feeds",
    "latest_fetch_job",
    "pending_link_check",
    "recent_collections",
    "source_page_text",
]

UNFINISHED = (Job.Status.QUEUED, Job.Status.RUNNING)


@dataclass
class Collection:
    """An article a collector collected, with its latest fetch job."""

    article: Article
    job: Job | None

    @property
    def finished(self) -> bool:
        return self.job is None or self.job.status not in UNFINISHED

    @property
    def failed(self) -> bool:
        return self.article.state == ArticleState.FETCH_FAILED

    @property
    def retrying(self) -> bool:
        """Queued again after a transient failure (the error of the last try is kept)."""
        return self.job is not None and self.job.status == Job.Status.QUEUED and bool(self.job.error)


def _with_jobs(articles: Iterable[Article]) -> list[Collection]:
    articles = list(articles)
    latest: dict[int, Job] = {}
    jobs = (Job.objects.filter(article_id__in=[a.pk for a in articles], kind=Job.Kind.FETCH)
            .defer("result", "payload").order_by("pk"))
    for job in jobs:
        latest[job.article_id] = job
    return [Collection(article=a, job=latest.get(a.pk)) for a in articles]


def recent_collections(user, *, limit: int = 50) -> list[Collection]:
    """The user's articles still being collected (new or fetch failed), newest first."""
    qs = (Article.objects.without_bodies()
          .filter(collector_id=user.pk, state__in=[ArticleState.NEW, ArticleState.FETCH_FAILED])
          .order_by("-created_at", "-id")[:limit])
    return _with_jobs(qs)


def collections_for(user, article_ids: Iterable[int]) -> list[Collection]:
    qs = (Article.objects.without_bodies().filter(collector_id=user.pk, pk__in=list(article_ids))
          .order_by("-created_at", "-id"))
    return _with_jobs(qs)


def latest_fetch_job(article: Article) -> Job | None:
    return Job.objects.filter(article=article, kind=Job.Kind.FETCH).order_by("-pk").first()


def source_page_text(article: Article) -> str:
    """The plain text of the fetched page (kept in the last successful fetch job's result)."""
    job = (Job.objects.filter(article=article, kind=Job.Kind.FETCH, status=Job.Status.DONE)
           .order_by("-pk").only("result").first())
    return (job.result or {}).get("source_text", "") if job else ""


def feeds() -> QuerySet[Feed]:
    return Feed.objects.order_by("-active", "title", "url")


def candidates(*, include_stale: bool = False, since: dt.datetime | None = None,
               now: dt.datetime | None = None) -> QuerySet[FeedEntry]:
    stale = Q(feed__category=Category.NEWS, published_at__lt=news_stale_before(now or timezone.now()))
    qs = (FeedEntry.objects.filter(status=FeedEntry.Status.NEW).select_related("feed")
          .annotate(stale=Case(When(stale, then=Value(True)), default=Value(False),
                               output_field=BooleanField())))
    if not include_stale:
        qs = qs.exclude(stale)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    return qs.order_by("-created_at", "-id")


def pending_link_check(article: Article) -> Job | None:
    return Job.objects.filter(article=article, kind=Job.Kind.CHECK_LINKS, status__in=UNFINISHED).first()
