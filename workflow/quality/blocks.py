"""LCTT markdown → header, title, body blocks, footer and reference definitions.

A document is parsed once (markdown-it-py, CommonMark plus tables and strikethrough) and
cut into top-level blocks, each with its line range, its character range in the original
text and a stable hash. Everything here is a pure function of the text; ``parse_markdown``
memoises by text so the checks, the alignment and the autofix share one parse.

LCTT specifics (see DESIGN.md, "The LCTT file format"):

* the ``[#]: key: "value"`` / ``[#]: key: (value)`` header at the top (absent before 2018-11);
* the title, ``=====`` underlined or ``#``, as the first body block;
* the footer: the last ``-----`` rule followed by ``via:`` (or by the credit lines), then
  作者 / 选题 / 译者 / 校对 lines, the 本文由 LCTT … line and the ``[n]: url`` definitions.

Line numbers in the public API are 1-based (``Block.line``); ``start_line``/``end_line``
are markdown-it's 0-based half-open map.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .text import URL_RE, han_count, latin_words, translatable_words

HEADING = "heading"
PARAGRAPH = "paragraph"
LIST = "list"
CODE = "code"
TABLE = "table"
BLOCKQUOTE = "blockquote"
IMAGE = "image"
HTML = "html"
RULE = "rule"
REFERENCES = "references"

# Kinds whose text is prose a translator translates.
PROSE_KINDS = frozenset({HEADING, PARAGRAPH, LIST, TABLE, BLOCKQUOTE})

HEADER_KEYS = ("subject", "via", "author", "collector", "translator", "reviewer", "publisher", "url")

_md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+\Z")
_HEADER_RE = re.compile(r"^\ufeff?\[#\]:[ \t]*(?P<key>[^:：]*?)[ \t]*[:：][ \t]*(?P<value>.*?)[ \t]*$")
_RULE_RE = re.compile(r"^ {0,3}(?:-[ \t]*){3,}$")
_VIA_RE = re.compile(r"^\s*via\s*[:：]\s*(?P<url>\S*)", re.IGNORECASE)
_CREDIT_LINE_RE = re.compile(r"^\s*(?:作者|译者|校对|选题)\s*[:：]")
_CREDIT_RE = re.compile(
    r"(?P<label>作者|译者|校对|选题)\s*[:：]\s*"
    r"(?:\[(?P<name>[^\]]*)\](?:\((?P<url>[^)\s]*)[^)]*\)|\[(?P<ref>[^\]]*)\])?|(?P<bare>[^\s\[]+))"
)
_LCTT_LINE_RE = re.compile(r"本文由\s*\[?LCTT")
_REFDEF_RE = re.compile(
    r"^ {0,3}\[(?P<label>[^\]]+)\]:[ \t]*<?(?P<url>[^\s>]*)>?(?:[ \t]+(?P<title>.*?))?[ \t]*$"
)
_CREDIT_ROLES = {"作者": "author", "选题": "collector", "译者": "translator", "校对": "reviewer"}


def split_lines(text: str) -> list[str]:
    """Lines with their endings, split exactly as markdown-it counts them (CR, LF, CRLF)."""
    return _LINE_RE.findall(text)


def _strip_eol(line: str) -> str:
    return line.rstrip("\r\n")


@dataclass(frozen=True, slots=True)
class Inline:
    """What the inline content of a block holds (code blocks and HTML have none)."""

    code_spans: tuple[str, ...] = ()
    links: tuple[str, ...] = ()       # hrefs of links (inline, reference and autolinks)
    images: tuple[str, ...] = ()      # image sources
    prose: str = ""                  # visible text without inline code, URLs or image alts
    han: int = 0
    words: int = 0                   # Latin words in ``prose``
    translatable: int = 0            # of which a translator translates (not SQL, GitHub …)


@dataclass(frozen=True, slots=True)
class Block:
    index: int
    kind: str
    start_line: int          # 0-based, inclusive
    end_line: int            # 0-based, exclusive
    start: int               # character offsets in the original text
    end: int
    text: str                # the block's original text, line endings included
    hash: str                # kind + exact text (line endings normalised)
    text_hash: str           # kind + text with whitespace collapsed: "same content"
    level: int = 0           # heading level
    is_title: bool = False
    setext: bool = False
    info: str = ""           # fence info string
    lang: str = ""           # first word of the info string
    content: str = ""        # code block content, exact
    codes: tuple[tuple[str, str], ...] = ()  # (info, content) of every code block inside
    items: tuple[str, ...] = ()              # list items, their source text
    ordered: bool = False
    rows: int = 0
    columns: int = 0
    inline: Inline = field(default_factory=Inline)

    @property
    def line(self) -> int:
        """1-based number of the block's first line."""
        return self.start_line + 1

    @property
    def last_line(self) -> int:
        return self.end_line

    @property
    def is_prose(self) -> bool:
        return self.kind in PROSE_KINDS


