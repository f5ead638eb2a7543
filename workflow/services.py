"""The lifecycle's transitions: the only code that writes ``Article.state``.

Each public function is one transition, keyword-only and typed. Like Wagtail's
``TaskState.approve``/``reject`` every transition goes guard → record → log → advance:

1. **guard** — lock the article row (``select_for_update``; on SQLite the IMMEDIATE
   transaction serialises writers instead), check the state and the user's right, and
   raise a :class:`TransitionError` whose message a person can act on;
2. **advance** — a conditional ``UPDATE … WHERE id = … AND state = <expected>`` (django-fsm-2's
   ``ConcurrentTransitionMixin`` idea) that must touch exactly one row, so even a caller that
   skipped the lock cannot move an article from a state it is no longer in;
3. **record** — an immutable ``Revision`` for every submitted, approved and published text;
4. **log** — exactly one ``Event`` per transition, in the same transaction;
5. **notify** — rows written on commit (``workflow.notifications.notify``).

Claims take no article lock: the conditional ``UPDATE … WHERE state = 'available'`` decides
the winner and the partial unique index ``one_open_claim_per_article`` backs it up. The claim
limit is made race-free by locking the claiming user's row first, so two simultaneous claims
by one person are counted one after the other (the count is part of the claim's UPDATE).

Transactions: every transition runs in ``transaction.atomic()``. They are not ``durable``
because transitions compose — "approve and publish" (LCTT's RP) is three transitions in one
transaction, and the admin's bulk publish runs several — but views, tasks and commands call
them outside any transaction (ATOMIC_REQUESTS is off), so in practice each is its own
outermost transaction and its notifications go out on its own commit.

Draft saves are not transitions: they write no ``Event`` (autosave every few seconds would
flood the audit log). What a draft became is recorded by the ``Revision`` written at each
submission, approval and publication; the article keeps ``version`` and ``updated_at``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Subquery
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThan
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from articles.models import Article, ArticleState

from . import permissions
from .models import Claim, Event, EventAction, Notification, Revision
from .notifications import notify

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser

    User = AbstractUser

MAX_DRAFT_CHARS = 1_000_000
MAX_NOTE_CHARS = 10_000


# --- Errors ---------------------------------------------------------------------------------


class TransitionError(Exception):
    """A refused transition. ``str(error)`` is a message a person can act on."""

    def __init__(self, message: str, *, losing_text: str | None = None,
                 losing_title: str | None = None) -> None:
        super().__init__(str(message))
        self.message = str(message)
        # For draft saves: the text that could not be stored, shown back so nothing is lost.
        self.losing_text = losing_text
        self.losing_title = losing_title

    def __str__(self) -> str:
        return self.message


class NotAllowed(TransitionError):
    """The user may never do this to this article (a 403, not a conflict)."""


class WrongState(TransitionError):
    """The article is no longer (or not yet) in a state that allows this."""


class AlreadyClaimed(WrongState):
    def __init__(self, message: str, *, holder: User | None = None) -> None:
        super().__init__(message)
        self.holder = holder


class ClaimLimitReached(TransitionError):
    pass


class InvalidInput(TransitionError):
    pass


class StaleDraft(TransitionError):
    """The draft changed since the editor loaded it; carries both texts for merging."""

    def __init__(self, message: str, *, losing_text: str, losing_title: str | None,
                 current_version: int, current_text: str, current_title: str) -> None:
        super().__init__(message, losing_text=losing_text, losing_title=losing_title)
        self.current_version = current_version
        self.current_text = current_text
        self.current_title = current_title


# --- Helpers --------------------------------------------------------------------------------


def _name(user: User | None) -> str:
    if user is None:
        return _("someone")
    return user.get_username()


def _state_label(state: str) -> str:
    return str(ArticleState(state).label) if state in ArticleState.values else state


def _lock(article: Article, *, only: tuple[str, ...] = ()) -> Article:
    """Lock and re-read the article row (state, people, version), without the bodies.

    ``only`` reads just those columns and no people: for the transitions a translator runs
    over and over (release), where the three joined users are read on every call but only
    named when the transition is refused (then read on access, one query).
    """
    if only:
        return Article.objects.select_for_update().only(*only).get(pk=article.pk)
    return (
        Article.objects.select_for_update(of=("self",))
        .select_related("translator", "reviewer", "collector")
        .defer("source_markdown", "translation_markdown")
        .get(pk=article.pk)
    )


def _wrong_state(current: Article, wanted: str) -> WrongState:
    return WrongState(
        _("This article is %(state)s now, so it cannot be %(wanted)s. Reload the page to see its status.")
        % {"state": _state_label(current.state), "wanted": wanted}
    )


def _advance(article: Article, *, expected: str, **fields) -> None:
    """Conditional UPDATE: move the article only if it is still in ``expected``."""
    fields.setdefault("updated_at", timezone.now())
    updated = Article.objects.filter(pk=article.pk, state=expected).update(**fields)
    if updated != 1:
        # Only reachable if a caller skipped the lock; never leave the transition half-done.
        raise WrongState(_("Someone else changed this article at the same moment. Reload and try again."))
    for name, value in fields.items():
        if not hasattr(value, "resolve_expression"):
            setattr(article, name, value)


def _log(article: Article, *, actor: User | None, action: str, from_state: str,
         to_state: str, note: str = "", now: dt.datetime) -> Event:
    return Event.objects.create(
        article_id=article.pk, actor=actor, action=action, from_state=from_state,
        to_state=to_state, note=note, created_at=now,
    )


def _revision(article: Article, *, kind: str, text: str, title: str, author: User | None,
              now: dt.datetime) -> Revision:
    return Revision.objects.create(
        article_id=article.pk, kind=kind, round=max(article.review_round, 1), title=title,
        text=text, content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        author=author, created_at=now,
    )


def _texts(article: Article) -> tuple[str, str]:
    row = Article.objects.filter(pk=article.pk).values_list("title", "translation_markdown").get()
    return row[0], row[1]


def _notify(user: User | None, kind: str, article: Article, message_fn, url: str = "") -> None:
    """Notifications are stored in the site's language (recipients' languages are unknown)."""
    if user is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        message = str(message_fn())
    notify(user=user, kind=kind, article=article, message=message, url=url or article.get_absolute_url())


def _require_user(user: User | None) -> None:
    if not permissions.is_active_user(user):
        raise NotAllowed(_("Sign in with an active account first."))


def _clean_note(note: str, *, required: bool, what: str) -> str:
    note = (note or "").strip()
    if required and not note:
        raise InvalidInput(_("Please write %(what)s.") % {"what": what})
    if len(note) > MAX_NOTE_CHARS:
        raise InvalidInput(_("The note is too long (at most %(n)d characters).") % {"n": MAX_NOTE_CHARS})
    return note


def _open_claim(article: Article) -> Claim | None:
    return Claim.objects.filter(article_id=article.pk, ended_at__isnull=True).first()


def _end_open_claim(article: Article, *, reason: str, now: dt.datetime) -> None:
    Claim.objects.filter(article_id=article.pk, ended_at__isnull=True).update(
        ended_at=now, end_reason=reason
    )


def claim_deadline_from(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(days=settings.CLAIM_DAYS)


def open_claim_count(user: User) -> int:
    return _open_claims(user).count()


def _open_claims(user: User):
    return Claim.objects.filter(user_id=user.pk, ended_at__isnull=True)


def _under_claim_limit(user: User) -> LessThan:
    """``user`` holds fewer open claims than allowed, as a condition for the claim's UPDATE."""
    count = _open_claims(user).order_by().values("user_id").annotate(n=Count("pk")).values("n")
    return LessThan(Coalesce(Subquery(count), 0), settings.MAX_OPEN_CLAIMS)


