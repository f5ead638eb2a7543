"""Collecting source posts (选题): the writes behind the collector pages, the command and the jobs.

Public API
----------
``collect_article(*, url, user, category=None, difficulty=None) -> Article``
    Validate and queue one source post: the user must be a collector; the URL must be a
    well-formed http(s) address that passes the SSRF pre-check and the domain rules; it
    must not duplicate an article in the pipeline or a published one (compared in
    ``normalize_url`` form). Creates the article in state ``new`` (collector set, one
    ``collect`` event) and a FETCH job, sent to the worker after commit; a feed candidate
    for the same post is marked collected. Raises :class:`CollectError`.
``collect_articles(*, urls, user, category=None, difficulty=None) -> list[CollectResult]``
    The bulk variant: each URL in its own transaction, one result per URL.
``split_urls(text) -> list[str]``
    URLs pasted one per line (or separated by spaces), blanks dropped.
``refetch_article(*, article, user) -> Job``
    Retry a failed fetch (``workflow.services.retry_fetch`` + a new FETCH job, one transaction).
``update_collected_article(*, article, user, subject, category, difficulty, source_markdown) -> Article``
    The collector's edits on the side-by-side page, before the article is made available.
``apply_fetch(*, article_id, fetched) -> bool``
    The FETCH job's database effect (run in the transaction that marks the job done).
``request_link_check(*, article, user) -> Job``
    Queue a CHECK_LINKS job for one article (its people and editors may ask).
``schedule_link_rechecks(*, batch_size=25, older_than=None) -> int``
    Weekly: CHECK_LINKS jobs over the published articles, a batch of ids per job.

Helpers: ``can_collect(user)``, ``can_edit_collected(user, article)``,
``can_request_link_check(user, article)``, ``find_duplicate(normalized_url)``,
``clean_source_url(url) -> (url, normalized)`` (the checks collect and feeds share),
``source_markdown_from_lctt(text)``, ``news_stale_before(now)``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from articles import lctt
from articles.jobs import create_job
from articles.lctt_repo import assign_lctt_filename
from articles.link_services import record_article_links
from articles.models import (
    PIPELINE_STATES,
    Article,
    ArticleState,
    Category,
    Difficulty,
    FeedEntry,
    Job,
    SourceSnapshot,
    normalized_url_hash,
)
from articles.safe_http import FetchError, validate_fetch_url
from articles.urlnorm import normalize_url

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser

__all__ = [
    "EDITABLE_STATES",
    "MAX_URLS_PER_BATCH",
    "CollectError",
    "CollectResult",
    "FetchedSource",
    "apply_fetch",
    "can_collect",
    "can_edit_collected",
    "can_request_link_check",
    "clean_source_url",
    "collect_article",
    "collect_articles",
    "find_duplicate",
    "news_stale_before",
    "refetch_article",
    "request_link_check",
    "schedule_link_rechecks",
    "source_markdown_from_lctt",
    "split_urls",
    "update_collected_article",
]

MAX_URLS_PER_BATCH = 50
MAX_URL_LENGTH = 2000
MAX_SOURCE_CHARS = 1_000_000
# The page's plain text kept for the side-by-side view (in the job's result).
MAX_SOURCE_TEXT_CHARS = 300_000
FETCH_MAX_ATTEMPTS = 4
# States whose article makes a new one for the same post a duplicate.
DUPLICATE_STATES = (*PIPELINE_STATES, ArticleState.PUBLISHED)
EDITABLE_STATES = (ArticleState.NEW, ArticleState.FETCH_FAILED)
_URL_SPLIT_RE = re.compile(r"\s+")


class CollectError(Exception):
    """A URL that cannot be collected; ``message`` says why in words a collector can act on.

    ``existing`` is the article a duplicate URL belongs to (link to it); ``code`` is for code:
    ``not_allowed``, ``invalid_url``, ``blocked_address``, ``blocked_domain``, ``duplicate``…
    """

    def __init__(self, message: str, *, code: str, url: str = "", existing: Article | None = None) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.code = code
        self.url = url
        self.existing = existing

    def __str__(self) -> str:
        return self.message


@dataclass
class CollectResult:
    url: str
    article: Article | None = None
    error: CollectError | None = None

    @property
    def ok(self) -> bool:
        return self.article is not None


# --- permissions ----------------------------------------------------------------------------


def can_collect(user: Any) -> bool:
    """Collectors collect; staff may too (has_role answers True for superusers)."""
    from workflow import permissions
    from workflow.models import Role

    return permissions.has_role(user, Role.COLLECTOR) or (
        permissions.is_active_user(user) and bool(user.is_staff)
    )


def can_edit_collected(user: Any, article: Article) -> bool:
    """Before it is available, an article's source is edited by collectors and editors."""
    from workflow import permissions

    if article.state not in EDITABLE_STATES or not permissions.is_active_user(user):
        return False
    return permissions.is_editor(user) or can_collect(user) or article.collector_id == user.pk


