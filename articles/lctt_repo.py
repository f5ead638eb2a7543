"""Import a TranslateProject checkout into articles, and export articles back to one.

``import_checkout(root=…)`` reads every ``*.md`` under ``sources/``, ``translated/`` and
``published/``; the folder gives the state and the category, the file the rest (see
docs/lctt-format.md for the mapping). It is idempotent: a file whose bytes did not change
since the last import is not even parsed. The original bytes are kept in ``LcttSource``.

``export_checkout(out=…)`` writes the same layout back. Each imported article is written
as ``render(apply_fields(parse(original bytes), article))``: an unchanged article comes out
byte for byte under its original path, a claim changes the translator line only.

Both work in batches with bulk queries (the real repository has ~8,400 files) and never
let one bad file stop or roll back the others.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import time
from collections import Counter, defaultdict, deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from articles import lctt
from articles.lctt import ArticleFields, LcttDocument
from articles.models import Article, ArticleState, Category, LcttSource
from articles.people import HandleCache, handles_by_user_id, unknown_translator

try:  # the full normaliser (tracking parameters, AMP, IDN …)
    from articles.urlnorm import normalize_url as _normalize_url
except ImportError:  # pragma: no cover - only while urlnorm did not exist yet
    _normalize_url = None

__all__ = [
    "EXPORT_FOLDER",
    "ExportReport",
    "ImportReport",
    "NotACheckout",
    "article_fields",
    "assign_lctt_filename",
    "export_checkout",
    "fields_from_document",
    "folder_kind",
    "import_checkout",
    "locate",
    "normalize_via",
]

KINDS = lctt.FOLDER_KINDS
# Where each state lives in the repository; other states are not exported.
EXPORT_FOLDER = {
    ArticleState.AVAILABLE: "sources",
    ArticleState.CLAIMED: "sources",
    ArticleState.SUBMITTED: "translated",
    ArticleState.IN_REVIEW: "translated",
    ArticleState.APPROVED: "translated",
    ArticleState.PUBLISHED: "published",
}
_MAX = {
    "subject": 500,
    "title": 500,
    "via": 2000,
    "author_name": 300,
    "author_url": 2000,
    "published_url": 2000,
}
_MONTH_RE = re.compile(r"(?P<year>(?:19|20)\d\d)(?P<month>0[1-9]|1[0-2])\Z")
_WORD_RE = re.compile(r"[A-Za-z0-9]+(?:['’-][A-Za-z0-9]+)*")


class NotACheckout(ValueError):
    """The path is not a TranslateProject checkout (no sources/, translated/ or published/)."""


# --------------------------------------------------------------------------- locations


@dataclass(frozen=True)
class Location:
    path: str  # relative to the checkout root, with forward slashes
    kind: str  # sources | translated | published
    category: str
    month: dt.date | None = None  # published/YYYYMM/


def locate(path: str) -> Location | None:
    """Where a repository path sits: its folder kind, category and (published) month."""
    parts = PurePosixPath(path.replace("\\", "/")).parts
    if len(parts) < 2 or parts[0] not in KINDS:
        return None
    kind = parts[0]
    folders = parts[1:-1]
    if kind != "published":
        category = folders[0] if folders else Category.TECH
        return Location(path, kind, category[:64])
    month = None
    series = None
    for folder in folders:
        match = _MONTH_RE.match(folder)
        if match and month is None:
            month = dt.date(int(match["year"]), int(match["month"]), 1)
        elif series is None and not match:
            series = folder
    # Named series folders (published/<series>/…) become the category.
    category = series if series and month is None else Category.TECH
    return Location(path, kind, category[:64], month)


def folder_kind(state: str) -> str | None:
    return EXPORT_FOLDER.get(state)


def normalize_via(url: str) -> str:
    url = (url or "").strip()
    if not url:
        return ""
    if _normalize_url is not None:
        try:
            return _normalize_url(url)[:2000]
        except ValueError:
            pass
    return url.lower().rstrip("/")[:2000]


def _fit(value: str, name: str) -> str:
    limit = _MAX.get(name)
    return value[:limit] if limit and len(value) > limit else value


def fields_from_document(doc: LcttDocument, kind: str) -> ArticleFields:
    """``extract_fields`` cut to what the article's columns hold (the same on import and export)."""
    fields = lctt.extract_fields(doc, kind=kind)
    for name in _MAX:
        setattr(fields, name, _fit(getattr(fields, name), name))
    return fields


