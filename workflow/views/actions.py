"""POST endpoints, one per transition. Each is a thin call into workflow.services."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from articles.models import ArticleState

from .. import services
from ..forms import NoteForm, PublishForm, TranslationForm, WithdrawForm
from .helpers import article_reference, forbidden, get_article, run_transition, safe_next, signed_in
from .pages import _progress, translate_context


@signed_in
@require_POST
def claim(request: HttpRequest, pk: int) -> HttpResponse:
    # The htmx answer redraws the list row (its people too); a plain POST only redirects.
    article = get_article(pk, bodies=False) if request.htmx else article_reference(pk)

    def row(success: str | None, error: str | None) -> HttpResponse:
        article.refresh_from_db(fields=["state", "translator", "claim_deadline"])
        return render(request, "workflow/partials/available_row.html", {
            "article": article, "success": success, "error": error,
        })

    return run_transition(
        request, lambda: services.claim_article(article=article, user=request.user),
        success=_("Claimed. The article is yours for %(days)d days.") % {"days": _claim_days()},
        redirect_to=reverse("workflow:translate", args=[pk]),
        refused_to=safe_next(request, article.get_absolute_url()),
        fragment=row,
    )


def _claim_days() -> int:
    from django.conf import settings

    return settings.CLAIM_DAYS


@signed_in
@require_POST
def release(request: HttpRequest, pk: int) -> HttpResponse:
    article = article_reference(pk)
    return run_transition(
        request, lambda: services.release_claim(article=article, user=request.user),
        success=_("Released. The article is available to others again; your draft stays with it."),
        redirect_to=safe_next(request, reverse("workflow:my_work")),
    )


def _draft_form(request: HttpRequest) -> TranslationForm | None:
    form = TranslationForm(request.POST)
    return form if form.is_valid() else None


@signed_in
@require_POST
def save_draft(request: HttpRequest, pk: int) -> HttpResponse:
    """Autosave (htmx) and the plain "Save draft" button (no JavaScript) both post here."""
    article = get_article(pk)
    form = _draft_form(request)
    if form is None:
        return _draft_problem(request, article, _("The draft could not be read; reload the page."), status=400)
    data = form.cleaned_data
    try:
        version = services.save_draft(
            article=article, user=request.user, text=data["text"], title=data["title"],
            base_version=data["base_version"],
        )
    except services.NotAllowed as error:
        if request.htmx:
            return _draft_problem(request, article, error.message, status=403, losing=error.losing_text)
        return forbidden(request, error.message)
    except services.StaleDraft as error:
        return _conflict(request, article, form, error)
    except services.TransitionError as error:
        return _draft_problem(request, article, error.message, status=409, losing=error.losing_text)
    if request.htmx:
        return render(request, "workflow/partials/draft_saved.html", {
            "version": version, "article": article, "saved_at": timezone.localtime(),
            "progress": _progress(article.source_markdown, data["text"]),
        })
    from django.contrib import messages

    messages.success(request, _("Draft saved."))
    return HttpResponseRedirect(safe_next(request, _editor_url(article)))


def _editor_url(article) -> str:
    """The page the draft was edited on: the review page while in review, else the editor."""
    name = "workflow:review" if article.state == ArticleState.IN_REVIEW else "workflow:translate"
    return reverse(name, args=[article.pk])


def _draft_problem(request, article, message, *, status, losing=None) -> HttpResponse:
    return render(request, "workflow/partials/draft_problem.html",
                  {"article": article, "message": message, "losing_text": losing}, status=status)


def _conflict(request, article, form, error: services.StaleDraft) -> HttpResponse:
    conflict = {
        "message": error.message,
        "losing_text": error.losing_text,
        "current_text": error.current_text,
        "current_version": error.current_version,
    }
    if request.htmx:
        return render(request, "workflow/partials/draft_conflict.html",
                      {"article": article, "conflict": conflict}, status=409)
    article.refresh_from_db()
    context = translate_context(article, form=form, conflict=conflict)
    context["reviewing"] = article.state == ArticleState.IN_REVIEW
    return render(request, "workflow/translate.html", context, status=409)


@signed_in
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Save what the editor holds (if sent) and hand it in, in that order."""
    article = get_article(pk)
    if "base_version" in request.POST:
        form = _draft_form(request)
        if form is not None:
            data = form.cleaned_data
            try:
                services.save_draft(article=article, user=request.user, text=data["text"],
                                    title=data["title"], base_version=data["base_version"])
            except services.StaleDraft as error:
                return _conflict(request, article, form, error)
            except services.NotAllowed as error:
                return forbidden(request, error.message)
            except services.TransitionError as error:
                if request.htmx:
                    return _draft_problem(request, article, error.message, status=409, losing=error.losing_text)
                from django.contrib import messages

                messages.error(request, error.message)
                return HttpResponseRedirect(article.get_absolute_url())
    return run_transition(
        request, lambda: services.submit_translation(article=article, user=request.user),
        success=_("Submitted for review. Thank you! A reviewer will pick it up."),
        redirect_to=reverse("workflow:my_work"),
        # Refused (e.g. a quality check's error): back to the editor, where the checks show.
        refused_to=reverse("workflow:translate", args=[pk]),
    )


