"""Every page and action × anonymous, translator, other translator, reviewer, publisher, staff.

Each cell is one of: ``allowed`` (served, or the action happened), ``login`` (redirect to the
sign-in page, nothing happened), ``forbidden`` (403, nothing happened). Never a 500.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, ArticleState
from tests.factories import make_user
from tests.url_inventory import DRAFT
from tests.url_inventory import article_in as scenario
from workflow.models import Event

pytestmark = pytest.mark.django_db

ACTORS = ["anonymous", "translator", "other", "reviewer", "publisher", "staff"]


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


# --- the rest of the site: collector pages, feeds, candidates, links, quality, glossary,
# notifications, people. Targets are named objects, and a POST's effect is read from every
# table an action may write, so "allowed" means it happened and a refusal changed nothing.


def site_fingerprint(article: Article | None):
    from articles.models import Feed, FeedEntry, Job
    from workflow.models import GlossaryTerm, Notification, Profile

    return (
        fingerprint(article),
        Article.objects.values_list("state", "version", "source_changed_at").order_by("pk").count(),
        Job.objects.count(), Feed.objects.values_list("title", "active", "last_polled_at").order_by("pk").first(),
        list(FeedEntry.objects.values_list("status").order_by("pk")),
        list(GlossaryTerm.objects.values_list("source_term", "target_term", "note").order_by("pk")),
        Notification.objects.filter(read_at__isnull=True).count(),
        list(Profile.objects.values_list("user_id", "muted_notifications", "email_notifications").order_by("user_id")),
        Event.objects.count(),
    )


@pytest.fixture
def site(people):
    from articles.models import Feed, FeedEntry
    from workflow.models import GlossaryTerm, Notification

    feed = Feed.objects.create(url="https://feeds.example.org/atom.xml", title="Example feed")
    entry = FeedEntry.objects.create(feed=feed, url="https://example.org/new-post/",
                                     url_normalized="https://example.org/new-post", url_hash="e" * 64,
                                     title="A new post")
    term = GlossaryTerm.objects.create(source_term="kernel", target_term="内核")
    for person in people.values():
        Notification.objects.create(user=person, kind=Notification.Kind.DIGEST, message="Weekly digest")
    return {"feed": feed, "entry": entry, "term": term}


def target_for(kind: str | None, people, site):
    """(url args, article) for a row's target: an article state, a named object or nothing."""
    if kind is None:
        return [], None
    if kind in site:
        return [site[kind].pk], None
    if kind == "username":
        return ["alice"], None
    if kind == "claimed+drift":
        article = scenario(ArticleState.CLAIMED, people)
        Article.objects.filter(pk=article.pk).update(source_changed_at=timezone.now())
        return [article.pk], article
    if kind == ArticleState.FETCH_FAILED:
        article = scenario(ArticleState.NEW, people)
        Article.objects.filter(pk=article.pk).update(state=ArticleState.FETCH_FAILED)
        return [article.pk], article
    article = scenario(kind, people)
    return [article.pk], article


CSV = "source,target,note\ncontainer,容器,\n"
# (name, method, url name, target, POST data, expected per actor)
SITE_MATRIX = [
    ("contributor page", "get", "workflow:contributor", "username", {}, [A, A, A, A, A, A]),
    ("sign-up page", "get", "workflow:signup", None, {}, [A, A, A, A, A, A]),
    ("notifications", "get", "workflow:notifications", None, {}, [L, A, A, A, A, A]),
    ("mark notifications read", "post", "workflow:notifications_read", None, {}, [L, A, A, A, A, A]),
    ("notification preferences", "get", "workflow:notification_preferences", None, {}, [L, A, A, A, A, A]),
    ("save notification preferences", "post", "workflow:notification_preferences", None,
     {"kinds": ["approved"]}, [L, A, A, A, A, A]),
    ("collect page", "get", "articles:collect", None, {}, [L, F, F, F, F, A]),
    ("collect status", "get", "articles:collect_status", None, {}, [L, F, F, F, F, A]),
    ("prepare a new article", "get", "articles:prepare", "new", {}, [L, F, F, A, A, A]),
    ("retry a failed fetch", "post", "articles:retry_fetch", "fetch_failed", {}, [L, F, F, A, A, A]),
    ("feeds", "get", "articles:feeds", None, {}, [L, F, F, F, F, A]),
    ("edit a feed", "get", "articles:feed_edit", "feed", {}, [L, F, F, F, F, A]),
    ("save a feed", "post", "articles:feed_edit", "feed", {"title": "Renamed", "category": "tech"},
     [L, F, F, F, F, A]),
    ("poll a feed", "post", "articles:feed_poll", "feed", {}, [L, F, F, F, F, A]),
    ("candidates", "get", "articles:candidates", None, {}, [L, F, F, F, F, A]),
    ("dismiss a candidate", "post", "articles:candidate_dismiss", "entry", {}, [L, F, F, F, F, A]),
    ("collect a candidate", "post", "articles:candidate_collect", "entry", {}, [L, F, F, F, F, A]),
    ("link report of a draft", "get", "articles:link_report", "claimed", {}, [F, A, A, A, A, A]),
    ("link report of a withdrawn article", "get", "articles:link_report", "withdrawn", {}, [F, F, F, A, A, A]),
    ("check links", "post", "articles:check_links", "claimed", {}, [L, A, F, A, A, A]),
    ("quality panel of a draft", "get", "workflow:quality_panel", "claimed", {}, [L, A, F, A, A, A]),
    ("autofix a draft", "post", "workflow:autofix", "claimed",
     {"text": "这是 Linux 系统", "title": "题", "base_version": "2"}, [L, A, F, F, F, F]),
    ("dismiss a source update", "post", "workflow:source_update", "claimed+drift", {"decision": "dismiss"},
     [L, A, F, F, A, A]),
    ("glossary", "get", "workflow:glossary", None, {}, [L, A, A, A, A, A]),
    ("add a glossary term", "post", "workflow:glossary_add", None,
     {"source_term": "namespace", "target_term": "命名空间"}, [L, F, F, A, F, A]),
    ("edit a glossary term", "post", "workflow:glossary_edit", "term",
     {"source_term": "kernel", "target_term": "内核|核心"}, [L, F, F, A, F, A]),
    ("delete a glossary term", "post", "workflow:glossary_delete", "term", {}, [L, F, F, A, F, A]),
    ("import glossary CSV", "post", "workflow:glossary_import", None, {"text": CSV}, [L, F, F, A, F, A]),
]
SITE_CELLS = [
    pytest.param(row, actor, expected, id=f"{row[0]}-{actor}")
    for row in SITE_MATRIX
    for actor, expected in zip(ACTORS, row[5], strict=True)
]


