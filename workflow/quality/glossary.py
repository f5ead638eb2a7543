"""Glossary: terms, CSV import and term matching in source markdown.

Matching rules (``find_terms``): whole words (a term never matches inside a longer word),
case-insensitive unless the term is marked case sensitive, any run of whitespace between
the words of a multi-word term, an optional English plural ``s``/``es`` on
case-insensitive terms, longest match first and no overlaps; code blocks, inline code,
URLs, HTML and the header and footer are skipped.
"""

from __future__ import annotations

import csv
import io
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from .blocks import PROSE_KINDS, Block, parse_markdown
from .typography import mask

MAX_TERM_LENGTH = 200  # GlossaryTerm.source_term / target_term max_length


@dataclass(frozen=True, slots=True)
class Term:
    source: str
    target: str
    note: str = ""
    case_sensitive: bool = False

    @property
    def targets(self) -> tuple[str, ...]:
        """Accepted translations: the target may list alternatives separated by | / ；"""
        parts = re.split(r"[|/；;]", self.target)
        return tuple(p.strip() for p in parts if p.strip())


@dataclass(frozen=True, slots=True)
class TermHit:
    term: Term
    start: int          # character offsets in the markdown given to find_terms
    end: int
    line: int           # 1-based
    block: int          # index into the document's blocks
    text: str           # the matched text as written


def as_term(obj: Term | object) -> Term:
    """A Term from a Term or anything shaped like workflow.GlossaryTerm."""
    if isinstance(obj, Term):
        return obj
    return Term(
        source=str(obj.source_term), target=str(obj.target_term),
        note=str(getattr(obj, "note", "") or ""), case_sensitive=bool(getattr(obj, "case_sensitive", False)),
    )


_TOKEN_RE = re.compile(r"[A-Za-z0-9_]+")
_SIMPLE_TERM_RE = re.compile(r"[A-Za-z0-9]+")


def _first_word(term: str) -> str:
    m = re.search(r"[A-Za-z0-9]+", term)
    return m.group(0).casefold() if m else ""


def _plural_stems(word: str) -> tuple[str, ...]:
    return (word[:-1], word[:-2]) if word.endswith("s") else ()


