"""Chinese typography (中文文案排版指北, as LCTT applied it): detection and a safe autofix.

The rules work on a *working string*: the block's text with everything that must never
change (inline code, link destinations and reference labels, autolinks, bare URLs and
paths, raw HTML, backslash escapes, entities) replaced by one private-use sentinel
character each, and emphasis delimiter runs replaced by opener/closer sentinels. The
regular expressions only insert or delete spaces, swap ASCII punctuation for full-width
punctuation and fix the case of Latin letters, so the sentinels keep their order and are
put back untouched. Whole blocks that must not change (code blocks, HTML blocks, reference
definitions, the ``[#]:`` header, the footer) are never given to the rules at all.

As a last guard, a block whose fixed text parses to a different inline structure (a
link, an emphasis or a code span appearing or disappearing) keeps its original text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from .blocks import BLOCKQUOTE, LIST, PROSE_KINDS, TABLE, _md, parse_markdown, split_lines
from .text import HAN

# --- sentinels -------------------------------------------------------------------------

S_CODE = "\ue000"   # inline code: spaced like a Latin word
S_URL = "\ue001"    # bare URL, autolink, path: spaced like a Latin word
S_DEST = "\ue002"   # "(destination)" or "[label]" right after "]": closing markup
S_HTML = "\ue003"   # inline HTML: a hard boundary, nothing is spaced across it
S_OPEN = "\ue004"   # emphasis opener run
S_CLOSE = "\ue005"  # emphasis closer run
S_LIT = "\ue006"    # neutral literal: escapes, entities, private-use characters of the input
_SENTINEL_RE = re.compile("[\ue000-\ue006]")

H = HAN
L = "A-Za-z0-9" + S_CODE + S_URL
_OPENERS = rf"(?:!?\[|{S_OPEN})"
_CLOSERS = rf"(?:\]|{S_DEST}|{S_CLOSE})"

_ASCII_PUNCT = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")

_PROTECTED_RE = re.compile(
    # Block markers at a line start ("## ", "> ", "- ", "1. "): a space after them is syntax.
    r"(?P<marker>^[ \t]*(?:(?:>[ \t]?)+(?:[ \t]*(?:#{1,6}|[-*+]|\d{1,9}[.)])(?=[ \t]|$))?"
    r"|(?:#{1,6}|[-*+]|\d{1,9}[.)])(?=[ \t]|$))[ \t]*)"
    r"|(?P<footnote>^[ \t]*\[\^[^\]\s]+\]:|\[\^[^\]\s]+\])"
    r"|(?P<escape>\\[!-/:-@\[-`{-~])"
    r"|(?P<code>(?<!`)(?P<ticks>`+)(?!`)(?:.*?[^`])??(?<!`)(?P=ticks)(?!`))"
    r"|(?P<autolink><(?:[A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\s<>]*|[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+)>)"
    r"|(?P<html><!--.*?-->|</?[A-Za-z][A-Za-z0-9\-]*(?:\s+[^<>]*?)?/?>)"
    r"|(?P<dest>(?<=\])(?:\([ \t]*<[^<>\n]*>[^()\n]*\)|\((?:[^()\s]|\([^()\s]*\))*(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^)\n]*\)))?\s*\)|\[[^\]\n]*\]))"
    r"|(?P<url>(?:https?|ftp)://[^\s<>\"'()\[\]{}（）\u3000-\u303f\uff00-\uffef" + H + r"]*[^\s<>\"'()\[\]{}（）\u3000-\u303f\uff00-\uffef.,;:!?" + H + r"])"
    r"|(?P<path>(?<![A-Za-z0-9_./~\-])(?:~|\.{1,2})?/[A-Za-z0-9_~+\-][A-Za-z0-9_.~+/\-]*[A-Za-z0-9_~+/\-])"
    r"|(?P<entity>&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});)"
    r"|(?P<pua>[\ue000-\uf8ff])"
    r"|(?P<emph>\*+|_+|~~+)",
    re.DOTALL | re.MULTILINE,
)


def _is_ws(c: str) -> bool:
    return c == "" or c.isspace()


def _is_punct(c: str) -> bool:
    return c != "" and (c in _ASCII_PUNCT or unicodedata.category(c)[0] in "PS")


@dataclass(slots=True)
class Masked:
    work: str
    segments: list[str]

    def restore(self, work: str | None = None) -> str:
        it = iter(self.segments)
        return _SENTINEL_RE.sub(lambda _m: next(it), self.work if work is None else work)


def mask(text: str) -> Masked:
    """Replace every protected span of a prose block's text by a sentinel."""
    out: list[str] = []
    segments: list[str] = []
    stack: list[str] = []
    pos = 0
    for m in _PROTECTED_RE.finditer(text):
        kind = "code" if m["code"] is not None else m.lastgroup
        out.append(text[pos : m.start()])
        token = m.group(0)
        if kind == "emph":
            prev = text[m.start() - 1] if m.start() else ""
            nxt = text[m.end()] if m.end() < len(text) else ""
            left = not _is_ws(nxt) and (not _is_punct(nxt) or _is_ws(prev) or _is_punct(prev))
            right = not _is_ws(prev) and (not _is_punct(prev) or _is_ws(nxt) or _is_punct(nxt))
            char = token[0]
            if char == "_":
                can_open = left and (not right or _is_punct(prev))
                can_close = right and (not left or _is_punct(nxt))
            else:
                can_open, can_close = left, right
            if can_close and char in stack:
                while stack and stack[-1] != char:
                    stack.pop()
                stack.pop()
                sentinel = S_CLOSE
            elif can_open:
                stack.append(char)
                sentinel = S_OPEN
            else:  # a literal "*" or "_" (snake_case, "a * b"): stays as it is
                out.append(token)
                pos = m.end()
                continue
        else:
            sentinel = {
                "escape": S_LIT, "code": S_CODE, "autolink": S_URL, "html": S_HTML,
                "dest": S_DEST, "url": S_URL, "path": S_URL, "entity": S_LIT, "pua": S_LIT,
                "footnote": S_LIT, "marker": S_LIT,
            }[kind]
        out.append(sentinel)
        segments.append(token)
        pos = m.end()
    out.append(text[pos:])
    return Masked("".join(out), segments)


