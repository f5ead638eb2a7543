"""Extraction of fetched pages and conversion to LCTT source files.

The pages under tests/golden/extraction/ are invented for these tests (no third-party
text). Each ``NAME.html`` starts with ``<!-- url: ... -->`` (the address it was "fetched"
from) and has its expected LCTT file next to it as ``NAME.md``. After a deliberate change
(or a trafilatura upgrade) regenerate them with ``UPDATE_GOLDEN=1 pytest
tests/test_extraction.py`` and review the diff.
"""

from __future__ import annotations

import datetime
import importlib.util
import os
import re
from pathlib import Path

import cmarkgfm
import pytest
from django.utils import translation

from articles.extraction import ExtractedArticle, ExtractionError, extract_article
from articles.html_to_markdown import (
    ConvertedArticle,
    build_lctt_source,
    convert_article,
    count_words,
    guess_category,
    html_to_markdown,
)

GOLDEN = Path(__file__).parent / "golden" / "extraction"
UPDATE_GOLDEN = os.environ.get("UPDATE_GOLDEN") == "1"
COLLECTOR = "collector-bot"
PAGES = sorted(path.stem for path in GOLDEN.glob("*.html"))
HAS_LCTT = importlib.util.find_spec("articles.lctt") is not None


def page_url(name: str) -> str:
    first_line = (GOLDEN / f"{name}.html").read_text(encoding="utf-8").splitlines()[0]
    match = re.fullmatch(r"<!-- url: (\S+) -->", first_line)
    assert match, f"{name}.html must start with <!-- url: ... -->"
    return match.group(1)


def load(name: str) -> tuple[ExtractedArticle, ConvertedArticle]:
    url = page_url(name)
    extracted = extract_article((GOLDEN / f"{name}.html").read_text(encoding="utf-8"), url=url)
    return extracted, convert_article(extracted, collector=COLLECTOR, via=url)


def page(body: str, *, head: str = "", lang: str = "en") -> str:
    """A minimal article page around ``body``."""
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>A test page</title>{head}</head>'
        f"<body><nav><a href='/'>Home</a> <a href='/about'>About</a></nav><main><article>{body}"
        "</article></main><footer><p>Site footer text</p></footer></body></html>"
    )


FILLER = (
    "<p>This paragraph exists so that the page carries enough ordinary prose for the "
    "extractor to accept it as an article rather than a navigation page.</p>"
)


def fences(markdown: str) -> list[str]:
    """Languages of the fenced code blocks, in order ("" for none)."""
    found, inside = [], None
    for line in markdown.splitlines():
        match = re.match(r"\s*(`{3,})(\S*)\s*$", line)
        if not match:
            continue
        if inside is None:
            inside = match.group(1)
            found.append(match.group(2))
        elif match.group(1) == inside and not match.group(2):
            inside = None
    return found


def outside_code(markdown: str) -> str:
    text = re.sub(r"^(\s*)(`{3,})[^\n]*\n.*?^\s*\2\s*$", "", markdown, flags=re.M | re.S)
    return re.sub(r"(`+)[^`\n]*?\1", "CODE", text)


# --- golden files ------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_golden_file(name):
    _extracted, converted = load(name)
    expected_path = GOLDEN / f"{name}.md"
    if UPDATE_GOLDEN:
        expected_path.write_text(converted.markdown, encoding="utf-8")
    assert expected_path.exists(), f"no {expected_path.name}: run with UPDATE_GOLDEN=1 and review it"
    assert converted.markdown == expected_path.read_text(encoding="utf-8")


def test_every_golden_page_has_expectations_below():
    assert set(PAGES) == set(EXPECTED), "add the new page's metadata to EXPECTED"
    assert len(PAGES) >= 6