def can_request_link_check(user: Any, article: Article) -> bool:
    """The article's own people (collector, translator, reviewer) and editors."""
    from workflow import permissions

    if not permissions.is_active_user(user):
        return False
    if permissions.is_editor(user):
        return True
    return user.pk in (article.collector_id, article.translator_id, article.reviewer_id)


# --- collecting -----------------------------------------------------------------------------


def split_urls(text: str) -> list[str]:
    return [part for part in _URL_SPLIT_RE.split(text or "") if part]


def find_duplicate(normalized_url: str) -> Article | None:
    """The article (in the pipeline or published) for this normalised source URL, if any."""
    if not normalized_url:
        return None
    return (
        Article.objects.without_bodies()
        .filter(via_normalized=normalized_url, state__in=DUPLICATE_STATES)
        .order_by("-created_at", "-id")
        .first()
    )


def _duplicate_error(url: str, existing: Article) -> CollectError:
    return CollectError(
        _("Already collected: “%(title)s” (%(state)s).")
        % {"title": existing.display_title, "state": existing.get_state_display()},
        code="duplicate", url=url, existing=existing,
    )


def clean_source_url(url: str) -> tuple[str, str]:
    """(url, normalised url), or CollectError for anything that cannot be queued."""
    url = (url or "").strip()
    if not url:
        raise CollectError(_("Enter the address of a post."), code="invalid_url", url=url)
    if len(url) > MAX_URL_LENGTH:
        raise CollectError(
            _("The address is too long (at most %(n)d characters).") % {"n": MAX_URL_LENGTH},
            code="invalid_url", url=url,
        )
    try:
        # The fetch policy first: it names the reason (private address, blocked site…).
        validate_fetch_url(url)
    except FetchError as error:
        raise CollectError(error.message, code=str(error.reason), url=url) from error
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise CollectError(
            _("“%(url)s” is not a valid http(s) address.") % {"url": url[:200]},
            code="invalid_url", url=url,
        ) from None
    try:
        normalized = normalize_url(url)[:MAX_URL_LENGTH]
    except ValueError:
        raise CollectError(
            _("“%(url)s” is not a valid http(s) address.") % {"url": url[:200]},
            code="invalid_url", url=url,
        ) from None
    return url, normalized


def _clean_category(category: str | None) -> str | None:
    category = (category or "").strip()
    if not category:
        return None
    if category not in Category.values:
        raise CollectError(_("Unknown category “%(c)s”.") % {"c": category[:64]}, code="invalid_category")
    return category


def _clean_difficulty(difficulty: int | str | None) -> int:
    if difficulty in (None, ""):
        return Difficulty.UNSET
    try:
        value = int(difficulty)
    except (TypeError, ValueError):
        value = -1
    if value not in Difficulty.values:
        raise CollectError(_("Difficulty must be 0 to 3 stars."), code="invalid_difficulty")
    return value


def collect_article(
    *, url: str, user: AbstractUser, category: str | None = None, difficulty: int | str | None = None,
) -> Article:
    if not can_collect(user):
        raise CollectError(_("Only collectors can collect articles."), code="not_allowed", url=url or "")
    url, normalized = clean_source_url(url)
    category = _clean_category(category)
    difficulty = _clean_difficulty(difficulty)
    existing = find_duplicate(normalized)
    if existing is not None:
        raise _duplicate_error(url, existing)
    from workflow.models import Event, EventAction

    try:
        with transaction.atomic():
            now = timezone.now()
            article = Article.objects.create(
                subject=url[:500], via=url, via_normalized=normalized,
                category=category or Category.TECH, difficulty=difficulty,
                state=ArticleState.NEW, collector=user,
            )
            Event.objects.create(
                article=article, actor=user, action=EventAction.COLLECT, from_state="",
                to_state=ArticleState.NEW, note=url, created_at=now,
            )
            create_job(
                kind=Job.Kind.FETCH, article=article, user=user, max_attempts=FETCH_MAX_ATTEMPTS,
                payload={"url": url, "category": category or ""},
            )
            FeedEntry.objects.filter(
                url_hash=normalized_url_hash(normalized), status=FeedEntry.Status.NEW
            ).update(status=FeedEntry.Status.COLLECTED, article=article, decided_by=user)
    except IntegrityError:
        # Another collector queued the same post a moment ago (article_unique_live_via).
        existing = find_duplicate(normalized)
        if existing is None:
            raise
        raise _duplicate_error(url, existing) from None
    return article


