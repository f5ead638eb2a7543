"""Pages render in both languages for the roles that may see them; lists page, search, filter."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, ArticleState, Category, Difficulty
from tests.factories import ArticleFactory, make_user
from workflow import services
from workflow.models import Event, Role

pytestmark = pytest.mark.django_db

TEXT = "# 标题\n\n这是译文。\n"


@pytest.fixture
def people(db):
    return {
        "collector": make_user("cora", "collector"),
        "translator": make_user("alice", "translator"),
        "reviewer": make_user("rita", "reviewer"),
        "publisher": make_user("pete", "publisher", is_staff=True),
    }


def publish(article, people, *, text=TEXT, title="译文标题"):
    services.claim_article(article=article, user=people["translator"])
    services.save_draft(article=article, user=people["translator"], text=text, title=title,
                        base_version=article.version)
    services.submit_translation(article=article, user=people["translator"])
    services.start_review(article=article, user=people["reviewer"])
    services.approve_translation(article=article, user=people["reviewer"])
    services.publish_article(article=article, user=people["publisher"])
    return article


@pytest.fixture
def world(people):
    published = publish(ArticleFactory(collector=people["collector"]), people)
    claimed = ArticleFactory(collector=people["collector"])
    services.claim_article(article=claimed, user=people["translator"])
    submitted = ArticleFactory(collector=people["collector"])
    services.claim_article(article=submitted, user=people["translator"])
    services.save_draft(article=submitted, user=people["translator"], text=TEXT, title="题", base_version=1)
    services.submit_translation(article=submitted, user=people["translator"])
    available = ArticleFactory(collector=people["collector"])
    return {"published": published, "claimed": claimed, "submitted": submitted, "available": available}


def client_as(user, language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


class StrictCspParser(HTMLParser):
    """Collects what a strict CSP (style-src 'self', nonce scripts) would block."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if "style" in names:
            self.problems.append(f"style attribute on <{tag}>")
        if tag == "style":
            self.problems.append("<style> block")
        if tag == "script" and "src" not in names and "nonce" not in names:
            self.problems.append("inline <script> without nonce")
        if any(name.startswith("on") for name in names):
            self.problems.append(f"inline event handler on <{tag}>")


NAV = {"en": ["Available articles", "My work", "Published"], "zh-hans": ["可申领文章", "我的工作", "已发布"]}


def page_urls(world):
    return {
        "published": reverse("workflow:published_list"),
        "leaderboard": reverse("workflow:leaderboard"),
        "contributor": reverse("workflow:contributor", args=["alice"]),
        "article": reverse("workflow:article_detail", args=[world["published"].pk]),
        "available": reverse("workflow:available"),
        "my_work": reverse("workflow:my_work"),
        "review_queue": reverse("workflow:review_queue"),
        "translate": reverse("workflow:translate", args=[world["claimed"].pk]),
        "review": reverse("workflow:review", args=[world["submitted"].pk]),
        "login": reverse("login"),
        "signup": reverse("workflow:signup"),
        "password_reset": reverse("password_reset"),
    }


# page → roles that may see it (None = anonymous)
VISIBLE = {
    "published": [None, "translator", "reviewer", "publisher"],
    "leaderboard": [None, "translator"],
    "contributor": [None, "reviewer"],
    "article": [None, "translator", "reviewer"],
    "available": ["translator", "reviewer"],
    "my_work": ["translator", "reviewer", "publisher"],
    "review_queue": ["reviewer"],
    "translate": ["translator"],
    "review": ["reviewer"],
    "login": [None],
    "signup": [None],
    "password_reset": [None],
}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("page", list(VISIBLE))
def test_page_renders_in_both_languages_for_its_roles(page, language, world, people):
    url = page_urls(world)[page]
    for role in VISIBLE[page]:
        client = client_as(people[role] if role else None, language)
        response = client.get(url)
        assert response.status_code == 200, (page, role, response.status_code)
        html = response.content.decode()
        assert f'<html lang="{"zh-Hans" if language == "zh-hans" else "en"}">' in html
        expected_nav = NAV[language] if role else NAV[language][2:]
        for label in expected_nav:
            assert f">{label}</a>" in html, (page, role, label)
        other = NAV["en" if language == "zh-hans" else "zh-hans"][2]
        assert f">{other}</a>" not in html
        parser = StrictCspParser()
        parser.feed(html)
        assert parser.problems == [], (page, parser.problems)


