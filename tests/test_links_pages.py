"""Link pages: the report on the article page, the "Check links" action (a CHECK_LINKS job),
the source/translation comparison on the translate and review pages, the admin report."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import articles.tasks  # noqa: F401 - registers the job handlers, as in a worker
from articles import jobs
from articles.link_services import check_article_links, record_article_links
from articles.models import Article, ArticleState, Job, LinkStatus
from tests.factories import ArticleFactory, make_user, set_translation
from tests.httpfixtures import LocalHTTPServer
from workflow import aggregates, fragments, services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def server(settings):
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = True
    with LocalHTTPServer(hosts=["127.0.0.10"]) as srv:
        srv.route("/alive")
        srv.route("/dead", status=404)
        yield srv


@pytest.fixture
def people(db):
    return {
        "cora": make_user("cora", "collector"),
        "alice": make_user("alice", "translator"),
        "rita": make_user("rita", "reviewer"),
        "sam": make_user("sam", "translator"),
    }


def article_with_links(server, people, **extra):
    source = (f"Read [the docs]({server.url('/alive')}) and [the old page][1].\n\n"
              f"[1]: {server.url('/dead')}\n")
    article = ArticleFactory(collector=people["cora"], source_markdown=source, **extra)
    record_article_links(article=article)
    return article


def detail(client, article) -> str:
    return client.get(reverse("workflow:article_detail", args=[article.pk])).content.decode()


def test_article_page_shows_the_link_report_with_failures_first(client, server, people):
    article = article_with_links(server, people)
    LinkStatus.objects.filter(url=server.url("/dead")).update(result="broken", status_code=404,
                                                              checked_at=timezone.now())
    LinkStatus.objects.filter(url=server.url("/alive")).update(result="ok", status_code=200,
                                                               checked_at=timezone.now())
    client.force_login(people["sam"])
    page = detail(client, article)
    report = page[page.index('id="links"'):]
    assert "Broken: 1" in report and "OK: 1" in report
    assert report.index(server.url("/dead")) < report.index(server.url("/alive"))
    assert "1 other link" in report


def test_check_links_is_for_the_articles_people_and_editors(client, server, people):
    article = article_with_links(server, people)
    check = reverse("articles:check_links", args=[article.pk])
    client.force_login(people["sam"])  # a translator with nothing to do with it
    assert f'action="{check}"' not in detail(client, article)
    assert client.post(check).status_code == 403
    assert not Job.objects.exists()
    for name in ("cora", "rita"):
        client.force_login(people[name])
        assert f'action="{check}"' in detail(client, article)
    anonymous_refused = client.__class__().post(check)
    assert anonymous_refused.status_code == 302 and not Job.objects.exists()


def test_check_links_runs_a_job_and_the_report_polls_until_it_is_done(client, server, people):
    article = article_with_links(server, people)
    client.force_login(people["cora"])
    check = reverse("articles:check_links", args=[article.pk])
    response = client.post(check, HTTP_HX_REQUEST="true")
    fragment = response.content.decode()
    assert response.status_code == 200
    assert "Checking the links" in fragment and 'hx-trigger="every 3s"' in fragment
    client.post(check, HTTP_HX_REQUEST="true")  # a second click while it runs
    job = Job.objects.get(kind=Job.Kind.CHECK_LINKS)
    assert jobs.run_job(job.pk) == "done"
    fragment = client.get(reverse("articles:link_report", args=[article.pk])).content.decode()
    assert "hx-trigger" not in fragment
    assert "Broken: 1" in fragment and "OK: 1" in fragment and "(404)" in fragment
    assert Job.objects.get(pk=job.pk).result["counts"] == {"ok": 1, "broken": 1}


def test_link_report_of_a_withdrawn_article_is_not_public(client, server, people):
    article = article_with_links(server, people, state=ArticleState.WITHDRAWN, withdrawn_at=timezone.now())
    assert client.get(reverse("articles:link_report", args=[article.pk])).status_code == 403


def test_unsafe_urls_in_a_report_are_not_clickable(client, server, people):
    article = ArticleFactory(collector=people["cora"],
                             source_markdown="[click](javascript:alert(1)) and [mail](mailto:a@example.org)\n")
    record_article_links(article=article)
    client.force_login(people["cora"])
    page = detail(client, article)
    assert 'href="javascript:' not in page and "<code>javascript:alert(1)</code>" in page


# --- the cached report (under the links version) ------------------------------------------------


def report_of(client, article) -> str:
    page = detail(client, article)
    start = page.index('id="links"')
    return page[start:page.index("</section>", start)]


def test_the_cached_report_follows_every_change_behind_it(client, server, people):
    fragments.clear_local()
    article = article_with_links(server, people)
    other = ArticleFactory(source_markdown=f"The [same page]({server.url('/dead')}).\n")
    record_article_links(article=other)
    reader = Client(HTTP_ACCEPT_LANGUAGE="en")  # someone who may read it but not check it
    reader.force_login(people["sam"])
    assert "Not checked yet: 2" in report_of(reader, article)
    with CaptureQueriesContext(connection) as queries:
        assert "Not checked yet: 2" in report_of(reader, article)
    assert not [q["sql"] for q in queries if "articles_articlelink" in q["sql"]]  # a hit reads no link

    # Checking another article that links the same address changes this report too.
    check_article_links(article=other)
    report = report_of(reader, article)
    assert "Broken: 1" in report and "Not checked yet: 1" in report

    # A check queued from the page shows as running, then its results.
    client.force_login(people["cora"])
    client.post(reverse("articles:check_links", args=[article.pk]))
    assert "Checking the links" in report_of(reader, article)
    assert jobs.run_job(Job.objects.get(kind=Job.Kind.CHECK_LINKS).pk) == "done"
    report = report_of(reader, article)
    assert "Checking the links" not in report and "Broken: 1" in report and "OK: 1" in report

    # A link added to the source, recorded; a status corrected by hand.
    Article.objects.filter(pk=article.pk).update(
        source_markdown=article.source_markdown + f"\nAnd [a new one]({server.url('/new')}).\n")
    article.refresh_from_db()
    record_article_links(article=article)
    assert server.url("/new") in report_of(reader, article)
    LinkStatus.objects.filter(url=server.url("/dead")).update(result="ok", status_code=200)
    assert "Broken" not in report_of(reader, article)

    # Who may ask for a check is part of the key: the same version, two answers.
    check = reverse("articles:check_links", args=[article.pk])
    assert f'action="{check}"' in report_of(client, article)
    assert f'action="{check}"' not in report_of(reader, article)


def test_jobs_that_are_not_link_checks_leave_the_links_version_alone(people):
    article = ArticleFactory()
    before = aggregates.links_version()
    job = Job.objects.create(kind=Job.Kind.FETCH, article=article)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
    assert aggregates.links_version() == before
    check = Job.objects.create(kind=Job.Kind.CHECK_LINKS, article=article)
    after_queued = aggregates.links_version()
    assert after_queued != before
    Job.objects.filter(pk=check.pk).update(attempts=1)  # neither its state nor its article
    assert aggregates.links_version() == after_queued
    Job.objects.filter(pk=check.pk).update(status=Job.Status.DONE)
    assert aggregates.links_version() != after_queued


@pytest.mark.postgres  # SQLite triggers cannot be deferred: there the version moves at each write
@pytest.mark.django_db(transaction=True)
def test_in_production_the_links_version_moves_when_the_check_commits(server):
    article = ArticleFactory(source_markdown=f"[dead]({server.url('/dead')})\n")
    record_article_links(article=article)
    before = aggregates.links_version()
    with pytest.raises(RuntimeError), transaction.atomic():
        LinkStatus.objects.update(result="broken")
        raise RuntimeError
    assert aggregates.links_version() == before
    with transaction.atomic():
        LinkStatus.objects.update(result="broken")
        assert aggregates.links_version() == before  # moved at COMMIT, with the rows it stands for
    assert aggregates.links_version() != before


# --- comparison on translate and review pages ---------------------------------------------------


SOURCE = """\
Install it with [the package manager][1] and read [the guide][2].

