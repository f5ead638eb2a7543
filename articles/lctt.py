"""The LCTT TranslateProject file format, read and written without losing a byte.

A file is parsed into a concrete syntax tree: ``LcttDocument.lines`` holds every line with
its own line ending, and ``LcttDocument.segments`` partitions those lines into
consecutive regions (``gap``, ``header``, ``title``, ``body``, ``footer``, ``refs``,
``tail``). Rendering is concatenation, so ``render(parse(text)) == text`` for every string.
Everything else — header fields, title, credits, reference links, filename parts — is a
view computed from the lines. An edit rewrites the touched line(s) only and re-derives
the views, so the rest of the file keeps its bytes (line endings, tabs, NBSPs, odd
spacing).

The module is pure Python (no Django): the importer and the exporter in
``articles.lctt_repo`` map documents to articles with ``extract_fields`` and
``apply_fields``. The format and its eras are described in docs/lctt-format.md.

Oddities never raise: they become ``LcttWarning`` entries on ``LcttDocument.warnings``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "FOLDER_KINDS",
    "HEADER_ORDER",
    "PLACEHOLDER_HANDLES",
    "ArticleFields",
    "Credit",
    "CreditName",
    "FilenameParts",
    "HeaderField",
    "LcttDocument",
    "LcttWarning",
    "Line",
    "RefLink",
    "Segment",
    "Title",
    "apply_fields",
    "decode",
    "differing_fields",
    "encode",
    "extract_fields",
    "make_filename",
    "new_document",
    "normalize_handle",
    "parse",
    "parse_bytes",
    "parse_filename",
    "render",
    "split_markdown_refs",
]

# The header keys in the order of the current template (subject first, url last).
HEADER_ORDER = ("subject", "via", "author", "collector", "translator", "reviewer", "publisher", "url")
# Folder kinds of the repository; the folder gives an article's state.
FOLDER_KINDS = ("sources", "translated", "published")
# Values left in the template by people who never filled them in: they mean "nobody".
PLACEHOLDER_HANDLES = frozenset({"译者id", "校对者id", "选题者id", "校对id", "发布者id", "id", "译者", "校对者"})
FOOTER_RULE = "-" * 80
LCTT_CREDIT_LINE = (
    "本文由 [LCTT](https://github.com/LCTT/TranslateProject) 原创编译，"
    "[Linux中国](https://linux.cn/) 荣誉推出"
)
_PLACEHOLDER_NAME = {
    "translator": "译者ID",
    "reviewer": "校对者ID",
    "collector": "选题者ID",
    "publisher": "发布者ID",
}


# --------------------------------------------------------------------------- bytes ⇄ text


def decode(raw: bytes) -> str:
    """UTF-8 with ``surrogateescape``: invalid bytes survive as lone surrogates."""
    return raw.decode("utf-8", "surrogateescape")


def encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


# --------------------------------------------------------------------------- structures


@dataclass(slots=True)
class Line:
    text: str
    eol: str  # "\n", "\r\n", "\r" or "" (last line without a newline)

    @property
    def raw(self) -> str:
        return self.text + self.eol

    @property
    def blank(self) -> bool:
        return not self.text.strip()


@dataclass(frozen=True, slots=True)
class Segment:
    kind: str  # gap | header | title | body | footer | refs | tail
    start: int
    end: int  # exclusive line index


@dataclass(frozen=True, slots=True)
class LcttWarning:
    code: str
    message: str
    line: int | None = None  # 1-based

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "line": self.line}


@dataclass(frozen=True, slots=True)
class HeaderField:
    key: str  # as written, e.g. "sub·ject" or "作者"
    name: str  # canonical: one of HEADER_ORDER, or "" when unknown
    value: str  # stripped; "" for `" "` and `( )`
    style: str  # '"', "(" or "" (bare value)
    start: int
    end: int  # exclusive; > start + 1 when the value was broken over several lines
    prefix: str  # `[#]: key: ` exactly as written
    closed: bool = True


@dataclass(frozen=True, slots=True)
class Title:
    text: str
    style: str  # "=" or "-" (underlined), "#" (atx)
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class RefLink:
    label: str
    url: str
    title: str
    line: int


@dataclass(frozen=True, slots=True)
class CreditName:
    text: str
    url: str
    ref: str
    start: int  # span in the line's text
    end: int


@dataclass(frozen=True, slots=True)
class Credit:
    role: str  # author | collector | translator | reviewer | publisher | other
    label: str  # 作者, 选题, 译者, 校对, 发布 …
    names: tuple[CreditName, ...]
    line: int
    value_start: int  # span of the names text in the line (after "译者：")
    value_end: int


@dataclass(frozen=True, slots=True)
class ClaimMarker:
    handle: str
    line: int
    start: int  # span of the handle in the line's text
    end: int


@dataclass(frozen=True, slots=True)
class FilenameParts:
    date: dt.date | None
    counter: int | None
    stars: int
    title: str


@dataclass
class ArticleFields:
    """What an LCTT file says about an article, in app terms (see docs/lctt-format.md)."""

    subject: str = ""
    title: str = ""
    via: str = ""
    author_name: str = ""
    author_url: str = ""
    collector: str | None = None
    translator: str | None = None
    reviewers: tuple[str, ...] = ()
    publisher: str | None = None
    published_url: str = ""
    markdown: str = ""

    def same_as(self, other: ArticleFields, *, kind: str) -> bool:
        return not differing_fields(self, other, kind=kind)


# --------------------------------------------------------------------------- regexes

_EOL_SPLIT_RE = re.compile(r"(\r\n|\r|\n)")
_SURROGATE_RE = re.compile("[\udc80-\udcff]")
_HEADER_START_RE = re.compile(r"[ \t]*\[#\][ \t]*[:：]")
_HEADER_RE = re.compile(
    r"(?P<prefix>[ \t]*\[#\][ \t]*[:：][ \t]*(?P<key>[^:：\"(]*?)[ \t]*[:：][ \t]*)(?P<rest>.*)\Z",
    re.S,
)
_UNDERLINE_RE = re.compile(r"[ \t]{0,3}(=+|-+)[ \t]*\Z")
_ATX_RE = re.compile(r"(?P<pre>[ \t]{0,3}#[ \t]*)(?P<text>[^#\s].*?)(?P<post>[ \t]*#*[ \t]*)\Z")
_RULE_RE = re.compile(r"[ \t]{0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})\Z")
_REF_RE = re.compile(r"[ \t]{0,3}\[(?P<label>[^\]\[#][^\]\[]*|[^\]\[]{2,})\]:[ \t]*(?P<rest>.*)\Z")
_VIA_RE = re.compile(r"[ \t*_]*via[ \t]*[:：][ \t]*(?P<rest>.*)\Z", re.I)
_URL_IN_TEXT_RE = re.compile(r"https?://[^\s<>()\[\]]+")
_CREDIT_LABEL_RE = re.compile(r"(?P<label>原文作者|原作者|作者|选题|译者|校对|发布)[ \t]*[:：][ \t]*")
_CREDIT_LINE_RE = re.compile(r"[ \t*_]*(?:原文作者|原作者|作者|选题|译者|校对|发布)[ \t]*[:：]")
_LCTT_LINE_RE = re.compile(r"本文由.*LCTT|LCTT.*原创|荣誉推出")
_NAME_RE = re.compile(
    r"\[(?P<text>[^\]]*)\]\((?P<url>[^)\s]*)[^)]*\)"  # [name](url)
    r"|\[(?P<rtext>[^\]]*)\]\[(?P<ref>[^\]]*)\]"  # [name][ref]
    r"|\[(?P<btext>[^\]]+)\](?![(\[])"  # [name]
)
_PLAIN_NAME_SPLIT_RE = re.compile(r"[,，、;；&]+|\s+(?:和|and)\s+")
_GITHUB_PROFILE_RE = re.compile(r"https?://(?:www\.)?github\.com/(?P<handle>[^/?#\s]+)/?\Z", re.I)
_MARKER_RES = (
    # "translating by geekpi", "[translating] by x", "Translating by x", "translating: x"
    re.compile(
        r"[\[(]?[ \t]*translat(?:ing|ed)[ \t]*[\])]?[ \t]*(?:by|:|：|-+|—+)?[ \t]*@?"
        r"(?P<handle>[A-Za-z0-9][\w.\-]*)[ \t]*\Z",
        re.I,
    ),
    # "geekpi translating", "geekpi is translating", "geekpi translating..."
    re.compile(r"@?(?P<handle>[A-Za-z0-9][\w.\-]*)[ \t]+(?:is[ \t]+)?translat(?:ing|ed)\b[\W_]*\Z", re.I),
    # "geekpi 翻译中", "翻译中 by geekpi"
    re.compile(r"@?(?P<handle>[A-Za-z0-9][\w.\-]*)[ \t]*(?:正在)?翻译中[\W_]*\Z"),
    re.compile(r"翻译中[ \t]*(?:by[ \t]*)?@?(?P<handle>[A-Za-z0-9][\w.\-]*)[ \t]*\Z", re.I),
)
_KEY_ALIASES = {
    "subject": "subject",
    "标题": "subject",
    "via": "via",
    "author": "author",
    "作者": "author",
    "collector": "collector",
    "选题": "collector",
    "translator": "translator",
    "译者": "translator",
    "reviewer": "reviewer",
    "校对": "reviewer",
    "publisher": "publisher",
    "发布": "publisher",
    "url": "url",
}
_CREDIT_ROLES = {
    "作者": "author",
    "原作者": "author",
    "原文作者": "author",
    "选题": "collector",
    "译者": "translator",
    "校对": "reviewer",
    "发布": "publisher",
}


def _canonical_key(key: str) -> str:
    plain = "".join(ch for ch in key.lower() if ch.isalnum())
    return _KEY_ALIASES.get(plain, "")


def _split_lines(text: str) -> list[Line]:
    parts = _EOL_SPLIT_RE.split(text)
    texts = parts[0::2]
    eols = parts[1::2]
    if texts[-1]:
        eols.append("")
    else:
        texts.pop()
    return list(map(Line, texts, eols))


# --------------------------------------------------------------------------- handles


def normalize_handle(value: str | None) -> str | None:
    """A GitHub handle from what people wrote: ``@x``, ``x``, a profile URL, ``x/script``.

    Placeholders (``译者ID``, ``校对者ID``) and empty values mean nobody: ``None``.
    """
    if value is None:
        return None
    text = unicodedata.normalize("NFC", value).replace("\u00a0", " ").strip()
    text = text.strip("\"'`*_[]()<> \t")
    match = _GITHUB_PROFILE_RE.match(text)
    if match:
        text = match.group("handle")
    elif "://" in text:
        text = text.rstrip("/").rsplit("/", 1)[-1]
    text = text.lstrip("@").strip()
    # "lujun9972/lctt-scripts-1700446145": a collector's script, credited to the collector.
    if "/" in text:
        text = text.split("/", 1)[0].strip()
    text = re.sub(r"\s+", " ", text)
    if not text or text.lower() in PLACEHOLDER_HANDLES:
        return None
    return text


def _handles_key(handles: tuple[str, ...] | list[str]) -> tuple[str, frozenset[str]]:
    lowered = [h.lower() for h in handles if h]
    if not lowered:
        return ("", frozenset())
    return (lowered[0], frozenset(lowered[1:]))


def _same_handle(a: str | None, b: str | None) -> bool:
    return (a or "").lower() == (b or "").lower()


def _split_handles(value: str) -> tuple[str, ...]:
    handles = []
    for part in re.split(r"[,，、;；&]+|\s+(?:and|和)\s+|\s+", value):
        handle = normalize_handle(part)
        if handle and handle.lower() not in {h.lower() for h in handles}:
            handles.append(handle)
    return tuple(handles)


def _credit_handle(name: CreditName, refs: dict[str, RefLink]) -> str | None:
    url = name.url
    if not url and name.ref:
        ref = refs.get(name.ref.lower())
        url = ref.url if ref else ""
    match = _GITHUB_PROFILE_RE.match(url or "")
    if match:
        from_url = normalize_handle(match.group("handle"))
        if from_url:
            return from_url
    return normalize_handle(name.text)


# --------------------------------------------------------------------------- filenames

_STAR = "⭐"
_VS16 = "\ufe0f"
_UNSAFE_FILENAME_CHARS = str.maketrans(
    {ch: "-" for ch in ':/\\?*"<>|\'“”‘’„‟′″「」『』'}
    | {"–": "-", "—": "-", "\u00a0": " ", "\t": " "}
)


def parse_filename(name: str) -> tuple[FilenameParts, list[LcttWarning]]:
    """``YYYYMMDD[.N] [⭐️{1,3}] Title.md`` → parts. Tolerates every era's names."""
    warnings: list[LcttWarning] = []
    stem = name[:-3] if name.lower().endswith(".md") else name
    date = None
    counter = None
    rest = stem
    match = re.match(r"(?P<date>\d{8})(?:\.(?P<counter>\d{1,4}))?(?=[\s_\-" + _STAR + r"]|\Z)[\s_]*", stem)
    if match:
        digits = match.group("date")
        try:
            date = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        except ValueError:
            warnings.append(LcttWarning("bad_filename_date", f"the file name starts with {digits}, which is not a date"))
        if match.group("counter") is not None:
            counter = int(match.group("counter"))
        rest = stem[match.end():]
    stars_match = re.match("(?:" + _STAR + _VS16 + "?)+", rest)
    stars = 0
    if stars_match:
        stars = stars_match.group().count(_STAR)
        rest = rest[stars_match.end():]
    if stars > 3:
        warnings.append(LcttWarning("bad_difficulty", f"{stars} stars in the file name; 3 is the most"))
    return FilenameParts(date=date, counter=counter, stars=stars, title=rest.strip()), warnings