def test_buttons_have_their_names_in_both_languages(world, people):
    names = {
        "en": ["Claim", "Release", "Save draft", "Submit for review", "Start review", "Withdraw"],
        "zh-hans": ["申领", "释放", "保存草稿", "提交校对", "开始校对", "撤下"],
    }
    for language, (claim, release, save, submit, start, withdraw) in names.items():
        reviewer = client_as(people["reviewer"], language)
        translator = client_as(people["translator"], language)
        available = reviewer.get(reverse("workflow:available")).content.decode()
        assert f">{claim}</button>" in available
        editor = translator.get(reverse("workflow:translate", args=[world["claimed"].pk])).content.decode()
        for label in (save, submit, release):
            assert f">{label}</button>" in editor
        queue = reviewer.get(reverse("workflow:review_queue")).content.decode()
        assert f">{start}</button>" in queue
        detail = reviewer.get(reverse("workflow:article_detail", args=[world["available"].pk])).content.decode()
        assert f">{withdraw}</button>" in detail
    services.start_review(article=world["submitted"], user=people["reviewer"])
    review = client_as(people["reviewer"], "en").get(reverse("workflow:review", args=[world["submitted"].pk]))
    assert ">Approve</button>" in review.content.decode() and ">Request changes</button>" in review.content.decode()
    review = client_as(people["reviewer"], "zh-hans").get(reverse("workflow:review", args=[world["submitted"].pk]))
    assert ">通过</button>" in review.content.decode() and ">退回修改</button>" in review.content.decode()


def test_language_switch_sticks(people):
    client = client_as(people["translator"], "zh-hans")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert ">Available articles</a>" in client.get(reverse("workflow:available")).content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert ">可申领文章</a>" in client.get(reverse("workflow:available")).content.decode()


def test_published_article_shows_translation_credits_and_timeline(world, people):
    html = Client().get(reverse("workflow:article_detail", args=[world["published"].pk])).content.decode()
    assert "这是译文。" in html
    for username in ("cora", "alice", "rita", "pete"):
        assert f'href="/people/{username}/"' in html
    for label in ("原文", "作者", "选题", "译者", "校对"):
        assert f"<dt>{label}</dt>" in html
    assert html.count('<time datetime=') >= 6  # the timeline: claim … publish


def test_article_credits_list_the_reviewer_first_then_the_other_reviewers_once(world, people):
    article = world["published"]
    ross, rose = make_user("ross", "reviewer"), make_user("rose", "reviewer")
    article.extra_reviewers.add(rose, ross, people["reviewer"])  # the main reviewer again: once
    Article.objects.filter(pk=article.pk).update(updated_at=timezone.now())  # as an admin save does
    html = Client().get(reverse("workflow:article_detail", args=[article.pk])).content.decode()
    reviewed = html[html.index("<dt>校对</dt>"):]
    reviewed = reviewed[:reviewed.index("</dd>")]
    assert re.findall(r'href="/people/(\w+)/"', reviewed) == ["rita", "ross", "rose"]


def walk(client, url, params=None):
    """Follow "Next page" links; return the article ids in page order."""
    seen: list[int] = []
    query = dict(params or {})
    for _ in range(50):
        html = client.get(url, query).content.decode()
        seen += [int(pk) for pk in re.findall(r'href="/articles/(\d+)/"', html)]
        match = re.search(r'href="\?([^"]*cursor=[^"]+)" rel="next"', html)
        if not match:
            return seen
        from urllib.parse import parse_qs

        query = {k: v[0] for k, v in parse_qs(match.group(1).replace("&amp;", "&")).items()}
    raise AssertionError("pagination never ended")