# --- rules ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    pattern: re.Pattern[str]
    replace: Callable[[re.Match[str]], str]
    fixable: bool = True


_FULLWIDTH = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？", ".": "。"}

# Proper nouns: canonical spelling, and whether the all-lowercase form is left alone
# because it is also a command or package name (python, git, docker …).
PROPER_NOUNS: tuple[tuple[str, bool], ...] = (
    ("GitHub", False), ("GitLab", False), ("JavaScript", False), ("TypeScript", False),
    ("Linux", False), ("macOS", False), ("iOS", False), ("iPadOS", False), ("Ubuntu", False),
    ("Fedora", False), ("Debian", False), ("PostgreSQL", False), ("MySQL", False),
    ("SQLite", False), ("MariaDB", False), ("MongoDB", False), ("Python", True),
    ("YouTube", False), ("Android", False), ("WordPress", False), ("LibreOffice", False),
    ("FreeBSD", False), ("openSUSE", False), ("Raspberry Pi", False), ("Linux Mint", False),
    ("GNOME", False), ("Kubernetes", True), ("Docker", True), ("Git", True), ("Firefox", True),
    ("Flatpak", True), ("Bash", True), ("Snap", True), ("Intel", False), ("NVIDIA", False),
    ("IPv4", False), ("IPv6", False), ("Wi-Fi", False), ("Bluetooth", False),
)
# Spellings that are a different proper noun, not a mistake.
_CASE_EXCEPTIONS = {"IOS", "Nvidia"}


def _noun_rule() -> Rule:
    canon: dict[str, str] = {}
    allow_lower: set[str] = set()
    alternatives = []
    for name, lower_ok in PROPER_NOUNS:
        key = name.casefold()
        canon[key] = name
        if lower_ok:
            allow_lower.add(key)
        alternatives.append(re.escape(name).replace(r"\ ", r"[ \t]+"))
    canon["wifi"] = "Wi-Fi"
    alternatives.append("wifi")
    alternatives.sort(key=len, reverse=True)
    pattern = re.compile(
        r"(?<![A-Za-z0-9_\-./@#$\\])(?:" + "|".join(alternatives) + r")(?![A-Za-z0-9_\-/@])(?!\.[A-Za-z0-9])",
        re.IGNORECASE,
    )

    def fix(m: re.Match[str]) -> str:
        word = m.group(0)
        key = " ".join(word.split()).casefold()
        right = canon.get(key)
        if right is None or word in _CASE_EXCEPTIONS:
            return word
        if key in allow_lower and word == word.lower():
            return word
        if " " in right:
            return right if " ".join(word.split()) != right else word
        return right

    return Rule("typography.proper_noun_case", pattern, fix)


def _fullwidth_punct(m: re.Match[str]) -> str:
    return m["closers"] + _FULLWIDTH[m["p"]]


def _fullwidth_parens(m: re.Match[str]) -> str:
    return m["closers"] + "（" + m["inner"] + "）"


