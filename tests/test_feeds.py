"""Feeds: conditional GET against a local feed server, candidates deduplicated, stale news,
failures recorded, polls scheduled once per feed."""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime

import pytest
from aiohttp import web
from django.utils import timezone

import articles.tasks  # noqa: F401 - registers the job handlers, as in a worker
from articles import feeds, jobs, selectors
from articles.models import Article, Feed, FeedEntry, Job
from articles.urlnorm import normalize_url
from tests.factories import ArticleFactory, make_user
from tests.httpfixtures import LocalHTTPServer
from workflow.services import InvalidInput, NotAllowed

pytestmark = pytest.mark.django_db


def rss(items: list[tuple[str, str, dt.datetime]], *, title: str = "Example Ops Blog") -> str:
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><author>ops@example.org (Ada Fernsby)</author>"
        f"<description>&lt;p&gt;About {t}&lt;/p&gt;</description><pubDate>{format_datetime(when)}</pubDate></item>"
        for t, link, when in items
    )
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
            f"<link>https://ops.example.org/</link><description>d</description>{body}</channel></rss>")


class FeedServer:
    """A feed with ETag and Last-Modified that answers conditional requests with 304."""

    def __init__(self, server: LocalHTTPServer, path: str = "/feed.xml") -> None:
        self.server, self.path = server, path
        self.version = 0
        self.body = ""
        self.modified = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
        self.statuses: list[int] = []
        server.route(path, handler=self.handle)

    def publish(self, body: str) -> None:
        self.version += 1
        self.body = body
        self.modified += dt.timedelta(hours=1)

    @property
    def etag(self) -> str:
        return f'"v{self.version}"'

    async def handle(self, request: web.Request) -> web.Response:
        last_modified = format_datetime(self.modified, usegmt=True)
        headers = {"ETag": self.etag, "Last-Modified": last_modified}
        if request.headers.get("If-None-Match") == self.etag or request.headers.get("If-Modified-Since") == last_modified:
            self.statuses.append(304)
            return web.Response(status=304, headers=headers)
        self.statuses.append(200)
        return web.Response(text=self.body, headers=headers, content_type="application/rss+xml")

    @property
    def url(self) -> str:
        return self.server.url(self.path)


@pytest.fixture
def server(settings):
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = True
    settings.LANGUAGE_CODE = "en"
    with LocalHTTPServer(hosts=["127.0.0.8"]) as srv:
        yield srv


@pytest.fixture
def collector():
    return make_user("carol", "collector")


def days_ago(n: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=n)


def poll(feed: Feed) -> str:
    job = feeds.poll_feed_now(feed=feed, user=feed.created_by)
    return jobs.run_job(job.pk)


def add(url: str, collector, **extra) -> Feed:
    feed = feeds.add_feed(url=url, user=collector, **extra)
    Job.objects.filter(feed=feed).delete()  # the first poll add_feed queued; tests poll themselves
    return feed


def test_second_poll_is_a_304_and_adds_nothing(server, collector):
    source = FeedServer(server)
    source.publish(rss([
        ("First post", "https://ops.example.org/2025/first/", days_ago(2)),
        ("Second post", "https://ops.example.org/2025/second/?utm_source=rss", days_ago(1)),
    ]))
    feed = add(source.url, collector)
    assert poll(feed) == "done"
    feed.refresh_from_db()
    assert feed.title == "Example Ops Blog"  # taken from the feed
    assert (feed.etag, feed.last_modified) == (source.etag, format_datetime(source.modified, usegmt=True))
    entries = FeedEntry.objects.filter(feed=feed).order_by("published_at")
    assert [e.title for e in entries] == ["First post", "Second post"]
    assert entries[1].url_normalized == "https://ops.example.org/2025/second"
    assert entries[0].author == "ops@example.org (Ada Fernsby)" and entries[0].summary == "About First post"

    assert poll(feed) == "done"
    assert source.statuses == [200, 304]
    request = server.requests_for("/feed.xml")[-1]
    assert request.headers["If-None-Match"] == source.etag
    assert request.headers["If-Modified-Since"] == feed.last_modified
    assert "application/atom+xml" in request.headers["Accept"]
    feed.refresh_from_db()
    assert feed.last_status == "Not modified"
    assert FeedEntry.objects.count() == 2
    assert Job.objects.filter(feed=feed).latest("pk").result["not_modified"] is True