@dataclass(frozen=True, slots=True)
class Header:
    fields: dict[str, str]       # known key → value ("" when empty)
    raw_keys: tuple[str, ...]    # keys as written, in order
    unknown_keys: tuple[str, ...]
    start_line: int
    end_line: int

    def get(self, key: str) -> str:
        return self.fields.get(key, "")


@dataclass(frozen=True, slots=True)
class Credit:
    role: str        # author / collector / translator / reviewer
    name: str
    url: str
    line: int        # 1-based


@dataclass(frozen=True, slots=True)
class RefDef:
    label: str
    url: str
    title: str
    line: int        # 1-based


@dataclass(frozen=True, slots=True)
class Footer:
    start_line: int              # 0-based: the rule line, or the first footer line
    end_line: int
    via: str
    credits: tuple[Credit, ...]
    has_lctt_line: bool

    def credit(self, role: str) -> Credit | None:
        return next((c for c in self.credits if c.role == role), None)


@dataclass(frozen=True, slots=True)
class Document:
    text: str
    lines: tuple[str, ...]
    line_starts: tuple[int, ...]
    header: Header | None
    blocks: tuple[Block, ...]          # the body: title first (when there is one), no footer
    footer: Footer | None
    references: tuple[RefDef, ...]     # every reference definition, body and footer
    hash: str

    @property
    def title(self) -> Block | None:
        return self.blocks[0] if self.blocks and self.blocks[0].is_title else None

    @property
    def reference_map(self) -> dict[str, str]:
        """Normalised label → URL (the first definition wins, as in CommonMark)."""
        out: dict[str, str] = {}
        for ref in self.references:
            out.setdefault(normalize_label(ref.label), ref.url)
        return out

    def line_of_offset(self, offset: int) -> int:
        """1-based line number holding character ``offset``."""
        from bisect import bisect_right

        return bisect_right(self.line_starts, offset)


def normalize_label(label: str) -> str:
    return " ".join(label.split()).casefold()


def _sha(*parts: str) -> str:
    h = hashlib.sha1(usedforsecurity=False)
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def parse_header(lines: list[str]) -> Header | None:
    fields: dict[str, str] = {}
    raw_keys: list[str] = []
    unknown: list[str] = []
    start = None
    i = 0
    while i < len(lines) and not _strip_eol(lines[i]).strip() and start is None:
        i += 1
    end = i
    for j in range(i, len(lines)):
        line = _strip_eol(lines[j])
        m = _HEADER_RE.match(line)
        if not m:
            break
        if start is None:
            start = j
        end = j + 1
        key = m["key"].strip()
        value = m["value"].strip()
        if len(value) >= 2 and (value[0], value[-1]) in {('"', '"'), ("(", ")")}:
            value = value[1:-1]
        value = value.strip()
        raw_keys.append(key)
        norm = key.lower()
        if norm in HEADER_KEYS and norm not in fields:
            fields[norm] = value
        else:
            unknown.append(key)
    if start is None:
        return None
    return Header(fields, tuple(raw_keys), tuple(unknown), start, end)


def _find_footer_start(lines: list[str], body_start: int) -> tuple[int, bool] | None:
    """(first footer line, whether that line is the ``-----`` rule), or None."""
    n = len(lines)
    stripped = [_strip_eol(x) for x in lines]
    for i in range(n - 1, body_start - 1, -1):
        if _RULE_RE.match(stripped[i]):
            j = i + 1
            while j < n and not stripped[j].strip():
                j += 1
            if j < n and (_VIA_RE.match(stripped[j]) or _CREDIT_LINE_RE.match(stripped[j])):
                return i, True
    # No rule: the last "via:" line followed by credit lines starts the footer.
    for i in range(n - 1, body_start - 1, -1):
        if _VIA_RE.match(stripped[i]) and any(
            _CREDIT_LINE_RE.match(x) or _LCTT_LINE_RE.search(x) for x in stripped[i + 1 :]
        ):
            return i, False
    return None