class _Matcher:
    """Terms indexed for a scan over the words of a text.

    One-word terms (most of a glossary) are dictionary look-ups; longer terms are regular
    expressions compiled on first use and tried only where their first word occurs.
    """

    _serial = 0

    def __init__(self, terms: tuple[Term, ...]):
        # A cheap cache key for per-block results (hashing hundreds of terms per block is not).
        _Matcher._serial += 1
        self.key = _Matcher._serial
        _MATCHERS[self.key] = self
        self.simple_folded: dict[str, list[Term]] = {}
        self.simple_exact: dict[str, list[Term]] = {}
        self.complex_by_first: dict[str, list[Term]] = {}
        self.other: list[Term] = []
        self._patterns: dict[Term, re.Pattern[str]] = {}
        for term in terms:
            source = term.source.strip()
            if not source:
                continue
            if _SIMPLE_TERM_RE.fullmatch(source):
                if term.case_sensitive:
                    self.simple_exact.setdefault(source, []).append(term)
                else:
                    self.simple_folded.setdefault(source.casefold(), []).append(term)
            elif source[0].isalnum():
                self.complex_by_first.setdefault(_first_word(source), []).append(term)
            else:
                self.other.append(term)
        for group in self.complex_by_first.values():
            group.sort(key=lambda t: len(t.source), reverse=True)

    def pattern(self, term: Term) -> re.Pattern[str]:
        pattern = self._patterns.get(term)
        if pattern is None:
            source = term.source.strip()
            body = r"\s+".join(re.escape(w) for w in source.split())
            if not term.case_sensitive and source[-1].isalpha():
                body += r"(?:s|es)?"
            start = r"(?<![A-Za-z0-9_])" if source[0].isalnum() else ""
            end = r"(?![A-Za-z0-9_])" if source[-1].isalnum() else ""
            pattern = re.compile(start + body + end, 0 if term.case_sensitive else re.IGNORECASE)
            self._patterns[term] = pattern
        return pattern

    def _simple(self, word: str) -> list[Term]:
        found = list(self.simple_exact.get(word, ()))
        folded = word.casefold()
        found += self.simple_folded.get(folded, ())
        for stem in _plural_stems(folded):  # "archives" for "archive"
            found += [t for t in self.simple_folded.get(stem, ()) if t.source[-1].isalpha()]
        return found

    def find(self, text: str) -> list[tuple[int, int, Term]]:
        hits: list[tuple[int, int, Term]] = []
        for term in self.other:
            hits.extend((m.start(), m.end(), term) for m in self.pattern(term).finditer(text))
        for m in _TOKEN_RE.finditer(text):
            token = m.group(0)
            words = [w for w in _SIMPLE_TERM_RE.finditer(token)] if "_" in token else None
            if words is not None and len(words) != 1:
                continue  # snake_case identifiers hold no terms
            start, end = m.start(), m.end()
            for term in self._simple(token):
                hits.append((start, end, term))
            folded = token.casefold()
            candidates = list(self.complex_by_first.get(folded, ()))
            for stem in _plural_stems(folded):
                candidates += self.complex_by_first.get(stem, ())
            for term in candidates:
                hit = self.pattern(term).match(text, start)
                if hit:
                    hits.append((hit.start(), hit.end(), term))
        # Longest match first, no overlaps.
        hits.sort(key=lambda h: (-(h[1] - h[0]), h[0]))
        starts: list[int] = []
        ends: list[int] = []
        taken: list[tuple[int, int, Term]] = []
        for h in hits:
            k = bisect_right(starts, h[0])
            if (k and ends[k - 1] > h[0]) or (k < len(starts) and starts[k] < h[1]):
                continue
            starts.insert(k, h[0])
            ends.insert(k, h[1])
            taken.append(h)
        taken.sort(key=lambda h: h[0])
        return taken


_MATCHERS: dict[int, _Matcher] = {}


@lru_cache(maxsize=32)
def _matcher(terms: tuple[Term, ...]) -> _Matcher:
    if len(_MATCHERS) > 64:  # matchers evicted from this cache may go too
        _MATCHERS.clear()
    return _Matcher(terms)


def _work_to_text_offsets(text: str) -> tuple[str, list[int]]:
    """The masked working string and, for each of its characters, the offset in ``text``."""
    masked = mask(text)
    offsets: list[int] = []
    seg = iter(masked.segments)
    pos = 0
    for ch in masked.work:
        offsets.append(pos)
        if "\ue000" <= ch <= "\ue006":
            pos += len(next(seg))
        else:
            pos += 1
    offsets.append(pos)
    return masked.work, offsets


@lru_cache(maxsize=8192)
def _block_hits(text: str, matcher_key: int) -> tuple[tuple[int, int, Term, str], ...]:
    work, offsets = _work_to_text_offsets(text)
    out = []
    for start, end, term in _MATCHERS[matcher_key].find(work):
        s, e = offsets[start], offsets[end]
        out.append((s, e, term, text[s:e]))
    return tuple(out)


def find_terms_in_blocks(blocks: Iterable[Block], terms: Iterable[Term | object], line_starts) -> list[TermHit]:
    terms_t = tuple(as_term(t) for t in terms)
    if not terms_t:
        return []
    matcher = _matcher(terms_t)
    if matcher.key not in _MATCHERS:
        _MATCHERS[matcher.key] = matcher
    hits: list[TermHit] = []
    for block in blocks:
        if block.kind not in PROSE_KINDS:
            continue
        for s, e, term, written in _block_hits(block.text, matcher.key):
            start = block.start + s
            hits.append(TermHit(term, start, block.start + e, bisect_right(line_starts, start), block.index, written))
    return hits


