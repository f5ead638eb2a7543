"""Source drift against a real local HTTP server: the source post of a translated article
changes one paragraph → exactly that paragraph is flagged, the translator and the reviewer
are notified once, and the translate page marks the translated paragraph that follows it.
Unchanged pages, 304s, whitespace and tracking parameters are not drift.

The article comes through the real pipeline (collect → FETCH job → snapshot with its ETag);
the DRIFT jobs run in-process through ``articles.jobs.run_job``.
"""

from __future__ import annotations

import hashlib
import html
import re

import pytest
from aiohttp import web
from django.test import Client
from django.urls import reverse

import articles.tasks  # noqa: F401 - registers the job handlers, as in a worker
from articles import drift, jobs
from articles import services as collect
from articles.models import Article, ArticleState, Job, SourceSnapshot
from tests.collect_pages import STRACE_PATH, STRACE_POST
from tests.factories import make_user
from tests.httpfixtures import LocalHTTPServer
from workflow import services
from workflow.models import Event, EventAction, Notification
from workflow.quality import align, parse_markdown
from workflow.quality.pseudo import pseudo_translate

pytestmark = pytest.mark.django_db

OLD_SENTENCE = "watching those calls often shows the cause\n      within seconds."
NEW_SENTENCE = "watching those calls usually shows the cause\n      within a minute or two."


class SourcePage:
    """The source post: ETag from the body, 304 for a matching conditional request."""

    def __init__(self, server: LocalHTTPServer, path: str = STRACE_PATH) -> None:
        self.body = STRACE_POST
        self.statuses: list[int] = []
        self.conditional: list[dict] = []
        server.route(path, handler=self.handle)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body.encode()).hexdigest()[:16] + '"'

    async def handle(self, request: web.Request) -> web.Response:
        self.conditional.append({k: v for k, v in request.headers.items() if k.lower().startswith("if-")})
        if request.headers.get("If-None-Match") == self.etag:
            self.statuses.append(304)
            return web.Response(status=304, headers={"ETag": self.etag})
        self.statuses.append(200)
        return web.Response(text=self.body, content_type="text/html", headers={"ETag": self.etag})


@pytest.fixture
def server(settings):
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = True
    settings.LANGUAGE_CODE = "en"
    with LocalHTTPServer(hosts=["127.0.0.11"]) as srv:
        yield srv


@pytest.fixture
def people(db):
    return {
        "cora": make_user("cora", "collector"),
        "alice": make_user("alice", "translator"),
        "bob": make_user("bob", "translator"),
        "rita": make_user("rita", "reviewer"),
    }


def fetched_article(server, people, page: SourcePage) -> Article:
    """Collected, fetched by the FETCH job, made available, claimed and translated by alice."""
    article = collect.collect_article(url=server.url(STRACE_PATH), user=people["cora"])
    job = Job.objects.get(article=article, kind=Job.Kind.FETCH)
    assert jobs.run_job(job.pk) == "done"
    article.refresh_from_db()
    services.make_available(article=article, user=people["cora"])
    services.claim_article(article=article, user=people["alice"])
    services.save_draft(article=article, user=people["alice"], text=pseudo_translate(article.source_markdown),
                        title="用 strace 跟踪系统调用", base_version=article.version)
    article.refresh_from_db()
    return article


@pytest.fixture
def run_drift(django_capture_on_commit_callbacks):
    """Schedule the weekly checks and run their jobs as a worker would (notifications are
    written on commit, so the commit callbacks run)."""

    def run() -> list[dict]:
        drift.schedule_drift_checks()
        results = []
        for job in Job.objects.filter(kind=Job.Kind.DRIFT, status=Job.Status.QUEUED).order_by("pk"):
            with django_capture_on_commit_callbacks(execute=True):
                assert jobs.run_job(job.pk) == "done"
            results.append(Job.objects.get(pk=job.pk).result["articles"])
        return results

    return run


def changed_block_index(markdown: str) -> int:
    doc = parse_markdown(markdown)
    return next(b.index for b in doc.blocks if "within seconds" in b.text)


# --- drift through the whole pipeline --------------------------------------------------------


