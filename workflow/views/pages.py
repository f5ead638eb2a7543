"""Pages: public ones (published list, article, contributors, leaderboard) and the work pages."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from articles.models import Article, ArticleState, LcttSource

from .. import permissions, selectors
from ..forms import (
    AvailableFilterForm,
    NoteForm,
    PublishedFilterForm,
    PublishForm,
    TranslationForm,
    WithdrawForm,
)
from ..models import Revision
from .helpers import forbidden, get_article, signed_in


def _page_size() -> int:
    return max(5, min(int(getattr(settings, "PAGE_SIZE", 50)), 200))


@require_GET
def published_list(request: HttpRequest) -> HttpResponse:
    form = PublishedFilterForm(request.GET or None)
    filters = form.filters()

    def page():  # queried only when the cached fragment is missing (see {% fragment %})
        qs, order = selectors.published_articles(**filters)
        return selectors.keyset_page(qs, order=order, cursor=request.GET.get("cursor"), size=_page_size())

    return render(request, "workflow/published_list.html", {
        "form": form, "page": SimpleLazyObject(page), "page_size": _page_size(),
    })


def actions_for(user, article) -> dict[str, bool]:
    """Which buttons the article's pages show; the services check again on POST."""
    return {
        "claim": permissions.can_claim(user, article),
        "translate": permissions.can_edit_draft(user, article),
        "release": article.state == ArticleState.CLAIMED
        and (permissions.is_translator_of(user, article) or bool(getattr(user, "is_staff", False))),
        "start_review": permissions.can_start_review(user, article),
        "review": article.state in (ArticleState.SUBMITTED, ArticleState.IN_REVIEW)
        and permissions.can_review(user, article),
        "decide": permissions.can_decide_review(user, article),
        "publish": permissions.can_publish(user, article),
        "approve_and_publish": permissions.can_approve_and_publish(user, article),
        "withdraw": permissions.can_withdraw(user, article),
        "restore": article.state == ArticleState.WITHDRAWN
        and (permissions.is_editor(user) or getattr(article, "collector_id", None) == getattr(user, "pk", None)),
        "make_available": permissions.can_make_available(user, article),
        "view_draft": permissions.can_view_draft(user, article),
    }


@require_GET
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # The row alone: the names it credits are read only when the cached header is missing.
    article = get_object_or_404(Article, pk=pk)
    if not permissions.can_view_article(request.user, article):
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        return forbidden(request, _("This article has been withdrawn."))
    allowed = actions_for(request.user, article)
    return render(request, "workflow/article_detail.html", {
        "article": article,
        # Read only when the cached header or timeline is missing ({% memo %} in the template):
        # every change to them moves article.updated_at or source_changed_at, their keys.
        "credits": SimpleLazyObject(lambda: selectors.credits_of(article)),
        "events": SimpleLazyObject(lambda: selectors.timeline_rows(article)),
        "allowed": allowed,
        # Only for the people who see them: a form built for nothing is garbage in cycles.
        "publish_form": PublishForm() if allowed["publish"] else None,
        "withdraw_form": WithdrawForm() if allowed["withdraw"] else None,
        "warnings": _lctt_warnings(article) if permissions.is_editor(request.user) else [],
    })


def _lctt_warnings(article) -> list:
    try:
        return list(article.lctt_source.warnings or [])
    except LcttSource.DoesNotExist:
        return []


@require_GET
def contributor(request: HttpRequest, username: str) -> HttpResponse:
    person = get_object_or_404(get_user_model().objects.select_related("profile"), username=username)
    return render(request, "workflow/contributor.html", {
        "person": person,
        "profile": getattr(person, "profile", None),
        "counts": selectors.contributor_counts(person),
        "page": SimpleLazyObject(lambda: selectors.contributor_page(
            person, cursor=request.GET.get("cursor"), size=_page_size())),
        "page_size": _page_size(),
    })


LEADERBOARD_ROLES = ["", "collector", "translator", "reviewer", "publisher"]


@require_GET
def leaderboard(request: HttpRequest) -> HttpResponse:
    role = request.GET.get("role", "")
    role = role if role in LEADERBOARD_ROLES else ""
    period = "12m" if request.GET.get("period") == "12m" else "all"
    since = timezone.now() - dt.timedelta(days=365) if period == "12m" else None
    return render(request, "workflow/leaderboard.html", {
        # read only when the cached table is missing ({% fragment %} in the template)
        "rows": SimpleLazyObject(lambda: selectors.leaderboard(role=role, since=since)),
        "first_month": selectors.first_counted_month(since) if since else None,
        "role": role,
        "period": period,
        "roles": [(r, selectors.ROLE_LABELS.get(r, _("Combined"))) for r in LEADERBOARD_ROLES],
        "weights": selectors.ROLE_WEIGHTS,
    })