See <https://ops.example.org/faq> too.

[1]: https://ops.example.org/packages
[2]: https://ops.example.org/guide
"""

TRANSLATION = """\
# 安装

用[包管理器][1]安装它，阅读[指南][2]，另见[新链接](https://ops.example.org/extra)。

[1]: https://ops.example.org/packages
[2]: https://ops.example.org/guide-v2
"""


def test_translator_sees_missing_changed_and_extra_links_while_translating(client, people):
    article = ArticleFactory(collector=people["cora"], source_markdown=SOURCE)
    services.claim_article(article=article, user=people["alice"])
    set_translation(article, TRANSLATION)
    client.force_login(people["alice"])
    page = client.get(reverse("workflow:translate", args=[article.pk])).content.decode()
    section = page[page.index('id="link-comparison"'):]
    assert "Missing from the translation" in section and "https://ops.example.org/faq" in section
    assert "Changed" in section and "https://ops.example.org/guide-v2" in section
    assert "Only in the translation" in section and "https://ops.example.org/extra" in section


def test_reviewer_sees_the_comparison_of_the_submitted_translation(client, people):
    article = ArticleFactory(collector=people["cora"], source_markdown=SOURCE)
    services.claim_article(article=article, user=people["alice"])
    clean = TRANSLATION.replace("guide-v2", "guide").replace("，另见[新链接](https://ops.example.org/extra)", "") \
        + "\n另见 <https://ops.example.org/faq>。\n"
    services.save_draft(article=article, user=people["alice"], text=clean, title="安装", base_version=article.version)
    services.submit_translation(article=article, user=people["alice"])
    client.force_login(people["rita"])
    page = client.get(reverse("workflow:review", args=[article.pk])).content.decode()
    assert "Every link of the source is in the translation, unchanged." in page


# --- admin ------------------------------------------------------------------------------------


def test_admin_broken_links_report_lists_failures_across_articles(client, server, people):
    first = article_with_links(server, people)
    second = ArticleFactory(collector=people["cora"], source_markdown=f"[again]({server.url('/dead')})\n",
                            subject="Second article")
    record_article_links(article=second)
    LinkStatus.objects.filter(url=server.url("/dead")).update(result="broken", status_code=404,
                                                              checked_at=timezone.now())
    LinkStatus.objects.filter(url=server.url("/alive")).update(result="ok", checked_at=timezone.now())
    url = reverse("admin:articles_linkstatus_broken")
    client.force_login(people["sam"])
    assert client.get(url).status_code == 302  # not staff: the admin's login
    staff = make_user("eddie", "reviewer", is_staff=True, is_superuser=True)
    client.force_login(staff)
    page = client.get(url).content.decode()
    assert server.url("/dead") in page and server.url("/alive") not in page
    assert "2:" in page and first.display_title in page and "Second article" in page
    assert reverse("admin:articles_linkstatus_broken") in client.get(
        reverse("admin:articles_linkstatus_changelist")).content.decode()
    assert server.url("/dead") not in client.get(url + "?result=timeout").content.decode()


def test_admin_retries_a_failed_fetch_through_the_workflow(client, people):
    from articles import services as collect

    article = collect.collect_article(url="https://blog.example.com/admin-retry", user=people["cora"])
    job = Job.objects.get(article=article)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED, error="HTTP 500")
    services.mark_fetch_failed(article=article, reason="HTTP 500")
    staff = make_user("eddie", "reviewer", is_staff=True, is_superuser=True)
    client.force_login(staff)
    response = client.post(reverse("admin:articles_job_changelist"),
                           {"action": "retry_selected", "_selected_action": [str(job.pk)]})
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.state == ArticleState.NEW
    assert Job.objects.filter(article=article, status=Job.Status.QUEUED).count() == 1