def _safe_title(title: str, max_bytes: int) -> str:
    text = unicodedata.normalize("NFC", title).translate(_UNSAFE_FILENAME_CHARS)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = re.sub(r"\s+", " ", text).strip()
    # Leading stars would be read back as the difficulty mark.
    text = text.lstrip(_STAR + _VS16 + " ")
    encoded = text.encode("utf-8")
    if len(encoded) > max_bytes:
        text = encoded[:max_bytes].decode("utf-8", "ignore").strip()
    # Windows refuses names ending in a dot or a space.
    text = text.rstrip(". ")
    return text or "untitled"


def make_filename(date: dt.date | None, counter: int | None, difficulty: int, title: str) -> str:
    """The LCTT file name of an article: ``YYYYMMDD[.N] [⭐️…] Title.md``.

    Characters Windows refuses (and quotes, which LCTT's tools replaced too) become ``-``.
    """
    prefix = ""
    if date is not None:
        prefix = date.strftime("%Y%m%d")
        if counter is not None:
            prefix += f".{counter}"
        prefix += " "
    stars = (_STAR + _VS16) * max(0, min(int(difficulty or 0), 3))
    if stars:
        prefix += stars + " "
    budget = 240 - len(prefix.encode("utf-8")) - 3
    return f"{prefix}{_safe_title(title, budget)}.md"


