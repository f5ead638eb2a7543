"""Admin for editors: article lists with the workflow's queues, Publish and Release actions.

Nothing here writes ``state`` directly: the actions call ``workflow.services``; the
lifecycle fields are read-only. Articles are never deleted from the admin — they are
withdrawn instead — and their audit events are shown read-only.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from workflow import permissions, services
from workflow.models import Event

from .models import (
    Article,
    ArticleState,
    DomainRule,
    Feed,
    FeedEntry,
    Job,
    LcttSource,
    LinkStatus,
)

# A source address typed without a scheme is taken as https:// (Django 6's default; Django
# 5.2 warns for every model URLField form that does not say so).
URLS_ASSUME_HTTPS = {models.URLField: {"assume_scheme": "https"}}


class QueueFilter(admin.SimpleListFilter):
    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [
            ("approved", _("Approved, waiting to be published")),
            ("stale", _("Claims past their deadline")),
            ("backlog", _("Waiting for review")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "approved":
            return queryset.filter(state=ArticleState.APPROVED).order_by("approved_at", "id")
        if self.value() == "stale":
            return queryset.filter(state=ArticleState.CLAIMED, claim_deadline__lt=timezone.now())
        if self.value() == "backlog":
            return queryset.filter(state__in=[ArticleState.SUBMITTED, ArticleState.IN_REVIEW]).order_by("submitted_at")
        return queryset


class ReadOnlyPermissions:
    """Records written only by the services (events, claims, revisions): viewable in the
    admin, never added, changed or deleted there."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class EventInline(ReadOnlyPermissions, admin.TabularInline):
    """The audit log, read-only: events are append-only."""

    model = Event
    fields = ("created_at", "action", "actor", "from_state", "to_state", "note")
    readonly_fields = fields
    ordering = ("created_at", "id")
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name_plural = _("audit events")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