EXPECTED = {
    "tech-tutorial": dict(
        title="Getting started with the frobnicator",
        author_name="Marta Kowal",
        author_url="https://blog.example.com/authors/marta-kowal/",
        date=datetime.date(2024, 5, 14),
        language="en-US",
        category="tech",
        code=["bash", "toml", "python"],
    ),
    "code-highlighters": dict(
        title="One snippet, nine highlighters",
        author_name="Jun Okabe",
        author_url="",
        date=datetime.date(2023, 9, 2),
        language="en",
        category="tech",
        code=["javascript", "rust", "go", "python", "c", "yaml", "go", "shell", "diff", "sql",
              "php", "shell", "haskell", "", "", "markdown"],
    ),
    "opinion-wordpress": dict(
        title="Why small teams write better docs",
        author_name="Hana Berg",
        author_url="https://www.openpractice.example/author/hana-berg/",
        date=datetime.date(2023, 2, 21),
        language="en-GB",
        category="talk",
        code=[],
    ),
    "news-release": dict(
        title="Quokka OS 7 released with a new installer",
        author_name="Sam Ortega",
        author_url="https://news.linuxwire.example/authors/sam/",
        date=datetime.date(2024, 10, 8),
        language="en",
        category="news",
        code=[],
    ),
    "non-english-de": dict(
        title="Farben im Terminal richtig einstellen",
        author_name="Jörg Müller",
        author_url="https://blog.beispiel.example/ueber-mich/",
        date=datetime.date(2024, 1, 17),
        language="de-DE",
        category="tech",
        code=["sh"],
    ),
    "edge-cases": dict(
        title="Markdown edge cases worth testing",
        author_name="Rin Sato",
        author_url="",
        date=datetime.date(2022, 12, 1),
        language="en",
        category="tech",
        code=["console"],
    ),
}


@pytest.mark.parametrize("name", PAGES)
def test_metadata(name):
    extracted, converted = load(name)
    expected = EXPECTED[name]
    assert extracted.title == expected["title"]
    assert extracted.author_name == expected["author_name"]
    assert extracted.author_url == expected["author_url"]
    assert extracted.date == expected["date"]
    assert extracted.language == expected["language"]
    assert converted.category_guess == expected["category"]
    assert converted.has_code == bool(expected["code"])
    assert fences(converted.body_markdown) == expected["code"]
    assert converted.filename_date == expected["date"].strftime("%Y%m%d")


@pytest.mark.parametrize("name", PAGES)
def test_markdown_is_clean(name):
    _extracted, converted = load(name)
    body = converted.body_markdown
    prose = outside_code(body)
    assert not re.search(r"(?<!\\)<[A-Za-z/!?]", prose), "raw HTML left in the markdown"
    assert "\n\n\n" not in body
    assert not re.search(r"[ \t]+$", prose, flags=re.M), "trailing whitespace"
    assert not re.search(r"\]\((?:https?|mailto):", prose), "an inline link instead of a reference"
    assert not re.search(r"^#{1,2} ", prose, flags=re.M), "sections start at ###"
    assert "translatehubcodeblock" not in converted.markdown


@pytest.mark.parametrize("name", PAGES)
def test_rendered_markdown_resolves_every_reference(name):
    """Render body + definitions as GitHub does: every [text][n] must become a link."""
    _extracted, converted = load(name)
    definitions = "\n".join(ref.definition for ref in converted.references)
    rendered = cmarkgfm.github_flavored_markdown_to_html(f"{converted.body_markdown}\n\n{definitions}\n")
    assert "raw HTML omitted" not in rendered
    prose = outside_code(converted.body_markdown)
    assert not re.search(r"(?<!\\)\]\[\d+\]", re.sub(r"<[^>]+>", "", rendered)), "unresolved reference"
    for ref in converted.references:
        attribute = "src" if ref.is_image else "href"
        assert f'{attribute}="{ref.url}"' in rendered.replace("&amp;", "&"), ref
        assert f"][{ref.number}]" in prose
    numbers = [ref.number for ref in converted.references]
    assert numbers == list(range(1, len(numbers) + 1))
    for language in filter(None, EXPECTED[name]["code"]):
        assert f'<pre lang="{language}"><code>' in rendered or f'class="language-{language}"' in rendered


# --- what the golden pages prove, spelled out ----------------------------------------


def test_links_are_numbered_references_in_order_of_first_appearance():
    _extracted, converted = load("tech-tutorial")
    urls = [ref.url for ref in converted.references]
    assert urls == [
        "https://blog.example.com/2024/05/frobnicator-tutorial/images/frobnicator-overview.png",
        "https://blog.example.com/2023/11/building-from-source/",
        "https://frob.example.org/docs/install",
    ]
    # the same URL twice reuses its number
    assert "[official installation notes][3]" in converted.body_markdown
    assert "[installation notes][3]" in converted.body_markdown
    assert converted.markdown.count("[3]: https://frob.example.org/docs/install") == 1