def _quality_blockers(article: Article) -> list[str]:
    """Messages of the quality checks whose severity is ``error`` (workflow.quality_services)."""
    from .quality_services import submission_blockers

    return [str(message) for message in submission_blockers(article)]


# --- Transitions ----------------------------------------------------------------------------


def make_available(*, article: Article, user: User) -> Article:
    """A collector puts a fetched article (new or fetch failed) up for claiming."""
    _require_user(user)
    with transaction.atomic():
        current = _lock(article)
        if current.state not in (ArticleState.NEW, ArticleState.FETCH_FAILED):
            raise _wrong_state(current, _("made available"))
        if not permissions.can_make_available(user, current):
            raise NotAllowed(_("Only collectors and editors can make articles available."))
        if not Article.objects.filter(pk=article.pk).exclude(source_markdown="").exists():
            raise InvalidInput(_("The article has no source text yet; fetch or paste it first."))
        now = timezone.now()
        from_state = current.state
        _advance(article, expected=from_state, state=ArticleState.AVAILABLE, available_at=now,
                 updated_at=now)
        _log(article, actor=user, action=EventAction.MAKE_AVAILABLE, from_state=from_state,
             to_state=ArticleState.AVAILABLE, now=now)
    return article


def mark_fetch_failed(*, article: Article, reason: str) -> Article:
    """The fetch job gave up (after its retries): ``new`` → ``fetch_failed``, reason kept."""
    with transaction.atomic():
        current = _lock(article)
        if current.state != ArticleState.NEW:
            raise _wrong_state(current, _("marked as failed to fetch"))
        now = timezone.now()
        _advance(article, expected=ArticleState.NEW, state=ArticleState.FETCH_FAILED, updated_at=now)
        _log(article, actor=None, action=EventAction.FETCH_FAIL, from_state=ArticleState.NEW,
             to_state=ArticleState.FETCH_FAILED, note=_clean_note(reason, required=False, what=""),
             now=now)
    return article


