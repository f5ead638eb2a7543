"""Turn an extracted article into an LCTT source file (the current, 2022–2023 template).

``html_to_markdown(content_html)`` converts the clean HTML from articles.extraction with
a markdownify subclass (markdownify is MIT; html2text is GPL-3.0 and not an option):

* every link and image becomes a numbered reference, ``[text][1]`` / ``![alt][2]``, with
  ``[1]: url`` definitions numbered in order of first appearance, a repeated URL reusing
  its number, as in LCTT's files;
* headings are ATX and shifted so the body's top level is ``###`` (the title above the
  body is the only first-level heading, underlined with ``======``, as LCTT did);
* code blocks are fenced with their language (the fence grows when the code holds
  backticks), inline code stays inline, tables are GFM pipe tables, lists use ``-``;
* text is escaped only where markdown would misread it (emphasis markers, ``[..]``
  pairs that would turn into reference links, ``<tag``, entities, block markers at the
  start of a line), so a translator reads ``snake_case``, not ``snake\\_case``;
* no raw HTML is left, blank lines are single, trailing spaces are gone (outside code).

``build_lctt_source(extracted, collector=..., via=...)`` wraps the body in the header and
footer and returns a ``ConvertedArticle`` with the pieces the collector page shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from markdownify import ATX, MarkdownConverter

from articles import lctt
from articles.extraction import ExtractedArticle

__all__ = [
    "ConvertedArticle",
    "MarkdownBody",
    "Reference",
    "build_lctt_source",
    "convert_article",
    "count_words",
    "guess_category",
    "html_to_markdown",
]


@dataclass(frozen=True, slots=True)
class Reference:
    number: int
    url: str
    is_image: bool = False

    @property
    def definition(self) -> str:
        return f"[{self.number}]: {self.url}"


@dataclass(frozen=True, slots=True)
class MarkdownBody:
    markdown: str
    references: tuple[Reference, ...]
    has_code: bool

    @property
    def definitions(self) -> str:
        return "\n".join(ref.definition for ref in self.references)


@dataclass(frozen=True, slots=True)
class ConvertedArticle:
    markdown: str  # the complete LCTT source file
    body_markdown: str  # the body only, links as [text][n]
    references: tuple[Reference, ...]
    word_count: int
    category_guess: str
    category: str  # the one asked for, else the guess
    has_code: bool
    title: str
    author_name: str
    author_url: str
    filename_date: str = field(default="")  # YYYYMMDD of the source post, "" if undated


# --- markdownify subclass ------------------------------------------------------------------

LINK_SCHEMES = ("http://", "https://", "ftp://", "mailto:")
HEADING_TAGS = [f"h{n}" for n in range(1, 7)]
BLOCK_STARTS = {"p", "li", "td", "th", "blockquote", "dd", "dt", *HEADING_TAGS}
TOP_SECTION_LEVEL = 3

ESCAPE_BACKSLASH = re.compile(r"\\(?=[!-/:-@\[-`{-~])")
ESCAPE_ASTERISK = re.compile(r"\*(?!\s)|(?<!\s)\*|^\*|\*$")
ESCAPE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
ESCAPE_BRACKET_PAIR = re.compile(r"\[([^\[\]]*)\]")
ESCAPE_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
ESCAPE_ENTITY = re.compile(r"&(?=#?\w+;)")
ESCAPE_LINE_START = re.compile(r"^(\s*)(#{1,6}(?=\s|$)|>|[-+](?=\s|$))")
ESCAPE_ORDERED_ITEM = re.compile(r"^(\s*\d{1,9})([.)](?=\s|$))")
BACKTICK_RUN = re.compile(r"`+")


class _LcttConverter(MarkdownConverter):
    """markdownify with reference links and LCTT's conventions; one instance per document."""

    def __init__(self, **options) -> None:
        super().__init__(
            heading_style=ATX,
            bullets="-",
            strong_em_symbol="*",
            newline_style="backslash",
            escape_asterisks=False,
            escape_underscores=False,
            escape_misc=False,
            table_infer_header=True,
            keep_inline_images_in=["td", "th"],
            wrap=True,
            wrap_width=None,
            bs4_options="lxml",
            **options,
        )
        self.references: dict[str, Reference] = {}
        self.heading_offset = 0
        self.code_blocks = 0

    # document level
    def convert_soup(self, soup):
        levels = [int(h.name[1]) for h in soup.find_all(HEADING_TAGS)]
        self.heading_offset = TOP_SECTION_LEVEL - min(levels) if levels else 0
        return super().convert_soup(soup)

    def reference(self, url: str, *, is_image: bool) -> int:
        url = _clean_url(url)
        if url not in self.references:
            self.references[url] = Reference(len(self.references) + 1, url, is_image)
        return self.references[url].number

    # text
    def escape(self, text, parent_tags):
        if not text:
            return ""
        text = ESCAPE_BACKSLASH.sub(r"\\\\", text)
        text = text.replace("`", r"\`")
        text = ESCAPE_ASTERISK.sub(r"\*", text)
        text = ESCAPE_UNDERSCORE.sub(r"\_", text)
        text = ESCAPE_BRACKET_PAIR.sub(r"\[\1\]", text)
        text = ESCAPE_TAG_START.sub(r"\<", text)
        text = ESCAPE_ENTITY.sub(r"\&", text)
        text = text.replace("~~", r"\~\~")
        if parent_tags & {"td", "th"}:
            text = text.replace("|", r"\|")
        return text

    def process_text(self, el, parent_tags=None):
        text = super().process_text(el, parent_tags=parent_tags)
        parent_tags = parent_tags or set()
        if text and "_noformat" not in parent_tags and self._starts_line(el):
            text = ESCAPE_LINE_START.sub(r"\1\\\2", text, count=1)
            text = ESCAPE_ORDERED_ITEM.sub(r"\1\\\2", text, count=1)
        return text

    @staticmethod
    def _starts_line(el) -> bool:
        previous = el.previous_sibling
        if previous is None:
            return el.parent is not None and el.parent.name in BLOCK_STARTS
        return getattr(previous, "name", None) == "br"

    # inline
    def convert_a(self, el, text, parent_tags):
        if "_noformat" in parent_tags:
            return text
        prefix, suffix, text = _chomp(text)
        href = (el.get("href") or "").strip()
        if not text:
            return ""
        if not href.lower().startswith(LINK_SCHEMES):
            return f"{prefix}{text}{suffix}"
        number = self.reference(href, is_image=False)
        return f"{prefix}[{_bracket_safe(text)}][{number}]{suffix}"

    def convert_img(self, el, text, parent_tags):
        src = (el.attrs.get("src") or "").strip()
        alt = re.sub(r"\s+", " ", el.attrs.get("alt") or "").strip()
        if "_inline" in parent_tags and el.parent.name not in self.options["keep_inline_images_in"]:
            return alt
        if not src:
            return alt
        number = self.reference(src, is_image=True)
        return f"![{_escape_brackets(alt)}][{number}]"

    def convert_code(self, el, text, parent_tags):
        if "_noformat" in parent_tags and "pre" in parent_tags:
            return text
        text = re.sub(r"\s+", " ", text).strip()
        if not text:
            return ""
        if parent_tags & {"td", "th"}:
            text = text.replace("|", r"\|")
        longest = max((len(run) for run in BACKTICK_RUN.findall(text)), default=0)
        fence = "`" * (longest + 1)
        if longest or text.startswith("`") or text.endswith("`"):
            text = f" {text} "
        return f"{fence}{text}{fence}"

    convert_kbd = convert_code
    convert_samp = convert_code

    def convert_sub(self, el, text, parent_tags):
        return text

    convert_sup = convert_sub

    # blocks
    def convert_hN(self, n, el, text, parent_tags):
        return super().convert_hN(min(6, max(1, n + self.heading_offset)), el, text, parent_tags)

    def convert_pre(self, el, text, parent_tags):
        code = el.find("code")
        text = el.get_text()
        text = re.sub(r"^\n+", "", text).rstrip()
        if not text.strip():
            return ""
        self.code_blocks += 1
        language = ""
        for cls in (code.get("class") or []) if code is not None else []:
            if cls.startswith("language-"):
                language = cls[len("language-"):]
        longest = max((len(run) for run in BACKTICK_RUN.findall(text)), default=0)
        fence = "`" * max(3, longest + 1)
        return f"\n\n{fence}{language}\n{text}\n{fence}\n\n"

    def convert_dt(self, el, text, parent_tags):
        text = re.sub(r"\s+", " ", text).strip()
        return f"\n\n**{text}**\n\n" if text else ""

    def convert_dd(self, el, text, parent_tags):
        text = text.strip()
        return f"\n\n{text}\n\n" if text else ""

    def convert_td(self, el, text, parent_tags):
        return super().convert_td(el, _one_line(text), parent_tags)

    def convert_th(self, el, text, parent_tags):
        return super().convert_th(el, _one_line(text), parent_tags)

    def convert_hr(self, el, text, parent_tags):
        # a thematic break would read like the footer rule of an LCTT file
        return "\n\n"

    def convert_figcaption(self, el, text, parent_tags):
        return f"\n\n{text.strip()}\n\n"