def test_relative_links_and_images_resolve_against_the_page_not_the_site_root():
    extracted, converted = load("tech-tutorial")
    # ../../../2023/11/... from /2024/05/frobnicator-tutorial/ and images/x.png beside the page
    assert 'href="https://blog.example.com/2023/11/building-from-source/"' in extracted.content_html
    assert "![Overview of the frobnicator pipeline][1]" in converted.body_markdown
    extracted, converted = load("edge-cases")  # <base href>, ./, ../ and lazy data-src
    urls = {ref.url for ref in converted.references}
    assert "https://notes.example.io/posts/markdown-basics" in urls
    assert "https://notes.example.io/img/icon.png" in urls
    assert "https://notes.example.io/img/lazy-photo.jpg" in urls
    assert not any(url.startswith("data:") for url in urls)


def test_boilerplate_is_dropped():
    for name, junk in {
        "tech-tutorial": ["cookie", "Accept all", "Subscribe", "Related posts", "Rule sets for teams",
                          "Thanks, this finally", "comment", "Newsletter", "Ten shell tricks",
                          "Privacy", "Share on Social", "About us"],
        "opinion-wordpress": ["cookies", "Write for us", "Share this", "Mastodon", "Related",
                              "About Hana Berg", "keeps bees", "Strong agree", "Leave a Reply",
                              "Recent Posts", "Status pages nobody reads", "CC BY-SA", "Posted in"],
        "news-release": ["Advertisement", "daily digest", "More news", "Kernel 6.12", "reader supported"],
    }.items():
        extracted, converted = load(name)
        for text in junk:
            assert text.lower() not in converted.body_markdown.lower(), (name, text)
            assert text.lower() not in extracted.text.lower(), (name, text)


def test_inline_code_stays_inline_and_blocks_keep_their_language():
    _extracted, converted = load("tech-tutorial")
    body = converted.body_markdown
    assert "check the installed version with `frob --version`:" in body
    assert "Rules live in `~/.config/frob/rules.toml`." in body
    assert "```bash\nsudo apt update\nsudo apt install frobnicator\nfrob --version\n```" in body
    assert "| `--dry-run` | off |" in body


def test_code_blocks_nested_in_lists_keep_lines_and_indentation():
    _extracted, converted = load("edge-cases")
    assert "3. Third step: run the tool.\n\n   ```console\n   $ tool --check\n   ok\n   ```\n4. Fourth" in (
        converted.body_markdown
    )


def test_structure_survives():
    _extracted, converted = load("tech-tutorial")
    body = converted.body_markdown
    assert "### Installing the tool" in body
    assert "#### Options at a glance" in body
    assert "1. Exact strings" in body
    assert "   - `*` matches any run of characters;" in body
    assert "| Option | Default | What it does |\n| --- | --- | --- |" in body
    assert "> Always run with `--dry-run` first." in body
    assert "*match* and a **replacement**" in body
    _extracted, converted = load("opinion-wordpress")
    assert "> The best documentation is written by someone who was recently confused.\n>\n> — a colleague" in (
        converted.body_markdown
    )


def test_side_by_side_text_is_plain():
    extracted, _converted = load("tech-tutorial")
    assert "check the installed version with frob --version:" in extracted.text
    assert "sudo apt install frobnicator" in extracted.text
    assert "](" not in extracted.text and "`" not in extracted.text
    assert "Option | Default | What it does" in extracted.text


# --- the LCTT template ----------------------------------------------------------------


def skeleton(text: str) -> list[str]:
    """The template's fixed lines, with the per-article values blanked out."""
    lines = text.splitlines()
    header = [re.sub(r'^(\[#\]: (?:subject|via|author|collector)): ".*"$', r'\1: "…"', line)
              for line in lines[:8]]
    rule = lines.index("-" * 80)
    footer = []
    for line in lines[rule:]:
        if re.match(r"\[\d+\]: ", line):
            break
        line = re.sub(r"^via: .*", "via: …", line)
        line = re.sub(r"^(作者|选题)：\[.*\]\[([ab])\]$", r"\1：[…][\2]", line)
        line = re.sub(r"^\[(a|b)\]: .*", r"[\1]: …", line)
        footer.append(line)
    return [*header, "", "…title…", "======", "", *footer]