# --------------------------------------------------------------------------- the document


class LcttDocument:
    """A parsed LCTT file. ``lines`` are the source of truth; the rest is derived."""

    def __init__(self, text: str = "", *, path: str | None = None) -> None:
        self.path = path
        self._load(text)

    # ----- parsing

    def _load(self, text: str) -> None:
        self.bom = "\ufeff" if text.startswith("\ufeff") else ""
        self.lines = _split_lines(text[len(self.bom):])
        self._has_cr = "\r" in text
        self._has_invalid = bool(_SURROGATE_RE.search(text))
        self._needs_cleaning = self._has_invalid or "\x00" in text
        self.segments: list[Segment] = []
        self.header: list[HeaderField] = []
        self.title: Title | None = None
        self.refs: list[RefLink] = []
        self.credits: list[Credit] = []
        self.markers: list[ClaimMarker] = []
        self.via_line: int | None = None
        self.rule_line: int | None = None
        self.lctt_line: int | None = None
        self.filename: FilenameParts | None = None
        self.warnings: list[LcttWarning] = []
        try:
            self._segment()
            self._derive()
        except Exception as exc:  # never let a strange file escape as an exception
            self.segments = [Segment("body", 0, len(self.lines))] if self.lines else []
            self.header, self.title, self.refs, self.credits, self.markers = [], None, [], [], []
            self.via_line = self.rule_line = self.lctt_line = None
            self.warnings = [LcttWarning("parse_error", f"could not be parsed ({exc.__class__.__name__}); kept as body")]
        if self.path:
            name = self.path.replace("\\", "/").rsplit("/", 1)[-1]
            self.filename, name_warnings = parse_filename(name)
            self.warnings.extend(name_warnings)

    def _segment(self) -> None:
        lines = self.lines
        n = len(lines)
        segments: list[Segment] = []

        i = self._scan_gap(0)
        if i:
            segments.append(Segment("gap", 0, i))
        if i < n and _HEADER_START_RE.match(lines[i].text):
            end = self._scan_header(i)
            segments.append(Segment("header", i, end))
            gap_end = self._scan_gap(end)
            if gap_end > end:
                segments.append(Segment("gap", end, gap_end))
            i = gap_end
        title_end = i
        if i < n:
            text = lines[i].text
            if _ATX_RE.match(text) and not text.lstrip().startswith("##"):
                title_end = i + 1
            elif not lines[i].blank and i + 1 < n and _UNDERLINE_RE.match(lines[i + 1].text):
                title_end = i + 2
        if title_end > i:
            segments.append(Segment("title", i, title_end))
        body_start = title_end

        refs_start, refs_end, tail_start = self._scan_refs(body_start)
        footer_start = self._scan_footer(body_start, refs_start if refs_end > refs_start else tail_start)
        footer_end = refs_start if refs_end > refs_start else tail_start
        if footer_start > body_start:
            segments.append(Segment("body", body_start, footer_start))
        if footer_end > footer_start:
            segments.append(Segment("footer", footer_start, footer_end))
        if refs_end > refs_start:
            segments.append(Segment("refs", refs_start, refs_end))
        if n > tail_start:
            segments.append(Segment("tail", tail_start, n))
        self.segments = segments

    def _is_marker(self, index: int) -> re.Match | None:
        text = self.lines[index].text.strip().strip("*_`")
        if len(text) > 80 or ("translat" not in text.lower() and "翻译中" not in text):
            return None
        if index + 1 < len(self.lines) and _UNDERLINE_RE.match(self.lines[index + 1].text):
            return None  # a title that happens to mention translating
        for regex in _MARKER_RES:
            match = regex.match(text)
            if match:
                return match
        return None

    def _scan_gap(self, i: int) -> int:
        n = len(self.lines)
        while i < n and (self.lines[i].blank or self._is_marker(i)):
            i += 1
        return i

    def _scan_header(self, i: int) -> int:
        lines = self.lines
        n = len(lines)
        while i < n:
            if _HEADER_START_RE.match(lines[i].text):
                i = self._header_field_end(i)
                continue
            if lines[i].blank:
                j = i
                while j < n and lines[j].blank:
                    j += 1
                if j < n and _HEADER_START_RE.match(lines[j].text):
                    i = j
                    continue
            break
        return i

    def _header_field_end(self, i: int) -> int:
        """Index after the header field starting at line i (several lines when unterminated)."""
        match = _HEADER_RE.match(self.lines[i].text)
        if not match:
            return i + 1
        rest = match.group("rest").rstrip()
        closing = {'"': '"', "(": ")"}.get(rest[:1])
        if not closing or (len(rest) >= 2 and rest.endswith(closing)):
            return i + 1
        for j in range(i + 1, min(i + 6, len(self.lines))):
            text = self.lines[j].text
            if self.lines[j].blank or _HEADER_START_RE.match(text):
                break
            if text.rstrip().endswith(closing):
                return j + 1
        return i + 1

    def _scan_refs(self, start: int) -> tuple[int, int, int]:
        """(refs_start, refs_end, tail_start): the reference-link block at the end."""
        lines = self.lines
        n = len(lines)
        j = n
        while j > start and lines[j - 1].blank:
            j -= 1
        tail_start = n
        if j > start and not _is_ref(lines[j - 1].text):
            # A few stray lines after the reference links still leave the links a block.
            k, seen = j, 0
            while k > start and seen <= 3 and not _is_ref(lines[k - 1].text):
                if not lines[k - 1].blank:
                    if _is_footer_text(lines[k - 1].text) or _RULE_RE.match(lines[k - 1].text):
                        return n, n, n
                    seen += 1
                k -= 1
            if k > start and seen <= 3 and _is_ref(lines[k - 1].text):
                tail_start = k
                j = k
            else:
                return n, n, n
        if j <= start:
            return n, n, n
        refs_end = tail_start
        k = j
        first_ref = j
        while k > start and (lines[k - 1].blank or _is_ref(lines[k - 1].text)):
            if not lines[k - 1].blank:
                first_ref = k - 1
            k -= 1
        return first_ref, refs_end, tail_start

    def _scan_footer(self, start: int, end: int) -> int:
        lines = self.lines
        footer_start = end
        k = end
        while k > start:
            text = lines[k - 1].text
            if lines[k - 1].blank:
                k -= 1
                continue
            if _is_footer_text(text):
                footer_start = k - 1
                k -= 1
                continue
            if _RULE_RE.match(text):
                footer_start = k - 1
            break
        return footer_start

    def _derive(self) -> None:
        lines = self.lines
        warnings = self.warnings
        for segment in self.segments:
            if segment.kind == "header":
                self._derive_header(segment)
            elif segment.kind == "gap":
                for i in range(segment.start, segment.end):
                    match = self._is_marker(i)
                    if match:
                        self.markers.append(ClaimMarker(match.group("handle"), i, *_span_in(lines[i].text, match, "handle")))
            elif segment.kind == "title":
                first = lines[segment.start].text
                if segment.end - segment.start == 2:
                    style = "=" if "=" in lines[segment.start + 1].text else "-"
                    self.title = Title(first.strip(), style, segment.start, segment.end)
                else:
                    match = _ATX_RE.match(first)
                    self.title = Title(match.group("text").strip() if match else first.strip(), "#", segment.start, segment.end)
            elif segment.kind == "refs":
                for i in range(segment.start, segment.end):
                    ref = _parse_ref(lines[i].text, i)
                    if ref:
                        self.refs.append(ref)
            elif segment.kind == "tail":
                warnings.append(LcttWarning("trailing_text", "text after the reference links", segment.start + 1))
        footer = self.segment("footer")
        if footer:
            self._derive_footer(footer)
        if self.title is None:
            warnings.append(LcttWarning("missing_title", "no title (an underlined line or a '# ' line) where one was expected"))
        if footer is None:
            warnings.append(LcttWarning("missing_footer", "no footer (via / credits) at the end of the file"))
        elif self.rule_line is None:
            warnings.append(LcttWarning("missing_footer_rule", "the footer has no '-----' rule above it", footer.start + 1))
        if footer is not None and self.via_line is None and not self.header_value("via"):
            warnings.append(LcttWarning("missing_via", "no source URL (via) in the header or the footer"))
        endings = Counter(line.eol for line in lines if line.eol) if self._has_cr else {}
        if len(endings) > 1:
            warnings.append(LcttWarning("mixed_line_endings", "the file mixes line endings: " + ", ".join(repr(e) for e in endings)))
        if self.bom:
            warnings.append(LcttWarning("bom", "the file starts with a byte-order mark"))
        if self._has_invalid:
            warnings.append(LcttWarning("invalid_utf8", "the file contains bytes that are not UTF-8"))
        self._check_credits()

    def _derive_header(self, segment: Segment) -> None:
        lines = self.lines
        i = segment.start
        seen: set[str] = set()
        styles = set()
        while i < segment.end:
            if lines[i].blank:
                i += 1
                continue
            end = self._header_field_end(i)
            match = _HEADER_RE.match(lines[i].text)
            if not match:
                self.warnings.append(LcttWarning("malformed_header_line", f"header line without 'key: value': {lines[i].text.strip()[:80]!r}", i + 1))
                self.header.append(HeaderField("", "", lines[i].text.strip(), "", i, i + 1, "", True))
                i += 1
                continue
            key = match.group("key")
            name = _canonical_key(key)
            rest = match.group("rest")
            pieces = [rest] + [lines[j].text for j in range(i + 1, end)]
            value, style, closed = _header_value(pieces)
            if not closed:
                self.warnings.append(LcttWarning("unterminated_header_value", f"the value of '{key}' has no closing quote or parenthesis", i + 1))
            if end - i > 1:
                self.warnings.append(LcttWarning("multiline_header_value", f"the value of '{key}' is broken over {end - i} lines", i + 1))
            if not name:
                self.warnings.append(LcttWarning("unknown_header_key", f"unknown header key {key!r}", i + 1))
            elif key.strip() != name:
                self.warnings.append(LcttWarning("odd_header_key", f"header key {key!r} read as {name!r}", i + 1))
            if name and name in seen:
                self.warnings.append(LcttWarning("duplicate_header_key", f"header key {name!r} appears twice; the first one counts", i + 1))
            seen.add(name)
            if style:
                styles.add(style)
            self.header.append(HeaderField(key, name, value, style, i, end, match.group("prefix"), closed))
            i = end
        if len(styles) > 1:
            self.warnings.append(LcttWarning("mixed_header_quoting", "the header mixes \"…\" and (…) values", segment.start + 1))

    def _derive_footer(self, segment: Segment) -> None:
        lines = self.lines
        for i in range(segment.start, segment.end):
            text = lines[i].text
            if lines[i].blank:
                continue
            if _RULE_RE.match(text) and self.rule_line is None and self.via_line is None and not self.credits:
                self.rule_line = i
                continue
            if _VIA_RE.match(text):
                if self.via_line is None:
                    self.via_line = i
                continue
            if _LCTT_LINE_RE.search(text):
                self.lctt_line = i
            for credit in _parse_credits(text, i):
                self.credits.append(credit)

    def _check_credits(self) -> None:
        refs = self.ref_map()
        for role in ("collector", "translator"):
            header = normalize_handle(self.header_value(role))
            credit = self.credit(role)
            footer = _credit_handle(credit.names[0], refs) if credit and credit.names else None
            if header and footer and not _same_handle(header, footer):
                self.warnings.append(
                    LcttWarning("credit_mismatch", f"the header names {header!r} as {role}, the footer {footer!r}; the header counts", credit.line + 1)
                )

    # ----- reading

    def render(self) -> str:
        return self.bom + "".join([line.text + line.eol for line in self.lines])

    def segment(self, kind: str) -> Segment | None:
        for segment in self.segments:
            if segment.kind == kind:
                return segment
        return None

    def segment_text(self, segment: Segment) -> str:
        return self.raw(segment.start, segment.end)

    def raw(self, start: int, end: int | None = None) -> str:
        """The exact text of lines ``start`` to ``end`` (e.g. a header field's raw lines)."""
        end = start + 1 if end is None else end
        return "".join(line.text + line.eol for line in self.lines[start:end])

    @property
    def newline(self) -> str:
        counts = Counter(line.eol for line in self.lines if line.eol)
        return counts.most_common(1)[0][0] if counts else "\n"

    @property
    def has_header(self) -> bool:
        return bool(self.header)

    def header_field(self, name: str) -> HeaderField | None:
        for header_field in self.header:
            if header_field.name == name:
                return header_field
        return None

    def header_value(self, name: str) -> str | None:
        """The value of a header key (``""`` when empty), ``None`` when the key is absent."""
        header_field = self.header_field(name)
        return header_field.value if header_field else None

    def credit(self, role: str) -> Credit | None:
        for credit in self.credits:
            if credit.role == role:
                return credit
        return None

    def ref_map(self) -> dict[str, RefLink]:
        refs: dict[str, RefLink] = {}
        for ref in self.refs:
            refs.setdefault(ref.label.lower(), ref)
        return refs

    @property
    def footer_ref_labels(self) -> set[str]:
        """Labels the footer's credits point at (``[a]`` author, ``[b]`` collector …)."""
        return {name.ref.lower() for credit in self.credits for name in credit.names if name.ref}

    @property
    def footer_via(self) -> str:
        if self.via_line is None:
            return ""
        match = _VIA_RE.match(self.lines[self.via_line].text)
        rest = match.group("rest") if match else ""
        url = _URL_IN_TEXT_RE.search(rest)
        return url.group().rstrip(".,;") if url else rest.strip()

    def body_lines(self) -> list[Line]:
        segment = self.segment("body")
        return self.lines[segment.start:segment.end] if segment else []

    def body_markdown(self) -> str:
        """The body plus its reference links, with ``\\n`` line endings, blank-trimmed."""
        texts = [line.text for line in self.body_lines()]
        while texts and not texts[0].strip():
            texts.pop(0)
        while texts and not texts[-1].strip():
            texts.pop()
        footer_labels = self.footer_ref_labels
        refs = [self.lines[ref.line].text for ref in self.refs if ref.label.lower() not in footer_labels]
        parts = []
        if texts:
            parts.append("\n".join(texts))
        if refs:
            parts.append("\n".join(refs))
        return "\n\n".join(parts) + "\n" if parts else ""

    # ----- editing (each edit rewrites lines, then re-derives the views)

    def _reparse(self, *, final_eol: bool) -> None:
        newline = self.newline
        for line in self.lines[:-1]:
            if not line.eol:
                line.eol = newline
        if self.lines:
            last = self.lines[-1]
            if final_eol and not last.eol:
                last.eol = newline
            elif not final_eol:
                last.eol = ""
        self._load(self.render())

    def _ends_with_eol(self) -> bool:
        return bool(self.lines) and bool(self.lines[-1].eol)

    def set_header_value(self, name: str, value: str) -> bool:
        """Rewrite one header line in its own quoting style and line ending.

        An empty value renders as ``" "`` / ``( )``. A missing key is added after the
        last header line. Returns False when the file has no header at all.
        """
        value = re.sub(r"[\r\n]+", " ", value).strip()
        header_field = self.header_field(name)
        final_eol = self._ends_with_eol()
        if header_field is None:
            if not self.header:
                return False
            styles = Counter(h.style for h in self.header if h.style)
            style = styles.most_common(1)[0][0] if styles else '"'
            last = self.header[-1]
            eol = self.lines[last.end - 1].eol or self.newline
            self.lines.insert(last.end, Line(f"[#]: {name}: {_quote(value, style)}", eol))
            self._reparse(final_eol=final_eol)
            return True
        eol = self.lines[header_field.end - 1].eol
        first = self.lines[header_field.start].text
        match = _HEADER_RE.match(first)
        rest = match.group("rest") if match else ""
        trail = rest[len(rest.rstrip()):] if header_field.end - header_field.start == 1 else ""
        style = header_field.style
        text = header_field.prefix + (_quote(value, style) if style else (value or "")) + trail
        self.lines[header_field.start:header_field.end] = [Line(text, eol)]
        self._reparse(final_eol=final_eol)
        return True

    def set_title(self, text: str) -> None:
        text = re.sub(r"[\r\n]+", " ", text).strip()
        final_eol = self._ends_with_eol() or not self.lines
        nl = self.newline
        if self.title is None:
            if not text:
                return
            body = self.segment("body")
            at = body.start if body else len(self.lines)
            new = [Line(text, nl), Line("======", nl)]
            if at < len(self.lines) and not self.lines[at].blank:
                new.append(Line("", nl))
            self.lines[at:at] = new
        elif self.title.style == "#":
            line = self.lines[self.title.start]
            match = _ATX_RE.match(line.text)
            pre, post = (match.group("pre"), match.group("post")) if match else ("# ", "")
            line.text = pre + text + post
        else:
            self.lines[self.title.start].text = text
        self._reparse(final_eol=final_eol)

    def set_markdown(self, markdown: str) -> None:
        """Replace the body and its reference links; footer and footer links stay."""
        final_eol = self._ends_with_eol() or not self.lines
        nl = self.newline
        body_text, ref_texts = split_markdown_refs(markdown)
        footer_labels = self.footer_ref_labels
        refs_segment = self.segment("refs")
        # 1. the reference-link block: footer links first (as they were), then the body's
        if refs_segment is not None:
            kept = [
                self.lines[i]
                for i in range(refs_segment.start, refs_segment.end)
                if not self.lines[i].blank
                and (_parse_ref(self.lines[i].text, i) is None or _parse_ref(self.lines[i].text, i).label.lower() in footer_labels)
            ]
            trailing = []
            for i in range(refs_segment.end - 1, refs_segment.start - 1, -1):
                if not self.lines[i].blank:
                    break
                trailing.insert(0, self.lines[i])
            new_refs = kept + [Line(t, nl) for t in ref_texts] + trailing
            self.lines[refs_segment.start:refs_segment.end] = new_refs
        elif ref_texts:
            tail = self.segment("tail")
            at = tail.start if tail else len(self.lines)
            insert = [Line(t, nl) for t in ref_texts]
            if at > 0 and not self.lines[at - 1].blank:
                insert.insert(0, Line("", nl))
            if at > 0 and not self.lines[at - 1].eol:
                self.lines[at - 1].eol = nl
            self.lines[at:at] = insert
        # 2. the body, between its original leading and trailing blank lines
        body = self.segment("body")
        new_body = [Line(t, nl) for t in body_text.split("\n")] if body_text else []
        if body is not None:
            old = self.lines[body.start:body.end]
            lead = []
            for line in old:
                if not line.blank:
                    break
                lead.append(line)
            trail = []
            if len(lead) < len(old):
                for line in reversed(old):
                    if not line.blank:
                        break
                    trail.insert(0, line)
            self.lines[body.start:body.end] = lead + new_body + trail
        elif new_body:
            title = self.segment("title")
            gap_end = max((s.end for s in self.segments if s.kind in ("gap", "header", "title")), default=0)
            at = title.end if title else gap_end
            footer = self.segment("footer")
            follow = [Line("", nl)] if (footer or self.segment("refs")) and at < len(self.lines) else []
            lead = [Line("", nl)] if title else []
            self.lines[at:at] = lead + new_body + follow
        self._reparse(final_eol=final_eol)

    def set_footer_via(self, url: str) -> bool:
        if self.via_line is None:
            return False
        line = self.lines[self.via_line]
        match = _VIA_RE.match(line.text)
        if not match:
            return False
        rest_start = match.start("rest")
        found = _URL_IN_TEXT_RE.search(line.text, rest_start)
        if found:
            end = found.end()
            while end > found.start() and line.text[end - 1] in ".,;":
                end -= 1
            line.text = line.text[:found.start()] + url + line.text[end:]
        else:
            line.text = line.text[:rest_start] + url
        self._reparse(final_eol=self._ends_with_eol())
        return True

    def set_ref_url(self, label: str, url: str) -> bool:
        ref = self.ref_map().get(label.lower())
        if ref is None:
            return False
        line = self.lines[ref.line]
        match = _REF_RE.match(line.text)
        rest = match.group("rest")
        rest_start = match.start("rest")
        old_url = rest.split(None, 1)[0] if rest.strip() else ""
        if old_url:
            at = line.text.index(old_url, rest_start)
            line.text = line.text[:at] + url + line.text[at + len(old_url):]
        else:
            line.text = line.text[:rest_start] + url + line.text[rest_start:]
        self._reparse(final_eol=self._ends_with_eol())
        return True

    def set_credit(self, role: str, names: list[tuple[str, str]], *, placeholder: str | None = None) -> bool:
        """Rewrite the names of a footer credit: ``[(text, url), …]``.

        A credit whose first name pointed at a reference link (``[lkxed][b]``) keeps the
        link label and gets the link's URL updated. No names writes the placeholder.
        """
        credit = self.credit(role)
        if credit is None:
            return False
        if not names:
            name = placeholder or _PLACEHOLDER_NAME.get(role, "ID")
            names = [(name, f"https://github.com/{name}")]
        line = self.lines[credit.line]
        first = credit.names[0] if credit.names else None
        refs = self.ref_map()
        if first is not None and first.ref and first.ref.lower() in refs and len(names) == 1:
            text, url = names[0]
            new = f"[{text}][{first.ref}]"
            ref_to_update = (first.ref, url)
        else:
            separator = "，"
            if credit.names and len(credit.names) > 1:
                separator = line.text[credit.names[0].end:credit.names[1].start] or "，"
            new = separator.join(f"[{text}]({url})" for text, url in names)
            ref_to_update = None
        end = credit.names[-1].end if credit.names else credit.value_end
        line.text = line.text[:credit.value_start] + new + line.text[end:]
        self._reparse(final_eol=self._ends_with_eol())
        if ref_to_update:
            self.set_ref_url(*ref_to_update)
        return True

    def set_claim_marker(self, handle: str | None) -> None:
        """Header-less files marked a claim with a first line such as ``translating by x``."""
        final_eol = self._ends_with_eol()
        if handle is None:
            for marker in sorted(self.markers, key=lambda m: m.line, reverse=True):
                index = marker.line
                del self.lines[index]
                # drop the blank line the marker was set apart with
                if index < len(self.lines) and self.lines[index].blank and (index == 0 or self.lines[index - 1].blank):
                    del self.lines[index]
        elif self.markers:
            marker = self.markers[0]
            line = self.lines[marker.line]
            line.text = line.text[:marker.start] + handle + line.text[marker.end:]
        else:
            nl = self.newline
            at = self.segments[0].start if self.segments else 0
            if self.segment("header"):
                at = self.segment("header").start
            self.lines[at:at] = [Line(f"translating by {handle}", nl)]
        self._reparse(final_eol=final_eol)


