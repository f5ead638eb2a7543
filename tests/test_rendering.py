"""The sanitizing renderer: ordinary markdown keeps its formatting, no payload survives."""

from __future__ import annotations

import uuid

import html5lib
import pytest

from articles import rendering
from articles.rendering import render_markdown, render_markdown_cached
from tests.conftest import SECURITY_DATA
from tests.xss_assertions import as_documents, payloads, unsafe_parts

ALL_PAYLOADS = payloads(SECURITY_DATA)


def test_payload_files_are_there():
    assert len(ALL_PAYLOADS) > 1500


def test_every_payload_in_every_position_renders_safe():
    failures = []
    for name, payload in ALL_PAYLOADS:
        for document in as_documents(payload):
            problems = unsafe_parts(render_markdown(document))
            if problems:
                failures.append((name, payload, problems))
    assert not failures, f"{len(failures)} unsafe renderings, first: {failures[:3]}"


def test_checker_detects_unsafe_html():
    # The assertion helper itself must be able to fail, or the test above proves nothing.
    assert unsafe_parts('<p><a href="javascript:alert(1)">x</a></p>')
    assert unsafe_parts('<img src="x" onerror="alert(1)">')
    assert unsafe_parts('<svg><script>alert(1)</script></svg>')
    assert unsafe_parts('<p style="color:red">x</p>')
    assert unsafe_parts('<a href=" jav&#x09;ascript:alert(1)">x</a>')
    assert unsafe_parts('<iframe src="https://e.org"></iframe>')
    assert not unsafe_parts('<p><a href="https://e.org/">x</a> <a href="mailto:a@b.c">m</a></p>')


ORDINARY = """\
# Title

## Section

Some **bold**, *italic*, ~~struck~~ and `inline code` text with [a link](https://example.org/)
and a [reference link][1].

- one
- two
  1. nested

> a quote

```python
print("hello")
```

| left | right |
|:-----|------:|
| 1    | 2     |

![an image](https://example.org/image.png)

<kbd>Ctrl</kbd>+<kbd>C</kbd> and H<sub>2</sub>O

[1]: https://example.org/ref
"""


def test_ordinary_markdown_keeps_its_formatting():
    html = render_markdown(ORDINARY)
    tree = html5lib.parseFragment(html, treebuilder="etree", namespaceHTMLElements=False)
    tags = [el.tag for el in tree.iter() if isinstance(el.tag, str)]
    for tag in ["h1", "h2", "strong", "em", "del", "code", "a", "ul", "ol", "li",
                "blockquote", "pre", "table", "thead", "th", "td", "img", "kbd", "sub"]:
        assert tag in tags, f"<{tag}> lost"
    assert '<code class="language-python">' in html
    assert 'href="https://example.org/ref"' in html
    assert 'align="right"' in html
    assert not unsafe_parts(html)


def test_links_get_a_rel_that_protects_the_opener():
    assert 'rel="noopener noreferrer nofollow ugc"' in render_markdown("[x](https://e.org)")


@pytest.mark.django_db
def test_cached_render_renders_each_content_version_once(monkeypatch):
    calls = []
    real = rendering.render_markdown

    def counting(text):
        calls.append(text)
        return real(text)

    monkeypatch.setattr(rendering, "render_markdown", counting)
    rendering._local_cache.clear()
    text = f"# cached\n\nunique text {uuid.uuid4()}"  # never in a shared cache before
    first = render_markdown_cached(text)
    rendering._local_cache.clear()  # a second process: only the shared cache remains
    second = render_markdown_cached(text)
    assert first == second == real(text)
    assert calls == [text]
    render_markdown_cached(text + " changed")
    assert calls == [text, text + " changed"]