def article_fields(article: Article, *, kind: str, handles: dict[int, str], extra_reviewers: Iterable[int] = ()) -> ArticleFields:
    """The article's current values in the terms of ``ArticleFields``."""

    def handle(user_id: int | None) -> str | None:
        return (handles.get(user_id) or None) if user_id else None

    reviewers = [handle(article.reviewer_id)] + [handle(pk) for pk in extra_reviewers]
    return ArticleFields(
        subject=article.subject,
        title=article.title,
        via=article.via,
        author_name=article.author_name,
        author_url=article.author_url,
        collector=handle(article.collector_id),
        translator=handle(article.translator_id),
        reviewers=tuple(r for r in reviewers if r),
        publisher=handle(article.publisher_id),
        published_url=article.published_url,
        markdown=article.source_markdown if kind == "sources" else article.translation_markdown,
    )


def _word_count(markdown: str) -> int:
    body, _refs = lctt.split_markdown_refs(markdown)
    return len(_WORD_RE.findall(body))


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day))


# --------------------------------------------------------------------------- reports


@dataclass
class _Problems:
    warnings: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (path, code, message)

    def warn(self, path: str, code: str, message: str) -> None:
        self.warnings[code].append((path, message))

    def error(self, path: str, code: str, message: str) -> None:
        self.errors.append((path, code, message))


@dataclass
class ImportReport(_Problems):
    root: str = ""
    files: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    moved: int = 0  # updated articles whose file moved to another folder
    users_created: int = 0
    missing: int = 0  # files imported earlier that this checkout no longer has
    by_state: Counter = field(default_factory=Counter)
    by_category: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def skipped(self) -> int:
        return len(self.errors)


@dataclass
class ExportReport(_Problems):
    out: str = ""
    written: int = 0
    identical: int = 0  # imported files written back byte for byte
    edited: int = 0  # imported files with some lines changed
    moved: int = 0  # imported files whose folder changed with the state
    created: int = 0  # articles never imported: a new file from the template
    not_exported: Counter = field(default_factory=Counter)  # state → count
    by_state: Counter = field(default_factory=Counter)
    by_category: Counter = field(default_factory=Counter)
    seconds: float = 0.0


# --------------------------------------------------------------------------- import


@dataclass
class _NewArticle:
    location: Location
    article: Article
    raw: bytes
    sha256: str
    warnings: list[dict]
    extra_reviewer_ids: list[int]
    duplicate_target: Article | int | None = None


def _state_for(kind: str, translator: str | None) -> str:
    if kind == "sources":
        return ArticleState.CLAIMED if translator else ArticleState.AVAILABLE
    if kind == "translated":
        return ArticleState.SUBMITTED
    return ArticleState.PUBLISHED


def _walk(root: Path, report: ImportReport) -> list[tuple[Location, Path]]:
    entries: list[tuple[Location, Path]] = []
    for kind in KINDS:
        base = root / kind
        if not base.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(base, onerror=lambda exc: report.error(str(exc.filename), "unreadable", str(exc))):
            rel_dir = Path(dirpath).relative_to(root).as_posix()
            keep = []
            for name in sorted(dirnames):
                if name.startswith("."):
                    continue
                if name.lower().endswith(".md"):
                    report.error(f"{rel_dir}/{name}", "not_a_file", "a directory named like a markdown file")
                    continue
                keep.append(name)
            dirnames[:] = keep
            for name in sorted(filenames):
                if not name.lower().endswith(".md") or name.lower() == "readme.md" or name.startswith("."):
                    continue
                rel = f"{rel_dir}/{name}"
                location = locate(rel)
                if location is not None:
                    entries.append((location, Path(dirpath) / name))
    # "The later one" of two files with one source URL is a duplicate: published files in
    # month order come first, then translated, then sources, each by file name (its date).
    rank = {"published": 0, "translated": 1, "sources": 2}
    entries.sort(key=lambda e: (rank[e[0].kind], "" if e[0].kind == "published" else PurePosixPath(e[0].path).name, e[0].path))
    return entries