def _span_in(text: str, match: re.Match, group: str) -> tuple[int, int]:
    stripped_at = text.find(match.string)
    offset = stripped_at if stripped_at >= 0 else 0
    return offset + match.start(group), offset + match.end(group)


def _is_ref(text: str) -> bool:
    return bool(_REF_RE.match(text))


def _is_footer_text(text: str) -> bool:
    return bool(_VIA_RE.match(text) or _CREDIT_LINE_RE.match(text) or _LCTT_LINE_RE.search(text))


def _parse_ref(text: str, index: int) -> RefLink | None:
    match = _REF_RE.match(text)
    if not match:
        return None
    rest = match.group("rest").strip()
    url, _, title = rest.partition(" ")
    if url.startswith("<") and url.endswith(">"):
        url = url[1:-1]
    title = title.strip()
    if len(title) >= 2 and title[0] + title[-1] in ('""', "''", "()"):
        title = title[1:-1]
    return RefLink(match.group("label").strip(), url, title, index)


def _header_value(pieces: list[str]) -> tuple[str, str, bool]:
    """(value, style, closed) from the text after ``key:`` (and continuation lines)."""
    first = pieces[0].strip()
    opening = first[:1]
    closing = {'"': '"', "(": ")"}.get(opening)
    if not closing:
        return first.strip(), "", True
    joined = " ".join(p.strip() for p in pieces if p.strip())
    inner = joined[1:]
    closed = len(joined) >= 2 and joined.endswith(closing)
    if closed:
        inner = inner[:-1]
    return inner.strip(), opening, closed


