"""The lifecycle's records: events (audit log), claims, revisions, notifications, people.

Design notes
------------
* ``Event`` and ``Revision`` are append-only. The code never updates or deletes them, and
  on PostgreSQL a trigger (migration 0002) refuses UPDATE and DELETE on their tables.
* ``Claim`` keeps the history of who held an article; the partial unique index
  ``one_open_claim_per_article`` makes a second open claim on one article impossible
  whatever the application does.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from articles.models import Article, ArticleState


class Role(models.TextChoices):
    """Django auth groups created by a data migration; any signed-up user translates."""

    COLLECTOR = "collector", _("Collector")
    TRANSLATOR = "translator", _("Translator")
    REVIEWER = "reviewer", _("Reviewer")
    PUBLISHER = "publisher", _("Publisher")


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, related_name="profile")
    github = models.CharField(_("GitHub handle"), max_length=100, blank=True, db_index=True)
    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    bio = models.TextField(_("about"), blank=True)
    imported = models.BooleanField(
        default=False, help_text=_("Created from a handle in an imported LCTT file.")
    )
    muted_notifications = models.JSONField(
        _("notification kinds switched off"), default=list, blank=True
    )
    email_notifications = models.BooleanField(_("email me notifications"), default=True)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return self.display_name or self.user.get_username()


class EventAction(models.TextChoices):
    IMPORT = "import", _("Imported")
    COLLECT = "collect", _("Collected")
    FETCH = "fetch", _("Fetched")
    FETCH_FAIL = "fetch_fail", _("Fetch failed")
    MAKE_AVAILABLE = "make_available", _("Made available")
    CLAIM = "claim", _("Claimed")
    RELEASE = "release", _("Released")
    EXPIRE = "expire", _("Claim expired")
    SAVE_DRAFT = "save_draft", _("Saved draft")
    SUBMIT = "submit", _("Submitted")
    START_REVIEW = "start_review", _("Review started")
    REQUEST_CHANGES = "request_changes", _("Changes requested")
    APPROVE = "approve", _("Approved")
    PUBLISH = "publish", _("Published")
    WITHDRAW = "withdraw", _("Withdrawn")
    RESTORE = "restore", _("Restored")
    SOURCE_CHANGED = "source_changed", _("Source changed")


class Event(models.Model):
    """One row per transition, written in the transition's transaction. Append-only."""

    article = models.ForeignKey(Article, models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="events"
    )
    action = models.CharField(max_length=20, choices=EventAction.choices)
    from_state = models.CharField(max_length=20, choices=ArticleState.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=ArticleState.choices, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["article", "created_at", "id"], name="event_article_time"),
            models.Index(fields=["actor", "-created_at"], name="event_actor_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.from_state} → {self.to_state}"


class Claim(models.Model):
    class EndReason(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        RELEASED = "released", _("Released")
        EXPIRED = "expired", _("Expired")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    article = models.ForeignKey(Article, models.CASCADE, related_name="claims")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="claims")
    claimed_at = models.DateTimeField()
    deadline = models.DateTimeField()
    reminded_days = models.JSONField(default=list, blank=True)  # reminders already sent
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=10, choices=EndReason.choices, blank=True)

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        constraints = [
            models.UniqueConstraint(
                fields=["article"], condition=Q(ended_at__isnull=True),
                name="one_open_claim_per_article",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "ended_at"], name="claim_user_open"),
            models.Index(fields=["ended_at", "deadline"], name="claim_open_deadline"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.article_id}"


class Revision(models.Model):
    """An immutable copy of a text at a milestone (submitted, approved, published)."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        PUBLISHED = "published", _("Published")

    article = models.ForeignKey(Article, models.PROTECT, related_name="revisions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    round = models.PositiveSmallIntegerField(default=1)
    title = models.CharField(max_length=500, blank=True)
    text = models.TextField()
    content_hash = models.CharField(max_length=64)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["article", "created_at"], name="revision_article_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.round} of {self.article_id}"


class Notification(models.Model):
    class Kind(models.TextChoices):
        CLAIM_EXPIRING = "claim_expiring", _("Claim about to expire")
        CLAIM_EXPIRED = "claim_expired", _("Claim expired")
        REVIEW_STARTED = "review_started", _("Review started")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        APPROVED = "approved", _("Approved")
        PUBLISHED = "published", _("Published")
        SOURCE_CHANGED = "source_changed", _("Source changed")
        DIGEST = "digest", _("Weekly digest")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    article = models.ForeignKey(Article, models.CASCADE, null=True, blank=True, related_name="+")
    message = models.TextField()
    url = models.CharField(max_length=2000, blank=True)
    dedupe_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at", "-created_at"], name="notification_user_unread"),
            # the notification page's keyset order
            models.Index(fields=["user", "-created_at", "-id"], name="notification_user_time"),
        ]
        constraints = [
            # Reminders and digests are sent by retried jobs: the key makes a resend a no-op.
            models.UniqueConstraint(
                fields=["user", "dedupe_key"], condition=~Q(dedupe_key=""),
                name="notification_dedupe",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id}"


class GlossaryTerm(models.Model):
    source_term = models.CharField(_("English term"), max_length=200)
    target_term = models.CharField(_("Chinese term"), max_length=200)
    note = models.TextField(_("note"), blank=True)
    case_sensitive = models.BooleanField(_("case sensitive"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("glossary term")
        verbose_name_plural = _("glossary")
        ordering = ["source_term"]
        constraints = [
            models.UniqueConstraint(fields=["source_term"], name="glossary_unique_source_term"),
        ]

    def __str__(self) -> str:
        return f"{self.source_term} → {self.target_term}"


class CheckRule(models.Model):
    """The severity an editor chose for one quality check."""

    class Severity(models.TextChoices):
        ERROR = "error", _("Error (blocks submission)")
        WARNING = "warning", _("Warning")
        OFF = "off", _("Off")

    code = models.CharField(_("check"), max_length=64, unique=True)
    severity = models.CharField(_("severity"), max_length=7, choices=Severity.choices)

    class Meta:
        verbose_name = _("quality check rule")
        verbose_name_plural = _("quality check rules")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code}: {self.severity}"


# The counters the article triggers keep (workflow/aggregates.py), registered with the app.
from .aggregates import (  # noqa: E402, F401
    AggregateVersion,
    ContributionCount,
    ContributorTotal,
    StateCount,
)
