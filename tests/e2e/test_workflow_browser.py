"""The whole workflow in real browsers, four people in four browser contexts, in both languages.

A collector's article is claimed, drafted (autosave), submitted, sent back, resubmitted,
approved and published; the public page then shows the translation with all four credits.
Two browsers claiming the same article at once: one wins, the other is told who did.
Screenshots of the main pages land in artifacts/screenshots/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from articles.models import Article, ArticleState
from tests.factories import DEFAULT_PASSWORD, ArticleFactory, make_user
from workflow import services
from workflow.models import Claim, Event

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LABELS = {
    "en": {
        "accept": "en-US,en;q=0.9", "locale": "en-US",
        "sign_in": "Sign in", "claim": "Claim", "translate": "Translate", "saved": "Saved",
        "submit": "Submit for review", "start_review": "Start review", "request_changes": "Request changes",
        "approve": "Approve", "publish": "Publish", "claimed_by": "Already claimed by {name}",
        "credits": ["Original", "Author", "Collected by", "Translated by", "Reviewed by"],
        "nav": ["Available articles", "My work", "Review queue", "Published"],
    },
    "zh": {
        "accept": "zh-CN,zh;q=0.9", "locale": "zh-CN",
        "sign_in": "登录", "claim": "申领", "translate": "翻译", "saved": "已保存",
        "submit": "提交校对", "start_review": "开始校对", "request_changes": "退回修改",
        "approve": "通过", "publish": "发布", "claimed_by": "已被 {name} 申领",
        "credits": ["原文", "作者", "选题", "译者", "校对"],
        "nav": ["可申领文章", "我的工作", "校对队列", "已发布"],
    },
}

FIRST_DRAFT = "# {title}\n\nLinux 是一系列开源操作系统。\n\n### 安装\n\n运行这个命令：\n"
CSP_ERRORS: list[str] = []
SECOND_DRAFT = FIRST_DRAFT + "\n阅读[手册][1]了解更多。\n\n[1]: https://example.org/manual\n"


def new_page(browser: Browser, lang: str, *, phone: bool = False) -> Page:
    labels = LABELS[lang]
    viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    context = browser.new_context(locale=labels["locale"], viewport=viewport,
                                  extra_http_headers={"Accept-Language": labels["accept"]})
    context.set_default_timeout(15_000)
    page = context.new_page()
    # a strict CSP (nonce scripts, style-src 'self') reports what it blocks on the console
    page.on("console", lambda message: message.type == "error"
            and "Content Security Policy" in message.text
            and CSP_ERRORS.append(f"{page.url} {message.location}: {message.text}"))
    return page


def sign_in(page: Page, base: str, username: str, lang: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.locator("main").get_by_role("button", name=LABELS[lang]["sign_in"]).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def shot(page: Page, folder, lang: str, name: str) -> None:
    page.screenshot(path=str(folder / f"{lang}-{name}.png"), full_page=True)


def wait_for_autosave(page: Page, article: Article, after_version: int, lang: str) -> None:
    expect(page.locator("#draft-status")).to_contain_text(LABELS[lang]["saved"], timeout=15_000)
    assert Article.objects.get(pk=article.pk).version > after_version


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_four_people_take_an_article_from_claim_to_publication(lang, browser, live_server, screenshots):
    labels = LABELS[lang]
    base = live_server.url
    cora = make_user(f"cora_{lang}", "collector")
    tina = make_user(f"tina_{lang}", "translator")
    rita = make_user(f"rita_{lang}", "reviewer")
    pete = make_user(f"pete_{lang}", "publisher")
    article = ArticleFactory(collector=cora, state=ArticleState.NEW, available_at=None,
                             subject=f"How to read a man page ({lang})")
    services.make_available(article=article, user=cora)
    title = "如何阅读 man 手册" if lang == "zh" else "如何阅读 man 手册（英文界面）"

    translator = new_page(browser, lang)
    reviewer = new_page(browser, lang)
    publisher = new_page(browser, lang)
    reader = new_page(browser, lang)
    sign_in(translator, base, tina.username, lang)
    sign_in(reviewer, base, rita.username, lang)
    sign_in(publisher, base, pete.username, lang)

    # the translator claims it inline on the list of available articles
    translator.goto(f"{base}/available/")
    for label in labels["nav"][:2] + labels["nav"][3:]:
        expect(translator.get_by_role("link", name=label, exact=True)).to_be_visible()
    row = translator.locator(f"#article-{article.pk}")
    shot(translator, screenshots, lang, "available")
    row.get_by_role("button", name=labels["claim"], exact=True).click()
    row = translator.locator(f"#article-{article.pk}")
    expect(row.get_by_role("link", name=labels["translate"], exact=True)).to_be_visible()
    assert Article.objects.get(pk=article.pk).translator_id == tina.pk

    # drafts with autosave (no button pressed), with the live preview rendering it
    row.get_by_role("link", name=labels["translate"], exact=True).click()
    translator.fill("#id_title", title)
    translator.fill("#id_text", FIRST_DRAFT.format(title=title))
    wait_for_autosave(translator, article, 1, lang)
    expect(translator.locator(".markdownx-preview h3")).to_have_count(1)
    shot(translator, screenshots, lang, "translate")
    translator.get_by_role("button", name=labels["submit"], exact=True).click()
    expect(translator).to_have_url(re.compile(r"/my-work/$"))
    assert Article.objects.get(pk=article.pk).state == ArticleState.SUBMITTED

    # the reviewer finds it in the queue and sends it back with a note
    reviewer.goto(f"{base}/review/")
    expect(reviewer.get_by_role("link", name=labels["nav"][2], exact=True)).to_be_visible()
    shot(reviewer, screenshots, lang, "review-queue")
    reviewer.locator(f"form[action='/articles/{article.pk}/start-review/']").get_by_role(
        "button", name=labels["start_review"], exact=True).click()
    expect(reviewer).to_have_url(re.compile(rf"/articles/{article.pk}/review/$"))
    reviewer.fill("#id_note", "请补上“阅读手册”这一段。")
    reviewer.get_by_role("button", name=labels["request_changes"], exact=True).click()
    assert Article.objects.get(pk=article.pk).state == ArticleState.CLAIMED

    # the translator sees the note, completes the draft, resubmits
    translator.goto(f"{base}/my-work/")
    expect(translator.get_by_text("请补上“阅读手册”这一段。")).to_be_visible()
    shot(translator, screenshots, lang, "my-work")
    translator.goto(f"{base}/articles/{article.pk}/translate/")
    version = Article.objects.get(pk=article.pk).version
    translator.fill("#id_text", SECOND_DRAFT.format(title=title))
    wait_for_autosave(translator, article, version, lang)
    translator.get_by_role("button", name=labels["submit"], exact=True).click()
    expect(translator).to_have_url(re.compile(r"/my-work/$"))

    # the reviewer sees what changed between the rounds and approves
    reviewer.goto(f"{base}/review/")
    reviewer.locator(f"form[action='/articles/{article.pk}/start-review/']").get_by_role(
        "button", name=labels["start_review"], exact=True).click()
    expect(reviewer.locator("table.diff tr.insert").first).to_be_visible()
    shot(reviewer, screenshots, lang, "review")
    reviewer.get_by_role("button", name=labels["approve"], exact=True).click()
    assert Article.objects.get(pk=article.pk).state == ArticleState.APPROVED

    # the publisher publishes from the article page
    publisher.goto(f"{base}/articles/{article.pk}/")
    publisher.locator("main").get_by_role("button", name=labels["publish"], exact=True).click()
    published = Article.objects.get(pk=article.pk)
    assert published.state == ArticleState.PUBLISHED
    assert published.published_url.endswith(f"/articles/{article.pk}/")

    # anyone reads it, with the four credits linking to the contributors' pages
    reader.goto(f"{base}/articles/{article.pk}/")
    expect(reader.locator(".prose h1")).to_have_text(title)
    expect(reader.get_by_text("阅读手册了解更多。")).to_be_visible()
    credits = reader.locator("dl.credits")
    for label in labels["credits"]:
        expect(credits.locator("dt", has_text=label).first).to_be_visible()
    for person in (cora, tina, rita, pete):
        expect(reader.locator(f"a[href='/people/{person.username}/']").first).to_be_visible()
    shot(reader, screenshots, lang, "article")
    reader.goto(f"{base}/")
    expect(reader.get_by_role("link", name=title)).to_be_visible()
    shot(reader, screenshots, lang, "published")
    reader.goto(f"{base}/leaderboard/")
    shot(reader, screenshots, lang, "leaderboard")
    reader.goto(f"{base}/accounts/login/")
    shot(reader, screenshots, lang, "login")

    phone = new_page(browser, lang, phone=True)
    phone.goto(f"{base}/articles/{article.pk}/")
    shot(phone, screenshots, lang, "phone-article")
    sign_in(phone, base, tina.username, lang)
    phone.goto(f"{base}/available/")
    shot(phone, screenshots, lang, "phone-available")

    actions = list(Event.objects.filter(article=article).values_list("action", "actor__username"))
    assert actions == [
        ("make_available", cora.username), ("claim", tina.username), ("submit", tina.username),
        ("start_review", rita.username), ("request_changes", rita.username), ("submit", tina.username),
        ("start_review", rita.username), ("approve", rita.username), ("publish", pete.username),
    ]
    for page in (translator, reviewer, publisher, reader, phone):
        page.context.close()
    assert CSP_ERRORS == [], CSP_ERRORS


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_two_browsers_claim_the_same_article_at_once(lang, browser, live_server):
    labels = LABELS[lang]
    base = live_server.url
    first, second = make_user(f"ann_{lang}"), make_user(f"ben_{lang}")
    article = ArticleFactory()
    pages = [new_page(browser, lang), new_page(browser, lang)]
    for page, user in zip(pages, (first, second), strict=True):
        sign_in(page, base, user.username, lang)
        page.goto(f"{base}/available/")
    buttons = [p.locator(f"#article-{article.pk}").get_by_role("button", name=labels["claim"], exact=True)
               for p in pages]
    for button in buttons:
        expect(button).to_be_visible()
    # click both without waiting for either answer: the two requests race on the server
    for button in buttons:
        button.click(no_wait_after=True)
    outcomes = []
    for page in pages:
        row = page.locator(f"#article-{article.pk}")
        won = row.get_by_role("link", name=labels["translate"], exact=True)
        lost = row.get_by_role("alert")
        expect(won.or_(lost)).to_be_visible()
        outcomes.append("won" if won.count() else lost.inner_text())
    winner = Article.objects.get(pk=article.pk).translator
    assert winner in (first, second)
    assert sorted(o == "won" for o in outcomes) == [False, True]
    loser_message = next(o for o in outcomes if o != "won")
    assert loser_message == labels["claimed_by"].format(name=winner.username)
    assert Claim.objects.filter(article=article).count() == 1
    for page in pages:
        page.context.close()