def _parse_footer(lines: list[str], start: int, refs: dict[str, str]) -> Footer:
    via = ""
    credits: list[Credit] = []
    has_lctt = False
    for i in range(start, len(lines)):
        line = _strip_eol(lines[i])
        m = _VIA_RE.match(line)
        if m and not via:
            via = m["url"]
        if _LCTT_LINE_RE.search(line):
            has_lctt = True
        for c in _CREDIT_RE.finditer(line):
            name = (c["name"] if c["name"] is not None else c["bare"] or "").strip()
            url = c["url"] or ""
            if c["ref"] is not None:
                url = refs.get(normalize_label(c["ref"] or c["name"] or ""), "")
            credits.append(Credit(_CREDIT_ROLES[c["label"]], name, url, i + 1))
    return Footer(start, len(lines), via, tuple(credits), has_lctt)


def _inline_facts(tokens: Iterable[Token]) -> Inline:
    code_spans: list[str] = []
    links: list[str] = []
    images: list[str] = []
    prose: list[str] = []
    for tok in tokens:
        if tok.type != "inline" or not tok.children:
            continue
        for child in tok.children:
            t = child.type
            if t == "text":
                prose.append(child.content)
            elif t == "code_inline":
                code_spans.append(child.content)
                prose.append(" ")
            elif t == "link_open":
                links.append(str(child.attrGet("href") or ""))
            elif t == "image":
                images.append(str(child.attrGet("src") or ""))
                prose.append(" ")
            elif t in ("softbreak", "hardbreak"):
                prose.append("\n")
        prose.append("\n")
    text = "".join(prose).strip()
    visible = URL_RE.sub(" ", text)
    return Inline(
        tuple(code_spans), tuple(links), tuple(images), text, han_count(visible), latin_words(visible),
        translatable_words(visible),
    )


def _is_image_only(inline_tok: Token) -> bool:
    children = inline_tok.children or []
    saw_image = False
    for child in children:
        if child.type == "image":
            saw_image = True
        elif child.type in ("softbreak", "hardbreak", "link_open", "link_close") or (child.type == "text" and not child.content.strip()):
            continue
        else:
            return False
    return saw_image


def _group_end(tokens: list[Token], i: int) -> int:
    if tokens[i].nesting != 1:
        return i + 1
    depth = 0
    j = i
    while j < len(tokens):
        depth += tokens[j].nesting
        j += 1
        if depth == 0:
            break
    return j


def _trim_blank(lines: list[str], start: int, end: int) -> int:
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return end


def _make_block(index: int, group: list[Token], lines: list[str], line_starts: list[int], limit: int) -> Block:
    first = group[0]
    start_line, end_line = first.map or (0, 0)
    # markdown-it counts trailing blank lines into lists; the footer is never part of a block.
    end_line = _trim_blank(lines, start_line, min(end_line, limit))
    text = "".join(lines[start_line:end_line])
    start = line_starts[start_line] if start_line < len(line_starts) else len(text)
    end = start + len(text)
    t = first.type
    extra: dict = {}
    codes = tuple(
        (tok.info.strip(), tok.content) for tok in group if tok.type in ("fence", "code_block")
    )
    if t == "heading_open":
        kind = HEADING
        extra.update(level=int(first.tag[1]), setext=first.markup in ("=", "-"))
    elif t == "paragraph_open":
        kind = IMAGE if _is_image_only(group[1]) else PARAGRAPH
    elif t in ("bullet_list_open", "ordered_list_open"):
        kind = LIST
        items = []
        for tok in group:
            if tok.type == "list_item_open" and tok.level == first.level + 1 and tok.map:
                s, e = tok.map[0], _trim_blank(lines, tok.map[0], min(tok.map[1], end_line))
                items.append("".join(lines[s:e]))
        extra.update(items=tuple(items), ordered=t == "ordered_list_open")
    elif t in ("fence", "code_block"):
        kind = CODE
        info = first.info.strip() if t == "fence" else ""
        extra.update(info=info, lang=info.split()[0] if info else "", content=first.content)
    elif t == "table_open":
        kind = TABLE
        rows = sum(1 for tok in group if tok.type == "tr_open")
        first_tr = next((k for k, tok in enumerate(group) if tok.type == "tr_open"), None)
        columns = 0
        if first_tr is not None:
            for tok in group[first_tr + 1 :]:
                if tok.type == "tr_close":
                    break
                if tok.type in ("th_open", "td_open"):
                    columns += 1
        extra.update(rows=rows, columns=columns)
    elif t == "blockquote_open":
        kind = BLOCKQUOTE
    elif t == "hr":
        kind = RULE
    else:
        kind = HTML
    inline = _inline_facts(group) if kind not in (CODE, HTML, RULE) else Inline()
    norm = text.replace("\r\n", "\n").replace("\r", "\n")
    return Block(
        index=index, kind=kind, start_line=start_line, end_line=end_line, start=start, end=end,
        text=text, hash=_sha(kind, norm), text_hash=_sha(kind, " ".join(norm.split())),
        codes=codes, inline=inline, **extra,
    )


