"""Handlers for the article jobs: fetch a source post, check links, poll a feed.

Each handler follows articles.jobs' contract: the network work happens here, outside any
transaction; the database effect is returned as ``JobOutcome.apply`` and runs in the
transaction that marks the job done, only while this worker still holds the lease — so a
job delivered twice, or taken over after its worker was killed, writes its effect once.

Failures raise ``JobFailed``: transient ones (timeouts, connection errors, HTTP 5xx and
429) with ``retry=True`` so articles.jobs retries them with backoff; the rest, and the
last retry, end the job, and ``on_final_failure`` records the reason where people see it
(the article goes to ``fetch_failed``; the feed's last result).

Imported by articles.tasks, so every worker process registers them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging

from django.utils.translation import gettext as _

from articles import jobs
from articles.extraction import ExtractionError, extract_article
from articles.html_to_markdown import convert_article
from articles.jobs import JobFailed, JobOutcome, job_handler
from articles.models import Article, ArticleState, Job
from articles.people import handle_of
from articles.safe_http import FetchError, FetchErrorReason, fetch_page_sync
from articles.services import (
    MAX_SOURCE_TEXT_CHARS,
    FetchedSource,
    apply_fetch,
    source_markdown_from_lctt,
)

logger = logging.getLogger(__name__)

TRANSIENT_REASONS = frozenset({FetchErrorReason.TIMEOUT, FetchErrorReason.CONNECTION_ERROR})


def is_transient(error: FetchError) -> bool:
    """Worth another try later: the site was slow, unreachable or overloaded."""
    if error.reason in TRANSIENT_REASONS:
        return True
    return error.reason is FetchErrorReason.HTTP_STATUS and (
        error.status == 429 or (error.status or 0) >= 500
    )


# --- fetch ----------------------------------------------------------------------------------


def _mark_failed(article_id: int, message: str):
    def on_final_failure() -> None:
        from workflow import services

        article = Article.objects.filter(pk=article_id).first()
        if article is None:
            return
        # Withdrawn (or made available by hand) meanwhile: nothing to mark.
        with contextlib.suppress(services.TransitionError):
            services.mark_fetch_failed(article=article, reason=message)

    return on_final_failure


def _fetch_given_up(job: Job, message: str) -> None:
    if job.article_id is not None:
        _mark_failed(job.article_id, message)()


@job_handler(Job.Kind.FETCH, on_give_up=_fetch_given_up)
def fetch_source(job: Job) -> JobOutcome:
    article = job.article
    if article is None or article.state != ArticleState.NEW:
        return JobOutcome(result={"skipped": "article is no longer new"})
    url = job.payload.get("url") or article.via
    try:
        page = fetch_page_sync(url)
    except FetchError as error:
        raise JobFailed(error.message, reason=str(error.reason), retry=is_transient(error),
                        on_final_failure=_mark_failed(article.pk, error.message)) from error
    collector = handle_of(article.collector) or "collector"
    category = job.payload.get("category") or None
    try:
        extracted = extract_article(page.text, url=page.final_url)
        converted = convert_article(extracted, collector=collector, via=article.via, category=category)
        source_markdown = source_markdown_from_lctt(converted.markdown)
    except ExtractionError as error:
        raise JobFailed(str(error), reason=error.code, retry=False,
                        on_final_failure=_mark_failed(article.pk, str(error))) from error
    except Exception as error:  # a page our converter chokes on: same input, same failure
        logger.exception("fetch job %s: converting %s failed", job.pk, page.final_url)
        message = _("The page could not be converted (%(error)s)") % {"error": type(error).__name__}
        raise JobFailed(message, reason="conversion_error", retry=False,
                        on_final_failure=_mark_failed(article.pk, message)) from error
    fetched = FetchedSource(
        final_url=page.final_url,
        subject=converted.title,
        author_name=converted.author_name,
        author_url=converted.author_url,
        source_date=extracted.date,
        category_guess=converted.category_guess,
        category=category or "",
        word_count=converted.word_count,
        source_markdown=source_markdown,
        etag=page.etag,
        last_modified=page.last_modified,
    )
    result = {
        "final_url": page.final_url,
        "status": page.status,
        "title": converted.title,
        "category_guess": converted.category_guess,
        "word_count": converted.word_count,
        "language": extracted.language,
        # The page's plain text, for the collector's side-by-side view.
        "source_text": extracted.text[:MAX_SOURCE_TEXT_CHARS],
        "source_text_truncated": len(extracted.text) > MAX_SOURCE_TEXT_CHARS,
    }

    def apply() -> None:
        if not apply_fetch(article_id=article.pk, fetched=fetched):
            Job.objects.filter(pk=job.pk).update(result={**result, "skipped": "article is no longer new"})

    return JobOutcome(result=result, apply=apply)


# --- check links ----------------------------------------------------------------------------


@job_handler(Job.Kind.CHECK_LINKS)
def check_links(job: Job) -> JobOutcome:
    """One article (``job.article``) or a batch (``payload["article_ids"]``, the weekly recheck).

    Link results go to the shared per-URL cache as they come (check_urls stores them); a
    rerun after a crash answers the already-checked URLs from that cache.
    """
    from articles.link_services import check_article_links

    max_age = dt.timedelta(hours=float(job.payload.get("max_age_hours", 24)))
    ids = [job.article_id] if job.article_id else list(job.payload.get("article_ids", []))
    counts: dict[str, int] = {}
    checked = 0
    for article in Article.objects.filter(pk__in=ids).order_by("pk"):
        report = check_article_links(article=article, max_age=max_age)
        for outcome, count in report.counts.items():
            counts[outcome] = counts.get(outcome, 0) + count
        checked += 1
        if len(ids) > 1:
            jobs.extend_lease(job, job.lease_token)  # a batch may take longer than one lease
    return JobOutcome(result={"articles": checked, "counts": counts})


# --- poll feed ------------------------------------------------------------------------------


@job_handler(Job.Kind.POLL_FEED)
def poll_feed(job: Job) -> JobOutcome:
    from articles import feeds

    feed = job.feed
    if feed is None:
        return JobOutcome(result={"skipped": "feed deleted"})
    try:
        polled = feeds.fetch_feed(feed)
    except feeds.FeedError as error:
        transient = error.fetch_error is not None and is_transient(error.fetch_error)
        message = error.message

        def on_final_failure() -> None:
            feeds.record_poll_failure(feed_id=feed.pk, message=message)

        raise JobFailed(message, reason=error.code, retry=transient,
                        on_final_failure=on_final_failure) from error
    result = {"not_modified": polled.not_modified, "entries": len(polled.entries)}

    def apply() -> None:
        added = feeds.apply_poll(feed_id=feed.pk, polled=polled)
        Job.objects.filter(pk=job.pk).update(result={**result, "added": added})

    return JobOutcome(result=result, apply=apply)
