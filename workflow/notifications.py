"""Notifications: in-app rows, email, preferences, claim reminders and weekly digests.

The seam
--------
Transitions call :func:`notify`; it writes a ``Notification`` row once the transition's
transaction commits, so a rolled-back transition notifies nobody. A kind the recipient
switched off (``Profile.muted_notifications``) is not written at all.

Email
-----
Never sent inside a request or a transition: after the row is written, its id goes to the
``workflow.send_notification_email`` task (and the ``workflow.deliver_notification_emails``
beat task picks up any the broker never got, for two days). Sending is idempotent: a
conditional ``UPDATE … SET emailed_at = now WHERE emailed_at IS NULL`` decides who sends,
so a redelivered task or a racing sweep sends nothing twice; a failed send clears
``emailed_at`` again for the next sweep. Only users with an email address and
``Profile.email_notifications`` on get mail (the console backend by default, SMTP when
``EMAIL_HOST`` is set). Retried jobs pass a ``dedupe_key`` (unique per user), so a
reminder or digest sent twice is one row and one email.

Public API
----------
``notify(*, user, kind, article, message, url="", dedupe_key="") -> None``
``is_muted(user_id, kind) -> bool``, ``email_wanted(user) -> bool``
``send_notification_email(notification_id) -> bool``, ``deliver_pending_emails(*, now=None) -> int``
``unread_count(user) -> int``, ``mark_read(*, user, ids=None) -> int``
``set_preferences(*, user, muted, email) -> Profile``, ``MUTABLE_KINDS``
``send_claim_reminders(*, now=None) -> int`` (7 and 2 days before a claim's deadline)
``send_weekly_digests(*, now=None) -> int`` (candidates for collectors, the queue for reviewers)
``notification_context(request) -> dict`` (template context processor: ``unread_notifications``)
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Claim, Notification, Profile, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from articles.models import Article

logger = logging.getLogger(__name__)

# Every kind a person may switch off.
MUTABLE_KINDS = tuple(Notification.Kind.values)
EMAIL_GRACE = dt.timedelta(days=2)


# --- preferences ----------------------------------------------------------------------------


def _profile_values(user_id: int) -> tuple[list[str], bool]:
    row = Profile.objects.filter(user_id=user_id).values_list("muted_notifications", "email_notifications").first()
    if row is None:
        return [], True
    return list(row[0] or []), bool(row[1])


def is_muted(user_id: int, kind: str) -> bool:
    return kind in _profile_values(user_id)[0]


def email_wanted(user) -> bool:
    return bool(getattr(user, "email", "")) and user.is_active and _profile_values(user.pk)[1]


def set_preferences(*, user, muted: Iterable[str], email: bool) -> Profile:
    kinds = sorted({kind for kind in muted if kind in MUTABLE_KINDS})
    profile, _created = Profile.objects.get_or_create(user=user)
    profile.muted_notifications = kinds
    profile.email_notifications = bool(email)
    profile.save(update_fields=["muted_notifications", "email_notifications"])
    return profile


# --- the seam -------------------------------------------------------------------------------


def notify(
    *,
    user: AbstractBaseUser | None,
    kind: str,
    article: Article | None,
    message: str,
    url: str = "",
    dedupe_key: str = "",
) -> None:
    """Queue one notification for ``user``, written after the current transaction commits."""
    if user is None or user.pk is None:
        return
    user_id = user.pk
    article_id = article.pk if article is not None else None
    text = str(message)

    def write() -> None:
        if is_muted(user_id, kind):
            return
        if dedupe_key:
            notification, created = Notification.objects.get_or_create(
                user_id=user_id, dedupe_key=dedupe_key,
                defaults={"kind": kind, "article_id": article_id, "message": text, "url": url},
            )
        else:
            notification, created = Notification.objects.create(
                user_id=user_id, kind=kind, article_id=article_id, message=text, url=url
            ), True
        if created:
            queue_email(notification.pk)

    transaction.on_commit(write)


def queue_email(notification_id: int) -> None:
    """Hand the email to the worker; if the broker is down the sweep sends it later."""
    from workflow.tasks import send_notification_email_task

    try:
        send_notification_email_task.apply_async(args=[notification_id], retry=False)
    except Exception as exc:  # the broker is down: deliver_pending_emails picks it up
        logger.warning("notification %s: email not queued (%s)", notification_id, exc)


# --- email ----------------------------------------------------------------------------------


def _absolute(url: str) -> str:
    if not url or url.startswith(("http://", "https://")):
        return url
    return settings.SITE_URL + url


def _email_text(notification: Notification) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        kind = Notification.Kind(notification.kind).label if notification.kind in Notification.Kind.values else notification.kind
        subject = f"[translate_hub] {kind}"
        lines = [notification.message]
        if notification.url:
            lines += ["", _absolute(notification.url)]
        lines += ["", "--", _("Choose which notifications you get: %(url)s")
                  % {"url": _absolute(reverse("workflow:notification_preferences"))}]
    return subject, "\n".join(lines) + "\n"


def send_notification_email(notification_id: int) -> bool:
    """Send one notification's email if it is due and not sent yet; True when sent now."""
    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notification is None or notification.emailed_at is not None:
        return False
    if not email_wanted(notification.user):
        return False
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return False  # another delivery got there first
    subject, body = _email_text(notification)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [notification.user.email])
    except Exception:
        Notification.objects.filter(pk=notification_id).update(emailed_at=None)
        raise
    return True