def test_one_changed_paragraph_is_flagged_notified_and_marked(server, people, run_drift):
    page = SourcePage(server)
    article = fetched_article(server, people, page)
    first = SourceSnapshot.objects.get(article=article)
    assert first.etag == page.etag
    old_source = article.source_markdown
    k = changed_block_index(old_source)

    page.body = STRACE_POST.replace(OLD_SENTENCE, NEW_SENTENCE)
    [results] = run_drift()
    assert results[str(article.pk)] == {"outcome": "changed", "paragraphs": [k]}
    assert page.conditional[-1]["If-None-Match"] == first.etag   # a conditional GET

    snapshot = SourceSnapshot.objects.filter(article=article).latest("fetched_at")
    assert snapshot.pk != first.pk and snapshot.etag == page.etag
    assert snapshot.changed_paragraphs == [k]
    [op] = snapshot.diff
    assert (op["op"], op["old"], op["new"]) == ("replace", [k], [k])
    assert "within seconds" in op["old_text"][0] and "within a minute or two" in op["new_text"][0]
    article.refresh_from_db()
    assert article.source_changed_at is not None
    assert article.source_markdown == old_source        # the translation still follows the old text
    [event] = Event.objects.filter(article=article, action=EventAction.SOURCE_CHANGED)
    assert event.actor is None and "1 source paragraphs changed" in event.note
    [note] = Notification.objects.filter(kind=Notification.Kind.SOURCE_CHANGED)
    assert note.user == people["alice"] and note.article_id == article.pk
    assert note.dedupe_key == f"source_changed:{snapshot.pk}"
    assert note.url == reverse("workflow:translate", args=[article.pk])

    # the translate page: the banner, the changed source paragraph, the translated one
    translation = parse_markdown(article.translation_markdown)
    source = parse_markdown(old_source)
    assert align(source.blocks, translation.blocks).partner_of_source(k) == (k,)
    line = translation.blocks[k].line
    alice = Client(HTTP_ACCEPT_LANGUAGE="en")
    alice.force_login(people["alice"])
    text = alice.get(reverse("workflow:translate", args=[article.pk])).content.decode()
    assert "Source updated" in text
    assert re.findall(r'class="issue-goto drift-target" href="#id_text" data-line="(\d+)"', text) == [str(line)]
    assert re.findall(r'class="src-block src-\w+(?: src-untranslated)? src-changed" id="src-block-(\d+)"', text) == [str(k)]
    assert f'"changed":[{line}]' in html.unescape(text)
    assert "Source updated" in alice.get(article.get_absolute_url()).content.decode()

    # checked again: the page answers 304 to the new ETag, nothing more is recorded
    [results] = run_drift()
    assert results[str(article.pk)] == {"outcome": "not_modified"}
    assert page.statuses[-1] == 304
    assert SourceSnapshot.objects.filter(article=article).count() == 2
    assert Event.objects.filter(article=article, action=EventAction.SOURCE_CHANGED).count() == 1
    assert Notification.objects.filter(kind=Notification.Kind.SOURCE_CHANGED).count() == 1


def test_translator_and_reviewer_are_notified_and_may_take_the_new_source(server, people, run_drift):
    page = SourcePage(server)
    article = fetched_article(server, people, page)
    services.submit_translation(article=article, user=people["alice"])
    services.start_review(article=article, user=people["rita"])
    page.body = STRACE_POST.replace(OLD_SENTENCE, NEW_SENTENCE)
    run_drift()
    notified = dict(Notification.objects.filter(kind=Notification.Kind.SOURCE_CHANGED)
                    .values_list("user__username", "url"))
    assert notified == {"alice": article.get_absolute_url(), "rita": article.get_absolute_url()}

    rita = Client(HTTP_ACCEPT_LANGUAGE="en")
    rita.force_login(people["rita"])
    review = rita.get(reverse("workflow:review", args=[article.pk])).content.decode()
    assert "Source updated" in review and "Use the updated source" in review

    bob = Client(HTTP_ACCEPT_LANGUAGE="en")
    bob.force_login(people["bob"])
    assert bob.post(reverse("workflow:source_update", args=[article.pk]), {"decision": "accept"}).status_code == 403

    response = rita.post(reverse("workflow:source_update", args=[article.pk]), {"decision": "accept"})
    assert response.status_code == 302
    article.refresh_from_db()
    latest = drift.latest_snapshot(article)
    assert article.source_changed_at is None and article.source_markdown == latest.markdown
    assert "within a minute or two" in article.source_markdown
    decided = Event.objects.filter(article=article, action=EventAction.SOURCE_CHANGED).order_by("pk").last()
    assert decided.actor == people["rita"] and "Accepted the updated source" in decided.note
    assert "Source updated" not in rita.get(reverse("workflow:review", args=[article.pk])).content.decode()
    # nothing left to decide
    again = rita.post(reverse("workflow:source_update", args=[article.pk]), {"decision": "accept"}, follow=True)
    assert "nothing to update" in again.content.decode()


def test_the_translator_may_keep_the_current_source(server, people, run_drift):
    page = SourcePage(server)
    article = fetched_article(server, people, page)
    old_source = article.source_markdown
    page.body = STRACE_POST.replace(OLD_SENTENCE, NEW_SENTENCE)
    run_drift()
    drift.dismiss_source_update(article=article, user=people["alice"])
    article.refresh_from_db()
    assert article.source_changed_at is None and article.source_markdown == old_source
    # the next check compares with the latest snapshot: the same change is not reported again
    page.body = page.body + "\n"   # a new ETag, the same text
    [results] = run_drift()
    assert results[str(article.pk)] == {"outcome": "unchanged"}
    assert Article.objects.get(pk=article.pk).source_changed_at is None


