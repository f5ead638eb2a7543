"""With 100,000 articles, the pages' queries read through indexes, never a whole table.

seed_bulk fills the test database (short bodies and three links per article keep it under a
minute); then every list and detail page is requested through the test client, the exact
SQL each one ran is captured, and PostgreSQL's EXPLAIN of that SQL must not contain a
sequential scan of ``articles_article`` — nor of the events, links and link-status tables
that the article pages read — and no sort of thousands of rows (an index in the list's
order makes the database read one page's rows). Small tables (counters, sessions, groups)
may be scanned.
"""

from __future__ import annotations

import json
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from articles.models import Article, ArticleState
from workflow import fragments
from workflow.aggregates import ContributorTotal
from workflow.bulk_seed import SeedOptions, seed_bulk

# Committed and then truncated (a transactional test), not rolled back: a rolled-back seed
# leaves about a million dead rows that later tests' full-table reads wade through until
# autovacuum gets to them (the workflow state machine took 466 s instead of 60 after it).
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BIG_TABLES = {
    "articles_article", "workflow_event", "articles_articlelink", "articles_linkstatus",
    "articles_linkcheckresult", "workflow_revision", "workflow_claim", "workflow_notification",
}
S = ArticleState


SORT_LIMIT = 5_000  # sorting more rows than this means no index matches the order


def nodes(plan: dict) -> list[dict]:
    found = [plan]
    for child in plan.get("Plans", []):
        found += nodes(child)
    return found


def pages() -> list[tuple[str, object]]:
    User = get_user_model()
    reviewer = (User.objects.filter(groups__name="reviewer", reviewed_articles__state=S.IN_REVIEW)
                .order_by("pk").first())
    translator = User.objects.filter(claims__ended_at__isnull=True).order_by("pk").first()
    collector = User.objects.filter(groups__name="collector").order_by("pk").first()
    totals = ContributorTotal.objects.select_related("user")
    top = totals.order_by("-translator").first().user  # the longest contributor page
    busiest_reviewer = totals.order_by("-reviewer").first().user
    published = Article.objects.filter(state=S.PUBLISHED).order_by("-pk").first()
    in_review = Article.objects.filter(state=S.IN_REVIEW, reviewer=reviewer).first()
    claimed = Article.objects.filter(state=S.CLAIMED, translator=translator).first()
    new = Article.objects.filter(state=S.NEW, collector=collector).first()
    cursor_page = Client().get("/").context["page"]
    return [
        ("/", None), ("/?category=news", None), ("/?q=kernel", None), (f"/?q={published.pk}", None),
        ("/?q=no+such+words", None),
        (f"/?cursor={cursor_page.next_cursor}", None),
        (f"/articles/{published.pk}/", None), (f"/articles/{published.pk}/", reviewer),
        (f"/articles/{published.pk}/links/", None),
        (f"/people/{top.username}/", None), (f"/people/{busiest_reviewer.username}/", None),
        ("/leaderboard/", None), ("/leaderboard/?period=12m&role=reviewer", None), ("/feed/", None),
        ("/available/", translator), ("/available/?category=talk&difficulty=2&sort=old", translator),
        ("/available/?sort=short&length=medium", translator), ("/available/?sort=long&age=year", translator),
        ("/available/?sort=date&category=news", translator), ("/available/?q=author+42", translator),
        ("/my-work/", translator),
        ("/my-work/", reviewer), ("/review/", reviewer), (f"/articles/{in_review.pk}/review/", reviewer),
        (f"/articles/{claimed.pk}/translate/", translator), ("/notifications/", top),
        ("/collect/", collector), ("/collect/candidates/", collector),
        *([(f"/collect/articles/{new.pk}/", collector)] if new else []),
    ]


def test_list_and_detail_pages_use_indexes(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"explain-{uuid.uuid4()}"}}
    seed_bulk(SeedOptions(articles=100_000, users=500, body_min=100, body_max=300,
                          links_per_article=3, seed=11))
    problems, explained = [], 0
    for url, user in pages():
        client = Client()
        if user is not None:
            client.force_login(user)
        fragments.clear_local()
        cache.clear()  # cold: the list queries run instead of a cached fragment
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, url
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
                plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            explained += 1
            who = getattr(user, "username", "anonymous")
            for node in nodes(plan[0]["Plan"]):
                if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in BIG_TABLES:
                    problems.append(f"{url} ({who}): sequential scan of {node['Relation Name']} in\n    {sql[:300]}")
                if node["Node Type"] == "Sort" and node["Plan Rows"] > SORT_LIMIT:
                    problems.append(f"{url} ({who}): sorts ~{node['Plan Rows']} rows in\n    {sql[:300]}")
    assert explained > 60
    assert problems == [], "\n".join(problems)
