"""Collector pages (选题): collect by URL with live job status, review a fetched post side by
side with the page it came from, feeds and their candidates; and the link report actions.

Views are thin: forms check the input's shape, ``articles.services`` / ``articles.feeds`` /
``workflow.services`` decide and write. Every refusal becomes a message on the page (or a
403), never a 500.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from articles import feeds as feed_services
from articles import selectors
from articles import services as collect
from articles.forms import CollectForm, FeedEditForm, FeedForm, PrepareForm
from articles.models import Article, ArticleState, Feed, FeedEntry
from workflow import services as workflow_services
from workflow.views.helpers import forbidden, safe_next, signed_in

STATUS_POLL_SECONDS = 2


def _collector_only(request: HttpRequest) -> HttpResponse | None:
    if not collect.can_collect(request.user):
        return forbidden(request, _("Only collectors can collect articles. Ask an editor to add you to the collectors."))
    return None


def _ids(value: str) -> list[int]:
    return [int(part) for part in (value or "").split(",") if part.strip().isdigit()][:100]


def _status_context(request: HttpRequest, collections: list, ids: list[int] | None) -> dict:
    return {
        "collections": collections,
        "polling": any(not c.finished for c in collections),
        "poll_seconds": STATUS_POLL_SECONDS,
        "status_ids": ",".join(str(i) for i in ids) if ids else "",
    }


# --- collect --------------------------------------------------------------------------------


@signed_in
@require_http_methods(["GET", "POST"])
def collect_page(request: HttpRequest) -> HttpResponse:
    refused = _collector_only(request)
    if refused:
        return refused
    results = []
    status = 200
    if request.method == "POST":
        form = CollectForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            results = collect.collect_articles(
                urls=data["urls"], user=request.user, category=data["category"] or None,
                difficulty=data["difficulty"] or None,
            )
            queued = [r for r in results if r.ok]
            if queued and len(queued) == len(results):
                messages.success(request, _("Queued %(n)d post(s); their status updates below.") % {"n": len(queued)})
                return HttpResponseRedirect(reverse("articles:collect"))
            if queued:
                form = CollectForm(initial={"category": data["category"], "difficulty": data["difficulty"]})
            else:
                status = 400
        else:
            status = 400
    else:
        form = CollectForm()
    context = {"form": form, "results": results}
    context.update(_status_context(request, selectors.recent_collections(request.user), None))
    return render(request, "articles/collect.html", context, status=status)


@signed_in
@require_GET
def collect_status(request: HttpRequest) -> HttpResponse:
    """The live status fragment; htmx polls it until every job has finished."""
    refused = _collector_only(request)
    if refused:
        return refused
    ids = _ids(request.GET.get("ids", ""))
    collections = (selectors.collections_for(request.user, ids) if ids
                   else selectors.recent_collections(request.user))
    context = _status_context(request, collections, ids)
    context["refresh"] = request.GET.get("refresh") == "1"
    response = render(request, "articles/partials/collect_status.html", context)
    if context["refresh"] and not context["polling"]:
        response["HX-Refresh"] = "true"  # the page that asked shows the fetched article now
    return response


@signed_in
@require_POST
def retry_fetch(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article.objects.without_bodies(), pk=pk)
    try:
        collect.refetch_article(article=article, user=request.user)
    except workflow_services.NotAllowed as error:
        return forbidden(request, error.message)
    except workflow_services.TransitionError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Fetching “%(url)s” again.") % {"url": article.via})
    target = safe_next(request, reverse("articles:collect"))
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return HttpResponseRedirect(target)


# --- review a fetched post side by side -----------------------------------------------------


@signed_in
@require_http_methods(["GET", "POST"])
def prepare(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article.objects.with_people(), pk=pk)
    if article.state not in collect.EDITABLE_STATES:
        return HttpResponseRedirect(article.get_absolute_url())
    if not collect.can_edit_collected(request.user, article):
        return forbidden(request, _("Only collectors and editors can prepare collected articles."))
    status = 200
    if request.method == "POST":
        form = PrepareForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            making_available = request.POST.get("action") == "make_available"
            try:
                with transaction.atomic():  # a refused "make available" saves nothing either
                    collect.update_collected_article(article=article, user=request.user, **data)
                    if making_available:
                        workflow_services.make_available(article=article, user=request.user)
            except workflow_services.NotAllowed as error:
                return forbidden(request, error.message)
            except workflow_services.TransitionError as error:
                article.refresh_from_db()  # the page shows what is stored; the form keeps the input
                messages.error(request, error.message)
                status = 409
            else:
                if making_available:
                    messages.success(request, _("The article is available for translators now."))
                    return HttpResponseRedirect(article.get_absolute_url())
                messages.success(request, _("Saved."))
                return HttpResponseRedirect(reverse("articles:prepare", args=[pk]))
        else:
            status = 400
    else:
        form = PrepareForm(initial={
            "subject": article.subject, "category": article.category,
            "difficulty": article.difficulty, "source_markdown": article.source_markdown,
        })
    job = selectors.latest_fetch_job(article)
    return render(request, "articles/prepare.html", {
        "article": article,
        "form": form,
        "job": job,
        "page_text": selectors.source_page_text(article),
        "polling": job is not None and job.status in selectors.UNFINISHED,
    }, status=status)


# --- feeds ----------------------------------------------------------------------------------


@signed_in
@require_http_methods(["GET", "POST"])
def feed_list(request: HttpRequest) -> HttpResponse:
    refused = _collector_only(request)
    if refused:
        return refused
    status = 200
    if request.method == "POST":
        form = FeedForm(request.POST)
        if form.is_valid():
            try:
                feed = feed_services.add_feed(user=request.user, **form.cleaned_data)
            except workflow_services.TransitionError as error:
                form.add_error("url", error.message)
                status = 400
            else:
                messages.success(request, _("Subscribed to %(feed)s; it is being polled now.") % {"feed": feed})
                return HttpResponseRedirect(reverse("articles:feeds"))
        else:
            status = 400
    else:
        form = FeedForm()
    return render(request, "articles/feeds.html", {"form": form, "feeds": selectors.feeds()}, status=status)


@signed_in
@require_http_methods(["GET", "POST"])
def feed_edit(request: HttpRequest, pk: int) -> HttpResponse:
    refused = _collector_only(request)
    if refused:
        return refused
    feed = get_object_or_404(Feed, pk=pk)
    status = 200
    if request.method == "POST":
        form = FeedEditForm(request.POST)
        if form.is_valid():
            try:
                feed_services.update_feed(feed=feed, user=request.user, **form.cleaned_data)
            except workflow_services.TransitionError as error:
                messages.error(request, error.message)
                status = 400
            else:
                messages.success(request, _("Feed saved."))
                return HttpResponseRedirect(reverse("articles:feeds"))
        else:
            status = 400
    else:
        form = FeedEditForm(initial={"title": feed.title, "category": feed.category, "active": feed.active})
    return render(request, "articles/feed_edit.html", {"form": form, "feed": feed}, status=status)


@signed_in
@require_POST
def feed_poll(request: HttpRequest, pk: int) -> HttpResponse:
    refused = _collector_only(request)
    if refused:
        return refused
    feed = get_object_or_404(Feed, pk=pk)
    feed_services.poll_feed_now(feed=feed, user=request.user)
    messages.success(request, _("Polling %(feed)s now.") % {"feed": feed})
    return HttpResponseRedirect(reverse("articles:feeds"))


# --- candidates -----------------------------------------------------------------------------


@signed_in
@require_GET
def candidate_list(request: HttpRequest) -> HttpResponse:
    refused = _collector_only(request)
    if refused:
        return refused
    from workflow.selectors import keyset_page

    include_stale = request.GET.get("stale") == "1"
    page = keyset_page(selectors.candidates(include_stale=include_stale),
                       order=[("created_at", True), ("id", True)], cursor=request.GET.get("cursor"), size=50)
    return render(request, "articles/candidates.html", {"page": page, "include_stale": include_stale})


def _candidate_answer(request: HttpRequest, entry: FeedEntry, *, message: str, level: str,
                      existing: Article | None = None) -> HttpResponse:
    if getattr(request, "htmx", False):
        entry.stale = feed_services.is_stale(entry)
        return render(request, "articles/partials/candidate_row.html",
                      {"entry": entry, "message": message, "level": level, "existing": existing})
    getattr(messages, level)(request, message)
    return HttpResponseRedirect(safe_next(request, reverse("articles:candidates")))


@signed_in
@require_POST
def candidate_collect(request: HttpRequest, pk: int) -> HttpResponse:
    refused = _collector_only(request)
    if refused:
        return refused
    entry = get_object_or_404(FeedEntry.objects.select_related("feed"), pk=pk)
    try:
        article = feed_services.collect_candidate(entry=entry, user=request.user)
    except collect.CollectError as error:
        entry.refresh_from_db()
        return _candidate_answer(request, entry, message=error.message, level="error",
                                 existing=error.existing)
    return _candidate_answer(request, entry, level="success",
                             message=_("Collected as article %(id)d; it is being fetched.") % {"id": article.pk})


@signed_in
@require_POST
def candidate_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    refused = _collector_only(request)
    if refused:
        return refused
    entry = get_object_or_404(FeedEntry.objects.select_related("feed"), pk=pk)
    feed_services.dismiss_candidate(entry=entry, user=request.user)
    return _candidate_answer(request, entry, level="info", message=_("Dismissed."))


# --- links ----------------------------------------------------------------------------------


@signed_in
@require_POST
def check_links(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article.objects.without_bodies(), pk=pk)
    if article.state == ArticleState.WITHDRAWN and not collect.can_request_link_check(request.user, article):
        return forbidden(request, _("This article has been withdrawn."))
    try:
        collect.request_link_check(article=article, user=request.user)
    except workflow_services.NotAllowed as error:
        return forbidden(request, error.message)
    if getattr(request, "htmx", False):
        return link_report_fragment(request, article)
    messages.success(request, _("Checking the links; the report updates when the check is done."))
    return HttpResponseRedirect(safe_next(request, article.get_absolute_url()) + "#links")


def link_report_fragment(request: HttpRequest, article: Article) -> HttpResponse:
    from articles.templatetags.article_links import link_report_context

    return render(request, "articles/partials/link_report.html", link_report_context(article, request.user))


@require_GET
def link_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The report fragment on its own, for htmx polling while a check runs."""
    from workflow import permissions

    article = get_object_or_404(Article.objects.without_bodies(), pk=pk)
    if not permissions.can_view_article(request.user, article):
        return forbidden(request, _("You cannot see this article."))
    return link_report_fragment(request, article)
