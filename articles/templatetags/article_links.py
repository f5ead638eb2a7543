"""Template tags for the link report (article page) and the source/translation link
comparison (translate and review pages), so the workflow's pages include one partial each
without their views computing anything.

``{% link_report article %}`` (reads ``user`` and ``csrf_token`` from the context) and
``{% link_comparison article %}``; ``link_report_context(article, user)`` serves the htmx fragment view.
"""

from __future__ import annotations

import json

from django import template
from django.db import connection
from django.utils.translation import gettext as _

from articles.link_services import REPORT_COLUMNS, LinkReport, compare_links, report_from_rows
from articles.linkcheck import FAILING_OUTCOMES
from articles.models import Article, Category, Job, LinkStatus
from articles.services import can_request_link_check

register = template.Library()

OUTCOME_ORDER = ("broken", "server_error", "timeout", "connection_error", "dns_error", "tls_error",
                 "redirect_permanent", "redirect_temporary", "ok", "skipped", "unchecked")


def link_report_context(article: Article, user) -> dict:
    report, pending = _report_and_pending(article.pk)
    ordered = sorted(report.counts.items(), key=lambda item: OUTCOME_ORDER.index(item[0])
                     if item[0] in OUTCOME_ORDER else len(OUTCOME_ORDER))
    counts = [(outcome_label(outcome), count, outcome in FAILING_OUTCOMES) for outcome, count in ordered]
    return {
        "article": article,
        "report": report,
        "counts": counts,
        "failures": report.failures,
        "others": [entry for entry in report.entries if not entry.is_failure],
        "pending": pending,
        "can_check": can_request_link_check(user, article),
    }


def _report_and_pending(article_id: int) -> tuple[LinkReport, bool]:
    """The article's links and whether a check is running, in one query (every article page
    shows both; two ORM queries cost more than the rest of the report)."""
    columns = ", ".join(c.replace("link__", "s.") if c.startswith("link__") else f"l.{c}"
                        for c in REPORT_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.pending, {columns} FROM (SELECT EXISTS (SELECT 1 FROM articles_job j "  # noqa: S608 - column names only
            "WHERE j.article_id = %s AND j.kind = %s AND j.status IN (%s, %s)) AS pending) p "
            "LEFT JOIN articles_articlelink l ON l.article_id = %s "
            "LEFT JOIN articles_linkstatus s ON s.id = l.link_id ORDER BY s.url",
            [article_id, Job.Kind.CHECK_LINKS, Job.Status.QUEUED, Job.Status.RUNNING, article_id],
        )
        rows = cursor.fetchall()
    pending = bool(rows[0][0]) if rows else False
    links = [_json_columns(row[1:]) for row in rows if row[1] is not None]
    return report_from_rows(article_id, links), pending


def _json_columns(row: tuple) -> tuple:
    """kinds and labels come back as JSON text on some drivers, as lists on others."""
    *rest, kinds, labels = row
    return (*rest, json.loads(kinds) if isinstance(kinds, str) else kinds,
            json.loads(labels) if isinstance(labels, str) else labels)


@register.filter
def outcome_label(outcome: str) -> str:
    if outcome in LinkStatus.Result.values:
        return str(LinkStatus.Result(outcome).label)
    return _("Not checked yet")


@register.filter
def category_label(value: str) -> str:
    return str(Category(value).label) if value in Category.values else (value or "")


@register.filter
def is_web_url(url: str) -> bool:
    """Only http(s) links become clickable (a stored ``javascript:`` URL stays text)."""
    return str(url or "").lower().startswith(("http://", "https://"))


@register.simple_tag(takes_context=True)
def link_report(context, article: Article) -> str:
    """The report, cached under the links version (``workflow.aggregates``): every write that
    can change a report moves it at commit, so a finished check shows at once, and a hit
    reads no link row. The version is read before the links it keys (a report read first
    could be stored under a version that a commit in between has already moved past)."""
    from workflow import aggregates
    from workflow.fragments import memo_render

    user = context.get("user")
    inputs = (article.pk, can_request_link_check(user, article), aggregates.links_version())
    return memo_render("articles/partials/link_report.html", lambda: link_report_context(article, user),
                       inputs=inputs, fill={"csrf_token": context.get("csrf_token", "")})


@register.inclusion_tag("articles/partials/link_comparison.html")
def link_comparison(article: Article) -> dict:
    source, translation = _texts(article)
    comparison = compare_links(source, translation) if translation.strip() else None
    return {"article": article, "comparison": comparison}


def _texts(article: Article) -> tuple[str, str]:
    """The two texts, read again if a page loaded the article without its bodies."""
    deferred = article.get_deferred_fields()
    if "source_markdown" in deferred or "translation_markdown" in deferred:
        row = Article.objects.filter(pk=article.pk).values_list("source_markdown", "translation_markdown").first()
        return row or ("", "")
    return article.source_markdown or "", article.translation_markdown or ""
