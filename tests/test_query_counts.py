"""Every page runs a fixed number of queries: the same for 1 row as for 50, and the same with
10 articles in the database as with 10,000.

Each page is requested twice: cold (the cached fragments and memoized rows emptied first)
and warm (straight after). Both counts must not move when the page's own rows grow from 1
to 50 (a list's items, an article's links, events and reviewers, a person's credits …) or
when the database grows from 10 to 10,000 articles (seed_bulk, appending). Anonymous and
signed-in visitors (translator, reviewer, collector) are both covered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import (
    Article,
    ArticleLink,
    ArticleState,
    Feed,
    FeedEntry,
    Job,
    LinkStatus,
)
from tests.factories import make_user
from workflow import fragments
from workflow.bulk_seed import SeedOptions, seed_bulk
from workflow.models import Claim, Event, GlossaryTerm, Notification, Revision

pytestmark = pytest.mark.django_db

S = ArticleState
_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def _private_cache(settings):
    """A cache of our own, so "cold" means cold (the shared Redis is never flushed)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"query-counts-{next(_serial)}"}}
    settings.MAX_OPEN_CLAIMS = 1000
    yield
    fragments.clear_local()


def counts(client: Client, url: str) -> tuple[int, int]:
    """(cold, warm) query counts of one GET, which must answer 200.

    A first, uncounted request fills what processes keep for themselves (the quality
    checks' rules and glossary are loaded once per change); then our caches are emptied.
    """
    client.get(url)
    fragments.clear_local()
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as warm:
        assert client.get(url).status_code == 200
    return len(cold.captured_queries), len(warm.captured_queries)


