"""The quality engine (``workflow.quality``, pure) wired to the database and the workflow.

The engine reads no database; this module gives it what it needs and decides how the
product uses its answers:

* **severities** come from the admin's ``CheckRule`` rows (one small query per check run,
  so a rule change takes effect on the next save);
* **glossary** terms come from ``GlossaryTerm``; they are loaded once per process and
  reloaded when the table changes (a cheap ``COUNT``/``MAX`` query tells);
* **reports** are memoised per (source text, translation text, stage, rules, glossary):
  the article's texts at one draft version. A page and its autosave fragment that ask
  for the same version run the engine once; the engine itself caches per block, so a
  save that changed one paragraph re-checks only that paragraph.

Product rules on top of the engine (documented in docs/quality-checks.md):

* the article keeps its ``[#]:`` header fields in the database and writes header and
  footer on export, so a draft without its own header is not reported for it
  (``template.header_missing``); a draft that does carry an LCTT header is checked as is;
* the stored source has no title (it lives in ``Article.subject``), so a title heading at
  the top of the draft (``# 标题``) is not an extra heading;
* errors block submission (``submission_blockers``, called by
  ``workflow.services.submit_translation``) unless ``QUALITY_CHECKS_BLOCK_SUBMISSION``
  is off.

Public API
----------
``severities() -> dict[str, str]``, ``glossary_terms() -> tuple[Term, ...]``
``check_texts(*, source_md, translation_md, stage="translate") -> QualityReport``
``article_report(*, article, stage=None, text=None) -> QualityReport``
``stage_for(article) -> str``
``submission_blockers(article) -> list[str]``
``progress_summary(source_md, translation_md) -> ProgressSummary``
``autofix_text(text) -> str``
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Max
from django.utils.translation import gettext as _

from articles.models import Article, ArticleState

from .models import CheckRule, GlossaryTerm
from .quality import (
    REGISTRY,
    Issue,
    Term,
    align,
    autofix,
    paragraph_progress,
    parse_markdown,
    run_checks,
)
from .quality.registry import ERROR, PUBLISH, REVIEW, TRANSLATE, WARNING

# At most this many problems are named in a refused submission's message.
MAX_BLOCKERS_LISTED = 8
_REPORT_CACHE_SIZE = 256


# --- inputs ---------------------------------------------------------------------------------


def severities() -> dict[str, str]:
    """The admin's severities, ``{code: severity}`` (codes without a rule use the default)."""
    return dict(CheckRule.objects.values_list("code", "severity"))


_glossary_lock = threading.Lock()
_glossary: tuple[tuple, tuple[Term, ...]] = ((), ())


def glossary_key() -> tuple:
    """Changes whenever a term is added, edited or deleted."""
    row = GlossaryTerm.objects.aggregate(n=Count("id"), changed=Max("updated_at"), last=Max("id"))
    return (row["n"], row["changed"], row["last"])


def glossary_terms(key: tuple | None = None) -> tuple[Term, ...]:
    """Every glossary term as the engine's ``Term``; reloaded only when the table changed."""
    global _glossary
    key = key if key is not None else glossary_key()
    with _glossary_lock:
        if _glossary[0] == key:
            return _glossary[1]
    terms = tuple(
        Term(source=s, target=t, note=n or "", case_sensitive=c)
        for s, t, n, c in GlossaryTerm.objects.order_by("source_term").values_list(
            "source_term", "target_term", "note", "case_sensitive")
    )
    with _glossary_lock:
        _glossary = (key, terms)
    return terms


# --- reports --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QualityReport:
    """The issues of one translation text against its source at one stage."""

    issues: tuple[Issue, ...]
    stage: str

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == WARNING]

    @property
    def blocking(self) -> bool:
        return any(i.blocks_submission for i in self.issues)

    @property
    def fixable(self) -> list[Issue]:
        return [i for i in self.issues if i.fix is not None]

    def __len__(self) -> int:
        return len(self.issues)


def _app_filter(issues: list[Issue], source_md: str, translation_md: str) -> tuple[Issue, ...]:
    translation = parse_markdown(translation_md or "")
    source = parse_markdown(source_md) if source_md and source_md.strip() else None
    title = translation.title
    source_has_title = source is not None and source.title is not None
    kept = []
    for issue in issues:
        if issue.code == "template.header_missing" and translation.header is None:
            continue  # the header lives in the article's fields; export writes it
        if (issue.code == "structure.headings" and title is not None and not source_has_title
                and issue.location.block == title.index and issue.location.source_block is None):
            continue  # the stored source has no title: Article.subject holds it
        kept.append(issue)
    return tuple(kept)