@pytest.mark.parametrize("change", ["same page", "whitespace", "tracking parameters"])
def test_trivial_changes_are_not_drift(server, people, change, run_drift):
    page = SourcePage(server)
    article = fetched_article(server, people, page)
    if change == "whitespace":
        page.body = (STRACE_POST.replace("system calls. When a program\n      hangs", "system   calls.\n\n  When a program hangs")
                     .replace("<li>Trace a running", "<li>\n   Trace   a running"))
    elif change == "tracking parameters":
        page.body = (STRACE_POST.replace("strace.1.html", "strace.1.html?utm_source=feed&utm_medium=rss")
                     .replace("../filtering-output/", "../filtering-output/?utm_campaign=weekly&fbclid=abc"))
    page.body += "<!-- served again -->"   # a new ETag either way, so the page is fetched and compared
    [results] = run_drift()
    assert results[str(article.pk)] == {"outcome": "unchanged"}
    assert page.statuses[-1] == 200
    article.refresh_from_db()
    assert article.source_changed_at is None
    assert SourceSnapshot.objects.filter(article=article).count() == 1
    assert not Event.objects.filter(article=article, action=EventAction.SOURCE_CHANGED).exists()
    assert not Notification.objects.filter(kind=Notification.Kind.SOURCE_CHANGED).exists()
    # the snapshot now carries the new validators: next week's request is answered with a 304
    assert SourceSnapshot.objects.get(article=article).etag == page.etag
    [results] = run_drift()
    assert results[str(article.pk)] == {"outcome": "not_modified"} and page.statuses[-1] == 304


def test_articles_without_a_snapshot_get_a_baseline_and_failures_are_recorded(server, people, run_drift):
    page = SourcePage(server)
    imported = fetched_article(server, people, page)
    SourceSnapshot.objects.filter(article=imported).delete()      # as for an article imported from LCTT
    gone = fetched_article_at(server, people, "/gone/")
    [results] = run_drift()
    assert results[str(imported.pk)] == {"outcome": "baseline"}
    assert results[str(gone.pk)]["outcome"] == "fetch_error"
    assert SourceSnapshot.objects.filter(article=imported).count() == 1
    assert Article.objects.get(pk=imported.pk).source_changed_at is None


def fetched_article_at(server, people, path: str) -> Article:
    """A claimed article whose source URL now answers 404."""
    server.route(path, status=404)
    article = Article.objects.create(subject="Gone", via=server.url(path), via_normalized=server.url(path),
                                     state=ArticleState.AVAILABLE, source_markdown="Gone.\n")
    services.claim_article(article=article, user=people["bob"])
    return article


def test_the_schedule_batches_the_articles_that_can_drift(people):
    from tests.factories import ArticleFactory

    claimed = [ArticleFactory() for _ in range(3)]
    for article in claimed:
        services.claim_article(article=article, user=make_user(f"t{article.pk}"))
    ArticleFactory()                                         # available: nobody translates it yet
    assert drift.schedule_drift_checks(batch_size=2) == 2
    batches = [job.payload["article_ids"] for job in Job.objects.filter(kind=Job.Kind.DRIFT).order_by("pk")]
    assert batches == [[claimed[0].pk, claimed[1].pk], [claimed[2].pk]]
    assert drift.schedule_drift_checks(batch_size=2) == 0   # not while those are still queued


# --- comparing -------------------------------------------------------------------------------

BASE = """\
Intro paragraph with a [link](https://example.org/a) and more words.

Second paragraph, see [the docs][1].

Third paragraph
wrapped over two lines.

[1]: https://example.org/docs
"""


def test_compare_ignores_whitespace_tracking_parameters_and_reference_numbers():
    assert not drift.compare_sources(BASE, BASE).changed
    wrapped = BASE.replace("Third paragraph\nwrapped over two lines.", "Third   paragraph wrapped\n  over two lines.")
    assert not drift.compare_sources(BASE, wrapped).changed
    tracked = BASE.replace("https://example.org/a)", "https://example.org/a?utm_source=x&utm_medium=y)").replace(
        "[1]: https://example.org/docs", "[1]: https://example.org/docs?fbclid=123")
    assert not drift.compare_sources(BASE, tracked).changed
    # a link added to the first paragraph renumbers the references: only that paragraph changed
    renumbered = BASE.replace("a [link](https://example.org/a)", "a [link][1] and [another][2]").replace(
        "[the docs][1]", "[the docs][3]").replace(
        "[1]: https://example.org/docs", "[1]: https://example.org/a\n[2]: https://example.org/b\n[3]: https://example.org/docs")
    diff = drift.compare_sources(BASE, renumbered)
    assert diff.changed_old == [0] and [op["op"] for op in diff.ops] == ["replace"]
    # a real change of a link target is drift
    moved = BASE.replace("[1]: https://example.org/docs", "[1]: https://example.org/manual")
    assert drift.compare_sources(BASE, moved).changed_old == [1]


def test_compare_reports_added_and_removed_paragraphs():
    added = BASE.replace("Second paragraph", "A new paragraph.\n\nSecond paragraph")
    diff = drift.compare_sources(BASE, added)
    assert diff.changed_old == [] and [(op["op"], op["new"]) for op in diff.ops] == [("insert", [1])]
    removed = BASE.replace("Second paragraph, see [the docs][1].\n\n", "")
    diff = drift.compare_sources(BASE, removed)
    assert diff.changed_old == [1] and diff.ops[0]["op"] == "delete"