def _chomp(text: str) -> tuple[str, str, str]:
    prefix = " " if text[:1].isspace() else ""
    suffix = " " if text[-1:].isspace() else ""
    return prefix, suffix, text.strip()


def _one_line(text: str) -> str:
    return re.sub(r"\s*\n\s*", " ", text).strip()


def _escape_brackets(text: str) -> str:
    return re.sub(r"(?<!\\)([\[\]])", r"\\\1", text)


def _bracket_safe(text: str) -> str:
    """Link text may not hold unbalanced brackets; balanced ones are already escaped."""
    return _escape_brackets(text) if "![" not in text else text


def _clean_url(url: str) -> str:
    """A URL usable as a reference definition: no spaces, no angle brackets."""
    url = url.strip()
    url = re.sub(r"[\s<>\"`]", lambda m: quote(m.group(0)), url)
    if url.count("(") != url.count(")"):
        url = url.replace("(", "%28").replace(")", "%29")
    return url


FENCE = re.compile(r"^(?:\s*>)*\s*(`{3,}|~{3,})")  # also inside block quotes
INLINE_CODE_SPAN = re.compile(r"(`+).+?\1")
DOUBLE_SPACE = re.compile(r"(?<=\S) {2,}(?=\S)")


def _single_spaces(line: str) -> str:
    """Collapse runs of spaces left by dropped inline elements, not inside code spans."""
    pieces, last = [], 0
    for match in INLINE_CODE_SPAN.finditer(line):
        pieces += [DOUBLE_SPACE.sub(" ", line[last:match.start()]), match.group(0)]
        last = match.end()
    pieces.append(DOUBLE_SPACE.sub(" ", line[last:]))
    return "".join(pieces)


