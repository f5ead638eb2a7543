"""What "safe HTML" means for this project, checked on an HTML5 parser's view of the output.

Used by the renderer, the markdownx preview endpoint and the published article page tests,
so all three are held to the same definition.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import html5lib

# Elements that can run script, load active content, submit data or restyle the page.
FORBIDDEN_ELEMENTS = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math",
    "form", "input", "button", "select", "textarea", "style", "base", "meta", "link",
    "noscript", "template", "video", "audio", "source", "track", "portal", "marquee",
    "isindex", "xml", "import", "xss", "set", "animate", "handler", "listener",
    "bgsound", "layer", "ilayer", "keygen", "param", "noembed", "noframes", "plaintext",
}
# An id or name on user content can clobber DOM globals the page's own scripts read; a class
# can pick up the site's styles (overlays, hidden text). Only code-language classes are ours.
CLOBBERING_ATTRIBUTES = {"id", "name"}
SAFE_CLASS = re.compile(r"^language-[A-Za-z0-9_+#.-]+$")
URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "xlink:href", "srcset", "data", "poster",
    "background", "codebase", "cite", "longdesc", "dynsrc", "lowsrc", "usemap", "manifest",
    "ping", "profile", "classid", "archive", "icon",
}
SAFE_SCHEMES = {"http", "https", "mailto"}


def payloads(security_dir: Path) -> list[tuple[str, str]]:
    """(file name, payload) for every non-empty line of every xss/*.txt file."""
    found = []
    for path in sorted((security_dir / "xss").glob("*.txt")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.strip():
                found.append((path.name, line))
    return found


def as_documents(payload: str) -> list[str]:
    """The payload as a whole document, inside a paragraph and as link text."""
    return [
        payload,
        f"Some words before {payload} and after.\n\nA second paragraph.",
        f"[{payload}](https://example.org/) and [text][1]\n\n[1]: https://example.org/ref",
    ]


def unsafe_parts(html: str, *, base_url: str = "https://hub.example.org/a/b") -> list[str]:
    """Everything in ``html`` that could run script or load active content (empty = safe)."""
    problems: list[str] = []
    fragment = html5lib.parseFragment(html, treebuilder="etree", namespaceHTMLElements=False)
    for element in fragment.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        local = tag.rsplit("}", 1)[-1].lower()
        if not local:
            continue
        if local in FORBIDDEN_ELEMENTS or tag.startswith("{"):
            problems.append(f"element <{local}>")
        for name, value in element.attrib.items():
            attr = name.rsplit("}", 1)[-1].lower() if isinstance(name, str) else str(name)
            if attr.startswith("on"):
                problems.append(f"event handler {attr}= on <{local}>")
            elif attr == "style":
                problems.append(f"style attribute on <{local}>")
            elif attr in CLOBBERING_ATTRIBUTES:
                problems.append(f"{attr}={value!r} on <{local}> (DOM clobbering)")
            elif attr == "class" and not all(SAFE_CLASS.match(c) for c in value.split()):
                problems.append(f"class={value!r} on <{local}>")
            elif attr in URL_ATTRIBUTES or name in URL_ATTRIBUTES:
                for candidate in _urls_in(attr, value):
                    scheme = urlsplit(urljoin(base_url, candidate.strip())).scheme.lower()
                    if scheme not in SAFE_SCHEMES:
                        problems.append(f"{attr}={candidate!r} on <{local}> (scheme {scheme!r})")
    return problems


def _urls_in(attribute: str, value: str) -> list[str]:
    if attribute == "srcset":
        return [part.strip().split(" ")[0] for part in value.split(",") if part.strip()]
    return [value]
