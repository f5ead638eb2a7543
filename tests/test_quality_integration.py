"""The quality engine in the product: checks on every save and on submit, the panel on the
translate and review pages, the admin's severities, the typography autofix, per-paragraph
progress and the alignment map the editor's script reads.

Everything goes through the real views, services and database (pytest-django; PostgreSQL
when DATABASE_URL is set).
"""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from articles.models import Article, ArticleState
from tests.factories import ArticleFactory, make_user
from workflow import quality_services, services
from workflow.models import CheckRule, Event, EventAction, Revision
from workflow.quality import autofix, parse_markdown

pytestmark = pytest.mark.django_db

SOURCE = """\
Linux is a family of open source operating systems.

### Install it

Run `apt install tool` as root:

```bash
sudo apt install tool
```

Read [the manual][1] or visit https://example.org/docs for more.

[1]: https://example.org/manual
"""

CLEAN = """\
Linux 是一系列开源操作系统。

### 安装

以 root 身份运行 `apt install tool`：

```bash
sudo apt install tool
```

阅读[手册][1]或访问 https://example.org/docs 了解更多。

[1]: https://example.org/manual
"""

# Typography only (warnings, all fixable): no space between Han and Latin, half-width
# punctuation after Han, and a bare URL and inline code glued to Han characters.
SLOPPY = """\
Linux是一系列开源操作系统.

### 安装

以root身份运行`apt install tool`：

```bash
sudo apt install tool
```

阅读[手册][1]或访问https://example.org/docs了解更多!

[1]: https://example.org/manual
"""

# The code block is gone: structure.code_block, an error.
NO_CODE = CLEAN.replace("```bash\nsudo apt install tool\n```\n\n", "")


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    quality_services.clear_report_cache()


@pytest.fixture
def people(db):
    return {
        "alice": make_user("alice", "translator"),
        "bob": make_user("bob", "translator"),
        "rita": make_user("rita", "reviewer"),
    }


@pytest.fixture
def article(people):
    article = ArticleFactory(source_markdown=SOURCE)
    services.claim_article(article=article, user=people["alice"])
    return article


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def autosave(client, article, text, *, version, title="Linux 简介", url_name="workflow:save_draft"):
    return client.post(reverse(url_name, args=[article.pk]),
                       {"text": text, "title": title, "base_version": version}, HTTP_HX_REQUEST="true")


def codes(page: str) -> list[str]:
    return re.findall(r'<code class="issue-code"[^>]*>([a-z_.]+)</code>', page)


def panel(page: str) -> str:
    match = re.search(r'<section id="quality-panel".*?</section>', page, re.S)
    assert match, "no checks panel"
    return match.group(0)