def test_header_and_footer_match_the_current_lctt_template(lctt_samples):
    sample = (lctt_samples / "sources/tech/20231114 Some notes on nix flakes.md").read_text(encoding="utf-8")
    _extracted, converted = load("tech-tutorial")
    assert skeleton(converted.markdown) == skeleton(sample)
    lines = converted.markdown.splitlines()
    assert lines[:8] == [
        '[#]: subject: "Getting started with the frobnicator"',
        '[#]: via: "https://blog.example.com/2024/05/frobnicator-tutorial/"',
        '[#]: author: "Marta Kowal https://blog.example.com/authors/marta-kowal/"',
        f'[#]: collector: "{COLLECTOR}"',
        '[#]: translator: " "',
        '[#]: reviewer: " "',
        '[#]: publisher: " "',
        '[#]: url: " "',
    ]
    assert lines[8:12] == ["", "Getting started with the frobnicator", "======", ""]
    assert converted.markdown.endswith("[3]: https://frob.example.org/docs/install\n")
    assert f"[b]: https://github.com/{COLLECTOR}\n[1]: " in converted.markdown


@pytest.mark.parametrize("name", PAGES)
def test_the_file_parses_with_the_lctt_format_module(name):
    if not HAS_LCTT:
        pytest.skip("articles/lctt.py (the LCTT format module) does not exist yet")
    from articles import lctt

    extracted, converted = load(name)
    document = lctt.parse(converted.markdown)
    assert lctt.render(document) == converted.markdown
    assert document.warnings == []
    fields = lctt.extract_fields(document, kind="sources")
    assert fields.subject == extracted.title
    assert fields.via == page_url(name)
    assert fields.author_name == converted.author_name
    assert fields.author_url == converted.author_url
    assert fields.collector == COLLECTOR
    assert fields.translator is None and fields.reviewers == ()
    definitions = "\n".join(ref.definition for ref in converted.references)
    assert fields.markdown.strip() == f"{converted.body_markdown}\n\n{definitions}".strip()
    if hasattr(lctt, "new_document"):
        # the exporter's template for never-imported articles writes the very same bytes
        rebuilt = lctt.new_document(
            lctt.ArticleFields(subject=fields.subject, via=fields.via, author_name=fields.author_name,
                               author_url=fields.author_url, collector=COLLECTOR, markdown=fields.markdown),
            kind="sources",
        )
        assert lctt.render(rebuilt) == converted.markdown


def test_unknown_author_is_credited_to_the_site():
    extracted, converted = load("code-highlighters")
    assert extracted.author_url == ""
    assert '[#]: author: "Jun Okabe https://docs.example.dev/"' in converted.markdown
    assert "\n[a]: https://docs.example.dev/\n" in converted.markdown
    anonymous = extract_article(page("<h1>A test page</h1>" + FILLER * 2), url="https://anon.example/p/1")
    text = build_lctt_source(anonymous, collector="c", via="https://anon.example/p/1")
    assert '[#]: author: "anon.example https://anon.example/"' in text
    assert "作者：[anon.example][a]" in text


def test_category_passed_in_wins_over_the_guess():
    extracted, _converted = load("opinion-wordpress")
    converted = convert_article(extracted, collector="c", via=extracted.url, category="tech")
    assert (converted.category, converted.category_guess) == ("tech", "talk")


# --- failures ------------------------------------------------------------------------


@pytest.mark.parametrize("html", [
    "",
    "   \n\t ",
    "<html><head><title>Nothing</title></head><body></body></html>",
    "<html><body><nav><a href='/'>Home</a> <a href='/a'>About</a></nav><footer>© 2024</footer></body></html>",
    "<html><body><script>document.write('hi')</script><style>p{}</style></body></html>",
    "%PDF-1.7 binary junk \x00\x01\x02",
])
def test_nothing_extracted_is_a_clear_error(html):
    with pytest.raises(ExtractionError) as caught:
        extract_article(html, url="https://empty.example/page")
    with translation.override("en"):
        assert str(caught.value) == "Nothing could be extracted from the page"