def collect_articles(
    *, urls: Iterable[str], user: AbstractUser, category: str | None = None,
    difficulty: int | str | None = None,
) -> list[CollectResult]:
    urls = list(urls)
    if len(urls) > MAX_URLS_PER_BATCH:
        error = CollectError(
            _("Paste at most %(n)d addresses at a time.") % {"n": MAX_URLS_PER_BATCH}, code="too_many"
        )
        return [CollectResult(url=url, error=error) for url in urls]
    results: list[CollectResult] = []
    for url in urls:
        try:
            results.append(CollectResult(url=url, article=collect_article(
                url=url, user=user, category=category, difficulty=difficulty)))
        except CollectError as error:
            results.append(CollectResult(url=url, error=error))
    return results


def refetch_article(*, article: Article, user: AbstractUser) -> Job:
    from workflow import services as workflow_services

    with transaction.atomic():
        workflow_services.retry_fetch(article=article, user=user)
        category = _requested_category(article)
        return create_job(
            kind=Job.Kind.FETCH, article=article, user=user, max_attempts=FETCH_MAX_ATTEMPTS,
            payload={"url": article.via, "category": category},
        )


def _requested_category(article: Article) -> str:
    """The category the collector asked for when collecting (empty: guess it)."""
    first = Job.objects.filter(article=article, kind=Job.Kind.FETCH).order_by("created_at", "id").first()
    return (first.payload or {}).get("category", "") if first else ""


def update_collected_article(
    *, article: Article, user: AbstractUser, subject: str, category: str, difficulty: int,
    source_markdown: str,
) -> Article:
    """Save the collector's edits; the state stays as it is (``make_available`` moves it)."""
    from workflow.services import InvalidInput, NotAllowed, WrongState

    subject = re.sub(r"\s+", " ", subject or "").strip()
    source_markdown = (source_markdown or "").replace("\r\n", "\n")
    if not subject:
        raise InvalidInput(_("Give the article its English title."))
    if len(subject) > 500:
        raise InvalidInput(_("The title is too long (at most 500 characters)."))
    if len(source_markdown) > MAX_SOURCE_CHARS:
        raise InvalidInput(_("The text is too long (at most %(n)d characters).") % {"n": MAX_SOURCE_CHARS})
    if category not in Category.values:
        raise InvalidInput(_("Unknown category “%(c)s”.") % {"c": category})
    if difficulty not in Difficulty.values:
        raise InvalidInput(_("Difficulty must be 0 to 3 stars."))
    with transaction.atomic():
        current = Article.objects.select_for_update().get(pk=article.pk)
        if current.state not in EDITABLE_STATES:
            raise WrongState(_("This article is %(state)s now; its source can no longer be edited here.")
                             % {"state": current.get_state_display()})
        if not can_edit_collected(user, current):
            raise NotAllowed(_("Only collectors and editors can edit collected articles."))
        changes: dict[str, Any] = {
            "subject": subject, "category": category, "difficulty": difficulty,
            "source_markdown": source_markdown, "updated_at": timezone.now(),
        }
        if source_markdown != current.source_markdown:
            changes["word_count"] = _word_count(source_markdown)
        if current.lctt_filename and (subject != current.subject or difficulty != current.difficulty):
            # The file name carries the title and the stars; the date and counter stay.
            changes["lctt_filename"] = lctt.make_filename(
                current.source_date, current.day_counter, difficulty, subject)
        Article.objects.filter(pk=article.pk).update(**changes)
        for name, value in changes.items():
            setattr(current, name, value)
        if "source_markdown" in changes:
            record_article_links(article=current)
    for name, value in changes.items():
        setattr(article, name, value)
    return article


def _word_count(markdown: str) -> int:
    from articles.html_to_markdown import count_words

    body, _refs = lctt.split_markdown_refs(markdown)
    return count_words(body)


# --- the fetch's effect ---------------------------------------------------------------------