class CspProblems(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if "style" in names or tag == "style":
            self.problems.append(f"style on <{tag}>")
        if tag == "script" and "src" not in names and "nonce" not in names:
            self.problems.append("inline script")
        if any(name.startswith("on") for name in names):
            self.problems.append(f"event handler on <{tag}>")


# --- checks on save --------------------------------------------------------------------------


def test_every_save_runs_the_checks_and_the_panel_shows_them_with_their_lines(people, article):
    client = client_for(people["alice"])
    response = autosave(client, article, NO_CODE.replace("Linux 是", "Linux是"), version=1)
    assert response.status_code == 200
    page = response.content.decode()
    box = panel(page)
    assert 'hx-swap-oob="true"' in box  # the autosave refreshes the panel in place
    assert "structure.code_block" in codes(box) and "typography.space_han_latin" in codes(box)
    assert 'data-errors="1"' in box
    # each issue has its place: the typography problem at translation line 1 (a link that
    # moves the editor there), the missing code block at its source line
    assert re.search(r'data-line="1">Line 1</a>\s*<span class="issue-message">Add a space between', box)
    assert re.search(r'data-source-block="3">Source line 7</a>', box)
    assert "Error" in box and "Warning" in box
    # the draft was saved and the same report is what the page shows after a reload
    assert Article.objects.get(pk=article.pk).version == 2
    stored = quality_services.article_report(article=Article.objects.get(pk=article.pk))
    assert stored is quality_services.article_report(article=Article.objects.get(pk=article.pk))
    assert sorted({i.code for i in stored.issues}) == sorted(set(codes(box)))
    reloaded = client.get(reverse("workflow:translate", args=[article.pk])).content.decode()
    assert codes(panel(reloaded)) == codes(box)
    parser = CspProblems()
    parser.feed(reloaded)
    parser.feed(page)
    assert parser.problems == []


def test_a_clean_translation_has_no_issues_and_full_progress(people, article):
    client = client_for(people["alice"])
    page = autosave(client, article, CLEAN, version=1).content.decode()
    assert codes(panel(page)) == []
    assert "No problems found." in panel(page)
    assert "4 / 4 paragraphs" in page
    translate = client.get(reverse("workflow:translate", args=[article.pk])).content.decode()
    parser = CspProblems()
    parser.feed(translate)
    assert parser.problems == []


def test_progress_and_the_alignment_map_follow_the_draft(people, article):
    client = client_for(people["alice"])
    half = "Linux 是一系列开源操作系统。\n\n### 安装\n"
    page = autosave(client, article, half, version=1).content.decode()
    # prose source blocks: the lead paragraph, the heading, "Run …", "Read …"
    assert "2 / 4 paragraphs" in page
    data = re.search(r'id="alignment-data" hidden data-alignment="([^"]*)" hx-swap-oob="true"', page)
    alignment = json.loads(html.unescape(data.group(1)))
    assert alignment["progress"] == [2, 4]
    assert alignment["untranslated"] == [2, 4]          # source blocks without a translation
    assert [0, 1, 1] in alignment["pairs"] and [1, 3, 3] in alignment["pairs"]
    translate = client.get(reverse("workflow:translate", args=[article.pk])).content.decode()
    # the source pane marks the untranslated paragraphs server-side too (no JavaScript needed)
    assert re.search(r'class="src-block src-paragraph src-untranslated" id="src-block-2"', translate)
    assert re.search(r'class="src-block src-paragraph" id="src-block-0"', translate)
    assert 'src="/static/js/editor.js"' in translate


# --- submission ------------------------------------------------------------------------------


@pytest.mark.quality_gate
def test_an_error_blocks_submission_and_says_why(people, article):
    client = client_for(people["alice"])
    autosave(client, article, NO_CODE, version=1)
    response = client.post(reverse("workflow:submit", args=[article.pk]), follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("workflow:translate", args=[article.pk])
    assert "Fix these problems before submitting" in page
    assert "source line 7: The code block at source line 7 is missing here." in html.unescape(page)
    current = Article.objects.get(pk=article.pk)
    assert current.state == ArticleState.CLAIMED
    assert not Revision.objects.filter(article=article).exists()
    assert not Event.objects.filter(article=article, action=EventAction.SUBMIT).exists()
    # the service says the same to any caller
    with pytest.raises(services.InvalidInput, match="code block at source line 7 is missing"):
        services.submit_translation(article=current, user=people["alice"])


@pytest.mark.quality_gate
def test_a_warning_does_not_block_submission(people, article):
    client = client_for(people["alice"])
    autosave(client, article, SLOPPY, version=1)
    report = quality_services.article_report(article=Article.objects.get(pk=article.pk))
    assert report.warnings and not report.errors
    response = client.post(reverse("workflow:submit", args=[article.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("workflow:my_work")
    assert Article.objects.get(pk=article.pk).state == ArticleState.SUBMITTED


@pytest.mark.quality_gate
def test_a_check_rule_change_takes_effect_on_the_next_check(people, article):
    client = client_for(people["alice"])
    page = autosave(client, article, SLOPPY, version=1).content.decode()
    assert 'data-errors="0"' in panel(page) and "typography.fullwidth_punctuation" in codes(page)

    rule = CheckRule.objects.create(code="typography.fullwidth_punctuation", severity="error")
    page = client.get(reverse("workflow:translate", args=[article.pk])).content.decode()
    assert 'data-errors="2"' in panel(page)  # lines 1 and 11
    with pytest.raises(services.InvalidInput, match="full-width punctuation"):
        services.submit_translation(article=Article.objects.get(pk=article.pk), user=people["alice"])

    rule.severity = "off"
    rule.save()
    page = client.get(reverse("workflow:translate", args=[article.pk])).content.decode()
    assert "typography.fullwidth_punctuation" not in codes(page)
    rule.delete()
    page = client.get(reverse("workflow:translate", args=[article.pk])).content.decode()
    assert "typography.fullwidth_punctuation" in codes(page) and 'data-errors="0"' in panel(page)


def test_without_the_gate_errors_are_shown_but_do_not_block(people, article):
    """QUALITY_CHECKS_BLOCK_SUBMISSION=False (what the other test modules run with)."""
    services.save_draft(article=article, user=people["alice"], text=NO_CODE, title="题", base_version=1)
    assert quality_services.submission_blockers(article) == []
    services.submit_translation(article=article, user=people["alice"])
    assert Article.objects.get(pk=article.pk).state == ArticleState.SUBMITTED


# --- autofix ---------------------------------------------------------------------------------


def _protected(text: str) -> tuple:
    """Code blocks, inline code, link targets and URLs of a text: what autofix must not touch."""
    doc = parse_markdown(text)
    return (
        [b.content for b in doc.blocks if b.kind == "code"],
        [b.inline.code_spans for b in doc.blocks],
        [b.inline.links for b in doc.blocks],
        sorted(r.url for r in doc.references),
        re.findall(r"https?://\S+?(?=[\s)\]]|了|$)", text),
    )


def test_autofix_fixes_the_typography_and_saves_it_as_a_draft(people, article):
    client = client_for(people["alice"])
    before = autosave(client, article, SLOPPY, version=1).content.decode()
    fixable = [c for c in codes(before) if c.startswith("typography.")]
    assert fixable
    response = client.post(reverse("workflow:autofix", args=[article.pk]),
                           {"text": SLOPPY, "title": "Linux 简介", "base_version": 2}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    page = response.content.decode()
    saved = Article.objects.get(pk=article.pk)
    assert saved.version == 3
    assert saved.translation_markdown == autofix(SLOPPY) != SLOPPY
    assert "以 root 身份运行 `apt install tool`：" in saved.translation_markdown
    assert "访问 https://example.org/docs 了解更多！" in saved.translation_markdown
    assert _protected(saved.translation_markdown) == _protected(SLOPPY)
    # the editor gets the fixed text, the new version and a panel without typography issues
    text = re.search(r'data-autofix-text="([^"]*)"', page).group(1)
    assert html.unescape(text) == saved.translation_markdown
    assert 'id="id_base_version" hx-swap-oob="true"' in page and 'value="3"' in page
    assert not [c for c in codes(panel(page)) if c.startswith("typography.") and c != "typography.number_unit"]
    assert re.search(r"Fixed \d+ typography problems and saved", page)
    # applying it again changes nothing (autofix is idempotent)
    again = client.post(reverse("workflow:autofix", args=[article.pk]),
                        {"text": saved.translation_markdown, "title": "Linux 简介", "base_version": 3},
                        HTTP_HX_REQUEST="true").content.decode()
    assert "Nothing to fix" in again
    assert Article.objects.get(pk=article.pk).translation_markdown == saved.translation_markdown


def test_autofix_without_javascript_redirects_back_to_the_editor(people, article):
    client = client_for(people["alice"])
    response = client.post(reverse("workflow:autofix", args=[article.pk]),
                           {"text": SLOPPY, "title": "Linux 简介", "base_version": 1})
    assert response.status_code == 302 and response["Location"] == reverse("workflow:translate", args=[article.pk])
    assert Article.objects.get(pk=article.pk).translation_markdown == autofix(SLOPPY)


def test_autofix_respects_optimistic_locking(people, article):
    client = client_for(people["alice"])
    # another tab saved version 2 meanwhile; this editor still holds version 1
    services.save_draft(article=article, user=people["alice"], text=CLEAN, title="题", base_version=1)
    response = client.post(reverse("workflow:autofix", args=[article.pk]),
                           {"text": SLOPPY, "title": "Linux 简介", "base_version": 1}, HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    page = html.unescape(response.content.decode())
    assert "changed elsewhere" in page
    assert SLOPPY in page and CLEAN in page          # both texts shown for merging: nothing lost
    saved = Article.objects.get(pk=article.pk)
    assert (saved.version, saved.translation_markdown) == (2, CLEAN)


def test_only_the_translator_may_autofix_the_draft(people, article):
    response = client_for(people["bob"]).post(
        reverse("workflow:autofix", args=[article.pk]),
        {"text": SLOPPY, "title": "x", "base_version": 1})
    assert response.status_code == 403
    assert Article.objects.get(pk=article.pk).version == 1
    assert client_for(people["bob"]).get(reverse("workflow:quality_panel", args=[article.pk])).status_code == 403
    assert Client().post(reverse("workflow:autofix", args=[article.pk]), {}).status_code == 302  # sign in first


# --- review ----------------------------------------------------------------------------------


def test_the_reviewer_sees_the_issues_beside_the_diff(people, article):
    services.save_draft(article=article, user=people["alice"], text=SLOPPY, title="Linux 简介", base_version=1)
    services.submit_translation(article=article, user=people["alice"])
    reviewer = client_for(people["rita"])
    page = reviewer.get(reverse("workflow:review", args=[article.pk])).content.decode()
    box = panel(page)
    assert "typography.fullwidth_punctuation" in codes(box) and 'data-errors="0"' in box
    assert "Errors block submission" not in box   # at review stage nothing is to be submitted

    services.start_review(article=article, user=people["rita"])
    page = reviewer.get(reverse("workflow:review", args=[article.pk])).content.decode()
    assert f'formaction="{reverse("workflow:autofix", args=[article.pk])}"' in page  # the reviewer may fix too
    # the reviewer's own correction refreshes the panel like the translator's autosave
    version = Article.objects.get(pk=article.pk).version
    saved = autosave(reviewer, article, autofix(SLOPPY), version=version).content.decode()
    assert not [c for c in codes(panel(saved)) if c in ("typography.fullwidth_punctuation", "typography.space_han_latin")]
    assert reviewer.get(reverse("workflow:quality_panel", args=[article.pk])).status_code == 200