def _is_binary(raw: bytes, text: str) -> str | None:
    """A reason to refuse the file, or None. A few stray bytes are fine; a blob is not."""
    if not raw.strip():
        return "the file is empty"
    if b"\x00" in raw:
        return "the file contains NUL bytes (binary)"
    if not lctt._SURROGATE_RE.search(text):
        return None
    invalid = len(lctt._SURROGATE_RE.findall(text))
    if invalid * 100 > len(text):
        return f"{invalid} bytes are not UTF-8: not a text file"
    return None


def _people(fields: ArticleFields, cache: HandleCache):
    reviewers = [cache.user(h) for h in fields.reviewers]
    reviewers = [u for u in reviewers if u is not None]
    seen = set()
    unique = []
    for user in reviewers:
        if user.pk not in seen:
            seen.add(user.pk)
            unique.append(user)
    return (
        cache.user(fields.collector),
        cache.user(fields.translator),
        unique[0] if unique else None,
        [u.pk for u in unique[1:]],
        cache.user(fields.publisher),
    )


def _build_article(location: Location, doc: LcttDocument, *, cache: HandleCache, now: dt.datetime, report_warn) -> tuple[Article, list[int]]:
    kind = location.kind
    fields = fields_from_document(doc, kind)
    collector, translator, reviewer, extra_ids, publisher = _people(fields, cache)
    state = _state_for(kind, fields.translator if translator else None)
    if kind == "translated" and translator is None:
        translator = unknown_translator()
        report_warn("missing_translator", "a translated file that names no translator; credited to 'lctt-unknown'")
    name_parts = doc.filename
    source_date = name_parts.date if name_parts else None
    article = Article(
        subject=(fields.subject or (name_parts.title if name_parts else "") or location.path)[:500],
        title=fields.title,
        via=fields.via,
        via_normalized=normalize_via(fields.via),
        author_name=fields.author_name,
        author_url=fields.author_url,
        source_date=source_date,
        day_counter=name_parts.counter if name_parts else None,
        category=location.category,
        difficulty=min(name_parts.stars, 3) if name_parts else 0,
        word_count=_word_count(fields.markdown) if kind == "sources" else 0,
        lctt_filename=PurePosixPath(location.path).name[:300],
        source_markdown=fields.markdown if kind == "sources" else "",
        translation_markdown="" if kind == "sources" else fields.markdown,
        collector=collector,
        translator=translator,
        reviewer=reviewer,
        publisher=publisher,
        published_url=fields.published_url,
        state=state,
    )
    _set_stage_times(article, location, now=now)
    return article, extra_ids


def _set_stage_times(article: Article, location: Location, *, now: dt.datetime) -> None:
    """The repository keeps no timestamps: use the dates it does have (see the docs)."""
    source_day = _local_midnight(article.source_date) if article.source_date else now
    state = article.state
    if state in (ArticleState.AVAILABLE, ArticleState.CLAIMED):
        article.available_at = article.available_at or source_day
    if state == ArticleState.CLAIMED:
        # Claimed "now": the file date is the post's date, which would expire every claim at once.
        article.claimed_at = article.claimed_at or now
        article.claim_deadline = article.claim_deadline or article.claimed_at + dt.timedelta(days=settings.CLAIM_DAYS)
    if state == ArticleState.SUBMITTED:
        article.submitted_at = article.submitted_at or source_day
    if state == ArticleState.PUBLISHED:
        if location.month is not None:
            article.published_at = _local_midnight(location.month)
        else:
            article.published_at = article.published_at or source_day