# The three work lists render inside {% worklist %}: their data is lazy, read only when the
# cached block is missing or out of date, so most requests run no list query at all.


@signed_in
@require_GET
def available_list(request: HttpRequest) -> HttpResponse:
    def listing() -> dict:
        form = AvailableFilterForm(request.GET or None)
        qs, order = selectors.available_articles(**form.filters())
        page = selectors.keyset_page(qs, order=order, cursor=request.GET.get("cursor"), size=_page_size())
        return {"form": form, "page": page}

    return render(request, "workflow/available_list.html", {
        "listing": SimpleLazyObject(listing),
        "open_claims": selectors.open_claims_of(request.user),
        "max_claims": settings.MAX_OPEN_CLAIMS,
        "claim_days": settings.CLAIM_DAYS,
    })


@signed_in
@require_GET
def my_work(request: HttpRequest) -> HttpResponse:
    return render(request, "workflow/my_work.html", {
        "work": SimpleLazyObject(lambda: selectors.my_work(request.user)),
        "open_claims": selectors.open_claims_of(request.user),
        "max_claims": settings.MAX_OPEN_CLAIMS,
    })


@signed_in
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    if not permissions.is_reviewer(request.user):
        return forbidden(request, _("Only reviewers can see the review queue."))

    def queue() -> dict:
        qs, order = selectors.review_queue()
        return {
            "page": selectors.keyset_page(qs, order=order, cursor=request.GET.get("cursor"), size=_page_size()),
            "in_review": selectors.in_review(),
            "in_review_total": selectors.total(ArticleState.IN_REVIEW),
        }

    return render(request, "workflow/review_queue.html", {"queue": SimpleLazyObject(queue)})


def translate_context(article, *, form=None, conflict=None) -> dict:
    form = form or TranslationForm(initial={
        "title": article.title, "text": article.translation_markdown, "base_version": article.version,
    })
    return {
        "article": article,
        "form": form,
        "conflict": conflict,
        "progress": _progress(article.source_markdown, article.translation_markdown),
    }


def _progress(source: str, translation: str):
    """Source paragraphs with a translated partner in the draft (workflow.quality alignment)."""
    from ..quality_services import progress_summary

    return progress_summary(source, translation)


@signed_in
@require_GET
def translate(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_article(pk)
    if not permissions.is_translator_of(request.user, article):
        return forbidden(request, _("Only the translator who claimed this article can edit its draft."))
    if article.state != ArticleState.CLAIMED:
        return HttpResponseRedirect(article.get_absolute_url())
    context = translate_context(article)
    context["sent_back"] = _sent_back_note(article)
    return render(request, "workflow/translate.html", context)


def _sent_back_note(article):
    work = [e for e in selectors.timeline(article) if e.action in ("request_changes", "claim")]
    if work and work[-1].action == "request_changes":
        return work[-1]
    return None


@signed_in
@require_GET
def review(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_article(pk)
    if not permissions.is_reviewer(request.user) and not permissions.is_publisher(request.user):
        return forbidden(request, _("Only reviewers can review translations."))
    if permissions.is_translator_of(request.user, article):
        return forbidden(request, _("You translated this article, so someone else must review it."))
    if article.state not in (ArticleState.SUBMITTED, ArticleState.IN_REVIEW):
        return HttpResponseRedirect(article.get_absolute_url())
    allowed = actions_for(request.user, article)
    editing = allowed["decide"]
    submitted = selectors.revisions(article, kind=Revision.Kind.SUBMITTED)
    return render(request, "workflow/review.html", {
        "article": article,
        "allowed": allowed,
        "diffs": selectors.review_diffs(article, current_text=article.translation_markdown),
        "rounds": submitted,
        "form": TranslationForm(initial={
            "title": article.title, "text": article.translation_markdown,
            "base_version": article.version,
        }) if editing else None,
        "note_form": NoteForm(),
        "publish_form": PublishForm(),
        "events": selectors.timeline(article),
        "draft_url": reverse("workflow:save_draft", args=[article.pk]),
    })
