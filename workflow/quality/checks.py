"""``run_checks``: every quality check of a translation against its source.

Pure functions: the caller passes the texts, the glossary terms and the admin's
severities; nothing here reads the database. Parsing, typography and term matching are
memoised per text / per block, and alignment per segment, so re-running after a save
that changed one paragraph recomputes little.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .alignment import Alignment, align, block_size
from .blocks import (
    BLOCKQUOTE,
    HEADER_KEYS,
    HEADING,
    LIST,
    PARAGRAPH,
    PROSE_KINDS,
    TABLE,
    Block,
    Document,
    normalize_label,
    parse_markdown,
)
from .glossary import Term, as_term, find_terms_in_blocks, uses_term
from .registry import OFF, REGISTRY, STAGES, TRANSLATE, severity_for
from .text import HAN_PER_WORD, han_count, word_equivalents
from .typography import analyze_block

# Thresholds (calibration in docs/quality-checks.md).
UNTRANSLATED_MIN_WORDS = 8        # English words before a block can count as untranslated
UNTRANSLATED_HAN_SHARE = 0.1      # Han share (in word equivalents) below which it does
LENGTH_RATIO_MIN_WORDS = 15       # source paragraphs shorter than this are not compared
LENGTH_RATIO_LOW = 0.45           # translation size / source size
LENGTH_RATIO_HIGH = 2.2

_NOTE_RE = re.compile(r"^\s*(?:>\s*)?[（(]?\s*(?:\*\*)?\s*(?:译注|译者注|校注|编者注|注[:：])")
_COMMENT_START_RE = re.compile(r"^\s*(?:#|//|/\*|\*|--|;|<!--|%|REM\b|')")


@dataclass(frozen=True, slots=True)
class Location:
    block: int | None = None          # index into the translation's blocks
    line: int | None = None           # 1-based line in the translation
    source_block: int | None = None   # index into the source's blocks
    source_line: int | None = None    # 1-based line in the source


@dataclass(frozen=True, slots=True)
class Fix:
    """Replace ``translation_md[start:end]`` with ``replacement``."""

    start: int
    end: int
    replacement: str


@dataclass(frozen=True, slots=True)
class Issue:
    code: str
    severity: str
    message: Promise | str
    location: Location
    fix: Fix | None = None

    @property
    def blocks_submission(self) -> bool:
        return self.severity == "error"


def apply_fixes(text: str, fixes: Iterable[Fix]) -> str:
    """Apply non-overlapping fixes (duplicates, as typography issues of one block share
    a fix, are applied once)."""
    out: list[str] = []
    pos = 0
    for fix in sorted(set(fixes), key=lambda f: f.start):
        if fix.start < pos:
            continue
        out.append(text[pos : fix.start])
        out.append(fix.replacement)
        pos = fix.end
    out.append(text[pos:])
    return "".join(out)


# --- plumbing ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Raw:
    code: str
    message: Promise | str
    location: Location
    fix: Fix | None = None


@dataclass
class _Context:
    source: Document | None
    translation: Document
    alignment: Alignment | None
    glossary: tuple[Term, ...]
    header: dict[str, str] | None
    header_from_text: bool
    stage: str


def _at(t: Block | None = None, s: Block | None = None) -> Location:
    return Location(
        block=t.index if t else None, line=t.line if t else None,
        source_block=s.index if s else None, source_line=s.line if s else None,
    )


def _excerpt(text: str, limit: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _pairs(ctx: _Context) -> Iterator[tuple[list[Block], list[Block]]]:
    assert ctx.source is not None and ctx.alignment is not None
    for pair in ctx.alignment.pairs:
        yield ([ctx.source.blocks[i] for i in pair.source], [ctx.translation.blocks[j] for j in pair.translation])


def _han_share(block: Block) -> float:
    size = block_size(block)
    return (block.inline.han / HAN_PER_WORD) / size if size else 1.0


# --- structure --------------------------------------------------------------------------

def _check_headings(ctx: _Context) -> Iterator[_Raw]:
    for src, tr in _pairs(ctx):
        s_head = [b for b in src if b.kind == HEADING]
        t_head = [b for b in tr if b.kind == HEADING]
        if s_head and t_head:
            s, t = s_head[0], t_head[0]
            if s.level != t.level and not (s.is_title and t.is_title):
                yield _Raw("structure.headings", format_lazy(
                    _("Heading level {t_level} here, level {s_level} in the source (line {s_line})."),
                    t_level=t.level, s_level=s.level, s_line=s.line), _at(t, s))
        elif s_head:
            s = s_head[0]
            near = tr[0] if tr else None
            yield _Raw("structure.headings", format_lazy(
                _("The source heading “{text}” (line {s_line}) has no heading in the translation."),
                text=_excerpt(s.inline.prose), s_line=s.line), _at(near, s))
        elif t_head:
            t = t_head[0]
            yield _Raw("structure.headings", format_lazy(
                _("Heading “{text}” has no heading in the source."), text=_excerpt(t.inline.prose)), _at(t, src[0] if src else None))


def _comment_only_difference(src: str, tr: str) -> bool:
    """True when the two code texts differ only in lines that are comments in Chinese."""
    s_lines, t_lines = src.split("\n"), tr.split("\n")
    if len(s_lines) != len(t_lines):
        return False
    saw = False
    for a, b in zip(s_lines, t_lines, strict=True):
        if a == b:
            continue
        # Same code before the comment marker, and the translated side has Han in it.
        m = _comment_marker(a)
        if m is None or a[:m] != b[:m] or han_count(b) == 0:
            return False
        saw = True
    return saw


def _comment_marker(line: str) -> int | None:
    m = _COMMENT_START_RE.match(line)
    if m:
        return m.end()
    for marker in (" #", " //", " --", " /*"):
        k = line.find(marker)
        if k >= 0:
            return k + len(marker)
    return None


def _compare_code(s: tuple[str, str], t: tuple[str, str]) -> str | None:
    """None when identical, else the check code for the difference."""
    if s == t:
        return None
    if s[0] == t[0] and _comment_only_difference(s[1], t[1]):
        return "structure.code_comment"
    return "structure.code_block"


def _check_code(ctx: _Context) -> Iterator[_Raw]:
    for src, tr in _pairs(ctx):
        s_codes = [c for b in src for c in b.codes]
        t_codes = [c for b in tr for c in b.codes]
        s_block = next((b for b in src if b.codes), src[0] if src else None)
        t_block = next((b for b in tr if b.codes), tr[0] if tr else None)
        if not s_codes and not t_codes:
            continue
        if len(s_codes) != len(t_codes):
            if len(s_codes) > len(t_codes):
                msg = format_lazy(_("The code block at source line {s_line} is missing here."),
                                  s_line=s_block.line if s_block else "?")
            else:
                msg = _("This code block is not in the source.")
            yield _Raw("structure.code_block", msg, _at(t_block, s_block))
            continue
        for (s_info, s_code), (t_info, t_code) in zip(s_codes, t_codes, strict=True):
            code = _compare_code((s_info, s_code), (t_info, t_code))
            if code is None:
                continue
            if s_info != t_info:
                msg = format_lazy(_("Code block language “{t}” differs from the source's “{s}”."),
                                  t=t_info, s=s_info)
            elif code == "structure.code_comment":
                msg = _("Only comments were changed in this code block (translated comments).")
            else:
                line = _first_difference(s_code, t_code)
                msg = format_lazy(_("This code block differs from the source (line {n} of the block): "
                                    "code must be copied byte for byte."), n=line)
            yield _Raw(code, msg, _at(t_block, s_block))


def _first_difference(a: str, b: str) -> int:
    for n, (x, y) in enumerate(zip(a.split("\n"), b.split("\n"), strict=False), start=1):
        if x != y:
            return n
    return min(a.count("\n"), b.count("\n")) + 1


def _check_inline_code(ctx: _Context) -> Iterator[_Raw]:
    for src, tr in _pairs(ctx):
        if not src or not tr or not any(b.kind in PROSE_KINDS for b in src):
            continue
        wanted = {c for b in src for c in b.inline.code_spans}
        have = {c for b in tr for c in b.inline.code_spans}
        missing = sorted(wanted - have)
        if missing:
            yield _Raw("structure.inline_code", format_lazy(
                _("Inline code missing from this paragraph: {spans}."),
                spans=", ".join(f"`{c}`" for c in missing[:5]) + (" …" if len(missing) > 5 else "")),
                _at(tr[0], src[0]))


def _check_images(ctx: _Context) -> Iterator[_Raw]:
    assert ctx.source is not None and ctx.alignment is not None
    have = Counter(url for b in ctx.translation.blocks for url in b.inline.images)
    for s in ctx.source.blocks:
        for url in s.inline.images:
            if have[url] > 0:
                have[url] -= 1
                continue
            partner = ctx.alignment.partner_of_source(s.index)
            t = ctx.translation.blocks[partner[0]] if partner else None
            yield _Raw("structure.images", format_lazy(
                _("The image {url} (source line {s_line}) is missing."), url=url, s_line=s.line), _at(t, s))


def _check_tables(ctx: _Context) -> Iterator[_Raw]:
    for src, tr in _pairs(ctx):
        s_tab = [b for b in src if b.kind == TABLE]
        t_tab = [b for b in tr if b.kind == TABLE]
        if s_tab and t_tab:
            s, t = s_tab[0], t_tab[0]
            if (s.rows, s.columns) != (t.rows, t.columns):
                yield _Raw("structure.tables", format_lazy(
                    _("Table has {t_rows} rows × {t_cols} columns; the source has {s_rows} × {s_cols}."),
                    t_rows=t.rows, t_cols=t.columns, s_rows=s.rows, s_cols=s.columns), _at(t, s))
        elif s_tab:
            yield _Raw("structure.tables", format_lazy(
                _("The table at source line {s_line} is missing."), s_line=s_tab[0].line),
                _at(tr[0] if tr else None, s_tab[0]))


def _check_lists(ctx: _Context) -> Iterator[_Raw]:
    for src, tr in _pairs(ctx):
        s_list = [b for b in src if b.kind == LIST]
        t_list = [b for b in tr if b.kind == LIST]
        if s_list and t_list:
            s, t = s_list[0], t_list[0]
            if len(s.items) != len(t.items):
                yield _Raw("structure.list_items", format_lazy(
                    _("This list has {t_n} items; the source list (line {s_line}) has {s_n}."),
                    t_n=len(t.items), s_n=len(s.items), s_line=s.line), _at(t, s))
        elif s_list and len(src) == 1:
            yield _Raw("structure.list_items", format_lazy(
                _("The list at source line {s_line} ({n} items) is not a list in the translation."),
                s_line=s_list[0].line, n=len(s_list[0].items)), _at(tr[0] if tr else None, s_list[0]))


def _check_blockquotes(ctx: _Context) -> Iterator[_Raw]:
    for src, tr in _pairs(ctx):
        for s in src:
            if s.kind == BLOCKQUOTE and tr and not any(t.kind == BLOCKQUOTE for t in tr):
                yield _Raw("structure.blockquotes", format_lazy(
                    _("The block quote at source line {s_line} is not a block quote here."), s_line=s.line),
                    _at(tr[0], s))


# --- links ------------------------------------------------------------------------------

def _check_links(ctx: _Context) -> Iterator[_Raw]:
    assert ctx.source is not None and ctx.alignment is not None
    src_doc, tr_doc = ctx.source, ctx.translation
    t_refs = {normalize_label(r.label): r for r in tr_doc.references}
    s_refs = {normalize_label(r.label): r for r in src_doc.references}
    for label, ref in s_refs.items():
        t = t_refs.get(label)
        if t is None:
            yield _Raw("links.reference_missing", format_lazy(
                _("Reference [{label}]: {url} (source line {s_line}) is missing."),
                label=ref.label, url=ref.url, s_line=ref.line), Location(source_line=ref.line))
        elif t.url != ref.url:
            yield _Raw("links.reference_changed", format_lazy(
                _("Reference [{label}] points to {t_url}; the source has {s_url}."),
                label=ref.label, t_url=t.url, s_url=ref.url), Location(line=t.line, source_line=ref.line))
    t_urls = {u for b in tr_doc.blocks for u in b.inline.links}
    s_urls = {u for b in src_doc.blocks for u in b.inline.links}
    s_all = s_urls | {r.url for r in src_doc.references}
    reported: set[str] = set()
    for s in src_doc.blocks:
        for url in s.inline.links:
            if url in t_urls or url in reported:
                continue
            reported.add(url)
            partner = ctx.alignment.partner_of_source(s.index)
            t = tr_doc.blocks[partner[0]] if partner else None
            yield _Raw("links.missing", format_lazy(
                _("The link to {url} (source line {s_line}) is missing."), url=url, s_line=s.line), _at(t, s))
    reported.clear()
    for t in tr_doc.blocks:
        for url in t.inline.links:
            if url in s_all or url in reported:
                continue
            reported.add(url)
            yield _Raw("links.added", format_lazy(_("Link to {url} is not in the source."), url=url), _at(t))


# --- content ----------------------------------------------------------------------------

def _check_untranslated(ctx: _Context) -> Iterator[_Raw]:
    for t in ctx.translation.blocks:
        if t.kind not in PROSE_KINDS or t.inline.translatable < UNTRANSLATED_MIN_WORDS:
            continue
        if _han_share(t) < UNTRANSLATED_HAN_SHARE:
            code = "content.untranslated_quote" if t.kind == BLOCKQUOTE else "content.untranslated"
            s = None
            if ctx.alignment is not None and ctx.source is not None:
                partner = ctx.alignment.partner_of_translation(t.index)
                s = ctx.source.blocks[partner[0]] if partner else None
            yield _Raw(code, format_lazy(_("Not translated yet: “{text}”."), text=_excerpt(t.inline.prose)), _at(t, s))


def _check_alignment(ctx: _Context) -> Iterator[_Raw]:
    for src, tr in _pairs(ctx):
        kind = f"{len(src)}:{len(tr)}"
        if kind == "1:0":
            s = src[0]
            if s.kind in (PARAGRAPH, LIST, BLOCKQUOTE) and s.inline.words >= 3:
                yield _Raw("alignment.missing", format_lazy(
                    _("Source paragraph at line {s_line} has no translation: “{text}”."),
                    s_line=s.line, text=_excerpt(s.inline.prose)), Location(source_block=s.index, source_line=s.line))
        elif kind == "0:1":
            t = tr[0]
            if t.kind in (PARAGRAPH, LIST, BLOCKQUOTE) and not _NOTE_RE.match(t.text) and not t.is_title:
                yield _Raw("alignment.extra", format_lazy(
                    _("This paragraph has no source paragraph: “{text}”."), text=_excerpt(t.inline.prose)), _at(t))
        elif kind == "2:1":
            yield _Raw("alignment.merged", format_lazy(
                _("Source paragraphs at lines {a} and {b} were merged here."), a=src[0].line, b=src[1].line),
                _at(tr[0], src[0]))
        elif kind == "1:2":
            yield _Raw("alignment.split", format_lazy(
                _("The source paragraph at line {s_line} was split in two here."), s_line=src[0].line),
                _at(tr[0], src[0]))
        elif kind == "1:1":
            s, t = src[0], tr[0]
            if s.kind not in (PARAGRAPH, BLOCKQUOTE, LIST) or t.kind not in (PARAGRAPH, BLOCKQUOTE, LIST):
                continue
            words = s.inline.words
            if words < LENGTH_RATIO_MIN_WORDS or _han_share(t) < UNTRANSLATED_HAN_SHARE:
                continue
            ratio = word_equivalents(t.inline.prose) / words
            if ratio < LENGTH_RATIO_LOW or ratio > LENGTH_RATIO_HIGH:
                yield _Raw("content.length_ratio", format_lazy(
                    _("This paragraph is {ratio}× the length of its source (line {s_line}); expected "
                      "{low}–{high}×."), ratio=f"{ratio:.2f}", s_line=s.line,
                    low=LENGTH_RATIO_LOW, high=LENGTH_RATIO_HIGH), _at(t, s))


# --- template ---------------------------------------------------------------------------

def _check_template(ctx: _Context) -> Iterator[_Raw]:
    doc = ctx.translation
    header = ctx.header
    header_line = doc.header.start_line + 1 if doc.header and ctx.header_from_text else None
    if header is None:
        yield _Raw("template.header_missing", _("The article has no [#]: header."), Location(line=1))
    else:
        for key in HEADER_KEYS:
            if key not in header:
                yield _Raw("template.header_field", format_lazy(
                    _("The header has no “{key}” field."), key=key), Location(line=header_line))
        if doc.header and ctx.header_from_text:
            for key in doc.header.unknown_keys:
                yield _Raw("template.header_field", format_lazy(
                    _("Unknown or repeated header key “{key}” (misspelt?)."), key=key), Location(line=header_line))
        if "translator" in header and not header["translator"].strip():
            yield _Raw("template.translator_missing", _("The header's translator is empty."),
                       Location(line=header_line))
        if ctx.stage == "publish" and "reviewer" in header and not header["reviewer"].strip():
            yield _Raw("template.reviewer_placeholder", _("The header's reviewer is empty."),
                       Location(line=header_line))

    footer = doc.footer
    if footer is None:
        if header is not None or (ctx.source is not None and ctx.source.footer is not None):
            yield _Raw("template.footer_missing", _("The LCTT footer (via / 作者 / 译者 / 校对) is missing."),
                       Location(line=len(doc.lines) or 1))
        return
    footer_line = footer.start_line + 1
    translator = footer.credit("translator")
    if translator is None or not translator.name or "译者ID" in translator.name or "译者ID" in translator.url:
        yield _Raw("template.translator_placeholder", _("Fill in your ID on the footer's 译者 line (译者ID is a placeholder)."),
                   Location(line=translator.line if translator else footer_line))
    reviewer = footer.credit("reviewer")
    if reviewer is not None and ("校对者ID" in reviewer.name or "校对者ID" in reviewer.url):
        yield _Raw("template.reviewer_placeholder", _("The footer's 校对 line still holds 校对者ID."),
                   Location(line=reviewer.line))
    missing = []
    if not footer.via:
        missing.append("via")
    for role, label in (("author", "作者"), ("collector", "选题"), ("translator", "译者"), ("reviewer", "校对")):
        if footer.credit(role) is None and (role != "collector" or header is not None):
            missing.append(label)
    if not footer.has_lctt_line:
        missing.append("本文由 LCTT …")
    if missing:
        yield _Raw("template.footer_incomplete", format_lazy(
            _("The footer lacks: {lines}."), lines=", ".join(missing)), Location(line=footer_line))
    if header is None:
        return

    def differs(a: str, b: str) -> bool:
        return bool(a.strip()) and bool(b.strip()) and a.strip().casefold() != b.strip().casefold()

    if translator is not None and "译者ID" not in translator.name and differs(header.get("translator", ""), translator.name):
        yield _Raw("template.footer_mismatch", format_lazy(
            _("Translator “{footer}” in the footer, “{header}” in the header."),
            footer=translator.name, header=header.get("translator", "")), Location(line=translator.line))
    if ctx.stage == "publish" and reviewer is not None and "校对者ID" not in reviewer.name \
            and differs(header.get("reviewer", ""), reviewer.name):
        yield _Raw("template.footer_mismatch", format_lazy(
            _("Reviewer “{footer}” in the footer, “{header}” in the header."),
            footer=reviewer.name, header=header.get("reviewer", "")), Location(line=reviewer.line))
    collector = footer.credit("collector")
    # LCTT's collecting scripts wrote "lujun9972/lctt-scripts-…" in the header.
    if collector is not None and differs(header.get("collector", "").split("/")[0], collector.name):
        yield _Raw("template.footer_mismatch", format_lazy(
            _("Collector “{footer}” in the footer, “{header}” in the header."),
            footer=collector.name, header=header.get("collector", "")), Location(line=collector.line))
    if differs(header.get("via", ""), footer.via):
        yield _Raw("template.footer_mismatch", format_lazy(
            _("via {footer} in the footer, {header} in the header."), footer=footer.via, header=header.get("via", "")),
            Location(line=footer_line))


# --- typography -------------------------------------------------------------------------

_TYPO_MESSAGES = {
    "typography.space_han_latin": _("Add a space between Chinese and Latin letters or digits ({count}×), e.g. “{excerpt}”."),
    "typography.space_fullwidth": _("Remove the space next to full-width punctuation ({count}×), e.g. “{excerpt}”."),
    "typography.fullwidth_punctuation": _("Use full-width punctuation in Chinese sentences ({count}×), e.g. “{excerpt}”."),
    "typography.repeated_punctuation": _("Do not repeat punctuation ({count}×), e.g. “{excerpt}”."),
    "typography.proper_noun_case": _("Proper noun with the wrong case ({count}×), e.g. “{excerpt}”."),
    "typography.number_unit": _("Put a space between a number and its unit ({count}×), e.g. “{excerpt}”."),
}


def _check_typography(ctx: _Context) -> Iterator[_Raw]:
    for t in ctx.translation.blocks:
        if t.kind not in PROSE_KINDS:
            continue
        result = analyze_block(t.text, nested=t.kind in (LIST, BLOCKQUOTE, TABLE))
        if not result.findings:
            continue
        fix = Fix(t.start, t.end, result.fixed) if result.fixed != t.text else None
        for f in result.findings:
            spec = REGISTRY[f.code]
            yield _Raw(f.code, format_lazy(_TYPO_MESSAGES[f.code], count=f.count, excerpt=f.excerpt),
                       Location(block=t.index, line=t.line + f.line_offset),
                       fix if spec.fixable else None)


# --- glossary ---------------------------------------------------------------------------

def _check_glossary(ctx: _Context) -> Iterator[_Raw]:
    assert ctx.source is not None and ctx.alignment is not None
    hits = find_terms_in_blocks(ctx.source.blocks, ctx.glossary, ctx.source.line_starts)
    by_block: dict[int, list] = {}
    for hit in hits:
        by_block.setdefault(hit.block, []).append(hit)
    done: set[tuple[tuple[int, ...], str]] = set()
    for s_index, block_hits in by_block.items():
        partner = ctx.alignment.partner_of_source(s_index)
        if not partner:
            continue
        tr = [ctx.translation.blocks[j] for j in partner]
        if all(_han_share(t) < UNTRANSLATED_HAN_SHARE for t in tr):
            continue  # untranslated: reported by content.untranslated
        text = "\n".join(t.text for t in tr).casefold()
        for hit in block_hits:
            key = (partner, hit.term.source)
            if key in done or uses_term(text, hit.term, folded=True):
                continue
            done.add(key)
            yield _Raw("glossary.term_not_used", format_lazy(
                _("“{source}” should be translated as “{target}”{note}."),
                source=hit.term.source, target=hit.term.target,
                note=f" ({hit.term.note})" if hit.term.note else ""),
                Location(block=tr[0].index, line=tr[0].line, source_block=s_index, source_line=hit.line))


# --- entry point ------------------------------------------------------------------------

_SOURCE_FREE = (_check_template, _check_untranslated, _check_typography)
_WITH_SOURCE = (
    _check_headings, _check_code, _check_inline_code, _check_images, _check_tables, _check_lists,
    _check_blockquotes, _check_links, _check_alignment,
)


def run_checks(
    *,
    source_md: str,
    translation_md: str,
    glossary: Sequence[Term | object] = (),
    severities: dict[str, str] | None = None,
    header: dict | None = None,
    stage: str = TRANSLATE,
) -> list[Issue]:
    """Check a translation (LCTT markdown) against its source; issues sorted by line.

    ``header`` (key → value, the keys of ``blocks.HEADER_KEYS``) replaces the ``[#]:``
    header parsed from the translation, for callers that keep the header in the database.
    ``source_md`` may be empty: then only the source-free checks run. ``stage`` is one of
    ``registry.STAGES``.
    """
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; expected one of {STAGES}")
    translation = parse_markdown(translation_md or "")
    source = parse_markdown(source_md) if source_md and source_md.strip() else None
    alignment = align(source.blocks, translation.blocks) if source is not None else None
    header_from_text = header is None
    if header is None and translation.header is not None:
        header = dict(translation.header.fields)
    ctx = _Context(source, translation, alignment, tuple(as_term(t) for t in glossary),
                   {k: str(v) for k, v in header.items()} if header is not None else None,
                   header_from_text, stage)
    checks: list = list(_SOURCE_FREE)
    if source is not None:
        checks += _WITH_SOURCE
        if ctx.glossary:
            checks.append(_check_glossary)
    issues: list[Issue] = []
    for check in checks:
        for raw in check(ctx):
            spec = REGISTRY[raw.code]
            if stage not in spec.stages:
                continue
            severity = severity_for(raw.code, severities)
            if severity == OFF:
                continue
            issues.append(Issue(raw.code, severity, raw.message, raw.location, raw.fix))
    issues.sort(key=lambda i: (i.location.line or 0, i.location.source_line or 0, i.code))
    return issues


def summarize(issues: Iterable[Issue]) -> Counter:
    """Issue counts per (code, severity), for dashboards and the sample report."""
    return Counter((i.code, i.severity) for i in issues)


__all__ = [
    "Fix", "Issue", "Location", "apply_fixes", "run_checks", "summarize",
]