def _quote(value: str, style: str) -> str:
    if style == "(":
        return f"({value or ' '})"
    return f'"{value or " "}"'


def _parse_credits(text: str, index: int) -> list[Credit]:
    labels = list(_CREDIT_LABEL_RE.finditer(text))
    credits = []
    for position, match in enumerate(labels):
        value_start = match.end()
        value_end = labels[position + 1].start() if position + 1 < len(labels) else len(text)
        segment = text[value_start:value_end]
        names = []
        for name in _NAME_RE.finditer(segment):
            name_text = name.group("text")
            if name_text is None:
                name_text = name.group("rtext") if name.group("rtext") is not None else name.group("btext")
            names.append(
                CreditName(
                    text=(name_text or "").strip(),
                    url=(name.group("url") or "").strip(),
                    ref=(name.group("ref") or "").strip(),
                    start=value_start + name.start(),
                    end=value_start + name.end(),
                )
            )
        if not names:
            offset = value_start
            for part in _PLAIN_NAME_SPLIT_RE.split(segment.rstrip()):
                stripped = part.strip()
                if stripped:
                    at = text.index(stripped, offset)
                    names.append(CreditName(stripped, "", "", at, at + len(stripped)))
                    offset = at + len(stripped)
        trimmed_end = value_start + len(segment.rstrip())
        label = match.group("label")
        credits.append(Credit(_CREDIT_ROLES.get(label, "other"), label, tuple(names), index, value_start, trimmed_end))
    return credits