@signed_in
@require_POST
def start_review(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_article(pk, bodies=False)
    return run_transition(
        request, lambda: services.start_review(article=article, user=request.user),
        success=_("Review started. The translation is yours to proofread."),
        redirect_to=reverse("workflow:review", args=[pk]),
    )


def _note(request: HttpRequest) -> str:
    form = NoteForm(request.POST)
    return form.cleaned_data["note"] if form.is_valid() else request.POST.get("note", "")


@signed_in
@require_POST
def request_changes(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_article(pk, bodies=False)
    return run_transition(
        request, lambda: services.request_changes(article=article, user=request.user, note=_note(request)),
        success=_("Sent back to the translator with your note."),
        redirect_to=safe_next(request, reverse("workflow:review_queue")),
    )


@signed_in
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_article(pk, bodies=False)
    return run_transition(
        request, lambda: services.approve_translation(article=article, user=request.user, note=_note(request)),
        success=_("Approved. It now waits for a publisher."),
        redirect_to=safe_next(request, reverse("workflow:review_queue")),
    )


def _publish_url(request: HttpRequest) -> str | None:
    form = PublishForm(request.POST)
    if form.is_valid():
        return form.cleaned_data["url"] or None
    return request.POST.get("url") or None  # the service explains what is wrong with it


@signed_in
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_article(pk, bodies=False)
    return run_transition(
        request, lambda: services.publish_article(article=article, user=request.user, url=_publish_url(request)),
        success=_("Published."),
        redirect_to=article.get_absolute_url(),
    )


@signed_in
@require_POST
def approve_and_publish(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_article(pk, bodies=False)
    return run_transition(
        request, lambda: services.approve_and_publish(
            article=article, user=request.user, note=_note(request), url=_publish_url(request)),
        success=_("Approved and published."),
        redirect_to=article.get_absolute_url(),
    )


@signed_in
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_article(pk, bodies=False)
    form = WithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return run_transition(
        request, lambda: services.withdraw_article(article=article, user=request.user, reason=reason),
        success=_("Withdrawn."),
        redirect_to=article.get_absolute_url(),
    )


@signed_in
@require_POST
def restore(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_article(pk, bodies=False)
    return run_transition(
        request, lambda: services.restore_article(article=article, user=request.user),
        success=_("Restored."),
        redirect_to=article.get_absolute_url(),
    )


@signed_in
@require_POST
def make_available(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_article(pk, bodies=False)
    return run_transition(
        request, lambda: services.make_available(article=article, user=request.user),
        success=_("The article is now available for claiming."),
        redirect_to=article.get_absolute_url(),
    )
