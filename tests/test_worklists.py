"""The signed-in lists' cached blocks ({% worklist %}): never stale, never anyone else's.

The available list, my work and the review queue are cached whole under the work version
(workflow.aggregates.work_version), which triggers replace in the same transaction as any
write that could change them. These tests change the data behind a cached page through the
real views and services and read the page again; they check that a draft save leaves the
version (and the cache) alone, that relative times are re-rendered the moment they change,
and that the CSRF token and return address in a shared block are the requester's own.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from tests.factories import ArticleFactory, make_user
from workflow import aggregates, fragments, services
from workflow.models import Event, EventAction

pytestmark = pytest.mark.django_db

TEXT = "# 标题\n\n这是译文。\n"


@pytest.fixture(autouse=True)
def _fresh_process_cache():
    fragments.clear_local()
    yield
    fragments.clear_local()


@pytest.fixture
def people(db):
    return {
        "alice": make_user("alice", "translator"),
        "bob": make_user("bob", "translator"),
        "rita": make_user("rita", "reviewer"),
        "ross": make_user("ross", "reviewer"),
    }


def client_for(user, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def submitted_by(translator, **fields) -> Article:
    article = ArticleFactory(**fields)
    services.claim_article(article=article, user=translator)
    services.save_draft(article=article, user=translator, text=TEXT, title=f"译文 {article.pk}",
                        base_version=article.version)
    services.submit_translation(article=article, user=translator)
    return article


# --- The version -------------------------------------------------------------------------------


def test_the_work_version_moves_with_every_change_a_list_can_show(people):
    before = aggregates.work_version()
    article = ArticleFactory()
    after_insert = aggregates.work_version()
    assert after_insert != before

    services.claim_article(article=article, user=people["alice"])
    after_claim = aggregates.work_version()
    assert after_claim != after_insert

    # A new title shows in "my work"; a new draft text shows nowhere.
    services.save_draft(article=article, user=people["alice"], text=TEXT, title="新标题",
                        base_version=article.version)
    after_title = aggregates.work_version()
    assert after_title != after_claim
    services.save_draft(article=article, user=people["alice"], text=TEXT + "更多。\n", title="新标题",
                        base_version=article.version)
    assert aggregates.work_version() == after_title

    # An event alone (the drift job's) changes which of "my work"'s lists a claim is in.
    Event.objects.create(article=article, action=EventAction.SOURCE_CHANGED, from_state="claimed",
                         to_state="claimed", created_at=timezone.now())
    after_event = aggregates.work_version()
    assert after_event != after_title

    Article.objects.filter(pk=article.pk).update(word_count=4321)  # an admin's or a job's edit
    assert aggregates.work_version() != after_event


def test_a_rolled_back_write_leaves_the_version_as_it_was(people):
    article = ArticleFactory()
    before = aggregates.work_version()
    with pytest.raises(RuntimeError), transaction.atomic():
        Article.objects.filter(pk=article.pk).update(subject="Renamed")
        assert aggregates.work_version() != before  # this transaction sees its own change
        raise RuntimeError
    assert aggregates.work_version() == before
    # ... and the next write in the same (test) transaction bumps it again.
    Article.objects.filter(pk=article.pk).update(subject="Renamed for real")
    assert aggregates.work_version() != before


def _version_row_writes() -> int:
    """Writes to the version rows so far in this transaction (PostgreSQL counts them live)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT n_tup_ins + n_tup_upd FROM pg_stat_xact_user_tables "
                       "WHERE relname = 'workflow_aggregateversion'")
        return cursor.fetchone()[0]


@pytest.mark.postgres
def test_the_version_row_is_written_once_per_read_not_once_per_row(people):
    """Updating one row again and again in one transaction leaves a version behind each time
    that the next update walks past: an import's thousands of articles must not do that."""
    articles = [ArticleFactory() for _ in range(30)]
    aggregates.work_version()
    before = _version_row_writes()
    for article in articles:
        Article.objects.filter(pk=article.pk).update(word_count=article.word_count + 1)
    assert _version_row_writes() - before == 1
    first = aggregates.work_version()  # read: the next write must move it again
    Article.objects.filter(pk=articles[0].pk).update(word_count=1)
    assert _version_row_writes() - before == 2
    assert aggregates.work_version() != first