def _references_block(index: int, start_line: int, end_line: int, lines: list[str], line_starts: list[int]) -> Block:
    text = "".join(lines[start_line:end_line])
    norm = text.replace("\r\n", "\n").replace("\r", "\n")
    return Block(
        index=index, kind=REFERENCES, start_line=start_line, end_line=end_line,
        start=line_starts[start_line], end=line_starts[start_line] + len(text), text=text,
        hash=_sha(REFERENCES, norm), text_hash=_sha(REFERENCES, " ".join(norm.split())),
    )


@lru_cache(maxsize=256)
def parse_markdown(text: str) -> Document:
    """Parse an LCTT markdown file (or any markdown) into a :class:`Document`."""
    lines = split_lines(text)
    line_starts: list[int] = []
    pos = 0
    for line in lines:
        line_starts.append(pos)
        pos += len(line)
    header = parse_header(lines)
    body_start = header.end_line if header else 0
    footer_at = _find_footer_start(lines, body_start)
    footer_start = footer_at[0] if footer_at else len(lines)

    # What markdown-it sees: the header lines and the footer rule blanked (same line count),
    # so the header is not read as link definitions and the rule cannot turn the last body
    # paragraph into a setext heading.
    blanked = [_strip_eol(x) for x in lines]
    for i in range(0, body_start):
        blanked[i] = ""
    if footer_at and footer_at[1]:
        blanked[footer_start] = ""
    tokens = _md.parse("\n".join(blanked))

    refdefs: list[RefDef] = []
    covered = [False] * len(lines)
    blocks: list[Block] = []
    groups: list[list[Token]] = []
    i = 0
    while i < len(tokens):
        j = _group_end(tokens, i)
        group = tokens[i:j]
        if group[0].map:
            groups.append(group)
            for k in range(group[0].map[0], min(group[0].map[1], len(lines))):
                covered[k] = True
        i = j

    # Reference definitions produce no tokens: they are the uncovered, non-blank lines.
    ref_runs: list[tuple[int, int]] = []
    run_start = None
    for k in range(body_start, len(lines)):
        line = blanked[k]
        m = None if covered[k] else _REFDEF_RE.match(line)
        if m:
            refdefs.append(RefDef(m["label"], m["url"], (m["title"] or "").strip(), k + 1))
            if run_start is None:
                run_start = k
        elif run_start is not None and (covered[k] or line.strip()):
            ref_runs.append((run_start, k))
            run_start = None
    if run_start is not None:
        ref_runs.append((run_start, len(lines)))

    items: list[tuple[int, object]] = [(g[0].map[0], g) for g in groups]
    items += [(s, (s, e)) for s, e in ref_runs]
    items.sort(key=lambda x: x[0])
    for start_line, item in items:
        if start_line >= footer_start:
            continue
        if isinstance(item, tuple):
            s, e = item
            blocks.append(_references_block(len(blocks), s, min(e, footer_start), lines, line_starts))
        else:
            blocks.append(_make_block(len(blocks), item, lines, line_starts, footer_start))

    # The title: the first body block when it is an underlined or level-1 heading.
    if blocks and blocks[0].kind == HEADING and (blocks[0].setext or blocks[0].level == 1):
        blocks[0] = replace(blocks[0], is_title=True)

    refs_map: dict[str, str] = {}
    for ref in refdefs:
        refs_map.setdefault(normalize_label(ref.label), ref.url)
    footer = _parse_footer(lines, footer_start, refs_map) if footer_at else None
    return Document(
        text=text, lines=tuple(lines), line_starts=tuple(line_starts), header=header,
        blocks=tuple(blocks), footer=footer, references=tuple(refdefs), hash=_sha(text),
    )
