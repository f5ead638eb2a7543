"""Who may do what: small pure functions shared by services, views, templates and admin.

The services are the authority (they check again inside their transaction); views and
templates ask the same functions only to decide which buttons to show and which pages
to serve.

Rules
-----
* Any signed-in, active user may claim (every signed-up user is a translator).
* Only the article's translator edits its draft, releases or submits it.
* Reviewers review (start, request changes, approve), never their own translation.
* Publishers publish; a publisher may also approve and publish in one step (LCTT's "RP"),
  again never their own translation.
* Withdraw and restore: reviewers, publishers and staff for any article; the article's own
  collector only before anyone has claimed it (new, fetch failed, available) — withdrawing
  a translator's work in progress is an editor's decision — and restores only what they
  withdrew themselves.
* Drafts (unpublished translation text) are visible to their translator, reviewers,
  publishers and staff; nobody else, whatever id they guess.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from articles.models import ArticleState

from .models import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from articles.models import Article

    AnyUser = AbstractBaseUser | AnonymousUser

_CACHE_ATTR = "_workflow_role_names"

COLLECTOR_WITHDRAWABLE = (ArticleState.NEW, ArticleState.FETCH_FAILED, ArticleState.AVAILABLE)


def role_names(user: AnyUser | None) -> frozenset[str]:
    """The user's role groups, read once per user object (templates ask many times)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_roles(user: AnyUser) -> None:
    """Drop the cached role names after group membership changed."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def is_active_user(user: AnyUser | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def has_role(user: AnyUser | None, role: str) -> bool:
    if not is_active_user(user):
        return False
    return bool(user.is_superuser) or role in role_names(user)


def is_reviewer(user: AnyUser | None) -> bool:
    return has_role(user, Role.REVIEWER)


def is_publisher(user: AnyUser | None) -> bool:
    return has_role(user, Role.PUBLISHER)


def is_editor(user: AnyUser | None) -> bool:
    """Reviewers, publishers and staff: the trusted members."""
    return is_active_user(user) and (
        bool(user.is_staff) or is_reviewer(user) or is_publisher(user)
    )


def is_translator_of(user: AnyUser | None, article: Article) -> bool:
    return is_active_user(user) and article.translator_id == user.pk


def can_claim(user: AnyUser | None, article: Article) -> bool:
    return is_active_user(user) and article.state == ArticleState.AVAILABLE


def can_edit_draft(user: AnyUser | None, article: Article) -> bool:
    return article.state == ArticleState.CLAIMED and is_translator_of(user, article)


def can_view_draft(user: AnyUser | None, article: Article) -> bool:
    if article.state == ArticleState.PUBLISHED:
        return True
    return is_translator_of(user, article) or is_editor(user)


def can_view_article(user: AnyUser | None, article: Article) -> bool:
    """Published articles are public; the rest need a signed-in user, withdrawn ones an editor."""
    if article.state == ArticleState.PUBLISHED:
        return True
    if not is_active_user(user):
        return False
    if article.state == ArticleState.WITHDRAWN:
        return is_editor(user) or article.collector_id == user.pk or is_translator_of(user, article)
    return True


def can_review(user: AnyUser | None, article: Article) -> bool:
    """May this user act as reviewer of this article (not their own translation)?"""
    return is_reviewer(user) and not is_translator_of(user, article)


def can_start_review(user: AnyUser | None, article: Article) -> bool:
    return article.state == ArticleState.SUBMITTED and can_review(user, article)


def can_decide_review(user: AnyUser | None, article: Article) -> bool:
    """Approve or request changes: the reviewer who started this round (or staff)."""
    if article.state != ArticleState.IN_REVIEW or not can_review(user, article):
        return False
    return article.reviewer_id == user.pk or bool(user.is_superuser)


def can_publish(user: AnyUser | None, article: Article) -> bool:
    return article.state == ArticleState.APPROVED and is_publisher(user)


def can_approve_and_publish(user: AnyUser | None, article: Article) -> bool:
    """LCTT's "RP": a publisher proofreads and publishes in one step."""
    if not is_publisher(user) or is_translator_of(user, article):
        return False
    if article.state == ArticleState.SUBMITTED:
        return True
    return article.state == ArticleState.IN_REVIEW and article.reviewer_id == user.pk


def can_withdraw(user: AnyUser | None, article: Article) -> bool:
    if not is_active_user(user) or article.state == ArticleState.WITHDRAWN:
        return False
    if is_editor(user):
        return True
    return article.collector_id == user.pk and article.state in COLLECTOR_WITHDRAWABLE


def can_restore(
    user: AnyUser | None, article: Article, *, withdrawn_by_id: int | None = None
) -> bool:
    """Editors restore anything; a collector only what they withdrew themselves."""
    if not is_active_user(user) or article.state != ArticleState.WITHDRAWN:
        return False
    if is_editor(user):
        return True
    return article.collector_id == user.pk and withdrawn_by_id == user.pk


def can_make_available(user: AnyUser | None, article: Article) -> bool:
    if not is_active_user(user):
        return False
    if article.state not in (ArticleState.NEW, ArticleState.FETCH_FAILED):
        return False
    return is_editor(user) or article.collector_id == user.pk or has_role(user, Role.COLLECTOR)