def test_error_reason_is_translatable():
    with pytest.raises(ExtractionError) as caught:
        extract_article("", url="https://empty.example/")
    assert caught.value.code == "empty_page"
    # a lazy translation: the message follows the active language when shown
    assert type(caught.value.reason).__name__ == "__proxy__"


# --- metadata sources ----------------------------------------------------------------


@pytest.mark.parametrize(("head", "body", "expected"), [
    # JSON-LD author.url, relative, chosen over a misleading rel=author link
    ('<script type="application/ld+json">{"@type":"BlogPosting","author":{"@type":"Person",'
     '"name":"Kim Lee","url":"/team/kim/"}}</script><meta name="author" content="Kim Lee">',
     '<a rel="author" href="https://elsewhere.example/">x</a>', "https://site.example/team/kim/"),
    # <link rel="author">
    ('<meta name="author" content="Kim Lee"><link rel="author" href="/about/kim">', "",
     "https://site.example/about/kim"),
    # <a rel="author"> in the byline
    ('<meta name="author" content="Kim Lee">', '<p class="byline">by <a rel="author" href="../people/kim">Kim Lee</a></p>',
     "https://site.example/people/kim"),
    # a link whose text is the author's name
    ('<meta name="author" content="Kim Lee">', '<p>Written by <a href="/writers/kim-lee/">Kim Lee</a>.</p>',
     "https://site.example/writers/kim-lee/"),
    # article:author meta holding a URL
    ('<meta name="author" content="Kim Lee"><meta property="article:author" content="https://profiles.example/kim">',
     "", "https://profiles.example/kim"),
    # nothing at all
    ('<meta name="author" content="Kim Lee">', "", ""),
])
def test_author_url_sources(head, body, expected):
    html = page(f"<h1>A test page</h1>{body}{FILLER}{FILLER}", head=head)
    extracted = extract_article(html, url="https://site.example/blog/post.html")
    assert extracted.author_name == "Kim Lee"
    assert extracted.author_url == expected


def test_date_and_language_fallbacks():
    html = page(f"<h1>A test page</h1>{FILLER}{FILLER}",
                head='<meta property="og:locale" content="pt_BR">'
                     '<meta property="article:published_time" content="2021-07-04T12:00:00Z">', lang="")
    extracted = extract_article(html.replace(' lang=""', ""), url="https://site.example/p")
    assert extracted.language == "pt-BR"
    assert extracted.date == datetime.date(2021, 7, 4)
    undated = extract_article(page(f"<h1>A test page</h1>{FILLER}{FILLER}"), url="https://site.example/p")
    assert undated.date is None
    assert build_lctt_source(undated, collector="c", via="https://site.example/p")  # still a file


# --- conversion details ----------------------------------------------------------------


def test_headings_are_shifted_so_sections_start_at_level_three():
    assert html_to_markdown("<h1>A</h1><p>x</p><h2>B</h2>").markdown == "### A\n\nx\n\n#### B"
    assert html_to_markdown("<h3>A</h3><h5>B</h5>").markdown == "### A\n\n##### B"
    assert html_to_markdown("<h2>A</h2><h6>B</h6><h5>C</h5>").markdown == "### A\n\n###### B\n\n###### C"


def test_fence_grows_past_backticks_in_the_code():
    result = html_to_markdown('<pre><code class="language-md">```\nx\n````\n</code></pre>')
    assert result.markdown == "`````md\n```\nx\n````\n`````"
    assert result.has_code


def test_code_keeps_its_spacing_inside_quotes_and_lists():
    result = html_to_markdown(
        '<blockquote><p>Note:</p><pre><code class="language-python">x  =  1\n\n\ny = 2</code></pre></blockquote>'
        "<ul><li>item<pre><code>a  b\n\n\nc</code></pre></li></ul>"
    )
    assert result.markdown == (
        "> Note:\n>\n> ```python\n> x  =  1\n>\n>\n> y = 2\n> ```\n\n"
        "- item\n\n  ```\n  a  b\n\n\n  c\n  ```"
    )
    assert count_words(result.markdown) == 2  # Note, item


