"""Find the article in a fetched HTML page: its metadata and its main content as clean HTML.

How it works, and why
---------------------
trafilatura (pinned in pyproject.toml; the golden files in tests/golden/extraction/ catch
any behaviour change on upgrade) is the best boilerplate remover we have, but several of
its behaviours lose things an LCTT source file needs, so we wrap it:

1. **Relative links.** trafilatura resolves ``href`` against the *site root*, not the page
   URL (``../a.html`` on ``/blog/2024/post/`` becomes ``/a.html``). We parse the page once,
   resolve every link against the page URL or its ``<base href>`` (lxml's
   ``rewrite_links``; ``make_links_absolute`` itself raises on links holding control
   characters), including the lazy-loading ``data-src*`` attributes trafilatura prefers,
   then hand the *tree* to trafilatura, so it only ever sees absolute URLs.

2. **Code blocks.** trafilatura's HTML output renders every ``<code>`` as ``<pre>`` (inline
   code becomes a block); it classifies a ``<pre>`` as a block quote unless the text "looks
   like code"; it trims the whitespace of a block nested in a list item or a quote; it
   collapses two identical blocks; and it drops the language, which highlighters put on
   the ``<code>``, the ``<pre>`` or a wrapper (Prism/highlight.js ``language-x``, ``lang-x``,
   Sphinx ``highlight-x``, GitHub ``highlight-source-x``, Rouge ``language-x
   highlighter-rouge``, Chroma ``data-lang``, WordPress ``<code lang>``, SyntaxHighlighter
   ``brush: x``, Enlighter ``data-enlighter-language``, pandoc ``sourceCode x``, old
   highlight.js bare ``x``). So before extraction every ``<pre>`` is taken out of
   trafilatura's hands: line-number gutters are dropped, the language is read, the plain
   text is stored aside, and the ``<pre>`` keeps only a placeholder token (plus a ``lang``
   attribute, which makes trafilatura treat it as a code block). Toolbar wrappers around
   it are removed, because trafilatura discards "toolbar" and "copy" containers together
   with the code. After extraction each token is replaced by its block, wherever
   trafilatura left it. Inline ``<code>`` is left alone and stays inline.

3. **Output format.** We take trafilatura's *XML* tree (``bare_extraction(...).body``:
   ``head``, ``p``, ``list/item``, ``hi``, ``ref``, ``graphic``, ``table/row/cell``,
   ``quote``, ``code``, ``lb``, ``del``) and translate that small vocabulary to HTML
   ourselves (``_xml_to_html``), keeping ordered lists ordered (and their ``start``,
   which trafilatura drops), header cells, inline vs block code and ``language-x``
   classes. markdownify then turns that HTML into markdown (articles.html_to_markdown).

4. **Pages without a known content container** (plain documentation themes): trafilatura
   then collects loose paragraphs and code only, losing every heading and list. When none
   of its content selectors matches, we rename the element whose direct children hold the
   most block text to ``<article>`` first (readability's core idea), which it does use.

5. ``<figcaption>`` becomes a paragraph (trafilatura drops captions; LCTT files keep
   captions and image credits as a line of text), and comments are excluded.

Alternatives considered: converting the original DOM subtree that holds the article
keeps more markup but also the share buttons, "related posts" and ads that sit inside
``<article>``, which trafilatura's pruning removes; post-processing trafilatura's HTML
output cannot tell inline from block code any more; its markdown output drops code
languages, block-quote markers and reference links.

Metadata: title, author name, date (htmldate, original publication date), description
and site name come from trafilatura. The author *URL* does not, so it is looked up in
JSON-LD (``author.url``, ``@id`` references followed), ``<a rel="author">``, ``<link
rel="author">``, a link whose text is the author's name, and an ``article:author`` meta
tag holding a URL, in that order. The language comes from ``<html lang>``, ``og:locale``
or ``Content-Language``.
"""

from __future__ import annotations

import datetime
import json
import re
from copy import deepcopy
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import trafilatura
from django.utils.translation import gettext_lazy as _
from lxml import etree
from lxml import html as lxml_html
from trafilatura.xpaths import BODY_XPATH

__all__ = ["ExtractedArticle", "ExtractionError", "extract_article"]

NOTHING_EXTRACTED = _("Nothing could be extracted from the page")