def retry_fetch(*, article: Article, user: User) -> Article:
    """A collector asks for a failed fetch to be tried again: ``fetch_failed`` → ``new``.

    The caller queues the fetch job in the same transaction (articles.services.refetch_article).
    """
    _require_user(user)
    with transaction.atomic():
        current = _lock(article)
        if current.state != ArticleState.FETCH_FAILED:
            raise _wrong_state(current, _("fetched again"))
        if not permissions.can_make_available(user, current):
            raise NotAllowed(_("Only collectors and editors can fetch articles again."))
        now = timezone.now()
        _advance(article, expected=ArticleState.FETCH_FAILED, state=ArticleState.NEW, updated_at=now)
        _log(article, actor=user, action=EventAction.COLLECT, from_state=ArticleState.FETCH_FAILED,
             to_state=ArticleState.NEW, note=_("Fetch retried"), now=now)
    return article


def claim_article(*, article: Article, user: User) -> Claim:
    """Claim an available article for ``user``; exactly one of any number of racers wins."""
    _require_user(user)
    from django.contrib.auth import get_user_model

    with transaction.atomic():
        # Serialise this user's claims so the limit holds under concurrency: the UPDATE below
        # counts their open claims in a statement that starts after this lock is granted, so
        # it sees the claim of any request of theirs that held the lock before.
        list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))
        now = timezone.now()
        deadline = claim_deadline_from(now)
        # One statement decides both the race for the article and the claim limit.
        won = Article.objects.filter(pk=article.pk, state=ArticleState.AVAILABLE).filter(
            _under_claim_limit(user)
        ).update(
            state=ArticleState.CLAIMED, translator_id=user.pk, claimed_at=now,
            claim_deadline=deadline, updated_at=now,
        )
        if not won:
            raise _claim_refusal(article, user)
        try:
            # No savepoint: a failure here ends the whole claim, so there is nothing to keep.
            claim = Claim.objects.create(
                article_id=article.pk, user_id=user.pk, claimed_at=now, deadline=deadline
            )
        except IntegrityError as exc:  # pragma: no cover - the UPDATE above already decided
            raise AlreadyClaimed(_("Someone else claimed this article at the same moment.")) from exc
        _log(article, actor=user, action=EventAction.CLAIM, from_state=ArticleState.AVAILABLE,
             to_state=ArticleState.CLAIMED, now=now)
    for name, value in {"state": ArticleState.CLAIMED, "translator_id": user.pk,
                        "claimed_at": now, "claim_deadline": deadline, "updated_at": now}.items():
        setattr(article, name, value)
    article.translator = user
    return claim


