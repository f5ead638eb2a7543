"""A translator meets a blocking quality error in a real browser, fixes it with the one-click
typography fix and submits; the checks panel, the glossary highlights, per-paragraph marks
and jumping to an issue's line work under the strict CSP. Screenshots of the translate page
go to artifacts/screenshots/ (quality-*.png)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from articles.models import Article, ArticleState
from tests.factories import DEFAULT_PASSWORD, ArticleFactory, make_user
from tests.test_quality_integration import SLOPPY, SOURCE
from workflow import services
from workflow.models import CheckRule, GlossaryTerm
from workflow.quality import autofix

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.quality_gate]

LOCALES = {"en": ("en-US", "en-US,en;q=0.9"), "zh": ("zh-CN", "zh-CN,zh;q=0.9")}


def new_page(browser: Browser, lang: str, problems: list[str]) -> Page:
    locale, accept = LOCALES[lang]
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900},
                                  extra_http_headers={"Accept-Language": accept})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and problems.append(f"{page.url}: {m.text}"))
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    return page


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_blocking_error_is_fixed_with_the_autofix_and_the_translation_submitted(lang, browser, live_server, screenshots):
    base = live_server.url
    tina = make_user(f"tina_q_{lang}", "translator")
    # the editors made half-width punctuation in Chinese sentences an error
    CheckRule.objects.create(code="typography.fullwidth_punctuation", severity="error")
    GlossaryTerm.objects.create(source_term="operating system", target_term="操作系统")
    article = ArticleFactory(source_markdown=SOURCE, subject=f"Linux in one page ({lang})")
    services.claim_article(article=article, user=tina)
    half = SLOPPY.split("```bash")[0]          # the first three paragraphs: progress 3 / 4
    services.save_draft(article=article, user=tina, text=half, title="一页说清 Linux", base_version=1)

    problems: list[str] = []
    page = new_page(browser, lang, problems)
    sign_in(page, base, tina.username)
    page.goto(f"{base}/articles/{article.pk}/translate/")

    # the checks panel: the half-width period of line 1 and what is still missing are errors
    panel = page.locator("#quality-panel")
    expect(panel.locator("li.issue-error code.issue-code", has_text="typography.fullwidth_punctuation")).to_have_count(1)
    expect(panel.locator("li.issue-error code.issue-code", has_text="structure.code_block")).to_have_count(1)
    expect(panel.locator("li.issue-warning").first).to_be_visible()
    # the source: the glossary term highlighted with its agreed translation, the untranslated paragraph marked
    term = page.locator("#source-pane mark.term")
    expect(term).to_have_text(["operating systems"])
    expect(term).to_have_attribute("title", "operating system → 操作系统")
    expect(page.locator("#source-pane .src-untranslated")).to_have_count(1)
    expect(page.locator("#draft-progress")).to_contain_text("3 / 4")
    shot = screenshots / f"quality-{lang}-translate-blocked.png"
    page.screenshot(path=str(shot), full_page=True)

    # the translator now finishes the draft (autosave), the panel follows the text
    page.fill("#id_text", SLOPPY)
    expect(page.locator("#draft-progress")).to_contain_text("4 / 4", timeout=15_000)
    expect(panel).to_have_attribute("data-errors", "2")
    expect(page.locator("#source-pane .src-untranslated")).to_have_count(0)
    # clicking an issue's line puts the cursor on that line of the editor
    panel.locator("li.issue-error a.issue-goto[data-line='11']").click()
    line_start = SLOPPY.index("阅读")
    assert page.evaluate("() => document.activeElement.id") == "id_text"
    assert page.evaluate("() => document.getElementById('id_text').selectionStart") == line_start

    # submitting is refused with the reasons, back on the translate page
    page.locator("button[formaction$='/submit/']").click()
    expect(page).to_have_url(re.compile(rf"/articles/{article.pk}/translate/$"))
    expect(page.locator("#messages .message-error, #messages [class*=error]").first).to_be_visible()
    expect(page.locator("#messages")).to_contain_text("full-width" if lang == "en" else "全角")
    assert Article.objects.get(pk=article.pk).state == ArticleState.CLAIMED

    # one click fixes the typography and saves it as a draft
    page.locator("button[data-autofix]").click()
    expect(panel).to_have_attribute("data-errors", "0")
    expect(page.locator("#id_text")).to_have_value(autofix(SLOPPY))
    saved = Article.objects.get(pk=article.pk)
    assert saved.translation_markdown == autofix(SLOPPY)
    assert "```bash\nsudo apt install tool\n```" in saved.translation_markdown
    assert "https://example.org/docs" in saved.translation_markdown
    expect(page.locator(".markdownx-preview")).to_contain_text("Linux 是一系列开源操作系统。")  # the preview follows
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshots / f"quality-{lang}-translate-fixed.png"), full_page=True)

    page.locator("button[formaction$='/submit/']").click()
    expect(page).to_have_url(re.compile(r"/my-work/$"))
    submitted = Article.objects.get(pk=article.pk)
    assert submitted.state == ArticleState.SUBMITTED
    assert submitted.translation_markdown == autofix(SLOPPY)
    page.context.close()
    assert [p for p in problems if "Content Security Policy" in p or "Error" in p] == [], problems


def test_the_source_pane_follows_the_draft_and_back(browser, live_server, screenshots):
    """Scroll sync on a long article (the largest sample and its pseudo-translation)."""
    from pathlib import Path

    from articles.services import source_markdown_from_lctt
    from tests.conftest import LCTT_SAMPLES
    from workflow.quality.pseudo import pseudo_translate

    path = max((LCTT_SAMPLES / "sources").rglob("*.md"), key=lambda p: p.stat().st_size)
    source = source_markdown_from_lctt(Path(path).read_text(encoding="utf-8"))
    sam = make_user("sam_scroll", "translator")
    article = ArticleFactory(source_markdown=source)
    services.claim_article(article=article, user=sam)
    services.save_draft(article=article, user=sam, text=pseudo_translate(source), title="题", base_version=1)
    problems: list[str] = []
    page = new_page(browser, "en", problems)
    sign_in(page, live_server.url, sam.username)
    page.goto(f"{live_server.url}/articles/{article.pk}/translate/")
    page.locator("#id_text").focus()           # markdownx grows the editor: the page scrolls

    def first_visible_block() -> int:
        return page.evaluate("""() => {
            const pane = document.getElementById('source-pane');
            const block = [...pane.querySelectorAll('.src-block')].find(b => b.offsetTop + b.offsetHeight > pane.scrollTop + 4);
            return parseInt(block.dataset.block, 10);
        }""")

    page.mouse.move(900, 600)                    # over the draft
    for _ in range(12):
        page.mouse.wheel(0, 300)
        page.wait_for_timeout(40)
    page.wait_for_timeout(400)
    moved = first_visible_block()
    assert page.evaluate("() => window.scrollY") > 2000 and moved > 5
    page.screenshot(path=str(screenshots / "quality-en-scroll-sync.png"))

    scrolled = page.evaluate("() => window.scrollY")
    page.mouse.move(300, 500)                    # over the source pane
    for _ in range(8):
        page.mouse.wheel(0, 300)
        page.wait_for_timeout(40)
    page.wait_for_timeout(400)
    assert first_visible_block() > moved
    assert page.evaluate("() => window.scrollY") > scrolled   # the draft followed
    page.context.close()
    assert [p for p in problems if "Content Security Policy" in p] == []