# Marks the code blocks we prepared, so they are told apart from a page's own ``lang``.
CODE_LANG_PREFIX = "translate-hub-code:"

# Extraction options: trafilatura's defaults drop every link, image and emphasis, and
# include the comment section.
TRAFILATURA_OPTIONS = {
    "include_links": True,
    "include_images": True,
    "include_formatting": True,
    "include_tables": True,
    "include_comments": False,
    "with_metadata": True,
}


class ExtractionError(Exception):
    """No article could be found in the page. ``str(error)`` is the translated reason."""

    def __init__(self, reason=NOTHING_EXTRACTED, *, code: str = "nothing_extracted") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code

    def __str__(self) -> str:
        return str(self.reason)


@dataclass(frozen=True, slots=True)
class ExtractedArticle:
    url: str
    title: str
    author_name: str
    author_url: str
    date: datetime.date | None
    description: str
    sitename: str
    content_html: str
    text: str
    language: str
    hostname: str = ""
    categories: tuple[str, ...] = field(default=())
    tags: tuple[str, ...] = field(default=())
    page_type: str = ""


def extract_article(html: str, *, url: str) -> ExtractedArticle:
    """Extract the article from ``html`` fetched from ``url``.

    Raises ExtractionError when the page holds no article text.
    """
    if not html or not html.strip():
        raise ExtractionError(code="empty_page")
    try:
        tree = trafilatura.load_html(html)
    except (ValueError, TypeError, etree.LxmlError) as error:
        raise ExtractionError(code="not_html") from error
    if tree is None or not isinstance(tree, lxml_html.HtmlElement):
        raise ExtractionError(code="not_html")

    _make_urls_absolute(tree, url)
    list_starts = _ordered_list_starts(tree)
    code_blocks = _prepare_code_blocks(tree)
    _keep_figure_captions(tree)
    _mark_main_container(tree)

    try:
        document = trafilatura.bare_extraction(tree, url=url, **TRAFILATURA_OPTIONS)
    except (ValueError, TypeError, etree.LxmlError) as error:
        raise ExtractionError() from error
    if document is None or document.body is None:
        raise ExtractionError()

    title = _clean_space(document.title or "") or _fallback_title(tree)
    content = _xml_to_html(document.body, code_blocks)
    _drop_leading_title(content, title)
    _restore_list_starts(content, list_starts)
    if not _is_article(content):
        raise ExtractionError()

    author_name = _clean_author(document.author or "")
    return ExtractedArticle(
        url=url,
        title=title or _first_words(content),
        author_name=author_name,
        author_url=_find_author_url(tree, author_name=author_name, page_url=url),
        date=_parse_date(document.date),
        description=_clean_space(document.description or ""),
        sitename=_clean_space(document.sitename or ""),
        content_html=_serialize_children(content),
        text=_plain_text(content),
        language=_find_language(tree) or (document.language or ""),
        hostname=urlsplit(url).hostname or "",
        categories=tuple(document.categories or ()),
        tags=tuple(document.tags or ()),
        page_type=document.pagetype or "",
    )


# --- before extraction -------------------------------------------------------------------

LAZY_IMAGE_ATTRIBUTES = ("data-lazy-src", "data-original")


def _make_urls_absolute(tree: lxml_html.HtmlElement, url: str) -> None:
    """Resolve every link against the page (or its ``<base href>``), as a browser does.

    Not lxml's ``make_links_absolute``: it raises on links holding control characters.
    """
    base_hrefs = tree.xpath("//base[@href]/@href")
    base = _join_url(url, base_hrefs[0]) if base_hrefs else url
    for element in tree.xpath("//base"):
        element.drop_tree()
    tree.rewrite_links(lambda link: _join_url(base, link) or None, resolve_base_href=False)
    for img in tree.iter("img", "source"):
        for name, value in img.attrib.items():
            if value and (name.startswith("data-src") or name in LAZY_IMAGE_ATTRIBUTES):
                img.set(name, _join_url(base, value))


URL_STRIPPED = re.compile(r"[\t\n\r]")
URL_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _join_url(base: str, value: str) -> str:
    """``value`` resolved against ``base``; tabs and newlines removed, controls escaped."""
    value = URL_STRIPPED.sub("", value).strip("\x00\x20\x0c\x0b")
    value = URL_CONTROL.sub(lambda m: f"%{ord(m.group(0)):02X}", value)
    try:
        return urljoin(base, value)
    except ValueError:
        return value


XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    """Text lxml accepts back: characters XML forbids (NUL, ANSI escapes...) removed."""
    return XML_INVALID.sub("", text)


LANGUAGE_ALIASES = {
    "py": "python", "python3": "python", "py3": "python",
    "js": "javascript", "node": "javascript", "ts": "typescript",
    "rb": "ruby", "yml": "yaml", "golang": "go", "rs": "rust", "c++": "cpp",
    "cs": "csharp", "c#": "csharp", "ps1": "powershell", "md": "markdown",
    "docker": "dockerfile", "shell-session": "console", "sh-session": "console",
}
NO_LANGUAGE = {"text", "plaintext", "plain", "txt", "none", "nohighlight", "no-highlight",
               "default", "output", "raw", "code", "source", "plain-text"}
# Names accepted when they appear as a bare class (old highlight.js, pandoc); prefixed
# forms (language-x, lang-x, highlight-x) accept any name.
KNOWN_LANGUAGES = {
    "bash", "sh", "shell", "zsh", "fish", "console", "powershell", "bat", "cmd",
    "python", "py", "javascript", "js", "typescript", "ts", "jsx", "tsx", "json", "yaml",
    "yml", "toml", "ini", "xml", "html", "css", "scss", "less", "go", "golang", "rust", "c",
    "cpp", "java", "kotlin", "scala", "groovy", "ruby", "rb", "php", "perl", "lua", "sql",
    "diff", "makefile", "dockerfile", "nix", "haskell", "elixir", "erlang", "swift",
    "objectivec", "csharp", "fsharp", "ocaml", "dart", "julia", "zig", "nim", "awk", "tcl",
    "asm", "nasm", "x86asm", "graphql", "protobuf", "hcl", "terraform", "nginx", "apache",
    "vim", "lisp", "clojure", "scheme", "elisp", "r", "matlab", "latex", "tex", "markdown",
    "vue", "svelte", "cmake", "properties", "plaintext", "text",
}
PREFIXED_LANGUAGE = re.compile(r"^(?:language|lang|highlight-source|highlight|brush|sourcecode)[-:](.+)$", re.I)
BRUSH_LANGUAGE = re.compile(r"\bbrush:\s*([\w+#.-]+)", re.I)
LANGUAGE_ATTRIBUTES = ("data-lang", "data-language", "data-enlighter-language", "data-code-language")
# A BCP 47 natural-language tag, which GitHub-style <pre lang="..."> never carries.
NATURAL_LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z]{2,4})?$")
LINE_NUMBER_CLASSES = {"linenos", "lineno", "ln", "lnt", "line-number", "line-numbers",
                       "line-numbers-rows", "hljs-ln-numbers", "gutter", "rouge-gutter"}
GUTTER_TABLES = ".//table[contains(@class,'highlighttable') or contains(@class,'rouge-table') or contains(@class,'lntable')]"


def _normalize_language(name: str) -> str:
    name = name.strip().strip(";,").lower()
    if not name or name in NO_LANGUAGE or not re.fullmatch(r"[\w+#.-]{1,40}", name):
        return ""
    return LANGUAGE_ALIASES.get(name, name)


def _language_of(element: lxml_html.HtmlElement, *, allow_bare: bool) -> str | None:
    """The language an element declares, "" for an explicit "no language", None if silent."""
    for attribute in LANGUAGE_ATTRIBUTES:
        if element.get(attribute):
            return _normalize_language(element.get(attribute))
    lang = element.get("lang", "")
    if allow_bare and lang and (lang.lower() in KNOWN_LANGUAGES or not NATURAL_LANGUAGE_TAG.match(lang)):
        return _normalize_language(lang)
    classes = element.get("class", "")
    if brush := BRUSH_LANGUAGE.search(classes):
        return _normalize_language(brush.group(1))
    for cls in classes.split():
        if match := PREFIXED_LANGUAGE.match(cls):
            return _normalize_language(match.group(1))
    if allow_bare:
        for cls in classes.split():
            if cls.lower() in KNOWN_LANGUAGES:
                return _normalize_language(cls)
    return None