def signed_in(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# --- Building rows ----------------------------------------------------------------------------


def article(state: str = S.PUBLISHED, **fields) -> Article:
    n = next(_serial)
    now = timezone.now()
    values = {
        "subject": f"How to configure tool {n}", "via": f"https://example.org/q/{n}/",
        "via_normalized": f"https://example.org/q/{n}", "state": state, "word_count": 1200,
        "source_markdown": "Some *text* with a [link][1].\n\n[1]: https://example.org/\n",
        "available_at": now - dt.timedelta(days=3), "source_date": (now - dt.timedelta(days=5)).date(),
    }
    if state in (S.CLAIMED, S.SUBMITTED, S.IN_REVIEW, S.APPROVED, S.PUBLISHED):
        values.update(title=f"译文 {n}", translation_markdown="译文。\n", claimed_at=now - dt.timedelta(days=2))
    if state == S.CLAIMED:
        values["claim_deadline"] = now + dt.timedelta(days=20)
    if state in (S.SUBMITTED, S.IN_REVIEW, S.APPROVED, S.PUBLISHED):
        values.update(submitted_at=now - dt.timedelta(days=1), review_round=1)
    if state in (S.IN_REVIEW, S.APPROVED, S.PUBLISHED):
        values["review_started_at"] = now - dt.timedelta(hours=20)
    if state == S.PUBLISHED:
        values["published_at"] = now - dt.timedelta(hours=n % 50)
    values.update(fields)
    return Article.objects.create(**values)


def add_links(target: Article, n: int) -> None:
    for _ in range(n):
        url = f"https://example.net/page/{next(_serial)}"
        status = LinkStatus.objects.create(url=url, url_hash=hashlib.sha256(url.encode()).hexdigest(),
                                           result="ok", status_code=200, checked_at=timezone.now())
        ArticleLink.objects.create(article=target, link=status, in_source=True, kinds=["reference"], labels=["1"])


def add_events(target: Article, n: int, actor) -> None:
    Event.objects.bulk_create([
        Event(article=target, actor=actor, action="fetch", from_state=S.NEW, to_state=S.NEW,
              created_at=timezone.now() - dt.timedelta(minutes=n - i))
        for i in range(n)
    ])


@dataclass
class Scenario:
    """A page whose own rows can grow: ``grow(n)`` adds n of them, ``url`` is the page."""

    url: str
    user: object
    grow: Callable[[int], None]
    extra: dict = field(default_factory=dict)


@pytest.fixture
def people(db):
    return {
        "translator": make_user("tina", "translator"),
        "reviewer": make_user("rita", "reviewer", "translator"),
        "collector": make_user("cora", "collector", "translator"),
        "publisher": make_user("pete", "publisher", "reviewer", is_staff=True),
    }


def published_list(people, viewer):
    def grow(n):
        for _ in range(n):
            article(collector=people["collector"], translator=people["translator"],
                    reviewer=people["reviewer"], publisher=people["publisher"])
    return Scenario("/?category=tech", viewer, grow)


def article_page(people, viewer):
    target = article(collector=people["collector"], translator=people["translator"],
                     reviewer=people["reviewer"], publisher=people["publisher"])

    def grow(n):
        add_links(target, n)
        add_events(target, n, people["publisher"])
        for _ in range(n):
            target.extra_reviewers.add(make_user(f"extra{next(_serial)}", "reviewer"))
    return Scenario(f"/articles/{target.pk}/", viewer, grow)


def contributor_page(people, viewer):
    person = people["translator"]

    def grow(n):
        for i in range(n):
            extra = article(translator=person, reviewer=people["reviewer"], publisher=people["publisher"],
                            collector=person if i % 2 else people["collector"])
            extra.extra_reviewers.add(people["collector"])
    return Scenario(f"/people/{person.username}/", viewer, grow)


def leaderboard(people, viewer, query=""):
    def grow(n):
        for _ in range(n):
            article(translator=make_user(f"t{next(_serial)}"), reviewer=people["reviewer"],
                    publisher=people["publisher"], collector=people["collector"])
    return Scenario(f"/leaderboard/{query}", viewer, grow)


def feed(people, viewer):
    def grow(n):
        for _ in range(n):
            article(translator=people["translator"], translation_markdown="# 标题\n\n正文。\n")
    return Scenario("/feed/", viewer, grow)


def available_list(people, viewer, query="?category=tech&difficulty=2&sort=new"):
    def grow(n):
        for _ in range(n):
            article(S.AVAILABLE, difficulty=2, collector=people["collector"])
    return Scenario(f"/available/{query}", viewer, grow)


def my_work(people, viewer):
    def grow(n):
        for _ in range(n):
            claimed = article(S.CLAIMED, translator=viewer)
            Claim.objects.create(article=claimed, user=viewer, claimed_at=timezone.now(),
                                 deadline=timezone.now() + dt.timedelta(days=9))
            sent_back = article(S.CLAIMED, translator=viewer, reviewer=people["reviewer"])
            Event.objects.create(article=sent_back, actor=people["reviewer"], action="request_changes",
                                 from_state=S.IN_REVIEW, to_state=S.CLAIMED, note="再改改",
                                 created_at=timezone.now())
            article(S.SUBMITTED, translator=viewer)
            article(S.IN_REVIEW, translator=people["translator"], reviewer=viewer)
            article(translator=viewer)
    return Scenario("/my-work/", viewer, grow)


def review_queue(people, viewer):
    def grow(n):
        for _ in range(n):
            article(S.SUBMITTED, translator=people["translator"])
            article(S.IN_REVIEW, translator=people["translator"], reviewer=people["publisher"])
    return Scenario("/review/", viewer, grow)


def review_page(people, viewer):
    target = article(S.IN_REVIEW, translator=people["translator"], reviewer=viewer, review_round=2)

    def grow(n):
        add_links(target, n)
        add_events(target, n, viewer)
        for i in range(n):
            Revision.objects.create(article=target, kind="submitted", round=1 + i % 2, text=f"译文 {i}\n",
                                    content_hash=f"{i}", author=people["translator"], created_at=timezone.now())
    return Scenario(f"/articles/{target.pk}/review/", viewer, grow)


def translate_page(people, viewer):
    target = article(S.CLAIMED, translator=viewer)
    Claim.objects.create(article=target, user=viewer, claimed_at=timezone.now(),
                         deadline=timezone.now() + dt.timedelta(days=9))

    def grow(n):
        add_links(target, n)
        add_events(target, n, viewer)
    return Scenario(f"/articles/{target.pk}/translate/", viewer, grow)


def notifications(people, viewer):
    def grow(n):
        target = article(translator=viewer)
        Notification.objects.bulk_create([
            Notification(user=viewer, kind="published", article=target, message=f"发布了 {i}", url="/")
            for i in range(n)
        ])
    return Scenario("/notifications/", viewer, grow)


def collect_page(people, viewer):
    def grow(n):
        for _ in range(n):
            new = article(S.NEW, collector=viewer)
            Job.objects.create(kind=Job.Kind.FETCH, article=new, created_by=viewer)
    return Scenario("/collect/", viewer, grow)


def candidates(people, viewer):
    feed_row = Feed.objects.create(url=f"https://example.org/feed/{next(_serial)}/", title="feed")

    def grow(n):
        for _ in range(n):
            url = f"https://example.org/post/{next(_serial)}/"
            FeedEntry.objects.create(feed=feed_row, url=url, url_normalized=url,
                                     url_hash=hashlib.sha256(url.encode()).hexdigest(), title="A post",
                                     published_at=timezone.now())
    return Scenario("/collect/candidates/", viewer, grow)


def feeds_page(people, viewer):
    def grow(n):
        for _ in range(n):
            Feed.objects.create(url=f"https://example.org/feed/{next(_serial)}/", title="feed")
    return Scenario("/collect/feeds/", viewer, grow)


def prepare_page(people, viewer):
    target = article(S.NEW, collector=viewer, source_markdown="Fetched text.\n")

    def grow(n):
        for _ in range(n):
            Job.objects.create(kind=Job.Kind.FETCH, article=target, created_by=viewer, status="done",
                               result={"source_text": "Fetched text."})
    return Scenario(f"/collect/articles/{target.pk}/", viewer, grow)


def link_report(people, viewer):
    target = article()

    def grow(n):
        add_links(target, n)
    return Scenario(f"/articles/{target.pk}/links/", viewer, grow)


def glossary(people, viewer):
    def grow(n):
        GlossaryTerm.objects.bulk_create([
            GlossaryTerm(source_term=f"term {next(_serial)}", target_term="术语") for _ in range(n)
        ])
    return Scenario("/glossary/", viewer, grow)


# (name, builder, who looks: None = anonymous, else a key of ``people``)
PAGES = [
    ("published list", published_list, None),
    ("published list", published_list, "translator"),
    ("article page", article_page, None),
    ("article page", article_page, "reviewer"),
    ("article page", article_page, "publisher"),
    ("contributor page", contributor_page, None),
    ("contributor page", contributor_page, "reviewer"),
    ("leaderboard", leaderboard, None),
    ("leaderboard, 12 months", lambda p, v: leaderboard(p, v, "?period=12m&role=translator"), "translator"),
    ("Atom feed", feed, None),
    ("available list, filtered", available_list, "translator"),
    ("available list, sorted by length", lambda p, v: available_list(p, v, "?sort=short&length=medium"), "reviewer"),
    ("my work", my_work, "translator"),
    ("review queue", review_queue, "reviewer"),
    ("review page", review_page, "reviewer"),
    ("translate page", translate_page, "translator"),
    ("notifications", notifications, "translator"),
    ("collect page", collect_page, "collector"),
    ("candidates", candidates, "collector"),
    ("feeds", feeds_page, "collector"),
    ("prepare page", prepare_page, "collector"),
    ("link report fragment", link_report, None),
    ("glossary", glossary, "translator"),
]


@pytest.mark.parametrize(("name", "build", "who"), PAGES, ids=[f"{n}-{w or 'anonymous'}" for n, _b, w in PAGES])
def test_queries_do_not_grow_with_the_rows_a_page_shows(people, name, build, who):
    viewer = people[who] if who else None
    scenario = build(people, viewer or people["translator"])
    client = signed_in(viewer)
    scenario.grow(1)
    one = counts(client, scenario.url)
    scenario.grow(49)
    fifty = counts(client, scenario.url)
    assert fifty == one, f"{name}: (cold, warm) queries {one} with 1 row, {fifty} with 50"


# --- 10 articles, then 10,000 ---------------------------------------------------------------


def _pages_of_a_seeded_world() -> list[tuple[str, object]]:
    """Pages (and who looks) chosen among the first ten articles' rows."""
    User = get_user_model()
    published = Article.objects.filter(state=S.PUBLISHED).order_by("pk").first()
    available = Article.objects.filter(state=S.AVAILABLE).order_by("pk").first()
    reviewer = User.objects.filter(groups__name="reviewer").order_by("pk").first()
    translator = User.objects.exclude(groups__name="reviewer").order_by("pk").first()
    pages = [
        ("/", None), ("/?category=tech", None), ("/leaderboard/", None), ("/feed/", None),
        ("/leaderboard/?period=12m", None), (f"/people/{reviewer.username}/", None),
        ("/available/?category=tech&difficulty=2", translator), ("/available/?sort=date", translator),
        ("/my-work/", reviewer), ("/review/", reviewer), ("/notifications/", reviewer),
    ]
    if published is not None:
        pages += [(f"/articles/{published.pk}/", None), (f"/articles/{published.pk}/", reviewer),
                  (f"/articles/{published.pk}/links/", None)]
    if available is not None:
        pages.append((f"/articles/{available.pk}/", translator))
    return pages


# Committed and truncated afterwards rather than rolled back: a rolled-back seed of 10,000
# articles leaves hundreds of thousands of dead rows (autovacuum is off on the CI cluster)
# that every later test's full-table read must wade through.
@pytest.mark.django_db(transaction=True)
def test_queries_do_not_grow_with_the_database():
    small = SeedOptions(articles=10, users=12, body_min=200, body_max=600, links_per_article=3, seed=3)
    seed_bulk(small)
    pages = _pages_of_a_seeded_world()
    before = {(url, getattr(user, "pk", None)): counts(signed_in(user), url) for url, user in pages}
    seed_bulk(SeedOptions(articles=9_990, users=40, body_min=200, body_max=600, links_per_article=3,
                          seed=4, append=True))
    assert Article.objects.count() == 10_000
    after = {(url, getattr(user, "pk", None)): counts(signed_in(user), url) for url, user in pages}
    assert after == before


# --- Markdown is rendered once per content version, never on a list page ------------------


@pytest.fixture
def renders(monkeypatch):
    """Counts calls of the renderer and of the sanitizer behind every page's markdown."""
    from articles import rendering

    calls = {"render": 0, "sanitize": 0}
    real_render, real_sanitize = rendering.render_markdown, rendering.sanitize_html

    def render(text):
        calls["render"] += 1
        return real_render(text)

    def sanitize(html):
        calls["sanitize"] += 1
        return real_sanitize(html)

    monkeypatch.setattr(rendering, "render_markdown", render)
    monkeypatch.setattr(rendering, "sanitize_html", sanitize)
    rendering._local_cache.clear()
    yield calls
    rendering._local_cache.clear()


def test_list_pages_never_render_markdown(people, renders):
    for i in range(5):
        article(translator=people["translator"], reviewer=people["reviewer"],
                translation_markdown=f"# 标题 {i}\n\n正文，[链接](https://example.org/{i})。\n")
        article(S.AVAILABLE, collector=people["collector"], source_markdown=f"Body {i} *text*.\n")
        article(S.SUBMITTED, translator=people["translator"], translation_markdown=f"译文 {i}\n")
    anonymous, reviewer = signed_in(None), signed_in(people["reviewer"])
    for client, url in [(anonymous, "/"), (anonymous, "/?category=tech"), (anonymous, "/leaderboard/"),
                        (anonymous, f"/people/{people['translator'].username}/"),
                        (reviewer, "/available/"), (reviewer, "/review/"), (reviewer, "/my-work/")]:
        fragments.clear_local()
        cache.clear()
        assert client.get(url).status_code == 200
    assert renders == {"render": 0, "sanitize": 0}


def test_an_article_page_renders_each_content_version_once(people, renders):
    target = article(translator=people["translator"], reviewer=people["reviewer"],
                     translation_markdown="# 标题\n\n第一版。\n")
    url = f"/articles/{target.pk}/"
    for client in (signed_in(None), signed_in(people["reviewer"]), signed_in(None)):
        assert client.get(url).status_code == 200
    assert renders == {"render": 1, "sanitize": 1}
    from articles import rendering

    rendering._local_cache.clear()  # another worker process: the shared cache has it
    assert signed_in(None).get(url).status_code == 200
    assert renders == {"render": 1, "sanitize": 1}
    Article.objects.filter(pk=target.pk).update(translation_markdown="# 标题\n\n第二版。\n")
    for _ in range(3):
        body = signed_in(None).get(url).content.decode()
    assert "第二版" in body
    assert renders == {"render": 2, "sanitize": 2}


def test_the_feed_renders_each_body_once(people, renders):
    for i in range(30):
        article(translator=people["translator"], translation_markdown=f"# 标题 {i}\n\n正文 {i}。\n")
    for _ in range(3):
        assert signed_in(None).get("/feed/").status_code == 200
    assert renders == {"render": 30, "sanitize": 30}
    fragments.clear_local()
    cache.clear()  # the cached feed is gone, the bodies are still rendered once each …
    from articles import rendering

    assert rendering._local_cache.get(rendering.content_key("# 标题 0\n\n正文 0。\n")) is not None
    assert signed_in(None).get("/feed/").status_code == 200
    assert renders == {"render": 30, "sanitize": 30}


# --- The signed-in user in one query --------------------------------------------------------


def test_the_user_comes_with_their_roles_and_unread_count(people):
    """workflow.auth_backend reads roles, the bell's count and the open claims with the user: the same answers
    as the plain queries, fresh on every request (a role granted or a notification read shows
    on the next page), and an inactive user is still signed out."""
    from django.contrib.auth.models import Group

    from workflow import notifications, permissions
    from workflow.auth_backend import WorkflowModelBackend

    user = people["translator"]
    Notification.objects.create(user=user, kind="published", message="好", url="/")
    held = article(S.CLAIMED, translator=user)
    Claim.objects.create(article=held, user=user, claimed_at=timezone.now(),
                         deadline=timezone.now() + dt.timedelta(days=9))
    loaded = WorkflowModelBackend().get_user(user.pk)
    from workflow import selectors

    assert loaded.open_claims_count == selectors.open_claims_of(user) == 1
    assert permissions.role_names(loaded) == frozenset(user.groups.values_list("name", flat=True))
    assert loaded.unread_notifications_count == notifications.unread_count(user) == 1
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    assert 'href="/review/"' not in client.get("/").content.decode()
    user.groups.add(Group.objects.get_or_create(name="reviewer")[0])
    notifications.mark_read(user=user)
    page = client.get("/").content.decode()
    assert 'href="/review/"' in page and "Notifications, 0 unread" in page.replace("\u00a0", " ")
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert WorkflowModelBackend().get_user(user.pk) is None
    assert client.get("/my-work/").status_code == 302


# --- The claim + release cycle ----------------------------------------------------------------


def statements(queries) -> list[str]:
    return [q["sql"].split(None, 1)[0].upper() for q in queries]


def test_claim_and_release_posts_run_a_fixed_short_list_of_statements(people):
    """bench/http's claim + release cycle, statement by statement: each one is a round trip on
    the hot path of a translator's work, so one added here shows as a failure, not as a slower
    benchmark. (Savepoints stand in for BEGIN and COMMIT: tests run inside a transaction.)"""
    user = people["translator"]
    for _ in range(2):  # the same list whatever the database holds
        target = article(S.AVAILABLE)
        client = signed_in(user)
        with CaptureQueriesContext(connection) as claim:
            response = client.post(f"/articles/{target.pk}/claim/")
        assert response.status_code == 302 and response["Location"] == f"/articles/{target.pk}/translate/"
        # the user (roles, counts), then: lock the user, claim, record the claim and the event
        assert statements(claim) == ["SELECT", "SAVEPOINT", "SELECT", "UPDATE", "INSERT", "INSERT", "RELEASE"]
        with CaptureQueriesContext(connection) as release:
            response = client.post(f"/articles/{target.pk}/release/")
        assert response.status_code == 302 and response["Location"] == "/my-work/"
        # the user, then: lock the article, end the claim, free the article, the event
        assert statements(release) == ["SELECT", "SAVEPOINT", "SELECT", "UPDATE", "UPDATE", "INSERT", "RELEASE"]
        target.refresh_from_db()
        assert target.state == S.AVAILABLE and target.translator_id is None
        assert list(Event.objects.filter(article=target).values_list("action", flat=True).order_by("id")) == [
            "claim", "release"]
        seed_bulk(SeedOptions(articles=200, users=10, body_min=200, body_max=600, links_per_article=3,
                              seed=7, append=True))


def test_claim_and_release_of_an_unknown_article_are_404s(people):
    client = signed_in(people["translator"])
    missing = (Article.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    events_before = Event.objects.count()
    for action in ("claim", "release"):
        assert client.post(f"/articles/{missing}/{action}/").status_code == 404
    assert Event.objects.count() == events_before
    assert not Claim.objects.filter(user=people["translator"]).exists()
