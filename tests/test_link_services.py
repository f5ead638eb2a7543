"""Recording an article's links, the per-article and cross-article reports, link comparison."""

from __future__ import annotations

import pytest

from articles.link_services import (
    article_link_report,
    broken_links,
    check_article_links,
    compare_links,
    record_article_links,
)
from articles.models import ArticleLink, LinkCheckResult, LinkStatus
from tests.factories import ArticleFactory
from tests.httpfixtures import LocalHTTPServer

FAST = {"backoff_base": 0.01, "timeout": 2.0, "max_retries": 1}


@pytest.fixture
def server(settings):
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = True
    with LocalHTTPServer(hosts=["127.0.0.2", "127.0.0.3"]) as srv:
        yield srv


SOURCE = """\
Intro with [a link](https://one.example.org/a) and ![pic][1].

More at <https://auto.example.org/>.

--------------------------------------------------------------------------------

via: https://source.example.org/post

作者：[Jane][a]
译者：[译者ID](https://github.com/译者ID)

[a]: https://source.example.org/author/jane
[1]: https://source.example.org/img.png
[2]: https://two.example.org/
"""

TRANSLATION = """\
介绍 [链接](https://one.example.org/a#section) 和 ![图][1]，另见 [新的](https://new.example.org/)。

--------------------------------------------------------------------------------

via: https://source.example.org/post

作者：[Jane][a]
译者：[wxy](https://github.com/wxy)

[a]: https://source.example.org/author/jane
[1]: https://source.example.org/other.png
[3]: https://three.example.org/
"""


@pytest.mark.django_db
def test_record_article_links_is_idempotent_and_tracks_where_links_are():
    article = ArticleFactory(source_markdown=SOURCE, translation_markdown=TRANSLATION)
    record_article_links(article=article)
    record_article_links(article=article)
    rows = {row.link.url: row for row in ArticleLink.objects.filter(article=article).select_related("link")}
    one = rows["https://one.example.org/a"]  # the fragment is not part of the checked URL
    assert one.in_source and one.in_translation and one.kinds == ["inline"]
    assert rows["https://new.example.org/"].in_translation and not rows["https://new.example.org/"].in_source
    assert rows["https://two.example.org/"].labels == ["2"] and not rows["https://two.example.org/"].in_translation
    author = rows["https://source.example.org/author/jane"]
    assert author.in_source and author.in_translation and author.labels == ["a"] and author.kinds == ["reference"]
    assert LinkStatus.objects.count() == len(rows)

    # An edit removes a link: its row goes, the shared status stays.
    article.translation_markdown = TRANSLATION.replace("[新的](https://new.example.org/)", "新的")
    article.source_markdown = ""
    article.save()
    record_article_links(article=article)
    urls = set(ArticleLink.objects.filter(article=article).values_list("link__url", flat=True))
    assert "https://new.example.org/" not in urls and "https://two.example.org/" not in urls
    assert all(not row.in_source for row in ArticleLink.objects.filter(article=article))
    assert LinkStatus.objects.filter(url="https://new.example.org/").exists()


@pytest.mark.django_db
def test_link_status_rows_are_shared_across_articles():
    first = ArticleFactory(source_markdown="[x](https://shared.example.org/)")
    second = ArticleFactory(source_markdown="see https://shared.example.org/ too")
    record_article_links(article=first)
    record_article_links(article=second)
    status = LinkStatus.objects.get(url="https://shared.example.org/")
    assert status.articles.count() == 2


@pytest.mark.django_db
def test_check_article_links_report_and_broken_links(server):
    server.route("/fine")
    server.route("/gone", status=404)
    server.route("/moved", status=301, location="/fine")
    markdown = (
        f"[fine]({server.url('/fine')}) [gone][1] ![img]({server.url('/moved', host='127.0.0.3')})\n"
        f"mail <mailto:team@example.org>\n\n[1]: {server.url('/gone')}\n"
    )
    article = ArticleFactory(source_markdown=markdown)
    other = ArticleFactory(source_markdown=f"[same]({server.url('/gone')})")
    report = check_article_links(article=article, checker_options=FAST)
    by_url = {entry.url: entry for entry in report.entries}
    assert by_url[server.url("/fine")].result == "ok"
    assert by_url[server.url("/gone")].result == "broken" and by_url[server.url("/gone")].labels == ["1"]
    assert by_url[server.url("/moved", host="127.0.0.3")].result == "redirect_permanent"
    assert by_url["mailto:team@example.org"].result == "skipped"
    assert report.has_failures and [e.url for e in report.failures] == [server.url("/gone")]
    assert report.entries[0].url == server.url("/gone")  # failures first
    assert report.counts == {"ok": 1, "broken": 1, "redirect_permanent": 1, "skipped": 1}
    assert LinkCheckResult.objects.count() == 4

    # The other article's identical link is answered from the cache.
    requests_before = len(server.requests)
    other_report = check_article_links(article=other, checker_options=FAST)
    assert other_report.entries[0].result == "broken"
    assert len(server.requests) == requests_before

    broken = list(broken_links())
    assert [(s.url, s.article_count) for s in broken] == [(server.url("/gone"), 2)]
    assert article_link_report(article=article).counts == report.counts


def test_compare_links_by_label_and_url():
    comparison = compare_links(SOURCE, TRANSLATION)
    assert [link.label for link in comparison.missing] == ["2"]
    assert [link.label for link in comparison.extra] == ["3"]
    assert [(c.label, c.source_url, c.translation_url) for c in comparison.changed] == [
        ("1", "https://source.example.org/img.png", "https://source.example.org/other.png")
    ]
    # Body links: the autolink was dropped, a new link was added; the fragment-only
    # difference and the footer credits (译者ID -> wxy) are not reported.
    assert [link.url for link in comparison.missing_urls] == ["https://auto.example.org/"]
    assert [link.url for link in comparison.extra_urls] == ["https://new.example.org/"]
    assert not comparison.is_clean


def test_compare_identical_links_is_clean():
    assert compare_links(SOURCE, SOURCE).is_clean
    assert compare_links("", "").is_clean
    tracking = compare_links("[x](https://a.example.org/p)", "[x](https://a.example.org/p/?utm_source=feed)")
    assert tracking.is_clean
