"""Link extraction from markdown: every kind, nothing from code, correct lines and labels."""

from __future__ import annotations

from articles.link_extract import ExtractedLink, LinkKind, extract_links

CRAFTED = """\
[#]: via: "https://source.example/post"
[#]: collector: "alice"

Title
=====

An [inline link](https://a.example/x "title") and a [reference][1] and [another] [shortcut].
An image ![alt text](https://img.example/p.png) and an <https://auto.example/path> autolink,
a bare https://bare.example/page?x=1. and www.www-bare.org too, but not setup.py or
someone@example.org.

<div class="note">
  <a href="https://html-block.example/">block html</a>
  <img src="https://html-block.example/i.png" alt="">
</div>

Inline HTML: <a href="https://html-inline.example/">x</a> and <img src='/relative.png'>.

```bash
curl https://fenced.example/install.sh | sh
echo [not](https://fenced-link.example/)
```

    wget https://indented.example/file.tar.gz

Some `https://inline-code.example/` code and ``[x](https://code-link.example/)`` too.

[![badge](https://badge.example/b.svg)](https://badge-target.example/)
![by reference][img]
Jump to [the section](#section) or [nowhere]().
Mail <mailto:team@example.org>, run [js](javascript:alert(1)).

| col | link |
| --- | ---- |
| a | [in table](https://table.example/) |

[1]: https://ref.example/one
[another]: https://ref.example/another "Title"
[shortcut]: <https://ref.example/short cut>
[img]: https://ref.example/image.png
[a]: https://author.example/
"""


def by_kind(links):
    out = {}
    for link in links:
        out.setdefault(link.kind, []).append(link.url)
    return out


def test_every_kind_is_found():
    links = extract_links(CRAFTED)
    kinds = by_kind(links)
    assert kinds[LinkKind.INLINE] == [
        "https://a.example/x", "https://badge-target.example/", "javascript:alert(1)", "https://table.example/",
    ]
    assert kinds[LinkKind.IMAGE] == ["https://img.example/p.png", "https://badge.example/b.svg"]
    assert kinds[LinkKind.AUTOLINK] == [
        "https://auto.example/path", "https://bare.example/page?x=1", "http://www.www-bare.org",
        "mailto:team@example.org",
    ]
    assert kinds[LinkKind.HTML] == [
        "https://html-block.example/", "https://html-block.example/i.png", "https://html-inline.example/",
        "/relative.png",
    ]
    assert kinds[LinkKind.REFERENCE] == [
        "https://ref.example/one", "https://ref.example/another", "https://ref.example/short%20cut",
        "https://ref.example/image.png", "https://author.example/",
    ]


def test_nothing_from_code_or_lctt_header_or_fragments():
    urls = {link.url for link in extract_links(CRAFTED)}
    for absent in ("fenced", "indented", "inline-code", "code-link", "source.example", "setup.py", "someone@"):
        assert not any(absent in url for url in urls), absent
    assert not any(url.startswith("#") or url == "" for url in urls)


def test_reference_labels_as_written_and_lines():
    refs = [link for link in extract_links(CRAFTED) if link.kind == LinkKind.REFERENCE]
    assert [(r.label, r.line) for r in refs] == [("1", 37), ("another", 38), ("shortcut", 39), ("img", 40), ("a", 41)]
    lines = CRAFTED.split("\n")
    for ref in refs:
        assert lines[ref.line - 1].startswith(f"[{ref.label}]:")


def test_line_numbers_point_at_the_link():
    lines = CRAFTED.split("\n")
    for link in extract_links(CRAFTED):
        line = lines[link.line - 1]
        host = link.url.split("//")[-1].split("/")[0].replace("www.", "", 1) if "//" in link.url else link.url[:8]
        assert host.split("?")[0][:10] in line or link.kind == LinkKind.REFERENCE, (link, line)


def test_crlf_and_empty_input():
    assert extract_links("") == []
    text = "a\r\n\r\nsee [x](https://crlf.example/)\r\n\r\n[1]: https://crlf.example/ref\r\n"
    assert extract_links(text) == [
        ExtractedLink("https://crlf.example/", LinkKind.INLINE, 3),
        ExtractedLink("https://crlf.example/ref", LinkKind.REFERENCE, 5, "1"),
    ]


def test_unicode_urls_are_encoded():
    [link] = extract_links("[x](https://例子.example/路径?q=中文)")
    assert link.url == "https://xn--fsqu00a.example/%E8%B7%AF%E5%BE%84?q=%E4%B8%AD%E6%96%87"


def test_lctt_samples(lctt_samples):
    files = sorted(lctt_samples.rglob("*.md"))
    assert len(files) > 10
    total = 0
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        links = extract_links(text)
        total += len(links)
        labels = [link.label for link in links if link.kind == LinkKind.REFERENCE]
        assert "#" not in labels
        # Every reference definition line of the file is found (outside code).
        defined = {line.split("]:", 1)[0][1:] for line in text.replace("\r\n", "\n").split("\n")
                   if line.startswith("[") and "]: http" in line and not line.startswith("[#]")}
        assert defined <= set(labels), (path.name, defined - set(labels))
    assert total > 200


def test_published_sample_in_detail(lctt_samples):
    path = next(lctt_samples.rglob("20190809 Use a drop-down terminal*.md"))
    links = extract_links(path.read_text(encoding="utf-8"))
    refs = {link.label: link.url for link in links if link.kind == LinkKind.REFERENCE}
    assert refs["a"] == "https://fedoramagazine.org/author/schelp/"
    assert refs["2"] == "https://kde.org/applications/system/org.kde.yakuake"
    assert len([k for k in refs if k.isdigit()]) == 15
    inline = [link.url for link in links if link.kind == LinkKind.INLINE]
    assert "https://github.com/LCTT/TranslateProject" in inline