def _code_block_language(pre: lxml_html.HtmlElement) -> str:
    candidates = [*pre.iterchildren("code"), pre]
    for element in candidates:
        language = _language_of(element, allow_bare=True)
        if language is not None:
            return language
    for depth, ancestor in enumerate(pre.iterancestors()):
        if depth >= 3 or ancestor.tag in ("body", "article", "main"):
            break
        language = _language_of(ancestor, allow_bare=False)
        if language is not None:
            return language
    return ""


def _code_text(pre: lxml_html.HtmlElement) -> str:
    for br in list(pre.iter("br")):
        br.tail = "\n" + (br.tail or "")
    for span in list(pre.iter()):
        if span is not pre and LINE_NUMBER_CLASSES.intersection(span.get("class", "").split()):
            span.drop_tree()
    text = "".join(pre.itertext()).replace("\r\n", "\n").replace("\xa0", " ")
    text = re.sub(r"^\n+", "", text)
    return text.rstrip()


@dataclass(frozen=True, slots=True)
class _CodeBlock:
    language: str
    text: str


CODE_TOKEN = re.compile(r"translatehubcodeblock(\d+)x")


def _prepare_code_blocks(tree: lxml_html.HtmlElement) -> dict[str, _CodeBlock]:
    """Take every code block out of trafilatura's hands, leaving a placeholder token.

    The token keeps the block's place; trafilatura would otherwise trim the whitespace of
    a block nested in a list item or quote, treat a ``<pre>`` without "code-like" text as
    a quote, and collapse two identical blocks into one.
    """
    # Line-number gutters: keep the cell that holds the code, drop the numbers.
    for table in tree.xpath(GUTTER_TABLES):
        pres = table.xpath(".//td[not(contains(@class,'linenos')) and not(contains(@class,'gutter'))"
                           " and not(contains(@class,'lntd'))][.//pre] | .//td[contains(@class,'code')]")
        code_pre = next((p for cell in reversed(pres) for p in cell.iter("pre")), None)
        if code_pre is None or table.getparent() is None:
            continue
        code_pre.tail = None
        table.addprevious(deepcopy(code_pre))
        table.drop_tree()
    blocks: dict[str, _CodeBlock] = {}
    for pre in list(tree.iter("pre")):
        if pre.getparent() is None or any(True for _ in pre.iterancestors("pre")):
            continue
        language = _code_block_language(pre)
        text = _code_text(pre)
        pre.clear(keep_tail=True)
        if not text.strip():
            pre.drop_tree()
            continue
        token = f"translatehubcodeblock{len(blocks)}x"
        blocks[token] = _CodeBlock(language, _xml_safe(text))
        pre.text = token
        # any element with a lang attribute is a code block to trafilatura
        pre.set("lang", CODE_LANG_PREFIX)
        _hoist_out_of_wrappers(pre)
    return blocks


def _restore_code_blocks(body: etree._Element, blocks: dict[str, _CodeBlock]) -> None:
    """Put each code block back where trafilatura left its token."""
    if not blocks:
        return
    for elem in list(body.iter()):
        if not isinstance(elem.tag, str):
            continue
        whole = (elem.text or "").strip()
        if len(elem) == 0 and whole in blocks and elem.tag in ("code", "quote", "p", "pre", "div"):
            _make_block(elem, blocks[whole])
            elem.text = blocks[whole].text
        else:
            _split_text_at_tokens(elem, blocks)
        _split_tail_at_tokens(elem, blocks)


def _make_block(elem: etree._Element, block: _CodeBlock) -> None:
    tail = elem.tail
    elem.clear()
    elem.tag, elem.tail = "code", tail
    elem.set("lang", CODE_LANG_PREFIX + block.language)


def _new_block(block: _CodeBlock) -> etree._Element:
    elem = etree.Element("code")
    _make_block(elem, block)
    elem.text = block.text
    return elem


def _split_text_at_tokens(elem: etree._Element, blocks: dict[str, _CodeBlock]) -> None:
    pieces = CODE_TOKEN.split(elem.text or "")
    if len(pieces) == 1:
        return
    elem.text = pieces[0]
    position = 0
    for index in range(1, len(pieces), 2):
        token = f"translatehubcodeblock{pieces[index]}x"
        if token not in blocks:
            continue
        block = _new_block(blocks[token])
        block.tail = pieces[index + 1]
        elem.insert(position, block)
        position += 1
        _split_paragraph_at(block)


