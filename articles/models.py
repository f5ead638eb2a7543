"""The article and everything that belongs to its content.

Design notes
------------
* ``Article.state`` is written only by ``workflow.services`` (the lifecycle) and by the
  importer (which mirrors a repository snapshot); the ``state_*`` check constraints keep
  each state's required people and times present whatever code path wrote the row.
* ``via_normalized`` is unique among articles still in the pipeline (new … approved), so
  two collectors can never both queue the same post; published re-translations and
  withdrawn articles may share a source, as they did in LCTT.
* The original bytes of an imported LCTT file live in ``LcttSource``, away from the
  article row that every list reads; export re-renders from them so an untouched article
  round-trips byte for byte.
"""

from __future__ import annotations

import datetime
import hashlib

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class ArticleState(models.TextChoices):
    NEW = "new", _("New")
    FETCH_FAILED = "fetch_failed", _("Fetch failed")
    AVAILABLE = "available", _("Available")
    CLAIMED = "claimed", _("Claimed")
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# States in which an article is still on its way to publication: a second article for
# the same source post would duplicate work.
PIPELINE_STATES = (
    ArticleState.NEW,
    ArticleState.FETCH_FAILED,
    ArticleState.AVAILABLE,
    ArticleState.CLAIMED,
    ArticleState.SUBMITTED,
    ArticleState.IN_REVIEW,
    ArticleState.APPROVED,
)
# States in which a translator holds the article.
TRANSLATOR_STATES = (
    ArticleState.CLAIMED,
    ArticleState.SUBMITTED,
    ArticleState.IN_REVIEW,
    ArticleState.APPROVED,
    ArticleState.PUBLISHED,
)


class Category(models.TextChoices):
    TECH = "tech", _("Technology")
    TALK = "talk", _("Talk")
    NEWS = "news", _("News")


class Difficulty(models.IntegerChoices):
    UNSET = 0, _("Not rated")
    EASY = 1, _("Easy")
    MEDIUM = 2, _("Medium")
    HARD = 3, _("Hard")