def import_checkout(root: str | Path, *, batch_size: int = 500, now: dt.datetime | None = None) -> ImportReport:
    """Import (or re-import) a TranslateProject checkout. See the module docstring."""
    started = time.perf_counter()
    root = Path(root)
    if not root.is_dir():
        raise NotACheckout(f"{root} does not exist or is not a directory")
    if not any((root / kind).is_dir() for kind in KINDS):
        raise NotACheckout(f"{root} has none of the folders sources/, translated/, published/: not a TranslateProject checkout")
    now = now or timezone.now()
    report = ImportReport(root=str(root))
    entries = _walk(root, report)
    report.files = len(entries)

    known: dict[str, tuple[int, int, str, str, str]] = {
        path: (pk, article_id, sha, state, category)
        for pk, path, article_id, sha, state, category in LcttSource.objects.values_list(
            "pk", "path", "article_id", "sha256", "article__state", "article__category"
        )
    }
    cache = HandleCache()
    cache.preload()
    via_index: dict[str, Article | int] = {}
    for pk, via in Article.objects.exclude(via_normalized="").filter(duplicate_of__isnull=True).order_by("pk").values_list("pk", "via_normalized"):
        via_index.setdefault(via, pk)

    # A file that is gone from its old place and has a new path with the same name moved
    # (sources/ → translated/ → published/): its article follows it.
    tree_paths = {location.path for location, _ in entries}
    gone_by_name: dict[str, list[str]] = defaultdict(list)
    for path in known:
        if path not in tree_paths:
            gone_by_name[PurePosixPath(path).name].append(path)
    moved_from: set[str] = set()

    pending: list[_NewArticle] = []
    changed: list[tuple[Location, bytes, str, str]] = []
    seen_paths: set[str] = set()
    for location, abspath in entries:
        seen_paths.add(location.path)
        try:
            raw = abspath.read_bytes()
        except OSError as exc:
            report.error(location.path, "unreadable", exc.strerror or str(exc))
            continue
        sha = hashlib.sha256(raw).hexdigest()
        previous = known.get(location.path)
        if previous is not None:
            if previous[2] == sha:
                report.unchanged += 1
                report.by_state[previous[3]] += 1
                report.by_category[previous[4]] += 1
            else:
                changed.append((location, raw, sha, location.path))
            continue
        candidates = gone_by_name.get(PurePosixPath(location.path).name, [])
        if len(candidates) == 1:
            old_path = candidates.pop()
            moved_from.add(old_path)
            changed.append((location, raw, sha, old_path))
            continue
        item = _prepare(location, raw, sha, cache=cache, now=now, report=report, via_index=via_index)
        if item is not None:
            pending.append(item)
        if len(pending) >= batch_size:
            _insert_batch(pending, report, now=now)
            pending = []
    if pending:
        _insert_batch(pending, report, now=now)
    handles = handles_by_user_id() if changed else {}
    for location, raw, sha, old_path in changed:
        try:
            _reimport(location, raw, sha, old_path=old_path, handles=handles, cache=cache, now=now, report=report)
        except DatabaseError as exc:
            report.error(location.path, "database", str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__)
    report.missing = sum(1 for path in known if path not in seen_paths and path not in moved_from)
    report.users_created = cache.created
    report.seconds = time.perf_counter() - started
    return report


def _prepare(location: Location, raw: bytes, sha: str, *, cache: HandleCache, now: dt.datetime, report: ImportReport, via_index: dict) -> _NewArticle | None:
    text = lctt.decode(raw)
    refusal = _is_binary(raw, text)
    if refusal:
        report.error(location.path, "not_text", refusal)
        return None
    try:
        doc = lctt.parse(text, path=location.path)
        file_warnings = [w.as_dict() for w in doc.warnings]

        def warn(code: str, message: str) -> None:
            file_warnings.append({"code": code, "message": message, "line": None})

        article, extra_ids = _build_article(location, doc, cache=cache, now=now, report_warn=warn)
    except Exception as exc:  # a bug on one strange file must not stop the other 8,000
        report.error(location.path, "failed", f"{exc.__class__.__name__}: {exc}")
        return None
    item = _NewArticle(location, article, raw, sha, file_warnings, extra_ids)
    if article.via_normalized:
        target = via_index.get(article.via_normalized)
        if target is None:
            via_index[article.via_normalized] = article
        else:
            item.duplicate_target = target
            target_pk = target.pk if isinstance(target, Article) else target
            file_warnings.append(
                {"code": "duplicate_via", "message": f"another article (#{target_pk or 'in this import'}) has the same source URL", "line": None}
            )
    for warning in file_warnings:
        report.warn(location.path, warning["code"], warning["message"] + (f" (line {warning['line']})" if warning.get("line") else ""))
    return item