def _split_tail_at_tokens(elem: etree._Element, blocks: dict[str, _CodeBlock]) -> None:
    pieces = CODE_TOKEN.split(elem.tail or "")
    if len(pieces) == 1 or elem.getparent() is None:
        return
    elem.tail = pieces[0]
    anchor = elem
    for index in range(1, len(pieces), 2):
        token = f"translatehubcodeblock{pieces[index]}x"
        if token not in blocks:
            continue
        block = _new_block(blocks[token])
        block.tail = pieces[index + 1]
        anchor.addnext(block)
        anchor = block
        _split_paragraph_at(block)


def _split_paragraph_at(block: etree._Element) -> None:
    """A code block cannot sit inside a paragraph: close it before and reopen it after."""
    paragraph = block.getparent()
    if paragraph is None or paragraph.tag != "p" or paragraph.getparent() is None:
        return
    after = etree.Element("p")
    after.text = block.tail
    block.tail = None
    for sibling in list(block.itersiblings()):
        after.append(sibling)
    after.tail = paragraph.tail
    paragraph.tail = None
    paragraph.addnext(block)
    if (after.text or "").strip() or len(after):
        block.addnext(after)
    else:
        block.tail = after.tail


WRAPPER_TAGS = {"div", "figure", "section", "span"}
WRAPPER_EXTRA_TEXT = 40  # "Copy", "Copy code", a file name: toolbar text a wrapper may hold


def _hoist_out_of_wrappers(pre: lxml_html.HtmlElement) -> None:
    """Replace the <div>s that only wrap a code block by the block itself.

    Highlighters wrap code in toolbars ("code-toolbar", copy buttons) whose class names
    trafilatura's boilerplate rules discard together with the code.
    """
    wrapper = None
    node = pre
    for _depth in range(4):
        parent = node.getparent()
        if parent is None or parent.tag not in WRAPPER_TAGS:
            break
        other_blocks = [e for e in parent.iter("p", "pre", "img", "table", "ul", "ol", "li", "blockquote",
                                               "h1", "h2", "h3", "h4", "h5", "h6") if e is not pre]
        extra = len(re.sub(r"\s+", "", parent.text_content())) - len(re.sub(r"\s+", "", pre.text or ""))
        if other_blocks or extra > WRAPPER_EXTRA_TEXT:
            break
        wrapper = node = parent
    if wrapper is not None:
        tail = wrapper.tail
        pre.tail = None
        wrapper.addprevious(pre)
        wrapper.getparent().remove(wrapper)
        pre.tail = tail


def _mark_main_container(tree: lxml_html.HtmlElement) -> None:
    """Give trafilatura a frame when none of its content selectors matches the page.

    Without one it falls back to collecting loose paragraphs and code and loses every
    heading and list (plain documentation themes). The frame is the element whose direct
    children hold the most block text, readability's core idea.
    """
    if any(expr(tree) for expr in BODY_XPATH):
        return
    scores: dict[lxml_html.HtmlElement, int] = {}
    for block in tree.iter("p", "pre", "h2", "h3", "h4", "ul", "ol", "blockquote", "table"):
        parent = block.getparent()
        if parent is None or any(True for _ in block.iterancestors("nav", "header", "footer", "aside")):
            continue
        scores[parent] = scores.get(parent, 0) + len(block.text_content().strip())
    if not scores:
        return
    best = max(scores, key=scores.__getitem__)
    if best.tag not in ("body", "html"):
        best.tag = "article"


def _keep_figure_captions(tree: lxml_html.HtmlElement) -> None:
    # trafilatura drops <figcaption>; as a paragraph under the image it survives (LCTT
    # files keep captions and credits such as "Image by: ..." as a line of text).
    for caption in tree.iter("figcaption"):
        caption.tag = "p"


def _list_key(item: etree._Element) -> str:
    return " ".join(_comparable("".join(item.itertext())).split()[:8])


def _ordered_list_starts(tree: lxml_html.HtmlElement) -> dict[str, int]:
    """``<ol start>`` values by the text of the first item (trafilatura drops the attribute).

    Tutorials split numbered steps around code blocks and continue the numbering.
    """
    starts = {}
    for ol in tree.iter("ol"):
        start, first = ol.get("start", ""), next(ol.iterchildren("li"), None)
        if start.isdigit() and int(start) != 1 and first is not None:
            starts[_list_key(first)] = int(start)
    return starts