# --------------------------------------------------------------------------- public API


def parse(text: str, *, path: str | None = None) -> LcttDocument:
    """Parse an LCTT file's text (see ``decode``). Never raises."""
    return LcttDocument(text, path=path)


def parse_bytes(raw: bytes, *, path: str | None = None) -> LcttDocument:
    return parse(decode(raw), path=path)


def render(doc: LcttDocument) -> str:
    return doc.render()


def split_markdown_refs(markdown: str) -> tuple[str, list[str]]:
    """Split markdown into (body, trailing reference-link lines), newlines normalised."""
    text = markdown.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and (not lines[start - 1].strip() or _is_ref(lines[start - 1])):
        start -= 1
    while start < end and not lines[start].strip():
        start += 1
    refs = [line for line in lines[start:end] if line.strip()]
    body = lines[:start]
    while body and not body[-1].strip():
        body.pop()
    while body and not body[0].strip():
        body.pop(0)
    return "\n".join(body), refs


# --------------------------------------------------------------------------- article mapping


def _clean(text: str) -> str:
    """Text a database can store: invalid bytes become U+FFFD, NUL characters go."""
    if _SURROGATE_RE.search(text):
        text = encode(text).decode("utf-8", "replace")
    return text.replace("\x00", "")


def _unchanged(text: str) -> str:
    return text


