"""Source paragraph ↔ translation paragraph alignment.

Two passes:

1. **Anchors.** Blocks that translators carry over unchanged and in order — code blocks
   (by content), images (by URL), headings (by level), tables (by column count), lists,
   rules and HTML blocks — are matched as sequences (``difflib.SequenceMatcher``). They
   cut both documents into short segments.
2. **Gale–Church style dynamic programming** inside each segment, over the block sizes
   (English words in the source; for the translation, Han characters ÷ ``HAN_PER_WORD`` +
   Latin words, so an untranslated English paragraph has its source's size). Moves: 1:1,
   1:0 (missing), 0:1 (extra), 2:1 (merged) and 1:2 (split); the cost of a match is the
   squared-free |log| of the size ratio plus a penalty for differing kinds.

Results are cached per segment (by block hashes), so after an edit to one paragraph only
its segment is aligned again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache

from .blocks import (
    BLOCKQUOTE,
    CODE,
    HEADING,
    HTML,
    IMAGE,
    LIST,
    PARAGRAPH,
    REFERENCES,
    RULE,
    TABLE,
    Block,
)
from .text import HAN_PER_WORD, KEPT_WORD_RE, han_count, word_equivalents

_PROSE_MERGEABLE = frozenset({PARAGRAPH, BLOCKQUOTE, LIST})
_SKIP = 4.0
_MERGE = 2.5
_LENGTH_WEIGHT = 2.5
_TOKEN_WEIGHT = 4.0

# A source paragraph counts as translated when its partner's Han characters make up at
# least this share of its size in English-word equivalents.
TRANSLATED_HAN_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class Pair:
    source: tuple[int, ...]
    translation: tuple[int, ...]

    @property
    def kind(self) -> str:
        return f"{len(self.source)}:{len(self.translation)}"


@dataclass(frozen=True)
class Alignment:
    pairs: tuple[Pair, ...]
    _by_source: dict[int, Pair] = field(default_factory=dict, repr=False, compare=False)
    _by_translation: dict[int, Pair] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for pair in self.pairs:
            for i in pair.source:
                self._by_source[i] = pair
            for j in pair.translation:
                self._by_translation[j] = pair

    def partner_of_source(self, index: int) -> tuple[int, ...]:
        pair = self._by_source.get(index)
        return pair.translation if pair else ()

    def partner_of_translation(self, index: int) -> tuple[int, ...]:
        pair = self._by_translation.get(index)
        return pair.source if pair else ()

    def translation_blocks_for(self, source_block_indexes: Iterable[int]) -> list[int]:
        """Translation block indexes that correspond to the given source blocks (drift)."""
        out: set[int] = set()
        for i in source_block_indexes:
            out.update(self.partner_of_source(i))
        return sorted(out)

    def source_blocks_for(self, translation_block_indexes: Iterable[int]) -> list[int]:
        out: set[int] = set()
        for j in translation_block_indexes:
            out.update(self.partner_of_translation(j))
        return sorted(out)


def block_size(block: Block) -> float:
    if block.kind == CODE:
        return max(1, block.content.count("\n"))
    if block.kind in (IMAGE, RULE, HTML, REFERENCES):
        return 1.0
    return word_equivalents(block.inline.prose)


def _anchor_key(block: Block) -> tuple | None:
    if block.kind == CODE:
        return (CODE, block.hash)
    if block.kind == IMAGE:
        return (IMAGE, block.inline.images[:1])
    if block.kind == HEADING:
        return (HEADING, block.level, block.is_title)
    if block.kind == TABLE:
        return (TABLE, block.columns)
    if block.kind in (LIST, RULE, HTML):
        return (block.kind,)
    return None


@dataclass(frozen=True, slots=True)
class _Unit:
    """What the aligner needs of a block; hashable so segments can be cached."""

    kind: str
    size: float
    key: tuple | None
    hash: str
    level: int = 0
    code: str = ""
    image: str = ""
    tokens: frozenset[str] = frozenset()


_UNITS: dict[str, _Unit] = {}


def _unit(block: Block) -> _Unit:
    """Per block hash: a save that changed one paragraph measures only that paragraph."""
    unit = _UNITS.get(block.hash)
    if unit is None:
        if len(_UNITS) > 20000:
            _UNITS.clear()
        unit = _UNITS[block.hash] = _make_unit(block)
    return unit


def _make_unit(block: Block) -> _Unit:
    return _Unit(
        kind=block.kind, size=block_size(block), key=_anchor_key(block), hash=block.hash,
        level=block.level, code=block.content if block.kind == CODE else "",
        image=block.inline.images[0] if block.inline.images else "",
        tokens=_tokens(block),
    )




def _tokens(block: Block) -> frozenset[str]:
    """What survives translation verbatim: inline code, URLs, numbers, KDE/GitHub-style words."""
    inline = block.inline
    return frozenset((*inline.code_spans, *inline.links, *inline.images, *KEPT_WORD_RE.findall(inline.prose)))


def _merge_token_cost(a: frozenset[str], b: frozenset[str], other: frozenset[str]) -> float:
    """Each of the two merged blocks must find its own tokens in the other side."""
    miss_a = len(a - other) / len(a) if a else 0.0
    miss_b = len(b - other) / len(b) if b else 0.0
    return _TOKEN_WEIGHT * max(miss_a, miss_b)


def _token_cost(s: frozenset[str], t: frozenset[str]) -> float:
    if not s and not t:
        return 0.0
    missing = len(s - t) / len(s) if s else 0.0
    extra = len(t - s) / len(t) if t else 0.0
    return _TOKEN_WEIGHT * (missing + extra) / 2


def _length_cost(s: float, t: float) -> float:
    return _LENGTH_WEIGHT * abs(math.log((t + 2.0) / (s + 2.0)))


def _match_cost(s: _Unit, t: _Unit) -> float:
    if s.kind == t.kind:
        if s.kind == CODE:
            return 0.0 if s.code == t.code else 1.0
        if s.kind == IMAGE:
            return 0.0 if s.image == t.image else 1.5
        if s.kind == HEADING:
            return (0.0 if s.level == t.level else 1.5) + 0.3 * _length_cost(s.size, t.size)
        if s.kind in (RULE, HTML):
            return 0.5
        return _length_cost(s.size, t.size) + _token_cost(s.tokens, t.tokens)
    pair = {s.kind, t.kind}
    if pair == {PARAGRAPH, BLOCKQUOTE}:
        # LCTT turns the source's lead paragraph into a "> …" quote.
        return 1.0 + _length_cost(s.size, t.size) + _token_cost(s.tokens, t.tokens)
    if pair == {PARAGRAPH, LIST}:
        return 2.5 + _length_cost(s.size, t.size) + _token_cost(s.tokens, t.tokens)
    if pair == {PARAGRAPH, IMAGE} or pair == {PARAGRAPH, HTML}:
        return 3.5
    return math.inf


@lru_cache(maxsize=4096)
def _align_segment(src: tuple[_Unit, ...], tr: tuple[_Unit, ...]) -> tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]:
    n, m = len(src), len(tr)
    if n == 0:
        return tuple(((), (j,)) for j in range(m))
    if m == 0:
        return tuple(((i,), ()) for i in range(n))
    band = max(8, int(0.2 * max(n, m)) + abs(n - m))
    inf = math.inf
    cost = [[inf] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int] | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    cost[0][0] = 0.0
    for i in range(n + 1):
        centre = i * m / n
        lo = max(0, int(centre) - band)
        hi = min(m, int(centre) + band + 1)
        row = cost[i]
        for j in range(lo, hi + 1):
            if i == 0 and j == 0:
                continue
            best = inf
            move = None
            if i and j:
                c = cost[i - 1][j - 1] + _match_cost(src[i - 1], tr[j - 1])
                if c < best:
                    best, move = c, (1, 1)
            if i:
                c = cost[i - 1][j] + _SKIP
                if c < best:
                    best, move = c, (1, 0)
            if j:
                c = row[j - 1] + _SKIP
                if c < best:
                    best, move = c, (0, 1)
            if i >= 2 and j and src[i - 1].kind in _PROSE_MERGEABLE and src[i - 2].kind in _PROSE_MERGEABLE \
                    and tr[j - 1].kind in _PROSE_MERGEABLE:
                c = (cost[i - 2][j - 1] + _MERGE
                     + _length_cost(src[i - 1].size + src[i - 2].size, tr[j - 1].size)
                     + _merge_token_cost(src[i - 2].tokens, src[i - 1].tokens, tr[j - 1].tokens))
                if c < best:
                    best, move = c, (2, 1)
            if j >= 2 and i and tr[j - 1].kind in _PROSE_MERGEABLE and tr[j - 2].kind in _PROSE_MERGEABLE \
                    and src[i - 1].kind in _PROSE_MERGEABLE:
                c = (cost[i - 1][j - 2] + _MERGE
                     + _length_cost(src[i - 1].size, tr[j - 1].size + tr[j - 2].size)
                     + _merge_token_cost(tr[j - 2].tokens, tr[j - 1].tokens, src[i - 1].tokens))
                if c < best:
                    best, move = c, (1, 2)
            row[j] = best
            back[i][j] = move
    out: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    i, j = n, m
    while i or j:
        move = back[i][j]
        if move is None:  # outside the band: fall back to skips
            move = (1, 0) if i else (0, 1)
        di, dj = move
        out.append((tuple(range(i - di, i)), tuple(range(j - dj, j))))
        i, j = i - di, j - dj
    out.reverse()
    return tuple(out)


def align(source_blocks: Sequence[Block], translation_blocks: Sequence[Block]) -> Alignment:
    """Pair source blocks with translation blocks; indexes are positions in the sequences.

    Reference-definition blocks take no part (they are compared by the link checks).
    """
    s_idx = [i for i, b in enumerate(source_blocks) if b.kind != REFERENCES]
    t_idx = [j for j, b in enumerate(translation_blocks) if b.kind != REFERENCES]
    s_units = [_unit(source_blocks[i]) for i in s_idx]
    t_units = [_unit(translation_blocks[j]) for j in t_idx]
    pairs = _align_units(tuple(s_units), tuple(t_units))
    return Alignment(tuple(
        Pair(tuple(s_idx[i] for i in src), tuple(t_idx[j] for j in tr)) for src, tr in pairs
    ))


@lru_cache(maxsize=256)
def _align_units(s_units: tuple[_Unit, ...], t_units: tuple[_Unit, ...]):
    s_keys = [(k, u.key) for k, u in enumerate(s_units) if u.key is not None]
    t_keys = [(k, u.key) for k, u in enumerate(t_units) if u.key is not None]
    matcher = SequenceMatcher(None, [k for _, k in s_keys], [k for _, k in t_keys], autojunk=False)
    anchors: list[tuple[int, int]] = []
    for a, b, size in matcher.get_matching_blocks():
        for d in range(size):
            anchors.append((s_keys[a + d][0], t_keys[b + d][0]))
    out: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    ps, pt = 0, 0
    for sa, ta in [*anchors, (len(s_units), len(t_units))]:
        seg = _align_segment(tuple(s_units[ps:sa]), tuple(t_units[pt:ta]))
        for src, tr in seg:
            out.append((tuple(ps + i for i in src), tuple(pt + j for j in tr)))
        if sa < len(s_units):
            out.append(((sa,), (ta,)))
        ps, pt = sa + 1, ta + 1
    return tuple(out)


def is_translated(source: Block, partners: Sequence[Block]) -> bool:
    """Whether a source block counts as translated (per-paragraph progress)."""
    if source.kind not in _PROSE_MERGEABLE | {HEADING, TABLE}:
        return bool(partners) or source.kind in (RULE, HTML)
    if source.inline.translatable < 3:
        return bool(partners)
    han = sum(han_count(b.inline.prose) for b in partners)
    size = sum(block_size(b) for b in partners)
    return size > 0 and (han / HAN_PER_WORD) / size >= TRANSLATED_HAN_SHARE


@dataclass(frozen=True, slots=True)
class Progress:
    translated: int
    total: int
    per_source_block: tuple[bool, ...]   # by source block index; non-prose blocks count as done

    @property
    def ratio(self) -> float:
        return self.translated / self.total if self.total else 1.0


def paragraph_progress(source_blocks: Sequence[Block], translation_blocks: Sequence[Block],
                       alignment: Alignment | None = None) -> Progress:
    alignment = alignment or align(source_blocks, translation_blocks)
    flags: list[bool] = []
    translated = total = 0
    for i, block in enumerate(source_blocks):
        if block.kind not in _PROSE_MERGEABLE | {HEADING, TABLE}:
            flags.append(True)
            continue
        partners = [translation_blocks[j] for j in alignment.partner_of_source(i)]
        done = is_translated(block, partners)
        flags.append(done)
        total += 1
        translated += done
    return Progress(translated, total, tuple(flags))