def _restore_list_starts(content: lxml_html.HtmlElement, starts: dict[str, int]) -> None:
    if not starts:
        return
    for ol in content.iter("ol"):
        first = next(ol.iterchildren("li"), None)
        if first is not None and (start := starts.get(_list_key(first))):
            ol.set("start", str(start))


# --- after extraction: trafilatura XML -> clean HTML ----------------------------------

HEADINGS = {f"h{level}" for level in range(1, 7)}
HI_TAGS = {"#b": "strong", "#i": "em", "#t": "code", "#sub": "sub", "#sup": "sup", "#u": None}
ALLOWED = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd",
           "blockquote", "pre", "code", "em", "strong", "sub", "sup", "del", "a", "img",
           "table", "tr", "th", "td", "br", "div"}
LINK_SCHEMES = ("http://", "https://", "ftp://", "mailto:")
BLOCK_PARENTS = {"body", "doc", "main", "quote", "item", "cell", "div"}


def _is_block_code(elem: etree._Element) -> bool:
    if elem.get("lang", "").startswith(CODE_LANG_PREFIX):
        return True
    parent = elem.getparent()
    text = "".join(elem.itertext())
    # trafilatura's own code detection (e.g. w3-code divs) outside a paragraph
    return (
        parent is not None
        and parent.tag in BLOCK_PARENTS
        and "\n" in text.strip()
        and not (elem.tail or "").strip()
    )


def _xml_to_html(body: etree._Element, code_blocks: dict[str, _CodeBlock]) -> lxml_html.HtmlElement:
    """Translate trafilatura's XML vocabulary to plain HTML inside a <div>."""
    source = deepcopy(body)
    _restore_code_blocks(source, code_blocks)
    for elem in list(source.iter()):
        if not isinstance(elem.tag, str):
            continue
        tag = elem.tag
        if elem.get("lang", "").startswith(CODE_LANG_PREFIX):
            # one of our prepared <pre> blocks, whatever trafilatura (or its fallback) named it
            _convert_code(elem)
        elif tag == "head":
            rend = elem.get("rend", "h3")
            elem.attrib.clear()
            elem.tag = rend if rend in HEADINGS else "h3"
        elif tag == "list":
            rend = elem.get("rend", "ul")
            elem.attrib.clear()
            elem.tag = rend if rend in ("ul", "ol", "dl") else "ul"
        elif tag == "item":
            rend = elem.get("rend", "")
            elem.attrib.clear()
            elem.tag = "dt" if rend.startswith("dt") else "dd" if rend.startswith("dd") else "li"
        elif tag == "hi":
            new_tag = HI_TAGS.get(elem.get("rend", "#i"), "em")
            elem.attrib.clear()
            elem.tag = new_tag or "span"
        elif tag == "ref":
            target = (elem.get("target") or "").strip()
            elem.attrib.clear()
            elem.tag = "a"
            if target.lower().startswith(LINK_SCHEMES):
                elem.set("href", target)
            else:
                elem.tag = "span"
        elif tag == "graphic":
            src = (elem.get("src") or "").strip()
            alt, title = elem.get("alt"), elem.get("title")
            elem.attrib.clear()
            elem.tag = "img"
            if not src.lower().startswith(("http://", "https://")):
                elem.tag = "span"
                continue
            elem.set("src", src)
            if alt:
                elem.set("alt", _clean_space(alt))
            if title:
                elem.set("title", _clean_space(title))
        elif tag == "row":
            elem.attrib.clear()
            elem.tag = "tr"
        elif tag == "cell":
            is_head = elem.get("role") == "head"
            span = elem.get("colspan")
            elem.attrib.clear()
            elem.tag = "th" if is_head else "td"
            if span and span.isdigit() and int(span) > 1:
                elem.set("colspan", span)
        elif tag == "quote":
            elem.attrib.clear()
            elem.tag = "blockquote"
        elif tag == "code":
            _convert_code(elem)
        elif tag == "lb":
            elem.attrib.clear()
            elem.tag = "br"
        elif tag == "del" or tag == "table" or tag in ("p", "div"):
            elem.attrib.clear()
    # Wrap the result in an HTML element tree (lxml.html helpers, html serialization).
    container = lxml_html.fromstring("<div></div>")
    container.text = source.text
    for child in list(source):
        container.append(child)
    _tidy(container)
    return container