def normalized_url_hash(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


class ArticleQuerySet(models.QuerySet):
    def in_state(self, *states: str) -> ArticleQuerySet:
        return self.filter(state__in=states)

    def published(self) -> ArticleQuerySet:
        return self.filter(state=ArticleState.PUBLISHED)

    def available(self) -> ArticleQuerySet:
        return self.filter(state=ArticleState.AVAILABLE)

    def without_bodies(self) -> ArticleQuerySet:
        """List pages never need the markdown bodies; leaving them out keeps rows small."""
        return self.defer("source_markdown", "translation_markdown")

    def with_people(self) -> ArticleQuerySet:
        return self.select_related("collector", "translator", "reviewer", "publisher")


class Article(models.Model):
    # What the source post is.
    subject = models.CharField(_("English title"), max_length=500)
    title = models.CharField(_("translated title"), max_length=500, blank=True)
    via = models.URLField(_("source URL"), max_length=2000, blank=True)
    via_normalized = models.CharField(max_length=2000, blank=True, editable=False)
    author_name = models.CharField(_("author"), max_length=300, blank=True)
    author_url = models.URLField(_("author URL"), max_length=2000, blank=True)
    source_date = models.DateField(_("source post date"), null=True, blank=True)
    day_counter = models.PositiveSmallIntegerField(_("per-day counter"), null=True, blank=True)
    category = models.CharField(_("category"), max_length=64, default=Category.TECH)
    difficulty = models.PositiveSmallIntegerField(
        _("difficulty"), choices=Difficulty.choices, default=Difficulty.UNSET
    )
    word_count = models.PositiveIntegerField(_("word count"), default=0)
    lctt_filename = models.CharField(_("LCTT file name"), max_length=300, blank=True)

    # The texts.
    source_markdown = models.TextField(_("source markdown"), blank=True)
    translation_markdown = models.TextField(_("translation markdown"), blank=True)

    # The people. Imported GitHub handles become inactive users, so every credit is a person.
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
        related_name="collected_articles", verbose_name=_("collector"),
    )
    translator = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
        related_name="translated_articles", verbose_name=_("translator"),
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
        related_name="reviewed_articles", verbose_name=_("reviewer"),
    )
    extra_reviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="co_reviewed_articles",
        verbose_name=_("additional reviewers"),
    )
    publisher = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
        related_name="published_articles", verbose_name=_("publisher"),
    )
    published_url = models.URLField(_("published URL"), max_length=2000, blank=True)

    # The lifecycle.
    state = models.CharField(
        _("state"), max_length=20, choices=ArticleState.choices, default=ArticleState.NEW
    )
    version = models.PositiveIntegerField(_("draft version"), default=1)
    review_round = models.PositiveSmallIntegerField(default=0)
    duplicate_of = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="duplicates",
        help_text=_("Set on imported files whose source URL another article already has."),
    )
    source_changed_at = models.DateTimeField(
        _("source changed"), null=True, blank=True,
        help_text=_("Set when the source post changed after translation started."),
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    fetched_at = models.DateTimeField(null=True, blank=True)
    available_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_deadline = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    review_started_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [
            models.Index(fields=["state", "category", "-source_date"], name="article_state_cat_date"),
            models.Index(fields=["state", "-published_at", "-id"], name="article_state_published"),
            models.Index(fields=["state", "-available_at", "-id"], name="article_state_available"),
            models.Index(fields=["state", "submitted_at", "id"], name="article_state_submitted"),
            models.Index(fields=["state", "claim_deadline"], name="article_state_deadline"),
            models.Index(fields=["translator", "state"], name="article_translator_state"),
            models.Index(fields=["reviewer", "state"], name="article_reviewer_state"),
            models.Index(fields=["collector", "state"], name="article_collector_state"),
            models.Index(fields=["publisher", "state"], name="article_publisher_state"),
            models.Index(fields=["via_normalized"], name="article_via_normalized"),
            models.Index(fields=["source_date", "day_counter"], name="article_source_day"),
            # The lists' orders (workflow/selectors.py; tests/test_explain_indexes.py checks
            # them). Partial, so each holds only the rows its list shows.
            models.Index(Coalesce("available_at", "created_at").desc(), F("id").desc(),
                         name="article_available_new", condition=Q(state="available")),
            models.Index("word_count", "id", name="article_available_length",
                         condition=Q(state="available")),
            models.Index(Coalesce("source_date", Value(datetime.date(1970, 1, 1))).desc(), F("id").desc(),
                         name="article_available_date", condition=Q(state="available")),
            models.Index(Coalesce("submitted_at", "updated_at"), "id",
                         name="article_submitted_queue", condition=Q(state="submitted")),
            models.Index("review_started_at", "id", name="article_in_review",
                         condition=Q(state="in_review")),
            *(
                models.Index(fields=[role, "-published_at", "-id"], name=f"article_{role}_published",
                             condition=Q(state="published"))
                for role in ("collector", "translator", "reviewer", "publisher")
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["via_normalized"],
                condition=Q(state__in=[s.value for s in PIPELINE_STATES])
                & Q(duplicate_of__isnull=True)
                & ~Q(via_normalized=""),
                name="article_unique_live_via",
                violation_error_message=_("An article for this source URL is already in progress."),
            ),
            models.CheckConstraint(
                condition=~Q(state=ArticleState.CLAIMED)
                | (Q(translator__isnull=False) & Q(claimed_at__isnull=False)),
                name="article_claimed_has_translator",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=[ArticleState.SUBMITTED, ArticleState.IN_REVIEW, ArticleState.APPROVED])
                | Q(translator__isnull=False),
                name="article_submitted_has_translator",
            ),
            models.CheckConstraint(
                condition=~Q(state=ArticleState.PUBLISHED) | Q(published_at__isnull=False),
                name="article_published_has_date",
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="article_version_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.subject

    def get_absolute_url(self) -> str:
        return reverse("workflow:article_detail", args=[self.pk])

    @property
    def display_title(self) -> str:
        return self.title or self.subject

    @property
    def stars(self) -> str:
        return "⭐️" * int(self.difficulty or 0)


class LcttSource(models.Model):
    """The file an article was imported from, kept byte for byte.

    Export parses ``raw`` again and applies only what changed on the article since, so an
    untouched article is written back identically and a claim changes one header line.
    """

    article = models.OneToOneField(Article, models.CASCADE, related_name="lctt_source")
    path = models.CharField(_("path in the repository"), max_length=1000, unique=True)
    raw = models.BinaryField(_("file bytes"))
    sha256 = models.CharField(max_length=64)
    warnings = models.JSONField(_("import warnings"), default=list, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)
    reimported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("LCTT source file")
        verbose_name_plural = _("LCTT source files")

    def __str__(self) -> str:
        return self.path


class DomainRule(models.Model):
    """Sites a collector may or may not take posts from (LCTT took only CC-BY-SA sources)."""

    class Action(models.TextChoices):
        ALLOW = "allow", _("Allow")
        BLOCK = "block", _("Block")

    domain = models.CharField(
        _("domain"), max_length=253, unique=True,
        help_text=_("A host name; it also covers its subdomains."),
    )
    action = models.CharField(_("action"), max_length=5, choices=Action.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("domain rule")
        verbose_name_plural = _("domain rules")
        ordering = ["domain"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.domain}"


class Job(models.Model):
    """A unit of background work, written in the same transaction as the request.

    Celery carries only the primary key; the row is the truth. A sweeper re-enqueues
    queued jobs that never started and running jobs whose lease ran out, so a job
    survives a killed worker, a flushed or restarted Redis, or Redis being down.
    """

    class Kind(models.TextChoices):
        FETCH = "fetch", _("Fetch source post")
        CHECK_LINKS = "check_links", _("Check links")
        POLL_FEED = "poll_feed", _("Poll feed")
        DRIFT = "drift", _("Check source for changes")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    article = models.ForeignKey(Article, models.CASCADE, null=True, blank=True, related_name="jobs")
    feed = models.ForeignKey("Feed", models.CASCADE, null=True, blank=True, related_name="jobs")
    payload = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=5)
    lease_until = models.DateTimeField(null=True, blank=True)
    # Only the holder of the current lease may finish the job; a worker whose lease ran out
    # and was taken over finds its token gone and leaves the result to the new holder.
    lease_token = models.CharField(max_length=32, blank=True)
    not_before = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "lease_until"], name="job_status_lease"),
            models.Index(fields=["status", "enqueued_at"], name="job_status_enqueued"),
            models.Index(fields=["article", "kind", "-created_at"], name="job_article_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"


class Feed(models.Model):
    url = models.URLField(_("feed URL"), max_length=2000, unique=True)
    title = models.CharField(_("title"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)
    category = models.CharField(_("default category"), max_length=64, default=Category.TECH)
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(_("last result"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("feed")
        verbose_name_plural = _("feeds")
        ordering = ["title", "url"]

    def __str__(self) -> str:
        return self.title or self.url


class FeedEntry(models.Model):
    """A post a feed announced: a candidate a collector may collect or dismiss."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        COLLECTED = "collected", _("Collected")
        DISMISSED = "dismissed", _("Dismissed")

    feed = models.ForeignKey(Feed, models.CASCADE, related_name="entries")
    url = models.URLField(max_length=2000)
    url_normalized = models.CharField(max_length=2000)
    url_hash = models.CharField(max_length=64, unique=True)
    title = models.CharField(max_length=500, blank=True)
    author = models.CharField(max_length=300, blank=True)
    summary = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    article = models.ForeignKey(Article, models.SET_NULL, null=True, blank=True, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("feed entry")
        verbose_name_plural = _("feed entries")
        indexes = [
            models.Index(fields=["status", "-published_at", "-id"], name="feedentry_status_pub"),
            models.Index(fields=["status", "-created_at", "-id"], name="feedentry_status_created"),
        ]

    def __str__(self) -> str:
        return self.title or self.url


class LinkStatus(models.Model):
    """The latest check of one URL, shared by every article that links to it (the cache)."""

    class Result(models.TextChoices):
        OK = "ok", _("OK")
        REDIRECT_PERMANENT = "redirect_permanent", _("Redirected (permanent)")
        REDIRECT_TEMPORARY = "redirect_temporary", _("Redirected (temporary)")
        BROKEN = "broken", _("Broken")
        SERVER_ERROR = "server_error", _("Server error")
        TIMEOUT = "timeout", _("Timeout")
        CONNECTION_ERROR = "connection_error", _("Connection error")
        DNS_ERROR = "dns_error", _("DNS error")
        TLS_ERROR = "tls_error", _("TLS error")
        SKIPPED = "skipped", _("Skipped")

    url = models.TextField()
    url_hash = models.CharField(max_length=64, unique=True)
    result = models.CharField(max_length=20, choices=Result.choices, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    final_url = models.TextField(blank=True)
    redirect_chain = models.JSONField(default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    elapsed_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("link status")
        verbose_name_plural = _("link statuses")
        indexes = [models.Index(fields=["result", "-checked_at"], name="linkstatus_result")]

    def __str__(self) -> str:
        return f"{self.url} → {self.result or '?'}"


class LinkCheckResult(models.Model):
    """History: one row per check of a URL."""

    link = models.ForeignKey(LinkStatus, models.CASCADE, related_name="history")
    result = models.CharField(max_length=20, choices=LinkStatus.Result.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    final_url = models.TextField(blank=True)
    redirect_chain = models.JSONField(default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(default=1)
    elapsed_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    checked_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["link", "-checked_at"], name="linkresult_link_time")]

    def __str__(self) -> str:
        return f"{self.result} at {self.checked_at:%Y-%m-%d %H:%M}"


class ArticleLink(models.Model):
    """A URL an article links to, with where it appears (source, translation or both)."""

    article = models.ForeignKey(Article, models.CASCADE, related_name="links")
    link = models.ForeignKey(LinkStatus, models.PROTECT, related_name="articles")
    in_source = models.BooleanField(default=False)
    in_translation = models.BooleanField(default=False)
    kinds = models.JSONField(default=list, blank=True)  # inline, reference, autolink, image, html
    labels = models.JSONField(default=list, blank=True)  # reference labels such as "1", "a"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "link"], name="articlelink_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} → {self.link_id}"


class SourceSnapshot(models.Model):
    """A fetched version of an article's source post, for drift detection."""

    article = models.ForeignKey(Article, models.CASCADE, related_name="source_snapshots")
    fetched_at = models.DateTimeField()
    content_hash = models.CharField(max_length=64)
    markdown = models.TextField()
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    changed_paragraphs = models.JSONField(default=list, blank=True)
    diff = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [models.Index(fields=["article", "-fetched_at"], name="snapshot_article_time")]

    def __str__(self) -> str:
        return f"{self.article_id} @ {self.fetched_at:%Y-%m-%d}"