def _tidy_markdown(markdown: str) -> str:
    """Single blank lines, no trailing spaces, code blocks untouched."""
    lines: list[str] = []
    fence: str | None = None
    for line in markdown.split("\n"):
        match = FENCE.match(line)
        if fence is None:
            line = _single_spaces(line.rstrip())
            if match:
                fence = match.group(1)
            if not line and (not lines or not lines[-1]):
                continue
        elif match and match.group(1).startswith(fence) and not line.strip(" \t>").strip(fence[0]):
            fence = None
        lines.append(line)
    return "\n".join(lines).strip("\n")


def html_to_markdown(content_html: str) -> MarkdownBody:
    """Convert clean article HTML to an LCTT markdown body with numbered references."""
    converter = _LcttConverter()
    markdown = _tidy_markdown(converter.convert(content_html))
    return MarkdownBody(
        markdown=markdown,
        references=tuple(converter.references.values()),
        has_code=converter.code_blocks > 0,
    )


# --- word count and category ------------------------------------------------------------

FENCED_BLOCK = re.compile(r"^((?:\s*>)*\s*)(`{3,}|~{3,})[^\n]*\n.*?^(?:\s*>)*\s*\2\s*$", re.M | re.S)
REFERENCE_DEFINITION = re.compile(r"^\s*\[[^\]]+\]:\s+\S+.*$", re.M)
IMAGE = re.compile(r"!\[[^\]]*\]\[[^\]]*\]|!\[[^\]]*\]\([^)]*\)")
URL = re.compile(r"\b(?:https?|ftp)://\S+|\bwww\.\S+|\bmailto:\S+")
REFERENCE_LINK_LABEL = re.compile(r"\]\[[^\]]*\]")
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*")