RULES: tuple[Rule, ...] = (
    _noun_rule(),
    # Half-width punctuation right after Han (a Chinese sentence): ,;:!? and a final period.
    Rule(
        "typography.fullwidth_punctuation",
        re.compile(
            rf"(?<=[{H}])(?P<closers>{_CLOSERS}*)[ \t]*(?:(?P<p>[,;:?])(?P=p)*|(?P<bang>!)(?!\[)(?:!(?!\[))*|(?P<dot>\.)(?![.A-Za-z0-9_\-/{S_CODE}{S_URL}]))(?:[ \t]+(?=\S))?"
        ),
        lambda m: m["closers"] + _FULLWIDTH[m["p"] or m["bang"] or m["dot"]],
    ),
    # … and between a Latin word and Chinese: "Vim,还有" → "Vim，还有".
    Rule(
        "typography.fullwidth_punctuation",
        # Two Latin characters, so a drive letter ("C: 盘") is left alone.
        re.compile(rf"(?:(?<=[{L}][{L}])|(?<=[{S_CODE}{S_URL}]))(?P<closers>{_CLOSERS}*)[ \t]*(?P<p>[,;:?])(?P=p)*[ \t]*(?={_OPENERS}*[{H}])"),
        _fullwidth_punct,
    ),
    Rule(
        "typography.fullwidth_punctuation",
        re.compile(rf"(?<=[{H}])(?P<closers>{_CLOSERS}*)[ \t]*\((?P<inner>[^()\n]*[^()\s][^()\n]*)\)(?:[ \t]+(?=\S))?"),
        _fullwidth_parens,
    ),
    Rule("typography.repeated_punctuation", re.compile(r"([，。！？：；、])\1+"), lambda m: m.group(1)),
    Rule(
        "typography.space_fullwidth",
        re.compile(r"(?<=\S)[ \t]+(?=[，。！？：；、）】》」』])|(?<=[，。！？：；、（【《「『])[ \t]+(?=\S)"),
        lambda m: "",
    ),
    Rule(
        "typography.space_han_latin",
        re.compile(
            rf"(?:(?<=[{H}])(?P<c1>{_CLOSERS}*)(?P<o1>{_OPENERS}*)(?=[{L}])"
            rf"|(?<=[{L}])(?P<c2>{_CLOSERS}*)(?P<o2>{_OPENERS}*)(?=[{H}]))"
        ),
        lambda m: (m["c1"] or m["c2"] or "") + " " + (m["o1"] or m["o2"] or ""),
    ),
)

_NUMBER_UNIT_RE = re.compile(
    r"(?<![A-Za-z0-9_.])\d+(?:\.\d+)?(?:[KMGTP]i?B|[KMG]bps|[KMG]B/s|[kKMG]Hz)(?![A-Za-z0-9])"
)
NUMBER_UNIT = Rule("typography.number_unit", _NUMBER_UNIT_RE, lambda m: m.group(0), fixable=False)

TYPOGRAPHY_CODES = (
    "typography.space_han_latin", "typography.space_fullwidth", "typography.fullwidth_punctuation",
    "typography.repeated_punctuation", "typography.proper_noun_case", "typography.number_unit",
)


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    count: int
    line_offset: int     # 0-based line within the block of the first occurrence
    excerpt: str


@dataclass(frozen=True, slots=True)
class BlockTypography:
    findings: tuple[Finding, ...]
    fixed: str           # the block text with every fixable rule applied (== text when safe-guarded)


def _apply(rule: Rule, work: str, masked: Masked, findings: dict[str, list]) -> str:
    changed: list[int] = []

    def repl(m: re.Match[str]) -> str:
        new = rule.replace(m)
        if new != m.group(0):
            changed.append(m.start())
        return new

    new_work = rule.pattern.sub(repl, work)
    if changed:
        first = changed[0]
        line_offset = masked.restore(work[:first]).count("\n")
        excerpt = _excerpt(masked, work, first)
        entry = findings.setdefault(rule.code, [0, line_offset, excerpt])
        entry[0] += len(changed)
    return new_work


def _excerpt(masked: Masked, work: str, at: int) -> str:
    start = max(0, at - 12)
    # Restore the whole text once and cut around the same relative place; cheap for blocks.
    n_before = len(_SENTINEL_RE.findall(work[:start]))
    it = iter(masked.segments[n_before:])
    piece = _SENTINEL_RE.sub(lambda _m: next(it, ""), work[start : at + 14])
    return " ".join(piece.split())


_EMPHASIS_CHARS = frozenset("*_~")


