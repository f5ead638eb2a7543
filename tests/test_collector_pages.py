"""Collector pages through the Django test client: permissions, bad input (a clear message,
no row written, never a 500), live status, retry, check-and-make-available, feeds, candidates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

import articles.tasks  # noqa: F401 - registers the job handlers, as in a worker
from articles import jobs
from articles.models import (
    Article,
    ArticleState,
    DomainRule,
    Feed,
    FeedEntry,
    Job,
    normalized_url_hash,
)
from articles.urlnorm import normalize_url
from tests.collect_pages import STRACE_PATH, STRACE_POST
from tests.factories import ArticleFactory, make_user
from tests.httpfixtures import LocalHTTPServer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def get_user(username: str):
    return get_user_model().objects.get(username=username)

COLLECT = "articles:collect"


@pytest.fixture
def collector(client):
    user = make_user("carol", "collector", "translator")
    client.force_login(get_user("carol"))
    return user


@pytest.fixture
def server(settings):
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = True
    with LocalHTTPServer(hosts=["127.0.0.7"]) as srv:
        srv.route(STRACE_PATH, body=STRACE_POST)
        yield srv


def post_urls(client, urls, **extra):
    return client.post(reverse(COLLECT), {"urls": urls, "category": "", "difficulty": "", **extra})


def htmx(**extra):
    return {"HTTP_HX_REQUEST": "true", **extra}


def candidate(feed, url, *, title="A post", days_old=1):
    normalized = normalize_url(url)
    return FeedEntry.objects.create(
        feed=feed, url=url, url_normalized=normalized, url_hash=normalized_url_hash(normalized), title=title,
        published_at=timezone.now() - dt.timedelta(days=days_old))


# --- permissions ------------------------------------------------------------------------------


COLLECTOR_PAGES = ["articles:collect", "articles:collect_status", "articles:feeds", "articles:candidates"]


@pytest.mark.parametrize("name", COLLECTOR_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize("name", COLLECTOR_PAGES)
def test_non_collectors_get_403(client, name):
    make_user("tom", "translator", "reviewer")
    client.force_login(get_user("tom"))
    assert client.get(reverse(name)).status_code == 403


def test_non_collectors_cannot_post_anything(client):
    make_user("tom", "translator")
    client.force_login(get_user("tom"))
    feed = Feed.objects.create(url="https://blog.example.com/feed")
    entry = candidate(feed, "https://blog.example.com/p/1")
    assert post_urls(client, "https://blog.example.com/a").status_code == 403
    assert client.post(reverse("articles:feeds"), {"url": "https://x.example.com/f", "category": "tech"}).status_code == 403
    assert client.post(reverse("articles:feed_poll", args=[feed.pk])).status_code == 403
    assert client.post(reverse("articles:candidate_collect", args=[entry.pk])).status_code == 403
    assert client.post(reverse("articles:candidate_dismiss", args=[entry.pk])).status_code == 403
    assert not Article.objects.exists() and not Job.objects.exists() and Feed.objects.count() == 1
    entry.refresh_from_db()
    assert entry.status == FeedEntry.Status.NEW


def test_collectors_see_the_collect_entry_in_the_navigation(client, collector):
    page = client.get(reverse("workflow:my_work")).content.decode()
    assert f'href="{reverse(COLLECT)}"' in page
    make_user("tom", "translator")
    client.force_login(get_user("tom"))
    assert f'href="{reverse(COLLECT)}"' not in client.get(reverse("workflow:my_work")).content.decode()


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(("urls", "message"), [
    ("not-a-url", "Not a valid http(s) address"),
    ("ftp://files.example.org/a", "Not a valid http(s) address"),
    ("http://192.168.0.10/router", "not allowed (private or local network)"),
    ("http://169.254.169.254/latest/meta-data/", "not allowed (private or local network)"),
    ("http://[::ffff:127.0.0.1]/", "not allowed (private or local network)"),
])
def test_bad_addresses_get_a_clear_message_and_write_nothing(client, collector, urls, message):
    response = post_urls(client, urls)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Article.objects.exists() and not Job.objects.exists()


def test_blocked_site_shows_the_reason(client, collector):
    DomainRule.objects.create(domain="closed.example", action="block", reason="All rights reserved, no reuse")
    response = post_urls(client, "https://www.closed.example/2024/post")
    assert response.status_code == 400
    assert "All rights reserved, no reuse" in response.content.decode()
    assert not Article.objects.exists()


def test_duplicate_links_to_the_existing_article(client, collector):
    existing = ArticleFactory(via="https://blog.example.com/post", via_normalized="https://blog.example.com/post")
    response = post_urls(client, "https://blog.example.com/post/?utm_source=twitter")
    page = response.content.decode()
    assert response.status_code == 400
    assert "Already collected" in page and f'href="{existing.get_absolute_url()}"' in page
    assert Article.objects.count() == 1


@pytest.mark.parametrize("data", [
    {"urls": ""},
    {"urls": "   \n  "},
    {"urls": "https://blog.example.com/a", "category": "poetry"},
    {"urls": "https://blog.example.com/a", "difficulty": "eleven"},
    {"urls": "\n".join(f"https://blog.example.com/{n}" for n in range(60))},
    {"urls": "https://blog.example.com/\x00evil"},
])
def test_malformed_forms_are_400_not_500(client, collector, data):
    response = client.post(reverse(COLLECT), {"category": "", "difficulty": "", **data})
    assert response.status_code == 400
    assert not Article.objects.exists()


def test_partial_success_reports_each_url(client, collector):
    ArticleFactory(via="https://blog.example.com/taken", via_normalized="https://blog.example.com/taken")
    response = post_urls(client, "https://blog.example.com/new-one\nhttps://blog.example.com/taken")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Queued" in page and "Already collected" in page
    assert Article.objects.filter(state=ArticleState.NEW).count() == 1


# --- collecting and the live status -----------------------------------------------------------


def test_collect_queues_and_the_status_polls_until_the_fetch_is_done(client, collector, server):
    response = post_urls(client, server.url(STRACE_PATH), difficulty="2")
    assert response.status_code == 302 and response["Location"] == reverse(COLLECT)
    article = Article.objects.get()
    assert (article.state, article.collector, article.difficulty) == (ArticleState.NEW, collector, 2)
    page = client.get(reverse(COLLECT)).content.decode()
    assert "Queued" in page and 'hx-trigger="every 2s"' in page
    status_url = reverse("articles:collect_status")
    assert f'hx-get="{status_url}"' in page

    assert jobs.run_job(Job.objects.get(article=article).pk) == "done"
    fragment = client.get(status_url, **htmx()).content.decode()
    assert "Fetched" in fragment and "hx-trigger" not in fragment  # polling stops
    assert reverse("articles:prepare", args=[article.pk]) in fragment


def test_status_fragment_asks_the_prepare_page_to_reload_when_done(client, collector, server):
    post_urls(client, server.url(STRACE_PATH))
    article = Article.objects.get()
    url = reverse("articles:collect_status") + f"?ids={article.pk}&refresh=1"
    assert "HX-Refresh" not in client.get(url, **htmx())
    jobs.run_job(Job.objects.get(article=article).pk)
    assert client.get(url, **htmx())["HX-Refresh"] == "true"


def test_a_failed_fetch_shows_its_reason_and_can_be_retried(client, collector, server):
    server.route("/gone/", status=404)
    post_urls(client, server.url("/gone/"))
    article = Article.objects.get()
    jobs.run_job(Job.objects.get(article=article).pk)
    page = client.get(reverse(COLLECT)).content.decode()
    assert "Fetch failed" in page and "HTTP 404" in page
    retry = reverse("articles:retry_fetch", args=[article.pk])
    assert f'action="{retry}"' in page
    server.route("/gone/", body=STRACE_POST)
    response = client.post(retry, {"next": reverse(COLLECT)})
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.state == ArticleState.NEW
    assert jobs.run_job(Job.objects.filter(article=article).latest("pk").pk) == "done"
    assert "Fetched" in client.get(reverse(COLLECT)).content.decode()


def test_retry_of_a_fetch_that_did_not_fail_is_refused_politely(client, collector):
    post_urls(client, "https://blog.example.com/fine")
    article = Article.objects.get()
    response = client.post(reverse("articles:retry_fetch", args=[article.pk]), follow=True)
    assert response.status_code == 200
    assert "cannot be fetched again" in response.content.decode()
    assert Job.objects.filter(article=article).count() == 1


# --- check side by side and make available ----------------------------------------------------


def test_prepare_page_shows_the_page_text_beside_the_markdown_then_makes_it_available(client, collector, server):
    post_urls(client, server.url(STRACE_PATH))
    article = Article.objects.get()
    jobs.run_job(Job.objects.get(article=article).pk)
    url = reverse("articles:prepare", args=[article.pk])
    page = client.get(url).content.decode()
    assert "Every program on Linux talks to the kernel" in page  # the page's text
    assert "[strace manual page][1]" in page  # the markdown, in the editor
    article.refresh_from_db()
    data = {"subject": "Tracing system calls with strace", "category": "tech", "difficulty": "1",
            "source_markdown": article.source_markdown.replace("Every program", "Each program")}
    assert client.post(url, {**data, "action": "save"}).status_code == 302
    article.refresh_from_db()
    assert article.source_markdown.startswith("Each program") and article.difficulty == 1
    assert article.state == ArticleState.NEW
    response = client.post(url, {**data, "action": "make_available"})
    assert response.status_code == 302 and response["Location"] == article.get_absolute_url()
    article.refresh_from_db()
    assert article.state == ArticleState.AVAILABLE
    assert client.get(url)["Location"] == article.get_absolute_url()  # nothing to prepare any more


def test_prepare_refuses_strangers_and_bad_input(client, collector):
    post_urls(client, "https://blog.example.com/prep")
    article = Article.objects.get()
    url = reverse("articles:prepare", args=[article.pk])
    response = client.post(url, {"subject": "X", "category": "tech", "difficulty": "9", "source_markdown": "y"})
    assert response.status_code == 400
    response = client.post(url, {"subject": "X", "category": "tech", "difficulty": "0", "source_markdown": "",
                                 "action": "make_available"})
    assert response.status_code == 409 and "no source text yet" in response.content.decode()
    article.refresh_from_db()
    assert article.state == ArticleState.NEW
    make_user("tom", "translator")
    client.force_login(get_user("tom"))
    assert client.get(url).status_code == 403
    assert client.post(url, {"subject": "Mine", "category": "tech", "difficulty": "0",
                             "source_markdown": "z"}).status_code == 403
    article.refresh_from_db()
    assert article.subject == "https://blog.example.com/prep"


# --- feeds ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "message"), [
    ("http://10.0.0.1/feed.xml", "not allowed (private or local network)"),
    ("https://closed.example/feed", "Paywalled"),
    ("not a feed address", "Enter a valid URL"),
])
def test_bad_feeds_are_refused_with_a_message(client, collector, url, message):
    DomainRule.objects.create(domain="closed.example", action="block", reason="Paywalled")
    response = client.post(reverse("articles:feeds"), {"url": url, "title": "", "category": "tech"})
    assert response.status_code == 400 and message in response.content.decode()
    assert not Feed.objects.exists() and not Job.objects.exists()


def test_add_edit_deactivate_and_poll_a_feed(client, collector):
    response = client.post(reverse("articles:feeds"),
                           {"url": "https://blog.example.com/feed.xml", "title": "Example blog", "category": "news"})
    assert response.status_code == 302
    feed = Feed.objects.get()
    assert (feed.title, feed.category, feed.created_by) == ("Example blog", "news", collector)
    assert Job.objects.filter(feed=feed, kind=Job.Kind.POLL_FEED).count() == 1  # first poll queued
    again = client.post(reverse("articles:feeds"), {"url": "https://blog.example.com/feed.xml", "category": "tech"})
    assert again.status_code == 400 and "already subscribed" in again.content.decode()
    client.post(reverse("articles:feed_poll", args=[feed.pk]))
    assert Job.objects.filter(feed=feed).count() == 1  # one pending poll is enough
    response = client.post(reverse("articles:feed_edit", args=[feed.pk]), {"title": "Renamed", "category": "tech"})
    assert response.status_code == 302
    feed.refresh_from_db()
    assert (feed.title, feed.category, feed.active) == ("Renamed", "tech", False)
    assert "inactive" in client.get(reverse("articles:feeds")).content.decode()


# --- candidates -------------------------------------------------------------------------------


def test_candidates_hide_stale_news_unless_asked(client, collector):
    news = Feed.objects.create(url="https://news.example.com/rss", title="News site", category="news")
    fresh = candidate(news, "https://news.example.com/fresh", title="Fresh news", days_old=3)
    stale = candidate(news, "https://news.example.com/old", title="Old news", days_old=20)
    page = client.get(reverse("articles:candidates")).content.decode()
    assert fresh.title in page and stale.title not in page
    page = client.get(reverse("articles:candidates") + "?stale=1").content.decode()
    assert stale.title in page and "Stale" in page


def test_collect_and_dismiss_candidates_in_place(client, collector):
    feed = Feed.objects.create(url="https://blog.example.com/feed", category="talk")
    one = candidate(feed, "https://blog.example.com/one")
    two = candidate(feed, "https://blog.example.com/two")
    response = client.post(reverse("articles:candidate_collect", args=[one.pk]), **htmx())
    row = response.content.decode()
    assert response.status_code == 200 and f'id="candidate-{one.pk}"' in row and "Collected as article" in row
    one.refresh_from_db()
    assert one.status == FeedEntry.Status.COLLECTED and one.article.category == "talk"
    assert one.article.collector == collector
    response = client.post(reverse("articles:candidate_dismiss", args=[two.pk]), **htmx())
    assert response.status_code == 200 and "Dismissed" in response.content.decode()
    two.refresh_from_db()
    assert two.status == FeedEntry.Status.DISMISSED and two.decided_by == collector
    # Without htmx: a redirect and a message.
    again = client.post(reverse("articles:candidate_collect", args=[two.pk]), follow=True)
    assert "already handled" in again.content.decode()
    assert Article.objects.count() == 1


def test_collecting_a_candidate_already_collected_by_address_links_to_it(client, collector):
    feed = Feed.objects.create(url="https://blog.example.com/feed")
    entry = candidate(feed, "https://blog.example.com/dup")
    existing = ArticleFactory(via="https://blog.example.com/dup/", via_normalized="https://blog.example.com/dup")
    row = client.post(reverse("articles:candidate_collect", args=[entry.pk]), **htmx()).content.decode()
    assert "Already collected" in row and existing.get_absolute_url() in row
    assert Article.objects.count() == 1


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_collector_page_renders_in_both_languages(client, collector, settings, language):
    settings.LANGUAGE_CODE = language
    feed = Feed.objects.create(url="https://blog.example.com/feed", title="Blog", last_status="OK")
    candidate(feed, "https://blog.example.com/c")
    failed = ArticleFactory(collector=collector, state=ArticleState.FETCH_FAILED, source_markdown="")
    Job.objects.create(kind=Job.Kind.FETCH, article=failed, status=Job.Status.FAILED, error="HTTP 404")
    queued = ArticleFactory(collector=collector, state=ArticleState.NEW, source_markdown="")
    Job.objects.create(kind=Job.Kind.FETCH, article=queued, status=Job.Status.QUEUED)
    urls = [reverse(COLLECT), reverse("articles:collect_status"), reverse("articles:feeds"),
            reverse("articles:feed_edit", args=[feed.pk]), reverse("articles:candidates"),
            reverse("articles:prepare", args=[failed.pk]), reverse("articles:prepare", args=[queued.pk]),
            reverse("workflow:notifications"), reverse("workflow:notification_preferences")]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "{%" not in response.content.decode() and "%(" not in response.content.decode(), url