@pytest.mark.parametrize(("row", "actor", "expected"), SITE_CELLS)
def test_site_permission_matrix(row, actor, expected, people, site, settings):
    settings.TRANSLATE_HUB_FETCH_ALLOW_PRIVATE = False
    name, method, url_name, target, data, _cells = row
    args, article = target_for(target, people, site)
    url = reverse(url_name, args=args)
    client = client_for(actor, people)
    before = site_fingerprint(article)
    response = getattr(client, method)(url, data)
    assert response.status_code < 500
    if expected == L:
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        assert site_fingerprint(article) == before
    elif expected == F:
        assert response.status_code == 403, response.status_code
        assert site_fingerprint(article) == before
    else:
        assert response.status_code in (200, 302), response.status_code
        if response.status_code == 302:
            assert not response["Location"].startswith(reverse("login"))
        if method == "post":
            assert site_fingerprint(article) != before, f"{name} by {actor} did nothing"


# URL names checked by other tests (and why they are not rows here).
CHECKED_ELSEWHERE = {
    "healthz": "public health check (test_deployment_files)",
    "set_language": "public language switch",
    "markdownx_markdownify": "test_markdownx_endpoints_need_sign_in, test_xss_pages",
    "markdownx_upload": "test_markdownx_endpoints_need_sign_in, test_uploads",
    "uploaded_image": "public images of published articles (test_uploads)",
    "login": "test_auth_security", "logout": "test_auth_security",
    "password_change": "test_auth_security", "password_change_done": "test_auth_security",
    "password_reset": "test_auth_security", "password_reset_done": "test_auth_security",
    "password_reset_confirm": "test_auth_security", "password_reset_complete": "test_auth_security",
}


def test_every_url_of_the_site_is_in_a_matrix():
    from tests.url_inventory import endpoints

    covered = {row[2] for row in MATRIX} | {row[2] for row in SITE_MATRIX} | set(CHECKED_ELSEWHERE)
    missing = sorted({e.name for e in endpoints() if not e.is_admin} - covered)
    assert not missing, f"add these URLs to the permission matrix: {missing}"


# --- drafts by guessing ids, on every article URL of the site, pages and htmx alike ----------

DRAFT_STATES = [ArticleState.CLAIMED, ArticleState.SUBMITTED, ArticleState.IN_REVIEW, ArticleState.APPROVED]
MAY_SEE_DRAFTS = {"translator", "reviewer", "publisher", "staff", "superuser"}


@pytest.fixture
def world(db, settings, tmp_path):
    from tests.url_inventory import build_world

    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world()


def leaks(body: str) -> list[str]:
    from tests.url_inventory import DRAFT_ONLY_URL

    # The working title is shown in lists and headings like a subject; the text and its links are the draft.
    return [marker for marker in (DRAFT, DRAFT_ONLY_URL) if marker in body]


@pytest.mark.parametrize("actor", ["anonymous", "other", "collector", "translator", "reviewer"])
def test_no_draft_by_guessing_ids_on_any_article_url(actor, world):
    from tests.url_inventory import endpoints

    client = Client(raise_request_exception=False)
    if actor != "anonymous":
        client.force_login(world.people[actor])
    article_urls = [e for e in endpoints() if not e.is_admin and e.params == ("pk",)
                    and not any(k in e.name for k in ("feed_", "candidate", "glossary"))]
    assert len(article_urls) > 15
    if actor in MAY_SEE_DRAFTS:  # the markers are really on the pages that may show them
        page = client.get(reverse("workflow:article_detail", args=[world.articles[ArticleState.CLAIMED].pk]))
        assert len(leaks(page.content.decode())) == 2
    seen, problems = 0, []
    # (an allowed actor's POSTs move the articles on; later URLs see the new states)
    for endpoint in article_urls:
        for state in DRAFT_STATES:
            url = reverse(endpoint.name, kwargs={"pk": world.articles[state].pk})
            for method, extra in (("get", {}), ("get", {"HTTP_HX_REQUEST": "true"}),
                                  ("post", {"HTTP_HX_REQUEST": "true"})):
                data = {"text": "x", "title": "x", "base_version": "1"} if method == "post" else {}
                response = getattr(client, method)(url, data, **extra)
                seen += 1
                if response.status_code >= 500:
                    problems.append(f"{method} {url}: {response.status_code}")
                found = leaks(response.content.decode(errors="replace"))
                if found and actor not in MAY_SEE_DRAFTS:
                    problems.append(f"{method.upper()} {url} ({state}) shows {found}")
        missing = reverse(endpoint.name, kwargs={"pk": 10**9})
        status = client.get(missing).status_code
        if status not in (302, 401, 404, 405):
            problems.append(f"guessed id {missing}: {status}")
    assert seen > 100
    assert not problems, problems[:10]