LIFECYCLE_FIELDS = (
    "state", "version", "review_round", "collector", "translator", "reviewer", "publisher",
    "published_url", "translation_markdown", "created_at", "updated_at", "fetched_at",
    "available_at", "claimed_at", "claim_deadline", "submitted_at", "review_started_at",
    "approved_at", "published_at", "withdrawn_at", "source_changed_at", "duplicate_of",
)


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    formfield_overrides = URLS_ASSUME_HTTPS
    list_display = ("display_title", "state", "category", "difficulty", "translator", "reviewer",
                    "claim_deadline", "submitted_at", "published_at")
    list_filter = (QueueFilter, "state", "category", "difficulty")
    search_fields = ("subject", "title", "via", "author_name", "collector__username",
                     "translator__username", "reviewer__username", "publisher__username")
    list_select_related = ("translator", "reviewer")
    date_hierarchy = "published_at"
    ordering = ("-updated_at", "-id")
    readonly_fields = (*LIFECYCLE_FIELDS, "import_warnings", "page_link")
    fieldsets = (
        (None, {"fields": ("page_link", "subject", "title", "via", "author_name", "author_url",
                           "source_date", "day_counter", "category", "difficulty", "word_count",
                           "lctt_filename")}),
        (_("Workflow (changed only through the workflow)"), {"fields": LIFECYCLE_FIELDS}),
        (_("Source"), {"fields": ("source_markdown",), "classes": ("collapse",)}),
        (_("Import"), {"fields": ("import_warnings",)}),
    )
    inlines = [EventInline]
    actions = ["publish_selected", "release_selected_claims"]
    change_form_template = "admin/articles/article/change_form.html"
    show_full_result_count = False

    @admin.display(description=_("title"), ordering="title")
    def display_title(self, obj: Article) -> str:
        return obj.display_title

    @admin.display(description=_("page"))
    def page_link(self, obj: Article) -> str:
        if not obj.pk:
            return "—"
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), obj.get_absolute_url())

    @admin.display(description=_("import warnings"))
    def import_warnings(self, obj: Article) -> str:
        try:
            source = obj.lctt_source
        except LcttSource.DoesNotExist:
            return "—"
        warnings = source.warnings or []
        if not warnings:
            return format_html("{} <code>{}</code>", gettext("none, imported from"), source.path)
        return format_html(
            "<code>{}</code><ul>{}</ul>", source.path,
            format_html_join("", "<li>{}</li>", ((str(w),) for w in warnings)),
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # articles are withdrawn, never deleted

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        if not permissions.is_publisher(request.user):
            actions.pop("publish_selected", None)
        return actions

    def save_model(self, request, obj: Article, form, change) -> None:
        if "via" in form.changed_data:
            obj.via_normalized = _normalize(obj.via)
        if not change and obj.collector_id is None:
            obj.collector = request.user
        super().save_model(request, obj, form, change)

    def _run(self, request, articles, call, done_message) -> None:
        done, refused = 0, []
        for article in articles:
            try:
                call(article)
            except services.TransitionError as error:
                refused.append(f"{article.display_title}: {error.message}")
            else:
                done += 1
        if done:
            self.message_user(request, done_message % {"n": done}, messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    @admin.action(description=_("Publish the selected approved articles"))
    def publish_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._run(request, queryset.order_by("approved_at", "id"),
                  lambda a: services.publish_article(article=a, user=request.user),
                  gettext("Published %(n)d article(s)."))

    @admin.action(description=_("Release the selected claims"))
    def release_selected_claims(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._run(request, queryset,
                  lambda a: services.release_claim(article=a, user=request.user),
                  gettext("Released %(n)d claim(s)."))

    def get_urls(self):
        urls = super().get_urls()
        custom = [
            path("<int:pk>/publish/", self.admin_site.admin_view(self.publish_view),
                 name="articles_article_publish"),
        ]
        return custom + urls

    def publish_view(self, request: HttpRequest, pk: int):
        return _publish_one(self, request, pk)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        article = Article.objects.filter(pk=object_id).only("state").first()
        extra_context["can_publish"] = bool(article) and permissions.can_publish(request.user, article)
        return super().change_view(request, object_id, form_url, extra_context)


def _publish_one(model_admin: ArticleAdmin, request: HttpRequest, pk: int):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    article = get_object_or_404(Article, pk=pk)
    back = reverse("admin:articles_article_change", args=[pk])
    try:
        services.publish_article(article=article, user=request.user, url=request.POST.get("url") or None)
    except services.NotAllowed as error:
        return TemplateResponse(request, "403.html", {"message": error.message}, status=403)
    except services.TransitionError as error:
        model_admin.message_user(request, error.message, messages.ERROR)
        return HttpResponseRedirect(back)
    model_admin.message_user(request, gettext("Published."), messages.SUCCESS)
    return HttpResponseRedirect(back)


def _normalize(url: str) -> str:
    try:
        from articles.urlnorm import normalize_url
    except ImportError:
        return url
    return normalize_url(url) if url else ""


@admin.register(LcttSource)
class LcttSourceAdmin(admin.ModelAdmin):
    list_display = ("path", "article", "imported_at", "reimported_at")
    search_fields = ("path",)
    readonly_fields = ("article", "path", "sha256", "warnings", "imported_at", "reimported_at")
    exclude = ("raw",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DomainRule)
class DomainRuleAdmin(admin.ModelAdmin):
    """The allow/block list collectors' URLs and fetches are checked against (safe_http)."""

    list_display = ("domain", "action", "reason", "created_at")
    list_editable = ("action", "reason")
    list_filter = ("action",)
    search_fields = ("domain", "reason")


@admin.register(Feed)
class FeedAdmin(admin.ModelAdmin):
    formfield_overrides = URLS_ASSUME_HTTPS
    list_display = ("__str__", "url", "active", "category", "last_polled_at", "last_status")
    list_filter = ("active", "category")
    search_fields = ("title", "url")
    readonly_fields = ("etag", "last_modified", "last_polled_at", "last_status", "created_by", "created_at")
    actions = ["poll_now"]

    @admin.action(description=_("Poll the selected feeds now"))
    def poll_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        from articles.feeds import poll_feed_now

        for feed in queryset:
            poll_feed_now(feed=feed, user=request.user)
        self.message_user(request, gettext("Polling %(n)d feed(s).") % {"n": queryset.count()}, messages.SUCCESS)


@admin.register(FeedEntry)
class FeedEntryAdmin(admin.ModelAdmin):
    formfield_overrides = URLS_ASSUME_HTTPS
    list_display = ("__str__", "feed", "status", "published_at")
    list_filter = ("status",)
    search_fields = ("title", "url")
    raw_id_fields = ("article", "feed")


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Background jobs, read-only: the worker writes them; failed ones can be retried."""

    list_display = ("__str__", "kind", "status", "attempts", "article", "feed", "error_summary", "created_at",
                    "finished_at")
    list_filter = ("kind", "status")
    list_select_related = ("article", "feed")
    raw_id_fields = ("article", "feed")
    actions = ["retry_selected"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Job._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description=_("error"))
    def error_summary(self, obj: Job) -> str:
        return (obj.error or "")[:120]

    @admin.action(description=_("Retry the selected failed jobs"))
    def retry_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        from articles.jobs import retry_job
        from articles.services import refetch_article

        retried = 0
        for job in queryset.filter(status=Job.Status.FAILED).select_related("article"):
            if job.kind == Job.Kind.FETCH and job.article and job.article.state == ArticleState.FETCH_FAILED:
                try:
                    refetch_article(article=job.article, user=request.user)
                except services.TransitionError as error:
                    self.message_user(request, f"{job}: {error.message}", messages.ERROR)
                    continue
            else:
                retry_job(job)
            retried += 1
        self.message_user(request, gettext("Retrying %(n)d job(s).") % {"n": retried}, messages.SUCCESS)


@admin.register(LinkStatus)
class LinkStatusAdmin(admin.ModelAdmin):
    list_display = ("url", "result", "status_code", "checked_at")
    list_filter = ("result",)
    search_fields = ("url",)
    change_list_template = "admin/articles/linkstatus/change_list.html"

    def get_urls(self):
        custom = [path("broken/", self.admin_site.admin_view(self.broken_links_view),
                       name="articles_linkstatus_broken")]
        return custom + super().get_urls()

    def broken_links_view(self, request: HttpRequest):
        """Failing links across all articles, each with the articles that link to it."""
        from articles.link_services import broken_links
        from articles.linkcheck import FAILING_OUTCOMES

        from .models import ArticleLink

        if not self.has_view_permission(request):
            return TemplateResponse(request, "403.html", {"message": gettext("Not allowed.")}, status=403)
        outcome = request.GET.get("result", "")
        outcomes = [outcome] if outcome in FAILING_OUTCOMES else FAILING_OUTCOMES
        links = list(broken_links(outcomes=outcomes)[:REPORT_LIMIT])
        articles: dict[int, list] = {}
        for row in (ArticleLink.objects.filter(link_id__in=[link.pk for link in links])
                    .select_related("article").only("link_id", "article__id", "article__subject",
                                                    "article__title", "article__state")
                    .order_by("article_id")):
            articles.setdefault(row.link_id, []).append(row.article)
        rows = [(link, articles.get(link.pk, [])[:REPORT_ARTICLES]) for link in links]
        return TemplateResponse(request, "admin/articles/linkstatus/broken_links.html", {
            **self.admin_site.each_context(request),
            "title": gettext("Broken links across all articles"),
            "opts": self.model._meta,
            "rows": rows,
            "outcome": outcome,
            "outcomes": [(o, LinkStatus.Result(o).label) for o in sorted(FAILING_OUTCOMES)],
            "limit": REPORT_LIMIT,
        })


REPORT_LIMIT = 500
REPORT_ARTICLES = 10