def _split_author(value: str) -> tuple[str, str]:
    parts = value.rsplit(None, 1)
    if len(parts) == 2 and re.match(r"(?:https?://|www\.)", parts[1], re.I):
        return parts[0].strip(), parts[1].strip()
    if len(parts) == 1 and re.match(r"https?://", parts[0], re.I):
        return "", parts[0]
    return value.strip(), ""


def _footer_people(doc: LcttDocument, role: str) -> tuple[str, ...]:
    credit = doc.credit(role)
    if credit is None:
        return ()
    refs = doc.ref_map()
    handles = []
    for name in credit.names:
        handle = _credit_handle(name, refs)
        if handle and handle.lower() not in {h.lower() for h in handles}:
            handles.append(handle)
    return tuple(handles)


def extract_fields(doc: LcttDocument, *, kind: str) -> ArticleFields:
    """What the file says, in app terms. ``kind`` is the folder: sources/translated/published.

    The header wins over the footer; the footer fills what the header leaves empty (and is
    all that files from before the header era have).
    """
    clean = _clean if doc._needs_cleaning else _unchanged
    header_subject = doc.header_value("subject")
    title_text = doc.title.text if doc.title else ""
    if header_subject:
        subject = header_subject
    elif kind == "sources" and title_text:
        subject = title_text
    elif doc.filename and doc.filename.title:
        subject = doc.filename.title
    else:
        subject = title_text

    via = doc.header_value("via") or doc.footer_via

    author_name = author_url = ""
    header_author = doc.header_value("author")
    if header_author:
        author_name, author_url = _split_author(header_author)
    else:
        credit = doc.credit("author")
        if credit and credit.names:
            first = credit.names[0]
            author_name = first.text
            author_url = first.url
            if not author_url and first.ref:
                ref = doc.ref_map().get(first.ref.lower())
                author_url = ref.url if ref else ""

    def person(role: str) -> str | None:
        handle = normalize_handle(doc.header_value(role))
        if not handle:
            footer = _footer_people(doc, role)
            handle = footer[0] if footer else None
        return clean(handle) if handle else None

    translator = person("translator")
    if translator is None and doc.markers:
        translator = normalize_handle(doc.markers[0].handle)
    header_reviewers = _split_handles(doc.header_value("reviewer") or "")
    reviewers = tuple(clean(h) for h in header_reviewers or _footer_people(doc, "reviewer"))

    return ArticleFields(
        subject=clean(subject),
        title="" if kind == "sources" else clean(title_text),
        via=clean(via),
        author_name=clean(author_name),
        author_url=clean(author_url),
        collector=person("collector"),
        translator=translator,
        reviewers=reviewers,
        publisher=person("publisher"),
        published_url=clean(doc.header_value("url") or ""),
        markdown=clean(doc.body_markdown()),
    )