def test_published_keyset_pagination_is_complete_and_ordered(settings, people):
    settings.PAGE_SIZE = 5
    now = timezone.now()
    ids = []
    for i in range(13):
        article = ArticleFactory(state=ArticleState.PUBLISHED, translator=people["translator"],
                                 title=f"译文 {i}", published_at=now - dt.timedelta(hours=i // 3))
        ids.append(article.pk)
    expected = list(Article.objects.published().order_by("-published_at", "-id").values_list("id", flat=True))
    got = walk(Client(), reverse("workflow:published_list"))
    assert got == expected and len(set(got)) == 13
    # a mangled cursor is the first page, not an error
    assert Client().get(reverse("workflow:published_list"), {"cursor": "garbage"}).status_code == 200


@pytest.mark.parametrize("sort", ["new", "old", "short", "long", "date"])
def test_available_keyset_pagination_for_every_sort(sort, settings, people):
    settings.PAGE_SIZE = 5
    for i in range(12):
        ArticleFactory(word_count=[300, 1500, 3000][i % 3], source_date=dt.date(2024, 1, 1 + i % 4))
    client = client_as(people["translator"], "en")
    got = walk(client, reverse("workflow:available"), {"sort": sort})
    ordering = {
        "new": ["-available_at", "-id"], "old": ["available_at", "id"], "short": ["word_count", "id"],
        "long": ["-word_count", "-id"], "date": ["-source_date", "-id"],
    }[sort]
    assert got == list(Article.objects.available().order_by(*ordering).values_list("id", flat=True))


def test_available_rows_come_back_to_the_page_they_were_claimed_from(people):
    """The rows are rendered once per content and shared across requests; each page still
    gets its own CSRF token and its own address in the claim forms."""
    article = ArticleFactory(subject="Tuning the kernel scheduler")
    url = reverse("workflow:available")
    pages = [(client_as(people["translator"], "en"), f"{url}?sort=short&q=kernel"),
             (client_as(people["reviewer"], "en"), f"{url}?q=kernel&category=tech")]
    for client, address in pages:
        html = client.get(address).content.decode()
        form = re.search(rf'<form method="post" action="/articles/{article.pk}/claim/".*?</form>', html, re.S)
        assert form, html
        assert f'name="next" value="{address.replace("&", "&amp;")}"' in form.group(0)
        assert re.search(r'name="csrfmiddlewaretoken" value="[A-Za-z0-9]{64}"', form.group(0))
        assert "memo-fill" not in html  # no placeholder left unfilled


def test_available_filters_and_search(people):
    today = timezone.localdate()
    hit = ArticleFactory(subject="Mastering the zsh prompt", category=Category.TALK,
                         difficulty=Difficulty.HARD, word_count=3000, source_date=today)
    ArticleFactory(subject="Mastering bash", category=Category.TECH, difficulty=Difficulty.EASY,
                   word_count=500, source_date=today - dt.timedelta(days=800))
    client = client_as(people["translator"], "en")
    url = reverse("workflow:available")

    def titles(**params):
        return re.findall(r'lang="en">([^<]+)</a></h2>', client.get(url, params).content.decode())

    assert titles(q="zsh") == [hit.subject]
    assert titles(category="talk") == [hit.subject]
    assert titles(difficulty="3") == [hit.subject]
    assert titles(length="long") == [hit.subject]
    assert titles(age="month") == [hit.subject]
    assert titles(age="older") == ["Mastering bash"]
    assert sorted(titles(q="Mastering")) == sorted([hit.subject, "Mastering bash"])
    assert titles(category="talk", difficulty="1") == []
    assert client.get(url, {"difficulty": "nonsense", "sort": "bogus"}).status_code == 200
    html = client.get(url, {"q": "zsh"}).content.decode()
    assert "3000 words" in html and "≈ 7.5 h" in html  # word count and effort estimate


def test_published_search_and_category(people):
    publish(ArticleFactory(category=Category.NEWS), people, title="内核新闻")
    publish(ArticleFactory(category=Category.TECH), people, title="终端技巧")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    url = reverse("workflow:published_list")
    assert "内核新闻" in client.get(url, {"category": "news"}).content.decode()
    assert "终端技巧" not in client.get(url, {"category": "news"}).content.decode()
    assert "终端技巧" in client.get(url, {"q": "终端"}).content.decode()
    assert "内核新闻" not in client.get(url, {"q": "终端"}).content.decode()


def test_inline_claim_returns_the_row(world, people):
    client = client_as(people["reviewer"], "en")
    response = client.post(reverse("workflow:claim", args=[world["available"].pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<li class="card article-card"') and ">Translate</a>" in html
    again = client_as(people["translator"], "zh-hans").post(
        reverse("workflow:claim", args=[world["available"].pk]), HTTP_HX_REQUEST="true")
    assert again.status_code == 409 and "已被 rita 申领" in again.content.decode()


def test_autosave_fragment_and_conflict(world, people):
    client = client_as(people["translator"], "en")
    url = reverse("workflow:save_draft", args=[world["claimed"].pk])
    saved = client.post(url, {"text": "第一稿", "title": "题", "base_version": "1"}, HTTP_HX_REQUEST="true")
    assert saved.status_code == 200
    assert 'name="base_version" value="2"' in saved.content.decode() and 'hx-swap-oob="true"' in saved.content.decode()
    stale = client.post(url, {"text": "另一个标签页的文字", "title": "题", "base_version": "1"}, HTTP_HX_REQUEST="true")
    assert stale.status_code == 409
    body = stale.content.decode()
    assert "另一个标签页的文字" in body and "第一稿" in body and "Keep my text" in body
    assert Article.objects.get(pk=world["claimed"].pk).translation_markdown == "第一稿"
    # without JavaScript the conflict is a whole page with both texts
    plain = client.post(url, {"text": "无脚本", "title": "题", "base_version": "1"})
    assert plain.status_code == 409 and "无脚本" in plain.content.decode()


def test_submit_from_the_editor_saves_then_submits(world, people):
    client = client_as(people["translator"], "en")
    article = world["claimed"]
    response = client.post(reverse("workflow:submit", args=[article.pk]),
                           {"text": TEXT, "title": "标题", "base_version": "1"})
    assert response.status_code == 302 and response["Location"] == reverse("workflow:my_work")
    article.refresh_from_db()
    assert article.state == ArticleState.SUBMITTED and article.translation_markdown == TEXT
    follow = client.get(reverse("workflow:my_work")).content.decode()
    assert "Submitted for review" in follow


def test_refused_action_shows_the_message(world, people):
    client = client_as(people["reviewer"], "zh-hans")
    services.claim_article(article=world["available"], user=people["translator"])
    response = client.post(reverse("workflow:claim", args=[world["available"].pk]), follow=True)
    assert response.status_code == 200
    assert "已被 alice 申领" in response.content.decode()


def test_my_work_shows_deadlines_and_sent_back_notes(world, people):
    services.start_review(article=world["submitted"], user=people["reviewer"])
    services.request_changes(article=world["submitted"], user=people["reviewer"], note="第三段漏译了")
    html = client_as(people["translator"], "en").get(reverse("workflow:my_work")).content.decode()
    assert "Sent back to you" in html and "第三段漏译了" in html
    assert "days left" in html


def test_review_page_shows_the_diff_between_rounds(world, people):
    article = world["submitted"]
    services.start_review(article=article, user=people["reviewer"])
    services.request_changes(article=article, user=people["reviewer"], note="改")
    services.save_draft(article=article, user=people["translator"], text=TEXT + "新增的一段。\n",
                        base_version=Article.objects.get(pk=article.pk).version)
    services.submit_translation(article=article, user=people["translator"])
    html = client_as(people["reviewer"], "en").get(reverse("workflow:review", args=[article.pk])).content.decode()
    assert "Changes since the previous round" in html
    assert '<tr class="insert">' in html and "新增的一段。" in html


def test_review_queue_is_oldest_first_with_age(people):
    first, second = ArticleFactory(), ArticleFactory()
    for article in (first, second):
        services.claim_article(article=article, user=people["translator"])
        services.save_draft(article=article, user=people["translator"], text=TEXT, title="题", base_version=1)
        services.submit_translation(article=article, user=people["translator"])
    Article.objects.filter(pk=second.pk).update(submitted_at=timezone.now() - dt.timedelta(days=4))
    html = client_as(people["reviewer"], "en").get(reverse("workflow:review_queue")).content.decode()
    assert html.index(f"/articles/{second.pk}/review/") < html.index(f"/articles/{first.pk}/review/")
    assert "4 days" in html


def test_leaderboard_weights_and_periods(people):
    old = publish(ArticleFactory(collector=people["collector"]), people)
    Article.objects.filter(pk=old.pk).update(published_at=timezone.now() - dt.timedelta(days=500))
    publish(ArticleFactory(collector=people["collector"]), people)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    rows = lambda html: re.findall(r'href="/people/(\w+)/">\w+</a></td>((?:\s*<td class="num">(?:<strong>)?[\d.]+(?:</strong>)?</td>)+)', html)  # noqa: E731
    all_time = dict(rows(client.get(reverse("workflow:leaderboard")).content.decode()))
    recent = dict(rows(client.get(reverse("workflow:leaderboard"), {"period": "12m"}).content.decode()))
    score = lambda cells: float(re.findall(r"[\d.]+", cells)[-1])  # noqa: E731
    assert score(all_time["alice"]) == 2.0 and score(recent["alice"]) == 1.0
    assert score(all_time["cora"]) == 1.0 and score(all_time["pete"]) == 1.6
    only_reviewers = client.get(reverse("workflow:leaderboard"), {"role": "reviewer"}).content.decode()
    assert 'href="/people/rita/"' in only_reviewers and 'href="/people/alice/"' not in only_reviewers


def test_contributor_page_counts(world, people):
    html = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("workflow:contributor", args=["alice"])).content.decode()
    assert re.search(r"<strong>1</strong>Translated", html)
    assert re.search(r"<strong>2</strong>In progress", html)
    assert re.search(r"<strong>1.0</strong>Score", html)
    make_user("newcomer", "translator")  # no counters yet: zeros, not an error
    html = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("workflow:contributor", args=["newcomer"])).content.decode()
    assert re.search(r"<strong>0</strong>Translated", html) and re.search(r"<strong>0</strong>In progress", html)


def test_atom_feed_lists_published_translations(world):
    response = Client().get(reverse("workflow:feed"))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    body = response.content.decode()
    assert "<feed" in body and "译文标题" in body and world["published"].get_absolute_url() in body


def test_signup_makes_a_translator_and_signs_in(db):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(reverse("workflow:signup"), {
        "username": "newbie", "email": "newbie@example.org",
        "password1": "a-long-unusual-passphrase-42", "password2": "a-long-unusual-passphrase-42",
    })
    assert response.status_code == 302
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="newbie")
    assert list(user.groups.values_list("name", flat=True)) == [Role.TRANSLATOR]
    assert client.get(reverse("workflow:my_work")).status_code == 200


def test_password_reset_sends_a_link(people, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    people["translator"].email = "alice@example.org"
    people["translator"].save()
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(reverse("password_reset"), {"email": "alice@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and "/accounts/reset/" in mail.outbox[0].body


def test_sign_in_lockout_page(people, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="127.0.0.9")
    for _ in range(3):
        client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert "Too many failed sign-in attempts" in response.content.decode()


def test_admin_publish_actions_release_and_dashboard(world, people):
    approved = [ArticleFactory(), ArticleFactory()]
    for article in approved:
        services.claim_article(article=article, user=people["translator"])
        services.save_draft(article=article, user=people["translator"], text=TEXT, title="题", base_version=1)
        services.submit_translation(article=article, user=people["translator"])
        services.start_review(article=article, user=people["reviewer"])
        services.approve_translation(article=article, user=people["reviewer"])
    admin = make_user("boss", "publisher", is_staff=True, is_superuser=True)
    client = client_as(admin, "en")
    index = client.get("/admin/").content.decode()
    assert "Waiting for review" in index and "Approved, waiting to be published" in index
    response = client.post("/admin/articles/article/", {
        "action": "publish_selected", "_selected_action": [approved[0].pk, world["available"].pk],
    }, follow=True)
    assert response.status_code == 200
    assert Article.objects.get(pk=approved[0].pk).state == ArticleState.PUBLISHED
    assert Article.objects.get(pk=world["available"].pk).state == ArticleState.AVAILABLE
    assert "Published 1 article" in response.content.decode()
    single = client.post(f"/admin/articles/article/{approved[1].pk}/publish/")
    assert single.status_code == 302
    assert Article.objects.get(pk=approved[1].pk).publisher == admin
    # stale claims: listed by the queue filter and released by the action
    Article.objects.filter(pk=world["claimed"].pk).update(claim_deadline=timezone.now() - dt.timedelta(days=1))
    stale = client.get("/admin/articles/article/", {"queue": "stale"}).content.decode()
    assert f"/admin/articles/article/{world['claimed'].pk}/change/" in stale
    client.post("/admin/articles/article/", {"action": "release_selected_claims",
                                              "_selected_action": [world["claimed"].pk]})
    assert Article.objects.get(pk=world["claimed"].pk).state == ArticleState.AVAILABLE
    change = client.get(f"/admin/articles/article/{world['published'].pk}/change/").content.decode()
    assert "Review started" in change or "Published" in change
    assert Event.objects.filter(article=world["claimed"], action="release", actor=admin).exists()


def test_reviewer_edits_save_back_to_the_review_page(world, people):
    article = world["submitted"]
    services.start_review(article=article, user=people["reviewer"])
    version = Article.objects.get(pk=article.pk).version
    client = client_as(people["reviewer"], "en")
    url = reverse("workflow:save_draft", args=[article.pk])
    saved = client.post(url, {"text": TEXT + "校对改动\n", "title": "题", "base_version": version})
    assert saved.status_code == 302 and saved["Location"] == reverse("workflow:review", args=[article.pk])
    stale = client.post(url, {"text": "过时的版本", "title": "题", "base_version": version})
    body = stale.content.decode()
    assert stale.status_code == 409 and "过时的版本" in body and "Submit for review" not in body
    review = client.get(reverse("workflow:review", args=[article.pk])).content.decode()
    assert "Edits made during this review" in review and "校对改动" in review


@pytest.mark.parametrize("prefix", ["/", "/translate-hub/"])
def test_cached_urls_are_what_reverse_gives_under_each_script_prefix(prefix):
    from django.urls import get_script_prefix, set_script_prefix

    from workflow.templatetags.workflow_tags import url_cached

    before = get_script_prefix()
    set_script_prefix(prefix)
    try:
        for name in ("workflow:feed", "workflow:published_list", "login", "set_language", "admin:index"):
            assert url_cached(name) == reverse(name) and url_cached(name).startswith(prefix)
        for username in ("alice", "名字 with space", "a.b+c@d"):
            assert url_cached("workflow:contributor", username) == reverse("workflow:contributor", args=[username])
    finally:
        set_script_prefix(before)