def _insert(items: list[_NewArticle], *, now: dt.datetime) -> None:
    from workflow.models import Claim, Event, EventAction

    first = [i for i in items if i.duplicate_target is None]
    later = [i for i in items if i.duplicate_target is not None]
    Article.objects.bulk_create([i.article for i in first])
    for item in later:
        target = item.duplicate_target
        item.article.duplicate_of_id = target.pk if isinstance(target, Article) else target
    Article.objects.bulk_create([i.article for i in later])
    LcttSource.objects.bulk_create(
        [LcttSource(article=i.article, path=i.location.path, raw=i.raw, sha256=i.sha256, warnings=i.warnings) for i in items]
    )
    Event.objects.bulk_create(
        [
            Event(article=i.article, action=EventAction.IMPORT, from_state="", to_state=i.article.state, note=f"imported from {i.location.path}", created_at=now)
            for i in items
        ]
    )
    Claim.objects.bulk_create(
        [
            Claim(article=i.article, user_id=i.article.translator_id, claimed_at=i.article.claimed_at, deadline=i.article.claim_deadline)
            for i in items
            if i.article.state == ArticleState.CLAIMED
        ]
    )
    through = Article.extra_reviewers.through
    through.objects.bulk_create(
        [through(article_id=i.article.pk, user_id=pk) for i in items for pk in i.extra_reviewer_ids]
    )


def _insert_batch(items: list[_NewArticle], report: ImportReport, *, now: dt.datetime) -> None:
    try:
        with transaction.atomic():
            _insert(items, now=now)
    except DatabaseError:
        # One bad row must not cost the batch: insert one by one, report the failures.
        for item in items:
            _reset(item)
        for item in items:
            try:
                with transaction.atomic():
                    _insert([item], now=now)
            except DatabaseError as exc:
                _reset(item)
                report.error(item.location.path, "database", str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__)
                continue
            _count_created(item, report)
        return
    for item in items:
        _count_created(item, report)


def _reset(item: _NewArticle) -> None:
    item.article.pk = None
    item.article._state.adding = True
    item.article._state.db = None


def _count_created(item: _NewArticle, report: ImportReport) -> None:
    report.created += 1
    report.by_state[item.article.state] += 1
    report.by_category[item.article.category] += 1


