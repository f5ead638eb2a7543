"""Every page and action × anonymous, translator, other translator, reviewer, publisher, staff.

Each cell is one of: ``allowed`` (served, or the action happened), ``login`` (redirect to the
sign-in page, nothing happened), ``forbidden`` (403, nothing happened). Never a 500.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from articles.models import Article, ArticleState
from tests.factories import ArticleFactory, make_user
from workflow import services
from workflow.models import Event

pytestmark = pytest.mark.django_db

ACTORS = ["anonymous", "translator", "other", "reviewer", "publisher", "staff"]
DRAFT = "这是 alice 的私人草稿，别人不应看到。"


@pytest.fixture
def people(db):
    return {
        "collector": make_user("cora", "collector"),
        "translator": make_user("alice", "translator"),
        "other": make_user("bob", "translator"),
        "reviewer": make_user("rita", "reviewer", "translator"),
        "publisher": make_user("pete", "publisher", "translator"),
        "staff": make_user("sam", "translator", is_staff=True),
    }


def scenario(state: str, people) -> Article:
    """An article brought to ``state`` through the services, translated by alice."""
    article = ArticleFactory(collector=people["collector"])
    if state == ArticleState.AVAILABLE:
        return article
    if state == ArticleState.NEW:
        Article.objects.filter(pk=article.pk).update(state=ArticleState.NEW, available_at=None)
        article.refresh_from_db()
        return article
    if state == ArticleState.WITHDRAWN:
        services.withdraw_article(article=article, user=people["reviewer"], reason="test")
        return article
    alice = people["translator"]
    services.claim_article(article=article, user=alice)
    services.save_draft(article=article, user=alice, text=DRAFT, title="私人草稿", base_version=1)
    if state == ArticleState.CLAIMED:
        return article
    services.submit_translation(article=article, user=alice)
    if state == ArticleState.SUBMITTED:
        return article
    services.start_review(article=article, user=people["reviewer"])
    if state == ArticleState.IN_REVIEW:
        return article
    services.approve_translation(article=article, user=people["reviewer"])
    if state == ArticleState.APPROVED:
        return article
    services.publish_article(article=article, user=people["publisher"])
    return article


def client_for(actor: str, people) -> Client:
    client = Client()
    if actor != "anonymous":
        client.force_login(people[actor])
    return client


A, L, F = "allowed", "login", "forbidden"

# (name, method, url name, article state or None, extra POST data, expected per actor)
MATRIX = [
    ("published list", "get", "workflow:published_list", None, {}, [A, A, A, A, A, A]),
    ("leaderboard", "get", "workflow:leaderboard", None, {}, [A, A, A, A, A, A]),
    ("feed", "get", "workflow:feed", None, {}, [A, A, A, A, A, A]),
    ("published article", "get", "workflow:article_detail", "published", {}, [A, A, A, A, A, A]),
    ("claimed article", "get", "workflow:article_detail", "claimed", {}, [L, A, A, A, A, A]),
    ("withdrawn article", "get", "workflow:article_detail", "withdrawn", {}, [L, F, F, A, A, A]),
    ("available list", "get", "workflow:available", None, {}, [L, A, A, A, A, A]),
    ("my work", "get", "workflow:my_work", None, {}, [L, A, A, A, A, A]),
    ("review queue", "get", "workflow:review_queue", None, {}, [L, F, F, A, F, F]),
    ("translate page", "get", "workflow:translate", "claimed", {}, [L, A, F, F, F, F]),
    ("review page", "get", "workflow:review", "submitted", {}, [L, F, F, A, A, F]),
    ("claim", "post", "workflow:claim", "available", {}, [L, A, A, A, A, A]),
    ("release", "post", "workflow:release", "claimed", {}, [L, A, F, F, F, A]),
    ("save draft", "post", "workflow:save_draft", "claimed",
     {"text": "新的草稿", "title": "题", "base_version": "2"}, [L, A, F, F, F, F]),
    ("submit", "post", "workflow:submit", "claimed", {}, [L, A, F, F, F, F]),
    ("start review", "post", "workflow:start_review", "submitted", {}, [L, F, F, A, F, F]),
    ("request changes", "post", "workflow:request_changes", "in_review", {"note": "改"}, [L, F, F, A, F, F]),
    ("approve", "post", "workflow:approve", "in_review", {}, [L, F, F, A, F, F]),
    ("publish", "post", "workflow:publish", "approved", {}, [L, F, F, F, A, F]),
    ("approve and publish", "post", "workflow:approve_and_publish", "submitted", {}, [L, F, F, F, A, F]),
    ("withdraw", "post", "workflow:withdraw", "available", {"reason": "重复"}, [L, F, F, A, A, A]),
    ("restore", "post", "workflow:restore", "withdrawn", {}, [L, F, F, A, A, A]),
    ("make available", "post", "workflow:make_available", "new", {}, [L, F, F, A, A, A]),
]

CELLS = [
    pytest.param(row, actor, expected, id=f"{row[0]}-{actor}")
    for row in MATRIX
    for actor, expected in zip(ACTORS, row[5], strict=True)
]


def fingerprint(article: Article | None):
    if article is None:
        return None
    row = Article.objects.values_list("state", "version", "translator_id", "reviewer_id", "publisher_id").get(pk=article.pk)
    return row, Event.objects.filter(article=article).count()


@pytest.mark.parametrize(("row", "actor", "expected"), CELLS)
def test_permission_matrix(row, actor, expected, people):
    name, method, url_name, state, data, _cells = row
    article = scenario(state, people) if state else None
    if state is None and url_name == "workflow:feed":
        scenario("published", people)
    url = reverse(url_name, args=[article.pk]) if article else reverse(url_name)
    client = client_for(actor, people)
    before = fingerprint(article)
    response = getattr(client, method)(url, data)
    assert response.status_code < 500
    if expected == L:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        assert fingerprint(article) == before
    elif expected == F:
        assert response.status_code == 403
        assert fingerprint(article) == before
    else:
        assert response.status_code in (200, 302), response.status_code
        if response.status_code == 302:
            assert not response["Location"].startswith(reverse("login"))
        if method == "post":
            assert fingerprint(article) != before, f"{name} by {actor} did nothing"


@pytest.mark.parametrize("actor", ACTORS)
def test_nobody_else_reads_a_draft_by_guessing_ids(actor, people):
    article = scenario(ArticleState.CLAIMED, people)
    client = client_for(actor, people)
    page = client.get(reverse("workflow:article_detail", args=[article.pk]))
    editor = client.get(reverse("workflow:translate", args=[article.pk]))
    sees_draft = DRAFT in page.content.decode() or DRAFT in editor.content.decode()
    may = actor in ("translator", "reviewer", "publisher", "staff")  # staff are editors
    assert sees_draft == may
    assert client.get(reverse("workflow:article_detail", args=[article.pk + 1000])).status_code in (302, 404)


def test_htmx_refusals_are_fragments_not_errors(people):
    article = scenario(ArticleState.CLAIMED, people)
    client = client_for("other", people)
    response = client.post(reverse("workflow:claim", args=[article.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert "alice" in response.content.decode()
    assert "<html" not in response.content.decode()
    anonymous = Client().post(reverse("workflow:claim", args=[article.pk]), HTTP_HX_REQUEST="true",
                              HTTP_HX_CURRENT_URL="http://testserver/available/")
    assert anonymous.status_code == 401
    assert anonymous["HX-Redirect"].startswith(reverse("login"))


@pytest.mark.parametrize("actor", ACTORS)
def test_markdownx_endpoints_need_sign_in(actor, people):
    client = client_for(actor, people)
    preview = client.post("/markdownx/markdownify/", {"content": "**hi** <script>alert(1)</script>"})
    upload = client.post("/markdownx/upload/", {})
    if actor == "anonymous":
        assert preview.status_code == 302 and preview["Location"].startswith(reverse("login"))
        assert upload.status_code == 302 and upload["Location"].startswith(reverse("login"))
    else:
        assert preview.status_code == 200
        body = preview.content.decode()
        assert "<strong>hi</strong>" in body and "<script" not in body
        assert upload.status_code < 500
    assert client.post("/markdownx/markdownify/", {}).status_code in (302, 400)


@pytest.mark.parametrize("actor", ACTORS)
def test_admin_access_and_no_deletes(actor, people):
    client = client_for(actor, people)
    article = scenario(ArticleState.APPROVED, people)
    index = client.get("/admin/")
    if actor == "staff":
        assert index.status_code == 200
    else:
        assert index.status_code == 302 and "/admin/login/" in index["Location"]
    superuser = make_user("root", is_staff=True, is_superuser=True)
    admin_client = Client()
    admin_client.force_login(superuser)
    delete = admin_client.get(f"/admin/articles/article/{article.pk}/delete/")
    assert delete.status_code == 403
    event = Event.objects.filter(article=article).first()
    assert admin_client.get(f"/admin/workflow/event/{event.pk}/delete/").status_code == 403
    assert admin_client.post(f"/admin/workflow/event/{event.pk}/change/", {"note": "x"}).status_code == 403
