"""What the translate and review pages show beside the draft: the source pane, the
paragraph alignment map, per-paragraph progress, glossary highlights and source drift.

Everything is computed server-side from the quality engine (``parse_markdown``, ``align``,
``paragraph_progress``, ``find_terms``) and handed to ``static/js/editor.js`` as a small
JSON map in a ``data-`` attribute (no inline script, strict CSP).

The source pane is the source rendered block by block (each block with the document's
reference definitions, so reference links still work), each in a wrapper carrying its
block index and first line. Glossary terms are marked with private-use sentinels in the
markdown, rendered and sanitized (articles.rendering), and only then turned into
``<mark class="term" title="…">`` — in text, never inside a tag — so the sanitizer's
allow-list stays as it is.

Public API
----------
``editor_state(article, *, text=None, user=None, stage=None) -> EditorState`` (lazy parts)
``source_blocks(source_md, *, terms=(), untranslated=(), changed=()) -> list[SourceBlock]``
``highlight_terms(block_text, block_start, hits, refs_text) -> str`` (sanitized HTML)
``alignment_map(source_md, translation_md, *, changed_source=()) -> dict``
``drift_view(article, *, source_md, translation_md, user=None) -> DriftView | None``
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from articles.models import Article
from articles.rendering import render_markdown_cached

from . import quality_services
from .quality import align, find_terms, parse_markdown
from .quality.blocks import REFERENCES
from .quality.glossary import TermHit

_OPEN, _CLOSE = "\ue0f0", "\ue0f1"
_INDEX_BASE = 0xE100
_MAX_MARKED = 0xF8FF - _INDEX_BASE
# A hit whose written text holds markup would straddle elements once rendered.
_MARKUP_CHARS = frozenset("*_[]()<>`\\!|")
_TAG_RE = re.compile(r"""<(?:[^"'>]|"[^"]*"|'[^']*')*>""")
_MARK_RE = re.compile(f"{_OPEN}([\ue100-\uf8ff])([^{_OPEN}{_CLOSE}]*){_CLOSE}")
_SENTINELS_RE = re.compile(f"{_OPEN}[\ue100-\uf8ff]?|{_CLOSE}")


@dataclass(frozen=True)
class SourceBlock:
    index: int
    line: int
    kind: str
    html: SafeString
    untranslated: bool = False
    changed: bool = False
    terms: int = 0


def _term_title(hit: TermHit) -> str:
    title = f"{hit.term.source} → {hit.term.target}"
    return f"{title} ({hit.term.note})" if hit.term.note else title


def highlight_terms(block_text: str, block_start: int, hits: list[TermHit], refs_text: str) -> str:
    """Render one source block with its glossary hits marked (sanitized HTML)."""
    marked = [h for h in hits if not (_MARKUP_CHARS & set(h.text))][:_MAX_MARKED]
    text = block_text
    titles: list[str] = []
    for k, hit in sorted(enumerate(marked), key=lambda kv: kv[1].start, reverse=True):
        s, e = hit.start - block_start, hit.end - block_start
        text = f"{text[:s]}{_OPEN}{chr(_INDEX_BASE + k)}{text[s:e]}{_CLOSE}{text[e:]}"
    titles = [_term_title(h) for h in marked]
    html = render_markdown_cached(f"{text}\n\n{refs_text}" if refs_text else text)
    if not marked:
        return html

    def in_text(segment: str) -> str:
        def mark(m: re.Match[str]) -> str:
            k = ord(m.group(1)) - _INDEX_BASE
            title = escape(titles[k]) if 0 <= k < len(titles) else ""
            return f'<mark class="term" title="{title}">{m.group(2)}</mark>'

        return _SENTINELS_RE.sub("", _MARK_RE.sub(mark, segment))

    out, pos = [], 0
    for tag in _TAG_RE.finditer(html):
        out.append(in_text(html[pos:tag.start()]))
        out.append(_SENTINELS_RE.sub("", tag.group(0)))
        pos = tag.end()
    out.append(in_text(html[pos:]))
    return "".join(out)


def source_blocks(source_md: str, *, terms=(), untranslated=(), changed=()) -> list[SourceBlock]:
    """The source pane: every block but the reference definitions, rendered."""
    doc = parse_markdown(source_md or "")
    refs_text = "\n".join(doc.lines[r.line - 1].rstrip("\r\n") for r in doc.references)
    hits_by_block: dict[int, list[TermHit]] = {}
    for hit in find_terms(source_md, terms) if terms else ():
        hits_by_block.setdefault(hit.block, []).append(hit)
    untranslated, changed = set(untranslated), set(changed)
    out = []
    for block in doc.blocks:
        if block.kind == REFERENCES:
            continue
        hits = hits_by_block.get(block.index, [])
        html = highlight_terms(block.text, block.start, hits, refs_text)
        out.append(SourceBlock(
            index=block.index, line=block.line, kind=block.kind,
            html=mark_safe(html),  # noqa: S308 - rendered and sanitized by articles.rendering; marks escaped
            untranslated=block.index in untranslated, changed=block.index in changed, terms=len(hits),
        ))
    return out


def alignment_map(source_md: str, translation_md: str, *, changed_source=()) -> dict:
    """The map editor.js reads: source block ↔ translation lines, progress, drift marks.

    ``pairs``: ``[source block, first translation line, last translation line]`` for every
    source block with a partner; ``untranslated``: source blocks without a translation;
    ``changed``: translation lines whose source paragraph changed (drift).
    """
    source = parse_markdown(source_md or "")
    translation = parse_markdown(translation_md or "")
    alignment = align(source.blocks, translation.blocks)
    pairs = []
    for pair in alignment.pairs:
        if not pair.source or not pair.translation:
            continue
        first = translation.blocks[pair.translation[0]]
        last = translation.blocks[pair.translation[-1]]
        for s in pair.source:
            pairs.append([s, first.line, last.last_line])
    progress = quality_services.progress_summary(source_md, translation_md)
    changed_lines = sorted({translation.blocks[j].line for j in alignment.translation_blocks_for(changed_source)})
    return {
        "pairs": pairs,
        "untranslated": list(progress.untranslated_blocks),
        "progress": [progress.translated, progress.total],
        "changed": changed_lines,
        "changedSource": sorted(changed_source),
    }


@dataclass(frozen=True)
class DriftChange:
    op: str                       # replace / delete / insert
    old_text: tuple[str, ...]
    new_text: tuple[str, ...]
    old_line: int | None
    source_blocks: tuple[int, ...]        # blocks of the article's current source
    translation_lines: tuple[int, ...]    # first lines of the translated paragraphs concerned


@dataclass(frozen=True)
class DriftView:
    changed_at: object
    snapshot_id: int
    changes: tuple[DriftChange, ...]
    source_blocks: tuple[int, ...] = ()
    translation_lines: tuple[int, ...] = ()
    can_resolve: bool = False

    @property
    def count(self) -> int:
        return len(self.changes)


def drift_view(article: Article, *, source_md: str, translation_md: str, user=None) -> DriftView | None:
    """The latest source change of a flagged article, mapped onto its source and draft.

    The snapshot's diff names blocks of the previous snapshot; they are found in the
    article's source by their comparison key (the source the translation follows may have
    been edited by a collector after it was fetched), then in the draft through the
    alignment (``Alignment.translation_blocks_for``).
    """
    if article.source_changed_at is None:
        return None
    from articles import drift

    snapshot = drift.latest_snapshot(article)
    if snapshot is None:
        return None
    keys: dict[str, list[int]] = {}
    for index, key in drift.block_keys(source_md):
        keys.setdefault(key, []).append(index)
    source = parse_markdown(source_md or "")
    translation = parse_markdown(translation_md or "")
    alignment = align(source.blocks, translation.blocks)
    changes, all_blocks, all_lines = [], set(), set()
    for op in snapshot.diff or []:
        blocks = sorted({i for key in op.get("old_keys", []) for i in keys.get(key, [])})
        lines = sorted({translation.blocks[j].line for j in alignment.translation_blocks_for(blocks)})
        all_blocks.update(blocks)
        all_lines.update(lines)
        changes.append(DriftChange(op=op.get("op", ""), old_text=tuple(op.get("old_text", [])),
                                   new_text=tuple(op.get("new_text", [])), old_line=op.get("old_line"),
                                   source_blocks=tuple(blocks), translation_lines=tuple(lines)))
    return DriftView(
        changed_at=article.source_changed_at, snapshot_id=snapshot.pk, changes=tuple(changes),
        source_blocks=tuple(sorted(all_blocks)), translation_lines=tuple(sorted(all_lines)),
        can_resolve=drift.can_resolve_drift(user, article) if user is not None else False,
    )


class EditorState:
    """The editor's view of one draft; each part is computed when a template first asks."""

    def __init__(self, article: Article, *, source_md: str, translation_md: str, stage: str, user=None) -> None:
        self.article = article
        self.source_md = source_md
        self.translation_md = translation_md
        self.stage = stage
        self.user = user

    @cached_property
    def report(self) -> quality_services.QualityReport:
        return quality_services.check_texts(
            source_md=self.source_md, translation_md=self.translation_md, stage=self.stage)

    @cached_property
    def progress(self) -> quality_services.ProgressSummary:
        return quality_services.progress_summary(self.source_md, self.translation_md)

    @cached_property
    def drift(self) -> DriftView | None:
        return drift_view(self.article, source_md=self.source_md, translation_md=self.translation_md,
                          user=self.user)

    @property
    def changed_source(self) -> tuple[int, ...]:
        return self.drift.source_blocks if self.drift else ()

    @cached_property
    def blocks(self) -> list[SourceBlock]:
        return source_blocks(self.source_md, terms=quality_services.glossary_terms(),
                             untranslated=self.progress.untranslated_blocks, changed=self.changed_source)

    @cached_property
    def alignment(self) -> dict:
        return alignment_map(self.source_md, self.translation_md, changed_source=self.changed_source)


_STATE_ATTR = "_editor_state"


def editor_state(article: Article, *, text: str | None = None, user=None, stage: str | None = None) -> EditorState:
    """Everything the editor shows for the article's draft (or ``text``); memoised on the
    article object so the template tags of one page compute it once."""
    source_md, translation_md = quality_services.article_texts(article, text)
    stage = stage or quality_services.stage_for(article)
    key = (hash(source_md), hash(translation_md), stage, getattr(user, "pk", None))
    cached = getattr(article, _STATE_ATTR, None)
    if cached is not None and cached[0] == key:
        return cached[1]
    state = EditorState(article, source_md=source_md, translation_md=translation_md, stage=stage, user=user)
    setattr(article, _STATE_ATTR, (key, state))
    return state