def _claim_refusal(article: Article, user: User) -> TransitionError:
    """Why the claim's UPDATE touched no row: the limit first, as the person can act on it."""
    if open_claim_count(user) >= settings.MAX_OPEN_CLAIMS:
        return ClaimLimitReached(
            _("You already hold %(n)d open claims, the most allowed. Submit or release one first.")
            % {"n": settings.MAX_OPEN_CLAIMS}
        )
    current = (
        Article.objects.select_related("translator")
        .defer("source_markdown", "translation_markdown").get(pk=article.pk)
    )
    if current.state == ArticleState.CLAIMED and current.translator_id == user.pk:
        return AlreadyClaimed(_("You have already claimed this article."), holder=user)
    if current.state == ArticleState.CLAIMED or (
        current.translator_id and current.state in (ArticleState.SUBMITTED, ArticleState.IN_REVIEW)
    ):
        return AlreadyClaimed(
            _("Already claimed by %(name)s") % {"name": _name(current.translator)},
            holder=current.translator,
        )
    return _wrong_state(current, _("claimed"))


def _return_to_available(article: Article, current: Article, *, actor: User | None,
                         action: str, end_reason: str, now: dt.datetime, note: str = "") -> None:
    _end_open_claim(article, reason=end_reason, now=now)
    _advance(article, expected=ArticleState.CLAIMED, state=ArticleState.AVAILABLE,
             translator=None, reviewer=None, claimed_at=None, claim_deadline=None,
             available_at=current.available_at or now, updated_at=now)
    _log(article, actor=actor, action=action, from_state=ArticleState.CLAIMED,
         to_state=ArticleState.AVAILABLE, note=note, now=now)


def release_claim(*, article: Article, user: User) -> Article:
    """The translator gives the article back; the draft stays for the next translator."""
    _require_user(user)
    with transaction.atomic():
        current = _lock(article, only=("state", "translator_id", "available_at"))
        if current.state != ArticleState.CLAIMED:
            raise _wrong_state(current, _("released"))
        if current.translator_id != user.pk and not user.is_staff:
            raise NotAllowed(_("Only %(name)s, who claimed this article, can release it.")
                             % {"name": _name(current.translator)})
        now = timezone.now()
        _return_to_available(article, current, actor=user, action=EventAction.RELEASE,
                             end_reason=Claim.EndReason.RELEASED, now=now)
    return article