def _inline_skeleton(text: str) -> tuple:
    out = []
    for tok in _md.parse(text):
        if tok.type == "inline":
            for child in tok.children or []:
                if child.type in ("text", "softbreak"):
                    continue
                out.append((child.type, child.content if child.type in ("code_inline", "html_inline") else "",
                            str(child.attrGet("href") or child.attrGet("src") or "")))
        else:
            out.append((tok.type, tok.tag))
    return tuple(out)


@lru_cache(maxsize=8192)
def check_block_text(text: str) -> BlockTypography:
    """Typography findings and the fixed text for one prose block's text (cached by text)."""
    masked = mask(text)
    work = masked.work
    findings: dict[str, list] = {}
    for _round in range(3):
        before = work
        for rule in RULES:
            work = _apply(rule, work, masked, findings if _round == 0 else {})
        if work == before:
            break
    for m in NUMBER_UNIT.pattern.finditer(masked.work):
        line_offset = masked.restore(masked.work[: m.start()]).count("\n")
        entry = findings.setdefault(NUMBER_UNIT.code, [0, line_offset, m.group(0)])
        entry[0] += 1
    fixed = masked.restore(work)
    # The rules cannot create or break code spans, links or autolinks (those are sentinels,
    # and spaces go outside brackets); emphasis flanking is the one thing a space can flip.
    if fixed != text and _EMPHASIS_CHARS.intersection(text) and _inline_skeleton(fixed) != _inline_skeleton(text):
        fixed = text
    return BlockTypography(
        tuple(Finding(code, n, line, excerpt) for code, (n, line, excerpt) in findings.items()),
        fixed,
    )


def autofix(markdown: str) -> str:
    """Apply the mechanical typography rules to the prose of an LCTT markdown text.

    Never touches code blocks, inline code, link destinations, reference definitions,
    autolinks, raw HTML, the ``[#]:`` header, the footer or image URLs. Idempotent.
    """
    result = markdown
    for _round in range(3):
        fixed = _autofix_once(result)
        if fixed == result:
            break
        result = fixed
    return result


def _autofix_once(markdown: str) -> str:
    doc = parse_markdown(markdown)
    pieces: list[str] = []
    pos = 0
    for block in doc.blocks:
        if block.kind not in PROSE_KINDS or not block.text:
            continue
        new_text = analyze_block(block.text, nested=block.kind in (LIST, BLOCKQUOTE, TABLE)).fixed
        if new_text == block.text:
            continue
        pieces.append(markdown[pos : block.start])
        pieces.append(new_text)
        pos = block.end
    if not pieces:
        return markdown
    pieces.append(markdown[pos:])
    return "".join(pieces)


def _segments(text: str) -> list[tuple[int, str, bool]]:
    """(line offset, text, protected) runs: nested code and HTML blocks are protected."""
    lines = split_lines(text)
    protected = [False] * len(lines)
    for tok in _md.parse(text):
        if tok.type in ("fence", "code_block", "html_block") and tok.map:
            for k in range(tok.map[0], min(tok.map[1], len(lines))):
                protected[k] = True
    runs: list[tuple[int, str, bool]] = []
    start = 0
    for k in range(1, len(lines) + 1):
        if k == len(lines) or protected[k] != protected[start]:
            runs.append((start, "".join(lines[start:k]), protected[start]))
            start = k
    return runs


def analyze_block(text: str, *, nested: bool = True) -> BlockTypography:
    """Findings and fixed text of a prose block; nested code/HTML blocks are left out.

    ``nested=False`` promises the block holds no nested code or HTML block (a paragraph
    or heading) and skips looking for them.
    """
    if not nested or ("`" not in text and "~~~" not in text and "<" not in text
                      and "\n    " not in text and "\t" not in text):
        return check_block_text(text)
    runs = _segments(text)
    if len(runs) == 1 and not runs[0][2]:
        return check_block_text(text)
    merged: dict[str, list] = {}
    fixed: list[str] = []
    for offset, run, is_protected in runs:
        if is_protected:
            fixed.append(run)
            continue
        result = check_block_text(run)
        fixed.append(result.fixed)
        for f in result.findings:
            entry = merged.setdefault(f.code, [0, offset + f.line_offset, f.excerpt])
            entry[0] += f.count
    return BlockTypography(
        tuple(Finding(code, n, line, excerpt) for code, (n, line, excerpt) in merged.items()),
        "".join(fixed),
    )


def fix_block(text: str) -> str:
    """The block text with the fixable rules applied; nested code/HTML blocks untouched."""
    return analyze_block(text).fixed


__all__ = [
    "TYPOGRAPHY_CODES", "BlockTypography", "Finding", "analyze_block", "autofix", "check_block_text",
    "fix_block", "mask",
]
