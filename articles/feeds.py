"""Feeds: RSS/Atom subscriptions whose new posts become candidates for collectors.

How a poll works
----------------
``schedule_feed_polls()`` (a beat task) queues one POLL_FEED job per active feed that has
none pending. The job (articles.job_handlers.poll_feed) calls ``fetch_feed(feed)``: a
conditional GET (``If-None-Match`` / ``If-Modified-Since`` from the feed's stored ETag and
Last-Modified) through the SSRF-safe fetcher in its feed mode (``FEED_CONTENT_TYPES``), then
feedparser on the raw bytes — wrapped in a stream, because feedparser treats a *string*
that looks like a URL or a file name as something to open. A 304 answer parses nothing.
``apply_poll`` (in the job's finishing transaction) stores the validators and turns new
entries into ``FeedEntry`` candidates, skipping any whose normalised URL is already a
candidate (``url_hash`` is unique) or an article.

Candidates are collected (``collect_candidate`` → ``articles.services.collect_article``) or
dismissed. News goes stale: a candidate from a news feed published more than
``NEWS_STALE_DAYS`` days ago is shown as stale (``is_stale``; LCTT dropped news after about
eleven days), computed at read time, so changing the setting re-judges every candidate.

Public API
----------
``add_feed(*, url, user, title="", category="tech") -> Feed``
``update_feed(*, feed, user, title, category, active) -> Feed``
``poll_feed_now(*, feed, user) -> Job``
``schedule_feed_polls() -> int``
``fetch_feed(feed) -> PolledFeed`` (network only), ``parse_feed(body, *, url, content_type="")``
``apply_poll(*, feed_id, polled) -> int``, ``record_poll_failure(*, feed_id, message)``
``collect_candidate(*, entry, user, difficulty=None) -> Article``
``dismiss_candidate(*, entry, user) -> FeedEntry``
``is_stale(entry, *, now=None) -> bool``
Errors: ``FeedError`` (``message``, ``code``, ``fetch_error``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import html
import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import feedparser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from articles.jobs import create_job
from articles.models import Article, Category, Feed, FeedEntry, Job, normalized_url_hash
from articles.safe_http import FEED_CONTENT_TYPES, FetchError, FetchErrorReason, fetch_page_sync
from articles.services import (
    CollectError,
    can_collect,
    clean_source_url,
    collect_article,
    news_stale_before,
)
from articles.urlnorm import normalize_url

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser

__all__ = [
    "FeedError",
    "PolledEntry",
    "PolledFeed",
    "add_feed",
    "apply_poll",
    "collect_candidate",
    "dismiss_candidate",
    "fetch_feed",
    "is_stale",
    "parse_feed",
    "poll_feed_now",
    "record_poll_failure",
    "schedule_feed_polls",
    "update_feed",
]

MAX_ENTRIES_PER_POLL = 200
MAX_SUMMARY_CHARS = 2000


class FeedError(Exception):
    def __init__(self, message: str, *, code: str, fetch_error: FetchError | None = None) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.code = code
        self.fetch_error = fetch_error

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class PolledEntry:
    url: str
    url_normalized: str
    url_hash: str
    title: str
    author: str
    summary: str
    published_at: dt.datetime | None


@dataclass
class PolledFeed:
    not_modified: bool
    status: int
    etag: str = ""
    last_modified: str = ""
    title: str = ""
    entries: list[PolledEntry] = field(default_factory=list)


# --- managing feeds -------------------------------------------------------------------------


def _require_collector(user: Any) -> None:
    from workflow.services import NotAllowed

    if not can_collect(user):
        raise NotAllowed(_("Only collectors can manage feeds and candidates."))


def _clean_category(category: str) -> str:
    from workflow.services import InvalidInput

    category = (category or Category.TECH).strip()
    if category not in Category.values:
        raise InvalidInput(_("Unknown category “%(c)s”.") % {"c": category[:64]})
    return category


def add_feed(*, url: str, user: AbstractUser, title: str = "", category: str = Category.TECH) -> Feed:
    from workflow.services import InvalidInput

    _require_collector(user)
    try:
        url, _normalized = clean_source_url(url)
    except CollectError as error:
        raise InvalidInput(error.message) from error
    category = _clean_category(category)
    if Feed.objects.filter(url=url).exists():
        raise InvalidInput(_("This feed is already subscribed."))
    try:
        with transaction.atomic():
            feed = Feed.objects.create(url=url, title=(title or "").strip()[:300],
                                       category=category, created_by=user)
            create_job(kind=Job.Kind.POLL_FEED, feed=feed, user=user, max_attempts=3)
    except IntegrityError:
        raise InvalidInput(_("This feed is already subscribed.")) from None
    return feed


def update_feed(*, feed: Feed, user: AbstractUser, title: str, category: str, active: bool) -> Feed:
    _require_collector(user)
    feed.title = (title or "").strip()[:300]
    feed.category = _clean_category(category)
    feed.active = bool(active)
    feed.save(update_fields=["title", "category", "active"])
    return feed


def _pending_poll(feed_id: int) -> Job | None:
    return Job.objects.filter(
        feed_id=feed_id, kind=Job.Kind.POLL_FEED, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]
    ).first()


def poll_feed_now(*, feed: Feed, user: AbstractUser) -> Job:
    _require_collector(user)
    with transaction.atomic():
        return _pending_poll(feed.pk) or create_job(kind=Job.Kind.POLL_FEED, feed=feed, user=user,
                                                    max_attempts=3)


def schedule_feed_polls() -> int:
    """One POLL_FEED job per active feed that has none queued or running; returns how many."""
    queued = 0
    busy = set(
        Job.objects.filter(kind=Job.Kind.POLL_FEED, status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
        .values_list("feed_id", flat=True)
    )
    for feed in Feed.objects.filter(active=True).exclude(pk__in=busy).only("pk"):
        with transaction.atomic():
            create_job(kind=Job.Kind.POLL_FEED, feed=feed, max_attempts=3)
        queued += 1
    return queued


# --- polling (network) ----------------------------------------------------------------------


def fetch_feed(feed: Feed) -> PolledFeed:
    """Conditional GET and parse; no database writes. Raises FeedError."""
    try:
        page = fetch_page_sync(feed.url, etag=feed.etag or None, last_modified=feed.last_modified or None,
                               content_types=FEED_CONTENT_TYPES)
    except FetchError as error:
        if error.reason is FetchErrorReason.NOT_HTML:
            message = _("Not an RSS or Atom feed (the server sent %(type)s)") % {"type": error.detail or "?"}
        else:
            message = error.message
        raise FeedError(message, code=str(error.reason), fetch_error=error) from error
    if page.not_modified:
        return PolledFeed(not_modified=True, status=page.status, etag=page.etag or feed.etag,
                          last_modified=page.last_modified or feed.last_modified)
    title, entries = parse_feed(page.body, url=page.final_url,
                                content_type=page.headers.get("content-type", ""))
    return PolledFeed(not_modified=False, status=page.status, etag=page.etag,
                      last_modified=page.last_modified, title=title, entries=entries)


def parse_feed(body: bytes, *, url: str, content_type: str = "") -> tuple[str, list[PolledEntry]]:
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    # A stream, never a string: feedparser would open a string naming a URL or a file.
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers)
    if parsed.get("bozo") and not parsed.get("entries") and not parsed.get("version"):
        raise FeedError(_("Not an RSS or Atom feed"), code="not_a_feed")
    entries: list[PolledEntry] = []
    seen: set[str] = set()
    for item in parsed.get("entries", [])[:MAX_ENTRIES_PER_POLL]:
        entry = _entry(item)
        if entry is not None and entry.url_hash not in seen:
            seen.add(entry.url_hash)
            entries.append(entry)
    return _text(parsed.get("feed", {}).get("title", ""), 300), entries


def _text(value: Any, limit: int) -> str:
    text = html.unescape(strip_tags(str(value or "")))
    return " ".join(text.split())[:limit]


def _entry(item: Any) -> PolledEntry | None:
    link = str(item.get("link") or "").strip()
    if not link or len(link) > 2000:
        return None
    try:
        URLValidator(schemes=["http", "https"])(link)
        normalized = normalize_url(link)[:2000]
    except (ValidationError, ValueError):
        return None
    parsed_time = item.get("published_parsed") or item.get("updated_parsed")
    published = None
    if parsed_time:
        published = dt.datetime.fromtimestamp(calendar.timegm(parsed_time), tz=dt.UTC)
    return PolledEntry(
        url=link, url_normalized=normalized, url_hash=normalized_url_hash(normalized),
        title=_text(item.get("title"), 500), author=_text(item.get("author"), 300),
        summary=_text(item.get("summary"), MAX_SUMMARY_CHARS), published_at=published,
    )


# --- the poll's effect ----------------------------------------------------------------------


def apply_poll(*, feed_id: int, polled: PolledFeed) -> int:
    """Store the validators and the new candidates; returns how many candidates were added."""
    feed = Feed.objects.select_for_update().filter(pk=feed_id).first()
    if feed is None:
        return 0
    now = timezone.now()
    added = 0
    if polled.not_modified:
        feed.last_status = _("Not modified")
    else:
        added = _add_entries(feed, polled.entries)
        feed.last_status = _("OK: %(n)d new of %(total)d entries") % {"n": added, "total": len(polled.entries)}
        if polled.title and not feed.title:
            feed.title = polled.title
    feed.etag = (polled.etag or "")[:500]
    feed.last_modified = (polled.last_modified or "")[:100]
    feed.last_polled_at = now
    feed.save(update_fields=["etag", "last_modified", "last_polled_at", "last_status", "title"])
    return added


def _add_entries(feed: Feed, entries: list[PolledEntry]) -> int:
    if not entries:
        return 0
    hashes = [e.url_hash for e in entries]
    known = set(FeedEntry.objects.filter(url_hash__in=hashes).values_list("url_hash", flat=True))
    collected = set(
        Article.objects.filter(via_normalized__in=[e.url_normalized for e in entries])
        .values_list("via_normalized", flat=True)
    )
    fresh = [e for e in entries if e.url_hash not in known and e.url_normalized not in collected]
    FeedEntry.objects.bulk_create(
        [FeedEntry(feed=feed, url=e.url, url_normalized=e.url_normalized, url_hash=e.url_hash,
                   title=e.title, author=e.author, summary=e.summary, published_at=e.published_at)
         for e in fresh],
        ignore_conflicts=True,  # another feed announcing the same post at the same moment
    )
    return FeedEntry.objects.filter(feed=feed, url_hash__in=[e.url_hash for e in fresh]).count()


def record_poll_failure(*, feed_id: int, message: str) -> None:
    Feed.objects.filter(pk=feed_id).update(last_status=message[:500], last_polled_at=timezone.now())


# --- candidates -----------------------------------------------------------------------------


def is_stale(entry: FeedEntry, *, now: dt.datetime | None = None) -> bool:
    """News announced more than NEWS_STALE_DAYS days ago is too old to translate."""
    return (
        entry.feed.category == Category.NEWS
        and entry.published_at is not None
        and entry.published_at < news_stale_before(now)
    )


def collect_candidate(*, entry: FeedEntry, user: AbstractUser, difficulty: int | None = None) -> Article:
    """Collect a candidate (its feed's category); raises CollectError like collect_article."""
    if entry.status != FeedEntry.Status.NEW:
        raise CollectError(_("This candidate was already handled."), code="handled", url=entry.url,
                           existing=entry.article)
    article = collect_article(url=entry.url, user=user, category=entry.feed.category, difficulty=difficulty)
    # collect_article marks the candidate by its normalised URL; the entry's own spelling may
    # normalise elsewhere only if the normaliser changed since the poll.
    FeedEntry.objects.filter(pk=entry.pk, status=FeedEntry.Status.NEW).update(
        status=FeedEntry.Status.COLLECTED, article=article, decided_by=user)
    entry.refresh_from_db()
    return article


def dismiss_candidate(*, entry: FeedEntry, user: AbstractUser) -> FeedEntry:
    _require_collector(user)
    FeedEntry.objects.filter(pk=entry.pk, status=FeedEntry.Status.NEW).update(
        status=FeedEntry.Status.DISMISSED, decided_by=user)
    entry.refresh_from_db()
    return entry