@pytest.mark.postgres  # SQLite triggers cannot be deferred: there the version moves at each write
@pytest.mark.django_db(transaction=True)
def test_in_production_the_version_moves_when_the_writing_transaction_commits():
    """The triggers run at COMMIT (tests/conftest.py makes them immediate for the other tests):
    a reader never sees the new version before the data it stands for."""
    before = aggregates.work_version()
    with transaction.atomic():
        article = ArticleFactory()
        Article.objects.filter(pk=article.pk).update(subject="Changed before the commit")
        assert aggregates.work_version() == before
    after = aggregates.work_version()
    assert after != before

    # What a draft save writes, committed, leaves it alone.
    with transaction.atomic():
        Article.objects.filter(pk=article.pk).update(translation_markdown="草稿", version=2)
    assert aggregates.work_version() == after


@pytest.mark.django_db(transaction=True)
def test_in_production_a_claim_through_the_views_empties_the_cached_list():
    alice, bob = make_user("alice", "translator"), make_user("bob", "translator")
    article = ArticleFactory(subject="Committed article")
    url = reverse("workflow:available")
    alice_client, bob_client = client_for(alice), client_for(bob)
    assert "Committed article" in page(alice_client, url)
    assert bob_client.post(reverse("workflow:claim", args=[article.pk])).status_code == 302
    assert "Committed article" not in page(alice_client, url)
    assert "Committed article" in page(bob_client, reverse("workflow:my_work"))


def test_signed_in_users_bring_the_version_along(people):
    ArticleFactory()
    client = client_for(people["alice"])
    response = client.get(reverse("workflow:available"))
    assert response.wsgi_request.user.work_version == aggregates.work_version() != 0


# --- Never stale ----------------------------------------------------------------------------------


def test_the_available_list_drops_an_article_the_moment_someone_claims_it(people):
    first, second = ArticleFactory(subject="First article"), ArticleFactory(subject="Second article")
    alice, bob = client_for(people["alice"]), client_for(people["bob"])
    url = reverse("workflow:available")
    assert "First article" in page(alice, url) and "Second article" in page(alice, url)

    response = bob.post(reverse("workflow:claim", args=[first.pk]))
    assert response.status_code == 302
    html = page(alice, url)
    assert "First article" not in html and "Second article" in html

    bob.post(reverse("workflow:release", args=[first.pk]))
    assert "First article" in page(alice, url) and second.subject in page(alice, url)


def test_my_work_follows_claims_submissions_and_send_backs(people):
    article = ArticleFactory(subject="Kernel article")
    alice = client_for(people["alice"])
    url = reverse("workflow:my_work")
    assert "Kernel article" not in page(alice, url)

    alice.post(reverse("workflow:claim", args=[article.pk]))
    html = page(alice, url)
    assert "Kernel article" in html and "(1 / " in html

    services.save_draft(article=article, user=people["alice"], text=TEXT, title="内核文章",
                        base_version=Article.objects.get(pk=article.pk).version)
    services.submit_translation(article=article, user=people["alice"])
    html = page(alice, url)
    assert "内核文章" in html and "(0 / " in html

    services.start_review(article=article, user=people["rita"])
    services.request_changes(article=article, user=people["rita"], note="Please fix the heading")
    html = page(alice, url)
    assert "Sent back to you" in html and "Please fix the heading" in html


def test_the_review_queue_moves_an_article_when_a_review_starts(people):
    article = submitted_by(people["alice"], subject="Queue article")
    rita, ross = client_for(people["rita"]), client_for(people["ross"])
    url = reverse("workflow:review_queue")
    assert "Queue article" in page(ross, url)

    rita.post(reverse("workflow:start_review", args=[article.pk]))
    html = page(ross, url)
    queue, _sep, in_review = html.partition("In review")
    assert "译文" not in queue and f"译文 {article.pk}" in in_review