def test_a_changed_feed_adds_only_the_new_entries(server, collector):
    source = FeedServer(server)
    old = [("First post", "https://ops.example.org/2025/first/", days_ago(2))]
    source.publish(rss(old))
    feed = add(source.url, collector)
    poll(feed)
    source.publish(rss([("Third post", "https://ops.example.org/2025/third/", days_ago(0.5)), *old]))
    poll(feed)
    assert source.statuses == [200, 200]
    assert sorted(FeedEntry.objects.values_list("title", flat=True)) == ["First post", "Third post"]
    feed.refresh_from_db()
    assert feed.last_status == "OK: 1 new of 2 entries" and feed.etag == source.etag


def test_entries_are_deduplicated_against_articles_and_other_feeds(server, collector):
    ArticleFactory(via="https://ops.example.org/2025/collected/",
                   via_normalized=normalize_url("https://ops.example.org/2025/collected/"))
    first, second = FeedServer(server, "/a.xml"), FeedServer(server, "/b.xml")
    first.publish(rss([("Shared", "https://ops.example.org/2025/shared/", days_ago(1))]))
    second.publish(rss([
        ("Shared again", "https://OPS.example.org/2025/shared?utm_medium=feed#top", days_ago(1)),
        ("Already an article", "https://ops.example.org/2025/collected/amp/", days_ago(1)),
        ("Twice in one feed", "https://ops.example.org/2025/twice/", days_ago(1)),
        ("Twice in one feed", "https://ops.example.org/2025/twice", days_ago(1)),
        ("Not a web link", "javascript:alert(1)", days_ago(1)),
    ]))
    feed_a, feed_b = add(first.url, collector), add(second.url, collector)
    poll(feed_a)
    poll(feed_b)
    assert list(FeedEntry.objects.filter(feed=feed_a).values_list("title", flat=True)) == ["Shared"]
    assert list(FeedEntry.objects.filter(feed=feed_b).values_list("title", flat=True)) == ["Twice in one feed"]
    assert Job.objects.filter(feed=feed_b).latest("pk").result["added"] == 1


def test_stale_news_is_marked_and_kept_out_of_the_default_list(server, collector, settings):
    settings.NEWS_STALE_DAYS = 14
    news, tech = FeedServer(server, "/news.xml"), FeedServer(server, "/tech.xml")
    news.publish(rss([("Fresh news", "https://news.example.org/fresh", days_ago(3)),
                      ("Old news", "https://news.example.org/old", days_ago(20))]))
    tech.publish(rss([("Old tutorial", "https://ops.example.org/old-tutorial", days_ago(40))]))
    poll(add(news.url, collector, category="news"))
    poll(add(tech.url, collector, category="tech"))
    by_title = {e.title: e for e in FeedEntry.objects.select_related("feed")}
    assert feeds.is_stale(by_title["Old news"])
    assert not feeds.is_stale(by_title["Fresh news"]) and not feeds.is_stale(by_title["Old tutorial"])
    assert sorted(e.title for e in selectors.candidates()) == ["Fresh news", "Old tutorial"]
    marked = {e.title: e.stale for e in selectors.candidates(include_stale=True)}
    assert marked == {"Fresh news": False, "Old news": True, "Old tutorial": False}
    settings.NEWS_STALE_DAYS = 30  # judged at read time: a longer limit makes it fresh again
    assert not feeds.is_stale(by_title["Old news"])