@dataclass
class FetchedSource:
    """What a FETCH job found, ready to be written (built outside any transaction)."""

    final_url: str
    subject: str
    author_name: str
    author_url: str
    source_date: dt.date | None
    category_guess: str
    word_count: int
    source_markdown: str
    etag: str = ""
    last_modified: str = ""
    category: str = ""  # asked for by the collector; empty: use the guess
    extras: dict[str, Any] = field(default_factory=dict)


def source_markdown_from_lctt(text: str) -> str:
    """The article's ``source_markdown`` from a complete LCTT source file: the body and its
    reference links, without header, title and footer, exactly as the importer stores it."""
    return lctt.parse(text).body_markdown()


def apply_fetch(*, article_id: int, fetched: FetchedSource) -> bool:
    """Write a successful fetch; False (nothing written) when the article moved on meanwhile."""
    from workflow.models import Event, EventAction

    article = Article.objects.select_for_update().filter(pk=article_id).first()
    if article is None or article.state != ArticleState.NEW:
        return False
    now = timezone.now()
    placeholder = article.subject in ("", article.via[:500])
    article.subject = (fetched.subject or article.subject)[:500] if placeholder else article.subject
    article.author_name = fetched.author_name[:300]
    article.author_url = fetched.author_url[:2000] if _valid_url(fetched.author_url) else ""
    if fetched.source_date and not article.lctt_filename:
        article.source_date = fetched.source_date
    article.category = fetched.category or fetched.category_guess or article.category
    article.word_count = fetched.word_count
    article.source_markdown = fetched.source_markdown
    article.fetched_at = now
    article.save(update_fields=[
        "subject", "author_name", "author_url", "source_date", "category", "word_count",
        "source_markdown", "fetched_at", "updated_at",
    ])
    assign_lctt_filename(article)
    SourceSnapshot.objects.create(
        article=article, fetched_at=now, markdown=fetched.source_markdown,
        content_hash=hashlib.sha256(fetched.source_markdown.encode("utf-8")).hexdigest(),
        etag=fetched.etag[:500], last_modified=fetched.last_modified[:100],
    )
    record_article_links(article=article)
    Event.objects.create(
        article=article, actor=None, action=EventAction.FETCH, from_state=ArticleState.NEW,
        to_state=ArticleState.NEW, note=fetched.final_url[:2000], created_at=now,
    )
    return True


def _valid_url(url: str) -> bool:
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return False
    return len(url) <= 2000


# --- links ----------------------------------------------------------------------------------


def request_link_check(*, article: Article, user: AbstractUser) -> Job:
    from workflow.services import NotAllowed

    if not can_request_link_check(user, article):
        raise NotAllowed(_("Only this article's collector, translator, reviewer and editors can check its links."))
    with transaction.atomic():
        pending = Job.objects.filter(
            article=article, kind=Job.Kind.CHECK_LINKS, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]
        ).first()
        if pending is not None:
            return pending
        return create_job(kind=Job.Kind.CHECK_LINKS, article=article, user=user, max_attempts=3,
                          payload={"max_age_hours": 1})


def schedule_link_rechecks(*, batch_size: int = 25, older_than: dt.timedelta | None = None) -> int:
    """Queue CHECK_LINKS jobs for published articles whose links were not checked lately.

    One job per ``batch_size`` articles (the per-URL cache makes links shared between them
    cost one request). Returns the number of jobs queued; none while earlier ones still run.
    """
    busy = Job.objects.filter(
        kind=Job.Kind.CHECK_LINKS, article__isnull=True,
        status__in=[Job.Status.QUEUED, Job.Status.RUNNING],
    ).exists()
    if busy:
        return 0
    older_than = older_than or dt.timedelta(days=6)
    cutoff = timezone.now() - older_than
    ids = list(
        Article.objects.published()
        .filter(Q(links__link__checked_at__lt=cutoff) | Q(links__link__checked_at__isnull=True))
        .order_by("pk").values_list("pk", flat=True).distinct()
    )
    max_age_hours = max(1, int(older_than.total_seconds() // 3600))
    jobs = 0
    for start in range(0, len(ids), batch_size):
        with transaction.atomic():
            create_job(kind=Job.Kind.CHECK_LINKS, max_attempts=3, payload={
                "article_ids": ids[start:start + batch_size], "max_age_hours": max_age_hours,
            })
        jobs += 1
    return jobs


def news_stale_before(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=settings.NEWS_STALE_DAYS)