def test_a_cached_list_costs_no_list_query(people):
    submitted_by(people["alice"])
    ArticleFactory()
    client = client_for(people["rita"])
    for name in ("workflow:available", "workflow:my_work", "workflow:review_queue"):
        page(client, reverse(name))
        with CaptureQueriesContext(connection) as queries:
            page(client, reverse(name))
        tables = " ".join(q["sql"] for q in queries.captured_queries)
        assert "articles_article" not in tables, (name, tables)


# --- Per user, per request, per moment ---------------------------------------------------------------


def test_the_review_queue_block_is_per_reviewer(people):
    """Nobody reviews their own translation: a reviewer who translated sees no button."""
    translator_reviewer = make_user("trudy", "translator", "reviewer")
    article = submitted_by(translator_reviewer, subject="Trudy's article")
    start = reverse("workflow:start_review", args=[article.pk])
    url = reverse("workflow:review_queue")
    assert start in page(client_for(people["rita"]), url)
    assert start not in page(client_for(translator_reviewer), url)
    assert start in page(client_for(people["rita"]), url)


def _claim_form(html: str, pk: int) -> tuple[str, str]:
    form = re.search(rf'<form[^>]*action="/articles/{pk}/claim/".*?</form>', html, re.S).group(0)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    next_url = re.search(r'name="next" value="([^"]*)"', form).group(1)
    return token, next_url


def test_a_shared_block_carries_each_requesters_own_token_and_address(people):
    article = ArticleFactory(subject="Shared article")
    alice, bob = client_for(people["alice"], csrf=True), client_for(people["bob"], csrf=True)
    first = reverse("workflow:available") + "?sort=short"
    second = reverse("workflow:available") + "?sort=short&category="
    page(alice, first)  # fills the cache
    bob_html = page(bob, first)
    token, next_url = _claim_form(bob_html, article.pk)
    assert next_url == first.replace("&", "&amp;")
    assert _claim_form(page(bob, second), article.pk)[1] == second.replace("&", "&amp;")
    assert "memo-fill" not in bob_html

    # Alice's token in Bob's session would fail CSRF: Bob's own one must be there.
    response = bob.post(reverse("workflow:claim", args=[article.pk]),
                        {"csrfmiddlewaretoken": token, "next": first})
    assert response.status_code == 302
    assert Article.objects.get(pk=article.pk).translator == people["bob"]


def test_relative_times_are_rendered_again_when_they_change(people, monkeypatch):
    article = submitted_by(people["alice"])
    submitted_at = Article.objects.get(pk=article.pk).submitted_at
    client = client_for(people["rita"])
    url = reverse("workflow:review_queue")
    clock = {"now": submitted_at + dt.timedelta(minutes=59, seconds=59)}
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])

    assert "<strong>0 hours</strong>" in page(client, url)
    clock["now"] = submitted_at + dt.timedelta(hours=1)  # no write at all: only the clock moved
    assert "<strong>1 hour</strong>" in page(client, url)
    clock["now"] = submitted_at + dt.timedelta(hours=23, minutes=59)
    assert "<strong>23 hours</strong>" in page(client, url)
    clock["now"] = submitted_at + dt.timedelta(days=3, minutes=1)
    assert "<strong>3 days</strong>" in page(client, url)


def test_deadlines_count_down_in_a_cached_my_work(people, monkeypatch):
    article = ArticleFactory()
    services.claim_article(article=article, user=people["alice"])
    start = timezone.now()
    deadline = start + dt.timedelta(days=2, minutes=1)
    Article.objects.filter(pk=article.pk).update(claim_deadline=deadline)
    client = client_for(people["alice"])
    url = reverse("workflow:my_work")
    real_now = timezone.now
    clock = {"now": start}
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])

    assert "(2 days left)" in page(client, url)
    clock["now"] = start + dt.timedelta(minutes=2)  # under two days to go: no write, only the clock
    assert "(1 day left)" in page(client, url)
    clock["now"] = deadline + dt.timedelta(seconds=1)
    assert "(overdue)" in page(client, url)
    assert real_now() < deadline


def test_each_language_has_its_own_block(people):
    ArticleFactory(subject="Bilingual article")
    client = client_for(people["alice"])
    url = reverse("workflow:available")
    assert "Available articles" in page(client, url)
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    chinese.force_login(people["alice"])
    html = page(chinese, url)
    assert "申领" in html and "Claim</button>" not in html