def deliver_pending_emails(*, now: dt.datetime | None = None) -> int:
    """Send the emails of recent notifications that were never sent (broker down, crash)."""
    now = now or timezone.now()
    pending = (
        Notification.objects.filter(emailed_at__isnull=True, created_at__gte=now - EMAIL_GRACE)
        .exclude(user__email="").exclude(user__profile__email_notifications=False)
        .filter(user__is_active=True).order_by("pk").values_list("pk", flat=True)[:500]
    )
    sent = 0
    for notification_id in list(pending):
        try:
            sent += send_notification_email(notification_id)
        except Exception:  # one bad address must not stop the rest
            logger.exception("notification %s: email failed; will retry", notification_id)
    return sent


# --- in-app ---------------------------------------------------------------------------------


def unread_count(user) -> int:
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count()


def mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(user_id=user.pk, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


def notification_context(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Read with the user in the same query (workflow.auth_backend) when it could be.
    cached = getattr(user, "unread_notifications_count", None)
    return {"unread_notifications": unread_count(user) if cached is None else cached}


# --- reminders and digests ------------------------------------------------------------------


def _days_left(deadline: dt.datetime, now: dt.datetime) -> int:
    return max(1, math.ceil((deadline - now).total_seconds() / 86400))


def send_claim_reminders(*, now: dt.datetime | None = None) -> int:
    """Remind translators ``CLAIM_REMINDER_DAYS`` (7 and 2) days before a claim expires.

    ``Claim.reminded_days`` records the thresholds already passed, so each is sent once even
    when the task runs often or late; a claim first seen at 1 day left gets one reminder.
    """
    now = now or timezone.now()
    thresholds = sorted(int(d) for d in settings.CLAIM_REMINDER_DAYS)
    if not thresholds:
        return 0
    from articles.models import ArticleState

    sent = 0
    candidates = Claim.objects.filter(
        ended_at__isnull=True, deadline__gt=now, deadline__lte=now + dt.timedelta(days=thresholds[-1]),
        article__state=ArticleState.CLAIMED,
    ).values_list("pk", flat=True)
    for claim_id in list(candidates):
        with transaction.atomic():
            claim = (Claim.objects.select_for_update(of=("self",)).select_related("article", "user")
                     .filter(pk=claim_id, ended_at__isnull=True).first())
            if claim is None:
                continue
            remaining = claim.deadline - now
            done = {int(d) for d in claim.reminded_days or []}
            due = [d for d in thresholds if remaining <= dt.timedelta(days=d) and d not in done]
            if not due:
                continue
            claim.reminded_days = sorted(done | set(due))
            claim.save(update_fields=["reminded_days"])
            days = _days_left(claim.deadline, now)
            article = claim.article
            with translation.override(settings.LANGUAGE_CODE):
                message = ngettext(
                    "Your claim on “%(title)s” expires in %(days)d day (%(deadline)s). Submit it or release it so someone else can translate it.",
                    "Your claim on “%(title)s” expires in %(days)d days (%(deadline)s). Submit it or release it so someone else can translate it.",
                    days,
                ) % {"title": article.display_title, "days": days,
                     "deadline": timezone.localtime(claim.deadline).strftime("%Y-%m-%d")}
            notify(user=claim.user, kind=Notification.Kind.CLAIM_EXPIRING, article=article,
                   message=message, url=reverse("workflow:translate", args=[article.pk]),
                   dedupe_key=f"claim-expiring:{claim.pk}:{min(due)}")
            sent += 1
    return sent


def _role_members(role: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(is_active=True, groups__name=role).distinct()


def send_weekly_digests(*, now: dt.datetime | None = None) -> int:
    """New candidates for collectors, the review queue for reviewers; one per ISO week each."""
    from articles import selectors as article_selectors
    from workflow import selectors

    now = now or timezone.now()
    year, week, _weekday = timezone.localtime(now).isocalendar()
    week_key = f"{year}-W{week:02d}"
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        fresh = article_selectors.candidates(since=now - dt.timedelta(days=7), now=now).count()
        if fresh:
            message = ngettext(
                "%(n)d new candidate from your feeds this week is waiting to be collected or dismissed.",
                "%(n)d new candidates from your feeds this week are waiting to be collected or dismissed.",
                fresh,
            ) % {"n": fresh}
            for user in _role_members(Role.COLLECTOR):
                notify(user=user, kind=Notification.Kind.DIGEST, article=None, message=message,
                       url=reverse("articles:candidates"), dedupe_key=f"digest:candidates:{week_key}")
                sent += 1
        queue, _order = selectors.review_queue()
        waiting = queue.count()
        if waiting:
            oldest = queue.order_by("submitted_at").values_list("submitted_at", flat=True).first()
            days = (now - oldest).days if oldest else 0
            message = ngettext(
                "%(n)d translation is waiting for review; the oldest has waited %(days)d days.",
                "%(n)d translations are waiting for review; the oldest has waited %(days)d days.",
                waiting,
            ) % {"n": waiting, "days": days}
            for user in _role_members(Role.REVIEWER):
                notify(user=user, kind=Notification.Kind.DIGEST, article=None, message=message,
                       url=reverse("workflow:review_queue"), dedupe_key=f"digest:review:{week_key}")
                sent += 1
    return sent