def save_draft(*, article: Article, user: User, text: str, title: str | None = None,
               base_version: int) -> int:
    """Store the translator's (or, during review, the reviewer's) draft; returns the new version.

    Optimistic locking: the UPDATE applies only ``WHERE version = base_version``. A stale save
    raises :class:`StaleDraft` carrying the losing text; every refusal carries it too.
    """
    text = text.replace("\r\n", "\n")
    lose = {"losing_text": text, "losing_title": title}
    if not permissions.is_active_user(user):
        raise NotAllowed(_("Sign in with an active account first."), **lose)
    if len(text) > MAX_DRAFT_CHARS:
        raise InvalidInput(_("The text is too long (at most %(n)d characters).") % {"n": MAX_DRAFT_CHARS}, **lose)
    if title is not None and len(title) > 500:
        raise InvalidInput(_("The title is too long (at most 500 characters)."), **lose)
    with transaction.atomic():
        current = (
            Article.objects.select_related("translator", "reviewer")
            .defer("source_markdown", "translation_markdown").get(pk=article.pk)
        )
        if current.state == ArticleState.CLAIMED:
            if current.translator_id != user.pk:
                raise NotAllowed(_("Only %(name)s, who claimed this article, can edit its draft.")
                                 % {"name": _name(current.translator)}, **lose)
        elif current.state == ArticleState.IN_REVIEW:
            if current.reviewer_id != user.pk:
                raise NotAllowed(_("Only %(name)s, who is reviewing this article, can edit it now.")
                                 % {"name": _name(current.reviewer)}, **lose)
        else:
            raise WrongState(
                _("This article is %(state)s now, so the draft can no longer be saved here. Your text is shown below; copy it before leaving.")
                % {"state": _state_label(current.state)}, **lose,
            )
        fields = {"translation_markdown": text, "version": F("version") + 1, "updated_at": timezone.now()}
        if title is not None:
            fields["title"] = title.strip()
        updated = Article.objects.filter(
            pk=article.pk, version=base_version, state=current.state
        ).filter(**({"translator_id": user.pk} if current.state == ArticleState.CLAIMED else {"reviewer_id": user.pk})).update(**fields)
        if not updated:
            saved_title, saved_text = _texts(article)
            now_version = Article.objects.filter(pk=article.pk).values_list("version", flat=True).get()
            if saved_text == text and (title is None or saved_title == title.strip()):
                # The same content is already stored (an autosave raced the submit button):
                # nothing would be lost, so this is not a conflict.
                article.version = now_version
                return now_version
            raise StaleDraft(
                _("This draft was changed elsewhere (another tab or device) since you opened it. Your text was not saved: it is shown below so you can merge it."),
                losing_text=text, losing_title=title, current_version=now_version,
                current_text=saved_text, current_title=saved_title,
            )
    new_version = base_version + 1
    article.version = new_version
    article.translation_markdown = text
    if title is not None:
        article.title = title.strip()
    return new_version


def submit_translation(*, article: Article, user: User) -> Revision:
    """The translator hands the draft in for review; the text is kept as a revision."""
    _require_user(user)
    with transaction.atomic():
        current = _lock(article)
        if current.state != ArticleState.CLAIMED:
            raise _wrong_state(current, _("submitted"))
        if current.translator_id != user.pk:
            raise NotAllowed(_("Only %(name)s, who claimed this article, can submit it.")
                             % {"name": _name(current.translator)})
        title, text = _texts(article)
        if not text.strip():
            raise InvalidInput(_("The translation is empty. Write and save it before submitting."))
        if not title.strip():
            raise InvalidInput(_("Give the translation a Chinese title before submitting."))
        blockers = _quality_blockers(current)
        if blockers:
            raise InvalidInput(_("Fix these problems before submitting: %(problems)s")
                               % {"problems": "; ".join(blockers)})
        now = timezone.now()
        _end_open_claim(article, reason=Claim.EndReason.SUBMITTED, now=now)
        new_round = current.review_round + 1
        _advance(article, expected=ArticleState.CLAIMED, state=ArticleState.SUBMITTED,
                 submitted_at=now, review_round=new_round, claim_deadline=None, updated_at=now)
        revision = _revision(article, kind=Revision.Kind.SUBMITTED, text=text, title=title,
                             author=user, now=now)
        _log(article, actor=user, action=EventAction.SUBMIT, from_state=ArticleState.CLAIMED,
             to_state=ArticleState.SUBMITTED, now=now)
    return revision


def _do_start_review(article: Article, current: Article, user: User, now: dt.datetime) -> None:
    _advance(article, expected=ArticleState.SUBMITTED, state=ArticleState.IN_REVIEW,
             reviewer=user, review_started_at=now, updated_at=now)
    _log(article, actor=user, action=EventAction.START_REVIEW, from_state=ArticleState.SUBMITTED,
         to_state=ArticleState.IN_REVIEW, now=now)
    _notify(current.translator, Notification.Kind.REVIEW_STARTED, article,
            lambda: _("%(name)s started reviewing “%(title)s”.")
            % {"name": _name(user), "title": current.display_title})