_reports: OrderedDict[tuple, QualityReport] = OrderedDict()
_reports_lock = threading.Lock()


def _digest(text: str) -> str:
    return hashlib.blake2b((text or "").encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def check_texts(*, source_md: str, translation_md: str, stage: str = TRANSLATE) -> QualityReport:
    """Run every check (the admin's severities, the glossary) on a pair of texts."""
    rules = severities()
    gkey = glossary_key()
    key = (_digest(source_md), _digest(translation_md), stage, tuple(sorted(rules.items())), gkey)
    with _reports_lock:
        report = _reports.get(key)
        if report is not None:
            _reports.move_to_end(key)
            return report
    issues = run_checks(
        source_md=source_md or "", translation_md=translation_md or "",
        glossary=glossary_terms(gkey), severities=rules, stage=stage,
    )
    report = QualityReport(_app_filter(issues, source_md, translation_md), stage)
    with _reports_lock:
        _reports[key] = report
        while len(_reports) > _REPORT_CACHE_SIZE:
            _reports.popitem(last=False)
    return report


def clear_report_cache() -> None:
    with _reports_lock:
        _reports.clear()


def stage_for(article: Article) -> str:
    if article.state in (ArticleState.SUBMITTED, ArticleState.IN_REVIEW):
        return REVIEW
    if article.state in (ArticleState.APPROVED, ArticleState.PUBLISHED):
        return PUBLISH
    return TRANSLATE


def article_texts(article: Article, text: str | None = None) -> tuple[str, str]:
    deferred = article.get_deferred_fields()
    if "source_markdown" in deferred or ("translation_markdown" in deferred and text is None):
        source, stored = (Article.objects.filter(pk=article.pk)
                          .values_list("source_markdown", "translation_markdown").get())
    else:
        source, stored = article.source_markdown, article.translation_markdown
    return source, stored if text is None else text


def article_report(*, article: Article, stage: str | None = None, text: str | None = None) -> QualityReport:
    """The checks of the article's draft (or of ``text``) at ``stage`` (default: its state's)."""
    source, translation = article_texts(article, text)
    return check_texts(source_md=source, translation_md=translation, stage=stage or stage_for(article))


def describe_location(issue: Issue) -> str:
    loc = issue.location
    if loc.line:
        return _("line %(line)d") % {"line": loc.line}
    if loc.source_line:
        return _("source line %(line)d") % {"line": loc.source_line}
    return ""


def submission_blockers(article: Article) -> list[str]:
    """What stops this draft from being submitted: one message per error, with its place.

    Reads the stored texts (the submission hands in what is saved, not what a form holds).
    """
    if not settings.QUALITY_CHECKS_BLOCK_SUBMISSION:
        return []
    source, text = Article.objects.filter(pk=article.pk).values_list(
        "source_markdown", "translation_markdown").get()
    errors = check_texts(source_md=source, translation_md=text, stage=TRANSLATE).errors
    messages = []
    for issue in errors[:MAX_BLOCKERS_LISTED]:
        where = describe_location(issue)
        messages.append(f"{where}: {issue.message}" if where else str(issue.message))
    if len(errors) > MAX_BLOCKERS_LISTED:
        messages.append(_("and %(n)d more (see the checks panel)") % {"n": len(errors) - MAX_BLOCKERS_LISTED})
    return messages


# --- progress and autofix -------------------------------------------------------------------


@dataclass(frozen=True)
class ProgressSummary:
    """Per-paragraph progress: source paragraphs with a translated partner."""

    translated: int
    total: int
    untranslated_blocks: tuple[int, ...]   # source block indexes

    @property
    def percent(self) -> int:
        return round(100 * self.translated / self.total) if self.total else 0

    def __str__(self) -> str:  # templates that print the old percentage still work
        return str(self.percent)


def progress_summary(source_md: str, translation_md: str) -> ProgressSummary:
    source = parse_markdown(source_md or "")
    translation = parse_markdown(translation_md or "")
    alignment = align(source.blocks, translation.blocks)
    progress = paragraph_progress(source.blocks, translation.blocks, alignment)
    untranslated = tuple(i for i, done in enumerate(progress.per_source_block) if not done)
    return ProgressSummary(progress.translated, progress.total, untranslated)


def autofix_text(text: str) -> str:
    """The mechanical typography fixes (never code, links or URLs; see typography.autofix)."""
    return autofix(text or "")


def check_descriptions() -> list[tuple[str, str, str]]:
    """(code, default severity, description) for every check, for pages and the admin."""
    return [(spec.code, spec.default_severity, str(spec.description)) for spec in REGISTRY.values()]