def _reimport(
    location: Location, raw: bytes, sha: str, *, old_path: str, handles: dict[int, str], cache: HandleCache, now: dt.datetime, report: ImportReport
) -> None:
    """A file changed (or moved) since the last import: update its article unless the app changed it too."""
    from workflow.models import Claim, Event, EventAction

    source = LcttSource.objects.select_related("article").get(path=old_path)
    article = source.article
    extra = list(article.extra_reviewers.order_by("pk").values_list("pk", flat=True))
    old_location = locate(source.path) or location
    old_doc = lctt.parse_bytes(bytes(source.raw), path=source.path)
    old_fields = fields_from_document(old_doc, old_location.kind)
    current = article_fields(article, kind=old_location.kind, handles=handles, extra_reviewers=extra)
    expected_state = _state_for(old_location.kind, old_fields.translator)
    app_changes = lctt.differing_fields(old_fields, current, kind=old_location.kind)
    if article.state != expected_state:
        app_changes.append("state")
    if app_changes:
        report.conflicts += 1
        what = "changed" if old_path == location.path else f"moved from {old_path}"
        report.warn(location.path, "changed_in_app", f"the file {what}, but the article changed in the app too (" + ", ".join(app_changes) + "); kept the app's version")
        report.by_state[article.state] += 1
        report.by_category[article.category] += 1
        return
    text = lctt.decode(raw)
    refusal = _is_binary(raw, text)
    if refusal:
        report.error(location.path, "not_text", refusal)
        return
    doc = lctt.parse(text, path=location.path)
    file_warnings = [w.as_dict() for w in doc.warnings]
    new, extra_ids = _build_article(location, doc, cache=cache, now=now, report_warn=lambda code, message: file_warnings.append({"code": code, "message": message, "line": None}))
    old_state = article.state
    old_translator_id = article.translator_id
    # Only what the file holds: a translated file no longer has the English (LCTT replaced
    # it), a source has no translation yet; the article keeps those.
    carried = ("source_markdown", "word_count") if location.kind == "sources" else ("title", "translation_markdown")
    for name in (
        "subject", "via", "via_normalized", "author_name", "author_url", "source_date", "day_counter", "category",
        "difficulty", "collector_id", "translator_id", "reviewer_id", "publisher_id", "published_url", "state", *carried,
    ):
        setattr(article, name, getattr(new, name))
    if article.state == ArticleState.AVAILABLE or (
        article.state == ArticleState.CLAIMED and (old_state != ArticleState.CLAIMED or article.translator_id != old_translator_id)
    ):
        article.claimed_at = article.claim_deadline = None  # a new claim starts now (see _set_stage_times)
    _set_stage_times(article, location, now=now)
    with transaction.atomic():
        article.save()
        article.extra_reviewers.set(extra_ids)
        source.path = location.path
        source.raw = raw
        source.sha256 = sha
        source.warnings = file_warnings
        source.reimported_at = now
        source.save(update_fields=["path", "raw", "sha256", "warnings", "reimported_at"])
        if article.state != old_state:
            Event.objects.create(article=article, action=EventAction.IMPORT, from_state=old_state, to_state=article.state, note=f"re-imported from {location.path}", created_at=now)
        # The claim history follows the file: a new translator or a release ends the open claim.
        open_claim = Claim.objects.filter(article=article, ended_at__isnull=True).first()
        if open_claim and (article.state != ArticleState.CLAIMED or open_claim.user_id != article.translator_id):
            done = article.state in (ArticleState.SUBMITTED, ArticleState.IN_REVIEW, ArticleState.APPROVED, ArticleState.PUBLISHED)
            open_claim.ended_at = now
            open_claim.end_reason = Claim.EndReason.SUBMITTED if done else Claim.EndReason.RELEASED
            open_claim.save(update_fields=["ended_at", "end_reason"])
            open_claim = None
        if article.state == ArticleState.CLAIMED and open_claim is None:
            Claim.objects.create(article=article, user_id=article.translator_id, claimed_at=article.claimed_at, deadline=article.claim_deadline)
    for warning in file_warnings:
        report.warn(location.path, warning["code"], warning["message"])
    if old_path != location.path:
        report.moved += 1
    report.updated += 1
    report.by_state[article.state] += 1
    report.by_category[article.category] += 1


# --------------------------------------------------------------------------- export


def _safe_folder(name: str) -> str:
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "-", name).strip(" .")
    return cleaned or Category.TECH


def export_path(article: Article, kind: str) -> str:
    """The repository path of an article that has no (same-folder) original file."""
    name = article.lctt_filename or lctt.make_filename(article.source_date, article.day_counter, article.difficulty, article.subject)
    if kind == "published":
        when = timezone.localtime(article.published_at) if article.published_at else timezone.localtime()
        return f"published/{when:%Y%m}/{name}"
    return f"{kind}/{_safe_folder(article.category)}/{name}"


def export_checkout(out: str | Path, *, articles=None, chunk_size: int = 500, writers: int = 2) -> ExportReport:
    """Write articles as a TranslateProject tree under ``out``. See the module docstring."""
    started = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    report = ExportReport(out=str(out))
    handles = handles_by_user_id()
    extra: dict[int, list[int]] = defaultdict(list)
    through = Article.extra_reviewers.through
    for article_id, user_id in through.objects.order_by("pk").values_list("article_id", "user_id"):
        extra[article_id].append(user_id)
    queryset = articles if articles is not None else Article.objects.all()
    queryset = queryset.select_related("lctt_source").order_by("pk")
    used: dict[str, int] = {}
    made_dirs: set[Path] = set()
    # Creating thousands of files is mostly time in the kernel: a few writer threads let it
    # overlap with parsing the next articles.
    with ThreadPoolExecutor(max_workers=max(1, writers), thread_name_prefix="export_lctt") as writer:
        pending: deque[Future] = deque()
        for article in queryset.iterator(chunk_size=chunk_size):
            _export_article(article, out, report, handles=handles, extra=extra, used=used, made_dirs=made_dirs, writer=writer, pending=pending)
            while len(pending) > 512:
                pending.popleft().result()
        for future in pending:
            future.result()
    report.seconds = time.perf_counter() - started
    return report