def _refuse_own(current: Article, user: User) -> None:
    if current.translator_id == user.pk:
        raise NotAllowed(_("You translated this article, so someone else must review it."))


def start_review(*, article: Article, user: User) -> Article:
    """A reviewer takes a submitted translation; nobody reviews their own."""
    _require_user(user)
    with transaction.atomic():
        current = _lock(article)
        if current.state != ArticleState.SUBMITTED:
            if current.state == ArticleState.IN_REVIEW:
                raise WrongState(_("%(name)s is already reviewing this article.")
                                 % {"name": _name(current.reviewer)})
            raise _wrong_state(current, _("reviewed"))
        if not permissions.is_reviewer(user):
            raise NotAllowed(_("Only reviewers can review translations."))
        _refuse_own(current, user)
        _do_start_review(article, current, user, timezone.now())
    return article


def _guard_decision(current: Article, user: User, wanted: str) -> None:
    if current.state != ArticleState.IN_REVIEW:
        raise _wrong_state(current, wanted)
    if not permissions.is_reviewer(user):
        raise NotAllowed(_("Only reviewers can review translations."))
    _refuse_own(current, user)
    if current.reviewer_id != user.pk and not user.is_superuser:
        raise NotAllowed(_("%(name)s is reviewing this article; only they can decide this round.")
                         % {"name": _name(current.reviewer)})


def request_changes(*, article: Article, user: User, note: str) -> Claim:
    """Send the translation back to its translator with a note and a fresh deadline."""
    _require_user(user)
    with transaction.atomic():
        current = _lock(article)
        _guard_decision(current, user, _("sent back"))
        note = _clean_note(note, required=True, what=_("a note telling the translator what to change"))
        now = timezone.now()
        deadline = claim_deadline_from(now)
        _advance(article, expected=ArticleState.IN_REVIEW, state=ArticleState.CLAIMED,
                 claimed_at=now, claim_deadline=deadline, updated_at=now)
        claim = Claim.objects.create(article_id=article.pk, user_id=current.translator_id,
                                     claimed_at=now, deadline=deadline)
        _log(article, actor=user, action=EventAction.REQUEST_CHANGES,
             from_state=ArticleState.IN_REVIEW, to_state=ArticleState.CLAIMED, note=note, now=now)
        _notify(current.translator, Notification.Kind.CHANGES_REQUESTED, article,
                lambda: _("%(name)s asked for changes to “%(title)s”: %(note)s")
                % {"name": _name(user), "title": current.display_title, "note": note},
                url=_translate_url(article))
    return claim


def _translate_url(article: Article) -> str:
    from django.urls import reverse

    return reverse("workflow:translate", args=[article.pk])


def _do_approve(article: Article, current: Article, user: User, note: str, now: dt.datetime) -> Revision:
    title, text = _texts(article)
    _advance(article, expected=ArticleState.IN_REVIEW, state=ArticleState.APPROVED,
             approved_at=now, updated_at=now)
    revision = _revision(article, kind=Revision.Kind.APPROVED, text=text, title=title,
                         author=user, now=now)
    _log(article, actor=user, action=EventAction.APPROVE, from_state=ArticleState.IN_REVIEW,
         to_state=ArticleState.APPROVED, note=note, now=now)
    _notify(current.translator, Notification.Kind.APPROVED, article,
            lambda: _("“%(title)s” was approved by %(name)s.")
            % {"title": current.display_title, "name": _name(user)})
    return revision


def approve_translation(*, article: Article, user: User, note: str = "") -> Revision:
    """The reviewer who started this round approves it; the approved text becomes a revision."""
    _require_user(user)
    with transaction.atomic():
        current = _lock(article)
        _guard_decision(current, user, _("approved"))
        note = _clean_note(note, required=False, what="")
        revision = _do_approve(article, current, user, note, timezone.now())
    return revision


def public_url(article: Article) -> str:
    return settings.SITE_URL + article.get_absolute_url()


