"""Admin for the workflow's records. Events, claims and revisions are read-only here."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from articles.admin import ReadOnlyPermissions

from .models import CheckRule, Claim, Event, GlossaryTerm, Notification, Profile, Revision
from .quality import REGISTRY, all_checks


class ReadOnlyAdmin(ReadOnlyPermissions, admin.ModelAdmin):
    pass


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "article", "action", "actor", "from_state", "to_state")
    list_filter = ("action",)
    search_fields = ("article__subject", "article__title", "actor__username", "note")
    list_select_related = ("article", "actor")
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = ("article", "user", "claimed_at", "deadline", "ended_at", "end_reason")
    list_filter = ("end_reason",)
    search_fields = ("article__subject", "user__username")
    list_select_related = ("article", "user")


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    list_display = ("article", "kind", "round", "author", "created_at")
    list_filter = ("kind",)
    search_fields = ("article__subject", "article__title")
    list_select_related = ("article", "author")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "kind", "article", "read_at", "emailed_at")
    list_filter = ("kind",)
    search_fields = ("user__username", "message")
    raw_id_fields = ("user", "article")


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "display_name", "github", "imported")
    list_filter = ("imported",)
    search_fields = ("user__username", "display_name", "github")
    raw_id_fields = ("user",)


class GlossaryImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file (UTF-8: english, chinese, note)"))


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(admin.ModelAdmin):
    list_display = ("source_term", "target_term", "note", "case_sensitive", "updated_at")
    search_fields = ("source_term", "target_term", "note")
    list_filter = ("case_sensitive",)
    readonly_fields = ("created_by", "updated_at")

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def get_urls(self):
        return [
            path("import-csv/", self.admin_site.admin_view(self.import_csv), name="workflow_glossaryterm_import"),
            *super().get_urls(),
        ]

    def import_csv(self, request: HttpRequest) -> HttpResponse:
        """Upload a CSV file: every term added or updated, or (any bad row) nothing, with the rows' problems."""
        from . import glossary_services

        if not self.has_add_permission(request):
            raise PermissionDenied
        form = GlossaryImportForm(request.POST or None, request.FILES or None)
        row_errors: list[tuple[int, str]] = []
        if request.method == "POST" and form.is_valid():
            try:
                upload = form.cleaned_data["file"]
                text = glossary_services.decode_csv(upload.read(glossary_services.MAX_CSV_BYTES + 1))
                result = glossary_services.import_csv(text=text, user=request.user)
            except glossary_services.GlossaryError as error:
                form.add_error(None, error.message)
                row_errors = error.errors
            else:
                self.message_user(request, gettext("Imported: %(created)d added, %(updated)d updated, %(unchanged)d unchanged.")
                                  % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged})
                return HttpResponseRedirect(reverse("admin:workflow_glossaryterm_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta, "form": form, "row_errors": row_errors,
            "title": _("Import glossary terms"),
        }
        return TemplateResponse(request, "admin/workflow/glossaryterm/import_csv.html", context,
                                status=400 if request.method == "POST" else 200)


def _check_choices() -> list[tuple[str, str]]:
    return [(spec.code, f"{spec.code} — {spec.description}") for spec in all_checks()]


class CheckRuleForm(forms.ModelForm):
    code = forms.ChoiceField(label=_("check"), choices=_check_choices)

    class Meta:
        model = CheckRule
        fields = ("code", "severity")


@admin.register(CheckRule)
class CheckRuleAdmin(admin.ModelAdmin):
    """One row per check whose severity differs from its default (see docs/quality-checks.md)."""

    form = CheckRuleForm
    list_display = ("code", "severity", "default_severity", "description")
    list_editable = ("severity",)
    list_filter = ("severity",)
    search_fields = ("code",)

    @admin.display(description=_("default"))
    def default_severity(self, obj: CheckRule) -> str:
        spec = REGISTRY.get(obj.code)
        return spec.default_severity if spec else "—"

    @admin.display(description=_("what it checks"))
    def description(self, obj: CheckRule) -> str:
        spec = REGISTRY.get(obj.code)
        return str(spec.description) if spec else gettext("Unknown check (ignored)")
