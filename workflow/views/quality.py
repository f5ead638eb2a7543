"""Quality checks in the editor: the checks panel, the typography autofix and the answer to
a changed source. Thin: the work is in workflow.quality_services and articles.drift."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from articles import drift

from .. import permissions, quality_services, services
from ..forms import TranslationForm
from .actions import _conflict, _draft_problem, _editor_url
from .helpers import forbidden, get_article, run_transition, safe_next, signed_in


@signed_in
@require_GET
def quality_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The checks panel of the article's draft (htmx refreshes it)."""
    article = get_article(pk)
    if not permissions.can_view_draft(request.user, article):
        return forbidden(request, _("Only the translator, reviewers and editors can see this draft."))
    return render(request, "workflow/quality/panel.html", {"article": article})


@signed_in
@require_POST
def autofix(request: HttpRequest, pk: int) -> HttpResponse:
    """Apply the mechanical typography fixes to the editor's text and save it as a draft.

    The save goes through ``services.save_draft`` with the editor's ``base_version``, so a
    draft changed elsewhere meanwhile is a conflict (both texts shown), never overwritten.
    """
    article = get_article(pk)
    form = TranslationForm(request.POST)
    if not form.is_valid():
        return _draft_problem(request, article, _("The draft could not be read; reload the page."), status=400)
    data = form.cleaned_data
    text = data["text"].replace("\r\n", "\n")
    fixable = len(quality_services.check_texts(
        source_md="", translation_md=text, stage=quality_services.stage_for(article)).fixable)
    fixed = quality_services.autofix_text(text)
    try:
        version = services.save_draft(article=article, user=request.user, text=fixed, title=data["title"],
                                      base_version=data["base_version"])
    except services.NotAllowed as error:
        if request.htmx:
            return _draft_problem(request, article, error.message, status=403, losing=error.losing_text)
        return forbidden(request, error.message)
    except services.StaleDraft as error:
        error.losing_text = text  # the editor's own text, not the fixed one, is what was lost
        return _conflict(request, article, form, error)
    except services.TransitionError as error:
        return _draft_problem(request, article, error.message, status=409, losing=text)
    if fixed == text:
        note = _("Nothing to fix: the typography checks found no mechanical problem.")
    elif not fixable:
        note = _("Fixed the typography and saved.")
    else:
        note = ngettext("Fixed %(n)d typography problem and saved.", "Fixed %(n)d typography problems and saved.",
                        fixable) % {"n": fixable}
    if request.htmx:
        return render(request, "workflow/quality/autofix_done.html", {
            "version": version, "article": article, "saved_at": timezone.localtime(),
            "progress": quality_services.progress_summary(article.source_markdown, fixed),
            "note": note, "fixed_text": fixed,
        })
    messages.success(request, note)
    return HttpResponseRedirect(safe_next(request, _editor_url(article)))


@signed_in
@require_POST
def source_update(request: HttpRequest, pk: int) -> HttpResponse:
    """Take the updated source (``decision=accept``) or keep the current one (``dismiss``)."""
    article = get_article(pk, bodies=False)
    accept = request.POST.get("decision", "accept") != "dismiss"
    action = drift.accept_source_update if accept else drift.dismiss_source_update
    success = (_("The updated source is now the article's source. Check the marked paragraphs of your translation.")
               if accept else _("The current source is kept; the update notice is gone."))
    return run_transition(
        request, lambda: action(article=article, user=request.user),
        success=success, redirect_to=safe_next(request, article.get_absolute_url()),
    )
