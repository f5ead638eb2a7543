"""Admin for the workflow's records. Events, claims and revisions are read-only here."""

from __future__ import annotations

from django.contrib import admin

from .models import CheckRule, Claim, Event, GlossaryTerm, Notification, Profile, Revision


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only by workflow.services: viewable, never added, changed or deleted."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


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


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(admin.ModelAdmin):
    list_display = ("source_term", "target_term", "case_sensitive", "updated_at")
    search_fields = ("source_term", "target_term")


@admin.register(CheckRule)
class CheckRuleAdmin(admin.ModelAdmin):
    list_display = ("code", "severity")
    list_filter = ("severity",)
