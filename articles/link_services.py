"""Links of articles: recording them, checking them through the shared cache, comparing them.

Services (write)
----------------
``record_article_links(*, article) -> None``
    Extract the links of ``article.source_markdown`` and ``translation_markdown`` into
    ``ArticleLink`` rows (``in_source``, ``in_translation``, ``kinds``, ``labels``),
    creating the shared ``LinkStatus`` rows by ``url_hash``. Idempotent: running it again
    after an edit adds the new links and removes the rows of links that are gone.
``check_urls(urls, *, max_age=None, checker_options=None) -> dict[str, LinkResult]``
    Results keyed by the given URLs. A URL whose ``LinkStatus`` was checked within
    ``max_age`` (default ``LINKCHECK_CACHE_HOURS``) is answered from it without a
    request; the others are checked together and stored: ``LinkStatus`` updated and one
    ``LinkCheckResult`` history row each. ``checker_options`` go to ``LinkChecker``.
``check_article_links(*, article, max_age=None, checker_options=None) -> LinkReport``
    ``record_article_links`` + ``check_urls`` for its links + ``article_link_report``.

Selectors (read)
----------------
``article_link_report(*, article) -> LinkReport``
``broken_links(*, outcomes=FAILING_OUTCOMES) -> QuerySet[LinkStatus]``
    Failing links across all articles, most recently checked first, annotated with
    ``article_count`` (served by the ``linkstatus_result`` index).
``link_key(url) -> str``
    The URL a link is checked and cached under: stripped, without its fragment.

Pure
----
``compare_links(source_md, translation_md) -> LinkComparison``
    For the submit step: reference definitions compared by label (``missing``,
    ``extra``, ``changed``) and all other links by URL (``missing_urls``,
    ``extra_urls``; http(s) URLs compared in their ``normalize_url`` form). Links in the
    LCTT footer (after the last ``-----`` rule: via, credits, the LCTT line) are left out
    of the URL comparison because the translator's credit legitimately differs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from articles.link_extract import ExtractedLink, LinkKind, extract_links
from articles.linkcheck import FAILING_OUTCOMES, LinkOutcome, LinkResult, check_urls_sync
from articles.models import ArticleLink, LinkCheckResult, LinkStatus, normalized_url_hash
from articles.urlnorm import normalize_url

__all__ = [
    "LabelChange",
    "LinkComparison",
    "LinkReport",
    "LinkReportEntry",
    "article_link_report",
    "broken_links",
    "check_article_links",
    "check_urls",
    "compare_links",
    "link_key",
    "record_article_links",
]


def link_key(url: str) -> str:
    return url.strip().split("#", 1)[0]


# --- recording ------------------------------------------------------------------------------


def record_article_links(*, article: Any) -> None:
    merged: dict[str, dict[str, Any]] = {}
    for text, flag in ((article.source_markdown, "in_source"), (article.translation_markdown, "in_translation")):
        for link in extract_links(text or ""):
            key = link_key(link.url)
            if not key:
                continue
            entry = merged.setdefault(key, {"in_source": False, "in_translation": False, "kinds": [], "labels": []})
            entry[flag] = True
            if link.kind not in entry["kinds"]:
                entry["kinds"].append(str(link.kind))
            if link.label and link.label not in entry["labels"]:
                entry["labels"].append(link.label)
    with transaction.atomic():
        statuses = _link_statuses(merged)
        existing = {al.link_id: al for al in ArticleLink.objects.filter(article=article)}
        wanted_ids = set()
        to_create, to_update = [], []
        for key, entry in merged.items():
            status = statuses[key]
            wanted_ids.add(status.pk)
            row = existing.get(status.pk)
            if row is None:
                to_create.append(ArticleLink(article=article, link=status, **entry))
                continue
            if any(getattr(row, name) != value for name, value in entry.items()):
                for name, value in entry.items():
                    setattr(row, name, value)
                to_update.append(row)
        ArticleLink.objects.bulk_create(to_create)
        if to_update:
            ArticleLink.objects.bulk_update(to_update, ["in_source", "in_translation", "kinds", "labels"])
        stale = [link_id for link_id in existing if link_id not in wanted_ids]
        if stale:
            ArticleLink.objects.filter(article=article, link_id__in=stale).delete()


def _link_statuses(urls: Iterable[str]) -> dict[str, LinkStatus]:
    """LinkStatus rows for ``urls`` (keys), created when missing; safe against concurrent creators."""
    by_hash = {normalized_url_hash(url): url for url in urls}
    if not by_hash:
        return {}
    found = {s.url_hash: s for s in LinkStatus.objects.filter(url_hash__in=list(by_hash))}
    missing = [LinkStatus(url=url, url_hash=h) for h, url in by_hash.items() if h not in found]
    if missing:
        LinkStatus.objects.bulk_create(missing, ignore_conflicts=True)
        found.update({s.url_hash: s for s in LinkStatus.objects.filter(url_hash__in=[m.url_hash for m in missing])})
    return {url: found[h] for h, url in by_hash.items()}


# --- checking -------------------------------------------------------------------------------


def check_urls(
    urls: Iterable[str], *, max_age: timedelta | None = None, checker_options: dict[str, Any] | None = None
) -> dict[str, LinkResult]:
    if max_age is None:
        max_age = timedelta(hours=settings.LINKCHECK_CACHE_HOURS)
    given = list(dict.fromkeys(u for u in urls if link_key(u)))
    keys = {url: link_key(url) for url in given}
    statuses = _link_statuses(set(keys.values()))
    fresh_after = timezone.now() - max_age
    cached: dict[str, LinkResult] = {}
    to_check: list[str] = []
    for key, status in statuses.items():
        if status.result and status.checked_at is not None and status.checked_at >= fresh_after:
            cached[key] = _result_from_status(status)
        else:
            to_check.append(key)
    checked = check_urls_sync(to_check, **(checker_options or {})) if to_check else {}
    if checked:
        _store_results(statuses, checked)
    return {url: cached.get(keys[url]) or checked[keys[url]] for url in given}


def _result_from_status(status: LinkStatus) -> LinkResult:
    return LinkResult(
        url=status.url, result=LinkOutcome(status.result), status=status.status_code,
        final_url=status.final_url, redirect_chain=list(status.redirect_chain or []),
        attempts=status.attempts, elapsed_ms=status.elapsed_ms, error=status.error,
    )


def _store_results(statuses: dict[str, LinkStatus], results: dict[str, LinkResult]) -> None:
    now = timezone.now()
    history = []
    changed = []
    for key, result in results.items():
        status = statuses[key]
        status.result = str(result.result)
        status.status_code = result.status
        status.final_url = result.final_url
        status.redirect_chain = result.redirect_chain
        status.attempts = min(result.attempts, 32767)
        status.elapsed_ms = result.elapsed_ms
        status.error = result.error
        status.checked_at = now
        changed.append(status)
        history.append(
            LinkCheckResult(
                link=status, result=status.result, status_code=result.status, final_url=status.final_url,
                redirect_chain=result.redirect_chain, attempts=status.attempts, elapsed_ms=result.elapsed_ms,
                error=result.error, checked_at=now,
            )
        )
    with transaction.atomic():
        LinkStatus.objects.bulk_update(
            changed,
            ["result", "status_code", "final_url", "redirect_chain", "attempts", "elapsed_ms", "error", "checked_at"],
            batch_size=500,
        )
        LinkCheckResult.objects.bulk_create(history, batch_size=500)


# --- reports --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkReportEntry:
    url: str
    result: str  # a LinkOutcome value, or "" when never checked
    status_code: int | None
    final_url: str
    error: str
    checked_at: datetime | None
    in_source: bool
    in_translation: bool
    kinds: list[str]
    labels: list[str]

    @property
    def is_failure(self) -> bool:
        return self.result in FAILING_OUTCOMES


@dataclass
class LinkReport:
    article_id: int
    entries: list[LinkReportEntry]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def failures(self) -> list[LinkReportEntry]:
        return [entry for entry in self.entries if entry.is_failure]

    @property
    def has_failures(self) -> bool:
        return any(entry.is_failure for entry in self.entries)


REPORT_COLUMNS = ("link__url", "link__result", "link__status_code", "link__final_url", "link__error",
                  "link__checked_at", "in_source", "in_translation", "kinds", "labels")


def article_link_report(*, article: Any) -> LinkReport:
    # Plain rows, not model instances: an article page reads ~30 of them on every view.
    rows = ArticleLink.objects.filter(article=article).order_by("link__url").values_list(*REPORT_COLUMNS)
    return report_from_rows(article.pk, rows)


def report_from_rows(article_id: int, rows: Iterable[tuple]) -> LinkReport:
    """A report from (url, result, status code, final url, error, checked at, in source,
    in translation, kinds, labels) rows — REPORT_COLUMNS, in that order."""
    entries = [
        LinkReportEntry(
            url=url, result=result or "", status_code=status_code, final_url=final_url or "",
            error=error or "", checked_at=checked_at, in_source=bool(in_source),
            in_translation=bool(in_translation), kinds=list(kinds or []), labels=list(labels or []),
        )
        for url, result, status_code, final_url, error, checked_at, in_source, in_translation, kinds, labels
        in rows
    ]
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry.result or "unchecked"] = counts.get(entry.result or "unchecked", 0) + 1
    # Failures first, then by URL: what a reader must act on comes first.
    entries.sort(key=lambda entry: (not entry.is_failure, entry.url))
    return LinkReport(article_id=article_id, entries=entries, counts=counts)


def check_article_links(
    *, article: Any, max_age: timedelta | None = None, checker_options: dict[str, Any] | None = None
) -> LinkReport:
    record_article_links(article=article)
    urls = list(ArticleLink.objects.filter(article=article).values_list("link__url", flat=True))
    check_urls(urls, max_age=max_age, checker_options=checker_options)
    return article_link_report(article=article)


def broken_links(*, outcomes: Iterable[str] = FAILING_OUTCOMES) -> QuerySet[LinkStatus]:
    return (
        LinkStatus.objects.filter(result__in=[str(o) for o in outcomes])
        .annotate(article_count=Count("articles"))
        .filter(article_count__gt=0)
        .order_by("result", "-checked_at")
    )


# --- comparing source and translation -------------------------------------------------------


@dataclass(frozen=True)
class LabelChange:
    label: str
    source_url: str
    translation_url: str


@dataclass
class LinkComparison:
    missing: list[ExtractedLink] = field(default_factory=list)  # reference labels only in the source
    extra: list[ExtractedLink] = field(default_factory=list)  # reference labels only in the translation
    changed: list[LabelChange] = field(default_factory=list)  # same label, another URL
    missing_urls: list[ExtractedLink] = field(default_factory=list)  # other links only in the source
    extra_urls: list[ExtractedLink] = field(default_factory=list)  # other links only in the translation

    @property
    def is_clean(self) -> bool:
        return not (self.missing or self.extra or self.changed or self.missing_urls or self.extra_urls)


_FOOTER_RULE_RE = re.compile(r"^-{5,}\s*$")


def compare_links(source_md: str, translation_md: str) -> LinkComparison:
    source, translation = extract_links(source_md or ""), extract_links(translation_md or "")
    comparison = LinkComparison()
    source_refs = _references(source)
    translation_refs = _references(translation)
    for label, link in source_refs.items():
        other = translation_refs.get(label)
        if other is None:
            comparison.missing.append(link)
        elif _compare_key(other.url) != _compare_key(link.url):
            comparison.changed.append(LabelChange(label=link.label, source_url=link.url, translation_url=other.url))
    comparison.extra = [link for label, link in translation_refs.items() if label not in source_refs]
    source_body = _body_links(source, source_md or "")
    translation_body = _body_links(translation, translation_md or "")
    translation_keys = {_compare_key(link.url) for link in translation_body}
    source_keys = {_compare_key(link.url) for link in source_body}
    comparison.missing_urls = _unique([link for link in source_body if _compare_key(link.url) not in translation_keys])
    comparison.extra_urls = _unique([link for link in translation_body if _compare_key(link.url) not in source_keys])
    return comparison


def _references(links: list[ExtractedLink]) -> dict[str, ExtractedLink]:
    refs: dict[str, ExtractedLink] = {}
    for link in links:
        if link.kind == LinkKind.REFERENCE:
            refs.setdefault(link.label.casefold(), link)
    return refs


def _body_links(links: list[ExtractedLink], text: str) -> list[ExtractedLink]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    footer_start = next(
        (index + 1 for index in range(len(lines) - 1, -1, -1) if _FOOTER_RULE_RE.match(lines[index])), None
    )
    return [
        link for link in links
        if link.kind != LinkKind.REFERENCE and (footer_start is None or link.line <= footer_start)
    ]


def _compare_key(url: str) -> str:
    key = link_key(url)
    if key.lower().startswith(("http://", "https://")):
        try:
            return normalize_url(key)
        except ValueError:
            return key
    return key


def _unique(links: list[ExtractedLink]) -> list[ExtractedLink]:
    seen: set[str] = set()
    out = []
    for link in links:
        key = _compare_key(link.url)
        if key not in seen:
            seen.add(key)
            out.append(link)
    return out