def count_words(markdown_or_text: str) -> int:
    """Words to translate: code blocks, image references, URLs and link labels excluded.

    Each CJK character counts as one word, as a translator would count them.
    """
    text = FENCED_BLOCK.sub(" ", markdown_or_text)
    text = REFERENCE_DEFINITION.sub(" ", text)
    text = IMAGE.sub(" ", text)
    text = REFERENCE_LINK_LABEL.sub(" ", text)
    text = URL.sub(" ", text)
    cjk = len(CJK.findall(text))
    text = CJK.sub(" ", text)
    return cjk + len(WORD.findall(text))


COMMAND_LINE = re.compile(
    r"^(?:\$|#|%|sudo|apt|apt-get|dnf|yum|pacman|zypper|snap|flatpak|pip3?|npm|npx|yarn|cargo|"
    r"go|git|docker|podman|kubectl|systemctl|journalctl|curl|wget|ssh|scp|rsync|chmod|chown|"
    r"mkdir|cd|ls|cat|grep|sed|awk|tar|make|cmake|gcc|python3?|brew|nix|nix-env|emerge|"
    r"dpkg|rpm|useradd|mount|ip|ping|firewall-cmd|ufw)\s+\S",
)
INLINE_CODE = re.compile(r"(`+)\s?(.+?)\s?\1")
NEWS_WORD = re.compile(r"\bnews\b", re.I)
NEWS_MAX_WORDS = 800


def guess_category(extracted: ExtractedArticle, *, body: MarkdownBody | None = None) -> str:
    """"tech" for code or command lines, "news" for dated short posts on news sites or
    sections, else "talk" (LCTT's three source folders)."""
    body = body or html_to_markdown(extracted.content_html)
    if body.has_code or any(
        COMMAND_LINE.match(match.group(2)) for match in INLINE_CODE.finditer(body.markdown)
    ):
        return "tech"
    parts = urlsplit(extracted.url)
    host = (parts.hostname or extracted.hostname or "").lower()
    news_signal = (
        host.startswith("news.")
        or ".news." in host
        or any(segment.lower() == "news" for segment in parts.path.split("/"))
        or any(NEWS_WORD.search(label) for label in (*extracted.categories, *extracted.tags))
        or extracted.page_type.lower() in ("newsarticle", "news")
    )
    if news_signal and (extracted.date is not None or count_words(body.markdown) < NEWS_MAX_WORDS):
        return "news"
    return "talk"


# --- the LCTT file -----------------------------------------------------------------------

def _header_value(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


def _site_root(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/" if parts.scheme and parts.netloc else url


def build_lctt_source(
    extracted: ExtractedArticle,
    *,
    collector: str,
    via: str,
    category: str | None = None,
) -> str:
    """The complete current-template LCTT source file for an extracted article."""
    return convert_article(extracted, collector=collector, via=via, category=category).markdown


def convert_article(
    extracted: ExtractedArticle,
    *,
    collector: str,
    via: str,
    category: str | None = None,
) -> ConvertedArticle:
    """The LCTT source file for an extracted article, with its pieces for the collector.

    An unknown author is credited to the site (name and root URL), as LCTT did for
    single-author blogs.
    """
    body = html_to_markdown(extracted.content_html)
    title = _header_value(extracted.title)
    author_name = _header_value(extracted.author_name or extracted.sitename or extracted.hostname)
    author_url = (extracted.author_url or _site_root(via)).strip()
    collector = collector.strip()

    # One template for the whole project: the LCTT module writes every new file.
    definitions = "\n".join(ref.definition for ref in body.references)
    fields = lctt.ArticleFields(
        subject=title, via=via, author_name=author_name, author_url=_clean_url(author_url),
        collector=collector, markdown=f"{body.markdown}\n\n{definitions}" if definitions else body.markdown,
    )
    text = lctt.render(lctt.new_document(fields, kind="sources"))

    guess = guess_category(extracted, body=body)
    return ConvertedArticle(
        markdown=text,
        body_markdown=body.markdown,
        references=body.references,
        word_count=count_words(body.markdown),
        category_guess=guess,
        category=category or guess,
        has_code=body.has_code,
        title=title,
        author_name=author_name,
        author_url=author_url,
        filename_date=extracted.date.strftime("%Y%m%d") if extracted.date else "",
    )
