"""Markdown → safe HTML: the one renderer every page, preview and feed goes through.

cmarkgfm renders GitHub-flavoured markdown (tables, strikethrough, autolinks) in well under
a millisecond for a typical article; raw HTML is let through the renderer on purpose so
that harmless inline HTML in LCTT files (``<kbd>``, ``<br>``, ``<sup>``) survives, and nh3
then removes everything outside a short allow-list. Sanitizing after rendering is the only
safe order: every markdown renderer we measured passes ``<script>`` or ``javascript:``
links through in some configuration (DESIGN.md, "Known pitfalls").

``render_markdown_cached`` keys the result by a hash of the text and the renderer's
version, so a detail page renders each content version at most once across processes
(Django's cache; Redis in production) and list pages never render at all.
"""

from __future__ import annotations

import hashlib
import re

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options

from translate_hub.lru import LocalLRU, read_through

# Bump when the renderer or the allow-list changes, so cached HTML is not reused.
RENDERER_VERSION = "1"

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "dl",
    "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "u", "ul", "var", "wbr",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "code": {"class"},
    "ol": {"start"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "abbr": {"title"},
}
URL_SCHEMES = {"http", "https", "mailto"}
# Removed together with their content: the text of a script or style is never prose.
CONTENT_DROPPED_TAGS = {"script", "style", "noscript", "template", "textarea", "title"}

_LANGUAGE_CLASS = re.compile(r"^language-[A-Za-z0-9_+#.-]{1,40}$")
_NUMERIC = re.compile(r"^[0-9]{1,4}$")
_ALIGN = {"left", "right", "center"}


def _filter_attribute(element: str, attribute: str, value: str) -> str | None:
    """Keep only attribute values that cannot carry behaviour or styling."""
    if attribute == "class":
        kept = [c for c in value.split() if _LANGUAGE_CLASS.match(c)]
        return " ".join(kept) or None
    if attribute in {"width", "height", "colspan", "rowspan", "start"}:
        return value if _NUMERIC.match(value.strip()) else None
    if attribute == "align":
        return value if value.lower() in _ALIGN else None
    return value


_CMARK_OPTIONS = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_VALIDATE_UTF8
# GitHub's extensions without its `<pre lang>` output: `<code class="language-x">` is what
# the allow-list keeps and what highlighters expect.
_CMARK_EXTENSIONS = ["table", "strikethrough", "autolink", "tagfilter"]


def render_markdown(text: str) -> str:
    """Render markdown to HTML that holds no script, active content, style or unsafe URL.

    This is MARKDOWNX_MARKDOWNIFY_FUNCTION, so the editor's live preview uses it too.
    """
    html = cmarkgfm.markdown_to_html_with_extensions(
        text or "", options=_CMARK_OPTIONS, extensions=_CMARK_EXTENSIONS
    )
    return sanitize_html(html)


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=CONTENT_DROPPED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow ugc",
        strip_comments=True,
    )


# content-addressed, so nothing in it goes stale
_local_cache = LocalLRU(256)


def content_key(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return f"md:{RENDERER_VERSION}:{digest}"


def render_markdown_cached(text: str) -> str:
    return read_through(_local_cache, content_key(text or ""), lambda: render_markdown(text),
                        timeout=7 * 24 * 3600)