def _convert_code(elem: etree._Element) -> None:
    if _is_block_code(elem):
        language = elem.get("lang", "")
        language = language[len(CODE_LANG_PREFIX):] if language.startswith(CODE_LANG_PREFIX) else ""
        text = "".join(elem.itertext())
        tail = elem.tail
        elem.clear()
        elem.tail = tail
        elem.tag = "pre"
        code = etree.SubElement(elem, "code")
        if language:
            code.set("class", f"language-{language}")
        code.text = text
    else:
        elem.attrib.clear()
        # nested markup inside inline code (links, emphasis) is not code; keep the text
        text = "".join(elem.itertext())
        tail = elem.tail
        elem.clear()
        elem.text, elem.tail = text, tail


def _tidy(container: lxml_html.HtmlElement) -> None:
    # Line breaks directly between blocks carry nothing (trafilatura also maps <hr> to them).
    for br in list(container.iterchildren("br")):
        _remove_keep_tail(br)
    unknown = {e.tag for e in container.iter() if isinstance(e.tag, str) and e.tag not in ALLOWED}
    if unknown:
        etree.strip_tags(container, *unknown)
    for elem in list(container.iter("p", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6")):
        if elem.getparent() is not None and not _has_content(elem):
            _remove_keep_tail(elem)


def _remove_keep_tail(elem: etree._Element) -> None:
    parent = elem.getparent()
    if parent is None:
        return
    if elem.tail and elem.tail.strip():
        previous = elem.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + elem.tail
        else:
            parent.text = (parent.text or "") + elem.tail
    parent.remove(elem)


def _has_content(elem: etree._Element) -> bool:
    text = "".join(elem.itertext()) if isinstance(elem.tag, str) else ""
    return bool(text.strip()) or any(True for _img in elem.iter("img"))


MIN_ARTICLE_WORDS = 3


def _is_article(content: lxml_html.HtmlElement) -> bool:
    """Some prose, a picture or code: a bare list of links (a menu) is not an article."""
    if next(content.iter("img", "pre"), None) is not None:
        return True
    words = 0
    for elem in content.iter():
        if not isinstance(elem.tag, str):
            continue
        in_link = elem.tag == "a" or any(True for _ in elem.iterancestors("a"))
        if not in_link:
            words += len(re.findall(r"\w+", elem.text or ""))
        parent_in_link = elem is not content and any(True for _ in elem.iterancestors("a"))
        if elem is not content and not parent_in_link:
            words += len(re.findall(r"\w+", elem.tail or ""))
    return words >= MIN_ARTICLE_WORDS


def _drop_leading_title(content: lxml_html.HtmlElement, title: str) -> None:
    """The LCTT file has the title above the body; the page's own <h1> would repeat it."""
    if (content.text or "").strip() or len(content) == 0:
        return
    first = content[0]
    if first.tag in HEADINGS and _comparable(first.text_content()) == _comparable(title):
        _remove_keep_tail(first)


def _comparable(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().casefold()


def _serialize_children(container: lxml_html.HtmlElement) -> str:
    parts = [container.text or ""]
    parts += [lxml_html.tostring(child, encoding="unicode") for child in container]
    return "".join(parts).strip()


BLOCK_TEXT_TAGS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "pre", "tr")


def _plain_text(content: lxml_html.HtmlElement) -> str:
    """Plain text of the content, one block a paragraph, for the side-by-side view."""
    blocks: list[str] = []
    for elem in content.iter(*BLOCK_TEXT_TAGS):
        # the innermost block owns its text: skip a <li> that only wraps a nested list
        if elem.tag == "pre":
            blocks.append(elem.text_content().rstrip())
            continue
        if any(True for _ in elem.iterancestors("pre")):
            continue
        own = _own_text(elem)
        if own:
            blocks.append(own)
    return "\n\n".join(blocks)


def _own_text(elem: etree._Element) -> str:
    """Text of elem without the text of nested blocks (they are listed on their own)."""
    pieces = [elem.text or ""]
    for child in elem:
        if child.tag in BLOCK_TEXT_TAGS or child.tag in ("ul", "ol", "dl", "table", "blockquote"):
            pieces.append(" ")
        else:
            pieces.append(lxml_html.tostring(child, method="text", encoding="unicode", with_tail=False))
        pieces.append(child.tail or "")
    if elem.tag == "tr":
        return " | ".join(_clean_space(cell.text_content()) for cell in elem.iterchildren("td", "th"))
    return _clean_space("".join(pieces))


# --- metadata ----------------------------------------------------------------------------

def _clean_space(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _clean_author(author: str) -> str:
    # trafilatura joins several authors with "; "
    return ", ".join(part for part in (_clean_space(a) for a in author.split(";")) if part)


def _parse_date(value: str | None) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _fallback_title(tree: lxml_html.HtmlElement) -> str:
    for xpath in ("//meta[@property='og:title']/@content", "//h1", "//title"):
        for found in tree.xpath(xpath):
            text = _clean_space(found if isinstance(found, str) else found.text_content())
            if text:
                return text
    return ""


def _first_words(content: lxml_html.HtmlElement, limit: int = 80) -> str:
    text = _clean_space(content.text_content())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


AUTHOR_PATH = re.compile(r"/(?:author|authors|users?|people|profile|profiles|members?|contributors?|team|u|@)[/-]", re.I)


def _is_web_url(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


def _find_author_url(tree: lxml_html.HtmlElement, *, author_name: str, page_url: str) -> str:
    wanted = _comparable(author_name.split(",")[0]) if author_name else ""

    url = _author_url_from_json_ld(tree, wanted, page_url)
    if url:
        return url

    for xpath in ("//a[contains(concat(' ', normalize-space(@rel), ' '), ' author ')]",
                  "//link[contains(concat(' ', normalize-space(@rel), ' '), ' author ')]"):
        for elem in tree.xpath(xpath):
            href = (elem.get("href") or "").strip()
            if _is_web_url(href):
                return href

    if wanted:
        named = [a for a in tree.iter("a")
                 if _is_web_url(a.get("href", "")) and _comparable(a.text_content()) == wanted]
        named.sort(key=lambda a: not AUTHOR_PATH.search(a.get("href", "")))
        if named:
            return named[0].get("href").strip()

    for xpath in ("//meta[@property='article:author']/@content", "//meta[@name='author']/@content"):
        for value in tree.xpath(xpath):
            if _is_web_url(value.strip()):
                return value.strip()
    return ""


def _author_url_from_json_ld(tree: lxml_html.HtmlElement, wanted: str, page_url: str) -> str:
    nodes: list[dict] = []
    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        _collect_json_objects(data, nodes)
    by_id = {node["@id"]: node for node in nodes if isinstance(node.get("@id"), str)}
    found: list[tuple[str, str]] = []
    for node in nodes:
        authors = node.get("author")
        for author in authors if isinstance(authors, list) else [authors]:
            if isinstance(author, dict) and set(author) == {"@id"}:
                author = by_id.get(author["@id"], author)
            if not isinstance(author, dict):
                continue
            url = author.get("url") or author.get("sameAs")
            if isinstance(url, list):
                url = next((u for u in url if isinstance(u, str)), "")
            if isinstance(url, str) and url.strip():
                absolute = _join_url(page_url, url)
                if _is_web_url(absolute):
                    found.append((_comparable(str(author.get("name", ""))), absolute))
    for name, url in found:
        if not wanted or name == wanted:
            return url
    return found[0][1] if found else ""


def _collect_json_objects(data: object, out: list[dict]) -> None:
    if isinstance(data, dict):
        out.append(data)
        for value in data.values():
            if isinstance(value, (dict, list)):
                _collect_json_objects(value, out)
    elif isinstance(data, list):
        for item in data:
            _collect_json_objects(item, out)


def _find_language(tree: lxml_html.HtmlElement) -> str:
    candidates = [
        *tree.xpath("/html/@lang"), *tree.xpath("/html/@xml:lang"),
        *tree.xpath("//meta[@property='og:locale']/@content"),
        *tree.xpath("//meta[translate(@http-equiv,'CONTENT-LANGUAGE','content-language')='content-language']/@content"),
    ]
    for value in candidates:
        match = re.match(r"\s*([A-Za-z]{2,3})(?:[-_]([A-Za-z0-9]{2,8}))?", value or "")
        if match:
            primary, region = match.group(1).lower(), match.group(2)
            return f"{primary}-{region.upper() if len(region) == 2 else region}" if region else primary
    return ""