def _export_article(article: Article, out: Path, report: ExportReport, *, handles, extra, used, made_dirs, writer, pending) -> None:
    """Render one article and queue its file for writing."""
    kind = folder_kind(article.state)
    if kind is None:
        report.not_exported[article.state] += 1
        return
    try:
        path, data, outcome = _export_one(article, kind, handles=handles, extra=extra.get(article.pk, ()))
    except Exception as exc:  # one article's bug must not stop the export
        report.error(f"article #{article.pk}", "failed", f"{exc.__class__.__name__}: {exc}")
        return
    if path in used:
        stem = path[:-3] if path.endswith(".md") else path
        new_path = f"{stem} ({article.pk}).md"
        report.warn(path, "path_collision", f"article #{article.pk} has the same path as #{used[path]}; written as {new_path}")
        path = new_path
    used[path] = article.pk
    target = out / path
    if target.parent not in made_dirs:
        target.parent.mkdir(parents=True, exist_ok=True)
        made_dirs.add(target.parent)
    pending.append(writer.submit(target.write_bytes, data))
    report.written += 1
    setattr(report, outcome, getattr(report, outcome) + 1)
    report.by_state[article.state] += 1
    report.by_category[article.category] += 1


def _export_one(article: Article, kind: str, *, handles: dict[int, str], extra: Iterable[int]) -> tuple[str, bytes, str]:
    fields = article_fields(article, kind=kind, handles=handles, extra_reviewers=extra)
    try:
        source = article.lctt_source
    except LcttSource.DoesNotExist:
        source = None
    if source is None:
        doc = lctt.new_document(fields, kind=kind)
        return export_path(article, kind), lctt.encode(doc.render()), "created"
    raw = bytes(source.raw)
    doc = lctt.parse_bytes(raw, path=source.path)
    changed = lctt.apply_fields(doc, fields, kind=kind, normalize=lambda f: _fit_fields(f))
    original = locate(source.path)
    same_folder = original is not None and original.kind == kind
    path = source.path if same_folder else export_path(article, kind)
    data = lctt.encode(doc.render()) if changed else raw
    if not same_folder:
        return path, data, "moved"
    return path, data, "edited" if changed else "identical"


def _fit_fields(fields: ArticleFields) -> ArticleFields:
    for name in _MAX:
        setattr(fields, name, _fit(getattr(fields, name), name))
    return fields


# --------------------------------------------------------------------------- new articles


def assign_lctt_filename(article: Article, *, save: bool = True) -> str:
    """Give a new article its LCTT file name: the next free ``.N`` counter for its date.

    The source date defaults to today. On PostgreSQL an advisory lock per date keeps two
    collectors from taking the same counter; the lock lasts until the caller's
    transaction ends.
    """
    if article.lctt_filename:
        return article.lctt_filename
    if article.source_date is None:
        article.source_date = timezone.localdate()
    day = article.source_date
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # namespace 7117 ("LCTT") keeps the key apart from other advisory locks
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [7117, int(day.strftime("%Y%m%d"))])
        taken = Article.objects.filter(source_date=day).exclude(pk=article.pk).aggregate(top=Max("day_counter"))["top"]
        article.day_counter = 0 if taken is None else taken + 1
        article.lctt_filename = lctt.make_filename(day, article.day_counter, article.difficulty, article.subject)
        if save and article.pk:
            Article.objects.filter(pk=article.pk).update(
                source_date=day, day_counter=article.day_counter, lctt_filename=article.lctt_filename, updated_at=timezone.now()
            )
    return article.lctt_filename