def _do_publish(article: Article, current: Article, user: User, url: str | None,
                now: dt.datetime) -> Revision:
    published_url = (url or "").strip() or public_url(article)
    title, text = _texts(article)
    _advance(article, expected=ArticleState.APPROVED, state=ArticleState.PUBLISHED,
             publisher=user, published_url=published_url, published_at=now, updated_at=now)
    revision = _revision(article, kind=Revision.Kind.PUBLISHED, text=text, title=title,
                         author=user, now=now)
    _log(article, actor=user, action=EventAction.PUBLISH, from_state=ArticleState.APPROVED,
         to_state=ArticleState.PUBLISHED, note=published_url, now=now)
    people = {p.pk: p for p in (current.translator, current.reviewer, current.collector) if p is not None}
    for person in people.values():
        if person.pk != user.pk:
            _notify(person, Notification.Kind.PUBLISHED, article,
                    lambda: _("“%(title)s” is published: %(url)s")
                    % {"title": current.display_title, "url": published_url}, url=published_url)
    return revision


def _validate_url(url: str | None) -> None:
    if not url:
        return
    from django.core.exceptions import ValidationError
    from django.core.validators import URLValidator

    try:
        URLValidator(schemes=["http", "https"])(url.strip())
    except ValidationError as exc:
        raise InvalidInput(_("“%(url)s” is not a valid http(s) address.") % {"url": url}) from exc


def publish_article(*, article: Article, user: User, url: str | None = None) -> Revision:
    """A publisher publishes an approved article at ``url`` (default: its page on this site)."""
    _require_user(user)
    _validate_url(url)
    with transaction.atomic():
        current = _lock(article)
        if current.state != ArticleState.APPROVED:
            raise _wrong_state(current, _("published"))
        if not permissions.is_publisher(user):
            raise NotAllowed(_("Only publishers can publish articles."))
        revision = _do_publish(article, current, user, url, timezone.now())
    return revision


def approve_and_publish(*, article: Article, user: User, note: str = "",
                        url: str | None = None) -> Revision:
    """LCTT's "RP": a publisher proofreads and publishes in one step (three events)."""
    _require_user(user)
    _validate_url(url)
    with transaction.atomic():
        current = _lock(article)
        if current.state not in (ArticleState.SUBMITTED, ArticleState.IN_REVIEW):
            raise _wrong_state(current, _("approved"))
        if not permissions.is_publisher(user):
            raise NotAllowed(_("Only publishers can approve and publish in one step."))
        _refuse_own(current, user)
        if current.state == ArticleState.IN_REVIEW and current.reviewer_id != user.pk:
            raise NotAllowed(_("%(name)s is reviewing this article; only they can decide this round.")
                             % {"name": _name(current.reviewer)})
        note = _clean_note(note, required=False, what="")
        now = timezone.now()
        if current.state == ArticleState.SUBMITTED:
            _do_start_review(article, current, user, now)
        current.reviewer = user
        _do_approve(article, current, user, note, now)
        revision = _do_publish(article, current, user, url, now)
    return revision


def withdraw_article(*, article: Article, user: User, reason: str) -> Article:
    """Take an article out of the pipeline (or off the site); open claims end."""
    _require_user(user)
    with transaction.atomic():
        current = _lock(article)
        if current.state == ArticleState.WITHDRAWN:
            raise WrongState(_("This article is already withdrawn."))
        if not permissions.can_withdraw(user, current):
            raise NotAllowed(_("Only editors, or the collector before anyone claims it, can withdraw this article."))
        reason = _clean_note(reason, required=True, what=_("the reason for withdrawing"))
        now = timezone.now()
        from_state = current.state
        _end_open_claim(article, reason=Claim.EndReason.WITHDRAWN, now=now)
        _advance(article, expected=from_state, state=ArticleState.WITHDRAWN, withdrawn_at=now,
                 claim_deadline=None, updated_at=now)
        _log(article, actor=user, action=EventAction.WITHDRAW, from_state=from_state,
             to_state=ArticleState.WITHDRAWN, note=reason, now=now)
    return article


