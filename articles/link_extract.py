"""Every link of a markdown text, found with a real CommonMark parser (markdown-it-py).

Public API
----------
``extract_links(markdown: str) -> list[ExtractedLink]``
    In document order. Each ``ExtractedLink`` has ``url``, ``kind`` (a ``LinkKind``:
    ``inline``, ``reference``, ``autolink``, ``image`` or ``html``), ``line`` (1-based)
    and ``label`` (the reference label as written, e.g. ``"1"`` or ``"a"``, for
    reference definitions; empty otherwise).
``LinkKind``

What counts
-----------
* inline links ``[t](url "title")`` and images ``![alt](url)`` (kind ``image``);
* reference definitions ``[1]: url`` (kind ``reference``, with the label), whether or
  not they are used; a use such as ``[t][1]`` or ``![alt][1]`` adds nothing (the
  definition is the link);
* autolinks ``<https://…>`` and GFM bare URLs (``https://…``, ``www.…``; bare domain
  names such as ``setup.py`` are not links) — kind ``autolink``;
* ``<a href>``, ``<img src>``, ``<iframe|video|audio|source src>`` in raw HTML, block
  or inline — kind ``html``.

Nothing inside fenced or indented code blocks or inline code is a link. The LCTT header
lines ``[#]: key: "value"`` are metadata (the via URL is ``Article.via``), not links.
``javascript:``, ``mailto:``, ``data:`` and relative URLs are returned as written (the
checker skips them); fragment-only links (``#section``) and empty ones are left out.
URLs are as markdown-it normalises them (percent-encoded, punycode host), which is
what a browser requests.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from markdown_it import MarkdownIt
from markdown_it.rules_inline import image as image_rule
from markdown_it.rules_inline import link as link_rule
from markdown_it.rules_inline.state_inline import StateInline
from markdown_it.token import Token

__all__ = ["ExtractedLink", "LinkKind", "extract_links"]


class LinkKind(enum.StrEnum):
    INLINE = "inline"
    REFERENCE = "reference"
    AUTOLINK = "autolink"
    IMAGE = "image"
    HTML = "html"


@dataclass(frozen=True)
class ExtractedLink:
    url: str
    kind: LinkKind
    line: int
    label: str = ""


_HTML_LINK_ATTRS = {"a": "href", "img": "src", "iframe": "src", "video": "src", "audio": "src", "source": "src"}
_REFERENCE_LINE_RE = re.compile(r"^ {0,3}\[((?:[^\]\\]|\\.)+)\]:")
_LCTT_HEADER_LABEL = "#"
_BARE_URL_START = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|www\.)", re.IGNORECASE)


def _mark_reference_uses(rule):
    """Wrap markdown-it's link/image rule to tag ``[t][label]`` uses, which it does not mark."""

    def wrapped(state: StateInline, silent: bool) -> bool:
        start, before = state.pos, len(state.tokens)
        matched = rule(state, silent)
        # The inline form always ends with ")", the reference forms with "]".
        if matched and not silent and not state.src[start:state.pos].endswith(")"):
            # Pending text is flushed into a token first, so look for the link itself.
            for token in state.tokens[before:]:
                if token.type in ("link_open", "image"):
                    token.meta["reference_use"] = True
                    break
        return matched

    return wrapped


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"linkify": True}).enable(["linkify", "table", "strikethrough"])
    md.linkify.set({"fuzzy_email": False})
    md.validateLink = lambda url: True  # keep javascript:/data: links: they are reported as skipped
    md.inline.ruler.at("link", _mark_reference_uses(link_rule))
    md.inline.ruler.at("image", _mark_reference_uses(image_rule))
    return md


_MD = _parser()


def extract_links(markdown: str) -> list[ExtractedLink]:
    text = markdown.replace("\r\n", "\n").replace("\r", "\n")
    env: dict = {}
    tokens = _MD.parse(text, env)
    lines = text.split("\n")
    found: list[ExtractedLink] = []
    for token in tokens:
        start = token.map[0] if token.map else 0
        if token.type == "inline" and token.children:
            found.extend(_inline_links(token.children, start))
        elif token.type == "html_block":
            found.extend(_html_links(token.content, start))
    for label, ref in env.get("references", {}).items():
        line_index = ref.get("map", [0])[0]
        written = _written_label(lines, line_index) or label
        if written == _LCTT_HEADER_LABEL:
            continue
        found.append(ExtractedLink(url=ref["href"], kind=LinkKind.REFERENCE, line=line_index + 1, label=written))
    found = [link for link in found if link.url and not link.url.startswith("#")]
    found.sort(key=lambda link: link.line)  # stable: keeps document order within a line
    return found


def _written_label(lines: list[str], index: int) -> str:
    if 0 <= index < len(lines):
        match = _REFERENCE_LINE_RE.match(lines[index])
        if match:
            return match.group(1).strip()
    return ""


def _inline_links(children: list[Token], start: int) -> list[ExtractedLink]:
    found: list[ExtractedLink] = []
    line = start
    for index, child in enumerate(children):
        if child.type in ("softbreak", "hardbreak"):
            line += 1
        elif child.type == "link_open":
            if child.meta.get("reference_use"):
                continue
            href = str(child.attrs.get("href", ""))
            if child.markup == "linkify":
                shown = children[index + 1].content if index + 1 < len(children) else ""
                if not _BARE_URL_START.match(shown):
                    continue  # a bare domain name such as setup.py
                found.append(ExtractedLink(url=href, kind=LinkKind.AUTOLINK, line=line + 1))
            elif child.markup == "autolink":
                found.append(ExtractedLink(url=href, kind=LinkKind.AUTOLINK, line=line + 1))
            else:
                found.append(ExtractedLink(url=href, kind=LinkKind.INLINE, line=line + 1))
        elif child.type == "image":
            if not child.meta.get("reference_use"):
                found.append(ExtractedLink(url=str(child.attrs.get("src", "")), kind=LinkKind.IMAGE, line=line + 1))
        elif child.type == "html_inline":
            found.extend(_html_links(child.content, line))
            line += child.content.count("\n")
        elif child.type == "text":
            line += child.content.count("\n")
    return found


class _HTMLLinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = _HTML_LINK_ATTRS.get(tag)
        if wanted is None:
            return
        for name, value in attrs:
            if name == wanted and value and value.strip():
                self.found.append((value.strip(), self.getpos()[0]))

    handle_startendtag = handle_starttag


def _html_links(html: str, start: int) -> list[ExtractedLink]:
    parser = _HTMLLinkParser()
    parser.feed(html)
    parser.close()
    return [ExtractedLink(url=url, kind=LinkKind.HTML, line=start + line) for url, line in parser.found]