def test_atom_feeds_work_too(server, collector):
    atom = ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            "<title>Atom site</title><id>urn:x</id><updated>2025-03-01T00:00:00Z</updated>"
            '<entry><title>Atom entry</title><link href="/2025/atom-entry/"/><id>urn:e</id>'
            "<updated>2025-03-01T00:00:00Z</updated><author><name>Bo</name></author></entry></feed>")
    server.route("/atom", body=atom, content_type="application/atom+xml")
    feed = add(server.url("/atom"), collector)
    assert poll(feed) == "done"
    entry = FeedEntry.objects.get()
    assert entry.url == server.url("/2025/atom-entry/")  # relative link resolved against the feed
    assert (entry.title, entry.author) == ("Atom entry", "Bo")
    assert entry.published_at == dt.datetime(2025, 3, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(("route", "message"), [
    ({"body": "<html><body><p>hello</p></body></html>", "content_type": "text/html"},
     "Not an RSS or Atom feed (the server sent text/html)"),
    ({"body": "this is not xml at all", "content_type": "application/xml"}, "Not an RSS or Atom feed"),
    ({"status": 404}, "HTTP 404"),
])
def test_a_feed_that_fails_keeps_the_reason(server, collector, route, message):
    server.route("/bad", **route)
    feed = add(server.url("/bad"), collector)
    assert poll(feed) == "failed"
    feed.refresh_from_db()
    assert feed.last_status == message and feed.last_polled_at is not None
    assert not FeedEntry.objects.exists()


def test_a_transient_feed_failure_is_retried(server, collector):
    server.route("/busy", body=rss([("Later", "https://ops.example.org/later", days_ago(1))]),
                 content_type="application/rss+xml", fail_times=1, fail_status=503)
    feed = add(server.url("/busy"), collector)
    job = feeds.poll_feed_now(feed=feed, user=collector)
    assert jobs.run_job(job.pk) == "retry"
    Job.objects.filter(pk=job.pk).update(not_before=None)
    assert jobs.run_job(job.pk) == "done"
    assert FeedEntry.objects.get().title == "Later"


def test_feed_bodies_are_never_opened_as_urls_or_files():
    with pytest.raises(feeds.FeedError):
        feeds.parse_feed(b"/etc/passwd", url="https://x.example.org/feed")
    with pytest.raises(feeds.FeedError):
        feeds.parse_feed(b"http://127.0.0.1:9/feed.xml", url="https://x.example.org/feed")


def test_schedule_queues_one_poll_per_active_feed(collector):
    active = Feed.objects.create(url="https://a.example.org/feed")
    Feed.objects.create(url="https://b.example.org/feed", active=False)
    busy = Feed.objects.create(url="https://c.example.org/feed")
    feeds.poll_feed_now(feed=busy, user=collector)
    assert feeds.schedule_feed_polls() == 1
    assert list(Job.objects.filter(kind=Job.Kind.POLL_FEED).values_list("feed", flat=True).order_by("pk")) == [
        busy.pk, active.pk]
    assert feeds.schedule_feed_polls() == 0  # both still pending


def test_managing_feeds_needs_a_collector_and_a_good_address(collector):
    translator = make_user("tom", "translator")
    with pytest.raises(NotAllowed):
        feeds.add_feed(url="https://ops.example.org/feed", user=translator)
    for url in ("http://127.0.0.1/feed", "file:///etc/passwd", "https://ops.example.org/" + "x" * 2100):
        with pytest.raises(InvalidInput):
            feeds.add_feed(url=url, user=collector)
    with pytest.raises(InvalidInput):
        feeds.add_feed(url="https://ops.example.org/feed", user=collector, category="poetry")
    assert not Feed.objects.exists()


def test_collecting_a_candidate_uses_the_feed_category(collector):
    feed = Feed.objects.create(url="https://news.example.org/feed", category="news")
    url = "https://news.example.org/2025/launch"
    entry = FeedEntry.objects.create(feed=feed, url=url, url_normalized=normalize_url(url),
                                     url_hash="h" * 64, title="Launch")
    article = feeds.collect_candidate(entry=entry, user=collector)
    entry.refresh_from_db()
    assert (article.category, entry.status, entry.article) == ("news", FeedEntry.Status.COLLECTED, article)
    assert Article.objects.count() == 1