def last_withdrawal(article: Article) -> Event | None:
    return (
        Event.objects.filter(article_id=article.pk, action=EventAction.WITHDRAW)
        .order_by("-created_at", "-id").first()
    )


def restore_article(*, article: Article, user: User) -> Article:
    """Undo a withdrawal.

    A published article goes back on the site; one withdrawn before anyone claimed it returns
    to where it was; one withdrawn in the middle of translation or review returns to
    ``available`` with its draft kept (its translator's claim ended when it was withdrawn).
    """
    _require_user(user)
    with transaction.atomic():
        current = _lock(article)
        if current.state != ArticleState.WITHDRAWN:
            raise _wrong_state(current, _("restored"))
        withdrawal = last_withdrawal(article)
        withdrawn_by = withdrawal.actor_id if withdrawal else None
        if not permissions.can_restore(user, current, withdrawn_by_id=withdrawn_by):
            raise NotAllowed(_("Only editors, or the collector who withdrew it, can restore this article."))
        previous = withdrawal.from_state if withdrawal else ""
        now = timezone.now()
        fields: dict = {"withdrawn_at": None, "updated_at": now}
        if previous == ArticleState.PUBLISHED and current.published_at:
            target = ArticleState.PUBLISHED
        elif previous in (ArticleState.NEW, ArticleState.FETCH_FAILED):
            target = previous
        else:
            has_source = Article.objects.filter(pk=article.pk).exclude(source_markdown="").exists()
            target = ArticleState.AVAILABLE if has_source else ArticleState.NEW
            fields.update(translator=None, reviewer=None, claimed_at=None, claim_deadline=None,
                          available_at=current.available_at or now if has_source else None)
        try:
            with transaction.atomic():
                _advance(article, expected=ArticleState.WITHDRAWN, state=target, **fields)
        except IntegrityError as exc:
            raise WrongState(_("Another article for the same source URL is in progress; it cannot be restored while that one is.")) from exc
        _log(article, actor=user, action=EventAction.RESTORE, from_state=ArticleState.WITHDRAWN,
             to_state=target, now=now)
    return article


def expire_claims(*, now: dt.datetime | None = None) -> int:
    """Return every claim past its deadline to ``available`` (draft kept). Returns the count.

    Each article expires in its own short transaction, so one slow row never holds the rest
    and a crash half-way leaves every processed article consistent.
    """
    now = now or timezone.now()
    expired = 0
    seen: set[int] = set()
    while True:
        batch = list(
            Claim.objects.filter(ended_at__isnull=True, deadline__lt=now,
                                 article__state=ArticleState.CLAIMED)
            .exclude(article_id__in=seen).order_by("deadline")
            .values_list("article_id", flat=True)[:200]
        )
        if not batch:
            return expired
        for article_id in batch:
            seen.add(article_id)
            with transaction.atomic():
                current = (
                    Article.objects.select_for_update(of=("self",)).select_related("translator")
                    .filter(pk=article_id, state=ArticleState.CLAIMED).first()
                )
                claim = _open_claim(current) if current else None
                if current is None or claim is None or claim.deadline >= now:
                    continue
                translator = current.translator
                # ``now`` is the cut-off; the audit log keeps wall-clock time, so events stay
                # in the order they happened even when a test (or a catch-up run) passes a date.
                _return_to_available(current, current, actor=None, action=EventAction.EXPIRE,
                                     end_reason=Claim.EndReason.EXPIRED, now=timezone.now(),
                                     note=_("Deadline %(deadline)s passed") % {"deadline": claim.deadline.isoformat()})
                _notify(translator, Notification.Kind.CLAIM_EXPIRED, current,
                        lambda c=current: _("Your claim on “%(title)s” expired and the article is available again; your draft is kept for the next translator.")
                        % {"title": c.display_title})
                expired += 1
