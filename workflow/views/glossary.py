"""The glossary pages: everyone signed in reads and searches; reviewers add, edit, delete and
import CSV files (workflow.glossary_services decides and writes)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from .. import glossary_services as glossary
from ..models import GlossaryTerm
from ..quality.glossary import MAX_TERM_LENGTH
from .helpers import forbidden, signed_in

PAGE_SIZE = 100


class TermForm(forms.Form):
    source_term = forms.CharField(label=gettext_lazy("English term"), max_length=MAX_TERM_LENGTH)
    target_term = forms.CharField(
        label=gettext_lazy("Chinese term"), max_length=MAX_TERM_LENGTH,
        help_text=gettext_lazy("Separate accepted alternatives with | (容器|容器化)."),
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=glossary.MAX_NOTE_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 2}))
    case_sensitive = forms.BooleanField(label=gettext_lazy("Case sensitive"), required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV file"), required=False)
    text = forms.CharField(label=gettext_lazy("Or paste the CSV here"), required=False,
                           widget=forms.Textarea(attrs={"rows": 8}),
                           max_length=glossary.MAX_CSV_BYTES)

    def csv_text(self) -> str:
        """The CSV as text, or GlossaryError (empty, not UTF-8, too large)."""
        upload = self.cleaned_data.get("file")
        if upload is not None:
            if upload.size > glossary.MAX_CSV_BYTES:
                raise glossary.GlossaryError(_("The file is too large (at most %(n)d KB).")
                                             % {"n": glossary.MAX_CSV_BYTES // 1024})
            return glossary.decode_csv(upload.read(glossary.MAX_CSV_BYTES + 1))
        text = self.cleaned_data.get("text") or ""
        if not text.strip():
            raise glossary.GlossaryError(_("Choose a CSV file or paste its contents."))
        return text


def _not_editor(request: HttpRequest) -> HttpResponse:
    return forbidden(request, _("Only reviewers can change the glossary."))


@signed_in
@require_GET
def glossary_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    paginator = Paginator(glossary.search_terms(query), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "workflow/glossary/list.html", {
        "page": page, "query": query, "can_edit": glossary.can_edit_glossary(request.user),
        "form": TermForm(),
    })


def _term_form(request: HttpRequest, term: GlossaryTerm | None) -> HttpResponse:
    """Add (``term`` None) or edit a term: the form, and on a valid POST the service call."""
    # the form's fields are the term's editable fields, named alike
    initial = {} if term is None else {name: getattr(term, name) for name in TermForm.base_fields}
    form = TermForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            if term is None:
                saved = glossary.create_term(user=request.user, **values)
                done = _("Added “%(term)s”.")
            else:
                saved = glossary.update_term(term=term, user=request.user, **values)
                done = _("Saved “%(term)s”.")
        except glossary.GlossaryError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, done % {"term": saved.source_term})
            return HttpResponseRedirect(reverse("workflow:glossary"))
    status = 400 if request.method == "POST" else 200
    return render(request, "workflow/glossary/form.html", {"form": form, "term": term}, status=status)


@signed_in
@require_http_methods(["GET", "POST"])
def glossary_add(request: HttpRequest) -> HttpResponse:
    if not glossary.can_edit_glossary(request.user):
        return _not_editor(request)
    return _term_form(request, None)


@signed_in
@require_http_methods(["GET", "POST"])
def glossary_edit(request: HttpRequest, pk: int) -> HttpResponse:
    if not glossary.can_edit_glossary(request.user):
        return _not_editor(request)
    return _term_form(request, get_object_or_404(GlossaryTerm, pk=pk))


@signed_in
@require_http_methods(["GET", "POST"])
def glossary_delete(request: HttpRequest, pk: int) -> HttpResponse:
    if not glossary.can_edit_glossary(request.user):
        return _not_editor(request)
    term = get_object_or_404(GlossaryTerm, pk=pk)
    if request.method == "POST":
        glossary.delete_term(term=term, user=request.user)
        messages.success(request, _("Deleted “%(term)s”.") % {"term": term.source_term})
        return HttpResponseRedirect(reverse("workflow:glossary"))
    return render(request, "workflow/glossary/delete.html", {"term": term})


@signed_in
@require_http_methods(["GET", "POST"])
def glossary_import(request: HttpRequest) -> HttpResponse:
    if not glossary.can_edit_glossary(request.user):
        return _not_editor(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    errors: list[tuple[int, str]] = []
    if request.method == "POST" and form.is_valid():
        try:
            result = glossary.import_csv(text=form.csv_text(), user=request.user)
        except glossary.GlossaryError as error:
            form.add_error(None, error.message)
            errors = error.errors
        else:
            messages.success(request, _("Imported: %(created)d added, %(updated)d updated, %(unchanged)d unchanged.")
                             % {"created": result.created, "updated": result.updated,
                                "unchanged": result.unchanged})
            return HttpResponseRedirect(reverse("workflow:glossary"))
    status = 400 if request.method == "POST" else 200
    return render(request, "workflow/glossary/import.html", {"form": form, "row_errors": errors}, status=status)