def differing_fields(old: ArticleFields, new: ArticleFields, *, kind: str) -> list[str]:
    names = []
    for name in ("subject", "via", "author_name", "author_url", "published_url", "markdown"):
        if getattr(old, name) != getattr(new, name):
            names.append(name)
    if kind != "sources" and old.title != new.title:
        names.append("title")
    for name in ("collector", "translator", "publisher"):
        if not _same_handle(getattr(old, name), getattr(new, name)):
            names.append(name)
    if _handles_key(old.reviewers) != _handles_key(new.reviewers):
        names.append("reviewers")
    return names


def _github(handle: str) -> tuple[str, str]:
    return handle, f"https://github.com/{handle}"


def apply_fields(
    doc: LcttDocument,
    fields: ArticleFields,
    *,
    kind: str,
    normalize: Callable[[ArticleFields], ArticleFields] | None = None,
) -> list[str]:
    """Edit ``doc`` so that it says ``fields``, touching only what differs.

    Returns the names of the fields that were changed. An unchanged article leaves the
    document byte for byte as it was; a claim changes the translator line only.
    ``normalize`` is applied to what the document says before comparing (e.g. the
    importer's cut to column lengths), so values stored shortened do not count as edits.
    """
    old = extract_fields(doc, kind=kind)
    if normalize is not None:
        old = normalize(old)
    changed = differing_fields(old, fields, kind=kind)
    if not changed:
        return []
    has_header = doc.has_header

    if "subject" in changed:
        doc.set_header_value("subject", fields.subject)
        # In sources/ the title block is the English title: it follows the subject.
        title_follows = doc.title.text == old.subject if doc.title is not None else not has_header
        if kind == "sources" and title_follows:
            doc.set_title(fields.subject)
    if "title" in changed:
        doc.set_title(fields.title)
    if "markdown" in changed:
        doc.set_markdown(fields.markdown)
    if "via" in changed:
        if has_header:
            doc.set_header_value("via", fields.via)
        doc.set_footer_via(fields.via)
    if "author_name" in changed or "author_url" in changed:
        if has_header and (doc.header_field("author") or fields.author_name or fields.author_url):
            doc.set_header_value("author", f"{fields.author_name} {fields.author_url}".strip())
        credit = doc.credit("author")
        if credit and credit.names:
            doc.set_credit("author", [(fields.author_name, fields.author_url)])
    if "published_url" in changed and has_header:
        doc.set_header_value("url", fields.published_url)

    people = {
        "collector": [fields.collector] if fields.collector else [],
        "translator": [fields.translator] if fields.translator else [],
        "reviewers": list(fields.reviewers),
        "publisher": [fields.publisher] if fields.publisher else [],
    }
    for name, handles in people.items():
        if name not in changed:
            continue
        role = "reviewer" if name == "reviewers" else name
        if has_header:
            doc.set_header_value(role, ", ".join(handles))
        _apply_footer_person(doc, role, handles, kind=kind, has_header=has_header)
    return changed


def _apply_footer_person(doc: LcttDocument, role: str, handles: list[str], *, kind: str, has_header: bool) -> None:
    footer = _footer_people(doc, role)
    credit = doc.credit(role)
    names = [_github(h) for h in handles]
    if credit is not None:
        if footer:
            # The footer names someone: keep it truthful.
            if _handles_key(footer) != _handles_key(tuple(handles)):
                doc.set_credit(role, names)
        elif handles and (kind != "sources" or (not has_header and role != "translator")):
            # A placeholder: LCTT filled it in when the translation was done, not on a claim.
            doc.set_credit(role, names)
    if role != "translator":
        return
    footer_now = _footer_people(doc, "translator")
    recorded = normalize_handle(doc.header_value("translator")) or (footer_now[0] if footer_now else None)
    if doc.markers:
        if not handles or (kind != "sources" and recorded and _same_handle(recorded, handles[0])):
            doc.set_claim_marker(None)  # released, or the translation is done: the marker goes
        elif not _same_handle(normalize_handle(doc.markers[0].handle), handles[0]):
            doc.set_claim_marker(handles[0])
    elif handles and not recorded:
        # A file without a header: LCTT claimed it with a first line "translating by x".
        doc.set_claim_marker(handles[0])


def new_document(fields: ArticleFields, *, kind: str, path: str | None = None, newline: str = "\n") -> LcttDocument:
    """A file in the current template for an article that was never imported."""
    nl = newline

    def header(key: str, value: str) -> str:
        value = re.sub(r"[\r\n]+", " ", value or "").strip()
        return f"[#]: {key}: " + _quote(value, '"')

    def handle_link(role: str, handle: str | None) -> str:
        name = handle or _PLACEHOLDER_NAME[role]
        return f"[{name}](https://github.com/{name})"

    reviewers = list(fields.reviewers)
    body, refs = split_markdown_refs(fields.markdown)
    title = fields.subject if kind == "sources" else (fields.title or fields.subject)
    title = re.sub(r"[\r\n]+", " ", title).strip()
    collector = fields.collector or _PLACEHOLDER_NAME["collector"]
    lines = [
        header("subject", fields.subject),
        header("via", fields.via),
        header("author", f"{fields.author_name} {fields.author_url}".strip()),
        header("collector", fields.collector or ""),
        header("translator", fields.translator or ""),
        header("reviewer", ", ".join(reviewers)),
        header("publisher", fields.publisher or ""),
        header("url", fields.published_url),
        "",
        title,
        "======",
        "",
    ]
    if body:
        lines += [body, ""]
    reviewer_text = "，".join(handle_link("reviewer", r) for r in reviewers) if reviewers else handle_link("reviewer", None)
    lines += [
        FOOTER_RULE,
        "",
        f"via: {fields.via}",
        "",
        f"作者：[{fields.author_name}][a]",
        f"选题：[{collector}][b]",
        f"译者：{handle_link('translator', fields.translator)}",
        f"校对：{reviewer_text}",
        "",
        LCTT_CREDIT_LINE,
        "",
        f"[a]: {fields.author_url}".rstrip(),
        f"[b]: https://github.com/{collector}",
        *refs,
    ]
    text = ("\n".join(lines) + "\n").replace("\n", nl)
    return parse(text, path=path)