def find_terms(source_md: str, terms: Iterable[Term | object]) -> list[TermHit]:
    """Glossary terms in the prose of ``source_md``, with offsets for highlighting."""
    doc = parse_markdown(source_md)
    return find_terms_in_blocks(doc.blocks, terms, doc.line_starts)


@lru_cache(maxsize=8192)
def _folded_targets(term: Term) -> tuple[str, ...]:
    return tuple(t.casefold() for t in term.targets)


def uses_term(translation_text: str, term: Term, *, folded: bool = False) -> bool:
    """Whether the text uses one of the term's accepted translations (``folded``: the
    caller already casefolded the text)."""
    low = translation_text if folded else translation_text.casefold()
    return any(t in low for t in _folded_targets(term))


# --- CSV import -------------------------------------------------------------------------

class GlossaryCSVError(ValueError):
    """Raised with every bad row; ``errors`` is a list of (line number, message)."""

    def __init__(self, errors: list[tuple[int, str]]):
        self.errors = errors
        super().__init__("; ".join(f"line {n}: {msg}" for n, msg in errors))


_HEADER_NAMES = {
    "english": "english", "source": "english", "source_term": "english", "en": "english", "term": "english",
    "英文": "english", "chinese": "chinese", "target": "chinese", "target_term": "chinese", "zh": "chinese",
    "中文": "chinese", "translation": "chinese", "译名": "chinese", "note": "note", "notes": "note",
    "备注": "note", "说明": "note", "case_sensitive": "case_sensitive", "case sensitive": "case_sensitive",
}
_TRUE = {"1", "true", "yes", "y", "是"}
_FALSE = {"", "0", "false", "no", "n", "否"}


def parse_glossary_csv(text: str) -> list[Term]:
    """Parse ``english,chinese,note`` rows (header row optional, UTF-8 with or without BOM).

    An optional ``case_sensitive`` column is read when the header names it. Raises
    :class:`GlossaryCSVError` listing every bad row; nothing is returned half-parsed.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise GlossaryCSVError([(0, f"not valid CSV: {exc}")]) from exc
    columns = ["english", "chinese", "note"]
    start = 0
    if rows and rows[0]:
        names = [c.strip().casefold() for c in rows[0]]
        if names[0] in _HEADER_NAMES and _HEADER_NAMES[names[0]] == "english":
            mapped = [_HEADER_NAMES.get(n) for n in names]
            unknown = [rows[0][k] for k, m in enumerate(mapped) if m is None]
            if unknown:
                raise GlossaryCSVError([(1, f"unknown column(s): {', '.join(unknown)}")])
            if "chinese" not in mapped:
                raise GlossaryCSVError([(1, "the header has no chinese column")])
            columns = mapped  # type: ignore[assignment]
            start = 1
    terms: list[Term] = []
    errors: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[start:], start=start + 1):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(columns):
            errors.append((number, f"{len(row)} columns, expected at most {len(columns)}"))
            continue
        values = dict(zip(columns, (cell.strip() for cell in row), strict=False))
        english, chinese = values.get("english", ""), values.get("chinese", "")
        problems = []
        if not english:
            problems.append("the English term is empty")
        if not chinese:
            problems.append("the Chinese term is empty")
        if len(english) > MAX_TERM_LENGTH or len(chinese) > MAX_TERM_LENGTH:
            problems.append(f"a term is longer than {MAX_TERM_LENGTH} characters")
        flag = values.get("case_sensitive", "").casefold()
        if flag not in _TRUE | _FALSE:
            problems.append(f"case_sensitive must be yes or no, not {flag!r}")
        key = english.casefold()
        if english and key in seen:
            problems.append(f"duplicate of line {seen[key]}")
        if problems:
            errors.append((number, "; ".join(problems)))
            continue
        seen[key] = number
        terms.append(Term(english, chinese, values.get("note", ""), flag in _TRUE))
    if errors:
        raise GlossaryCSVError(errors)
    return terms