def test_text_that_looks_like_markup_is_escaped_only_where_needed():
    markdown = html_to_markdown(
        "<p>snake_case and _x_ and 2*3 and 3 * 4 and [1] and &lt;b&gt; and a|b</p>"
        "<p>1. not a list<br>- nor this</p>"
    ).markdown
    assert markdown == ("snake_case and \\_x\\_ and 2\\*3 and 3 * 4 and \\[1\\] and \\<b> and a|b\n\n"
                        "1\\. not a list\\\n\\- nor this")
    rendered = cmarkgfm.github_flavored_markdown_to_html(markdown)
    assert "<em>" not in rendered and "<li>" not in rendered and "<b>" not in rendered


def test_unsafe_and_empty_links_become_text():
    result = html_to_markdown(
        '<p><a href="javascript:alert(1)">run</a> <a href="data:text/html,x">data</a> '
        '<a href="https://x.example/"></a> <a href="https://x.example/a b">spaced</a></p>'
    )
    assert result.markdown == "run data [spaced][1]"
    assert [ref.url for ref in result.references] == ["https://x.example/a%20b"]


def test_count_words():
    markdown = (
        "Two words\n\n```bash\nthese are not counted at all\n```\n\n"
        "See [the docs][1] at https://example.org/long/url and ![an image][2].\n\n"
        "[1]: https://example.org/docs\n[2]: https://example.org/i.png\n"
    )
    assert count_words(markdown) == 2 + 5  # See, the, docs, at, and
    assert count_words("It's a well-known fact, isn’t it? 42 times.") == 8
    assert count_words("中文字数") == 4
    assert count_words("") == 0


def test_word_count_of_a_golden_page():
    _extracted, converted = load("opinion-wordpress")
    prose = re.sub(r"!\[[^\]]*\]\[\d+\]", " ", converted.body_markdown)  # images are not prose
    prose = re.sub(r"\[\d+\]|[^\w\s'’-]", " ", prose)
    assert converted.word_count == len([w for w in prose.split() if re.search(r"\w", w)])


@pytest.mark.parametrize(("body", "url", "expected"), [
    ("<pre><code>make</code></pre>", "https://blog.example/x", "tech"),
    ("<p>Install it with <code>sudo dnf install frob</code> and go.</p>", "https://blog.example/x", "tech"),
    ("<p>Release day: version 2 is out with many fixes.</p>", "https://news.site.example/2024/x", "news"),
    ("<p>Release day: version 2 is out with many fixes.</p>", "https://site.example/news/x", "news"),
    ("<p>Thoughts on community and the way we work together.</p>", "https://site.example/blog/x", "talk"),
])
def test_guess_category(body, url, expected):
    extracted = extract_article(page(f"<h1>A test page</h1>{body}{FILLER}{FILLER}"), url=url)
    assert guess_category(extracted) == expected


# --- hostile pages ---------------------------------------------------------------------


def test_hostile_markup_never_reaches_the_html_or_the_markdown(security_data):
    """Every XSS payload of the shared corpus, as raw markup inside an article page."""
    from tests.xss_assertions import payloads, unsafe_parts

    corpus = payloads(security_data)
    assert len(corpus) > 1000
    # four payloads a page keeps the test fast; a payload that swallows the rest of its
    # page (an unclosed <textarea>) only hides its three neighbours
    for start in range(0, len(corpus), 4):
        group = corpus[start:start + 4]
        paragraphs = "".join(f"<p>Payload {i}: {payload}</p>" for i, (_source, payload) in enumerate(group))
        html = page(f"<h1>A test page</h1><p>Before the payloads.</p>{paragraphs}{FILLER}{FILLER}")
        try:
            extracted = extract_article(html, url="https://hostile.example/post")
        except ExtractionError:
            continue
        assert unsafe_parts(extracted.content_html) == [], group
        body = html_to_markdown(extracted.content_html)
        assert not re.search(r"(?<!\\)<[A-Za-z/!?]", outside_code(body.markdown)), group
        for ref in body.references:
            assert ref.url.lower().startswith(("http://", "https://", "ftp://", "mailto:")), (group, ref)
        rendered = cmarkgfm.github_flavored_markdown_to_html(f"{body.markdown}\n\n{body.definitions}\n")
        assert unsafe_parts(rendered) == [], group
