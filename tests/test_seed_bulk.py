"""seed_bulk fills an empty database with realistic, consistent data (SQLite and PostgreSQL).

The 100,000-article run is timed by bench/http/run.py; here a small run checks the shape
of the data: the state mix, bodies, links, events, claims and revisions the transitions
would have written, intact references (the PostgreSQL load skips foreign-key triggers),
counters equal to a recount, working sequences and sign-in, and a refusal on a database
that already has articles.
"""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q
from django.test import Client

from articles.models import Article, ArticleLink, ArticleState, LinkCheckResult, LinkStatus
from tests.factories import ArticleFactory
from workflow import aggregates, services
from workflow.bulk_seed import SeedError, SeedOptions, seed_bulk
from workflow.models import Claim, Event, Notification, Profile, Revision

pytestmark = pytest.mark.django_db

S = ArticleState
OPTIONS = SeedOptions(articles=1500, users=60, body_min=800, body_max=3000, links_per_article=6,
                      password="bench-password-1", seed=7)


@pytest.fixture
def seeded(db):
    return seed_bulk(OPTIONS)


def test_states_people_and_texts_look_like_lctt(seeded):
    states = Counter(Article.objects.values_list("state", flat=True))
    assert sum(states.values()) == 1500
    assert states.most_common(1)[0][0] == S.PUBLISHED and 0.7 < states[S.PUBLISHED] / 1500 < 0.86
    assert 0.09 < states[S.AVAILABLE] / 1500 < 0.18
    assert {S.CLAIMED, S.SUBMITTED, S.IN_REVIEW, S.WITHDRAWN} <= set(states)
    categories = Counter(Article.objects.values_list("category", flat=True))
    assert set(categories) == {"tech", "talk", "news"} and categories["tech"] > categories["news"]
    assert set(Article.objects.values_list("difficulty", flat=True)) == {0, 1, 2, 3}
    lengths = [len(t) for t in Article.objects.values_list("source_markdown", flat=True)]
    assert min(lengths) >= 800 and max(lengths) < 3000 + 2500  # last paragraph + link list
    published = Article.objects.filter(state=S.PUBLISHED)
    assert not published.filter(Q(translation_markdown="") | Q(title="") | Q(translator=None)
                                | Q(reviewer=None) | Q(publisher=None)).exists()
    # a power law: the busiest translator did far more than the median one
    per_translator = sorted(published.values("translator").annotate(n=Count("id")).values_list("n", flat=True))
    assert per_translator[-1] > 5 * per_translator[len(per_translator) // 2]
    User = get_user_model()
    assert User.objects.filter(groups__name="reviewer").exists()
    assert Profile.objects.count() == User.objects.count() == 60


def test_links_events_claims_and_revisions_are_the_ones_transitions_write(seeded, settings):
    per_article = ArticleLink.objects.count() / 1500
    assert 4 < per_article < 8
    assert LinkCheckResult.objects.count() == LinkStatus.objects.count()
    # the article's reference list names the same URLs as its link rows
    article = Article.objects.filter(state=S.PUBLISHED).first()
    for url in ArticleLink.objects.filter(article=article).values_list("link__url", flat=True):
        assert f"]: {url}\n" in article.source_markdown
    events = Event.objects.count() / 1500
    assert 6.5 < events < 9.5
    for article in Article.objects.order_by("?")[:60]:
        chain = list(Event.objects.filter(article=article).order_by("created_at", "id")
                     .values_list("from_state", "to_state"))
        assert chain[-1][1] == article.state, (article.pk, chain)
        assert all(chain[i][1] == chain[i + 1][0] for i in range(len(chain) - 1)), chain
    claimed = Article.objects.filter(state=S.CLAIMED)
    assert Claim.objects.filter(ended_at__isnull=True).count() == claimed.count()
    held = Claim.objects.filter(ended_at__isnull=True).values("user").annotate(n=Count("id"))
    assert max(row["n"] for row in held) <= settings.MAX_OPEN_CLAIMS  # the claim limit holds
    assert not Claim.objects.filter(ended_at__isnull=True).exclude(user_id=F("article__translator_id")).exists()
    kinds = Counter(Revision.objects.filter(article__state=S.PUBLISHED).values_list("kind", flat=True))
    n = Article.objects.filter(state=S.PUBLISHED).count()
    assert kinds["published"] == kinds["approved"] == n and kinds["submitted"] >= n
    revision = Revision.objects.filter(kind="published").select_related("article").first()
    assert revision.text == revision.article.translation_markdown
    assert revision.content_hash == hashlib.sha256(revision.text.encode()).hexdigest()
    assert Notification.objects.exists()


def test_references_are_intact(seeded):
    """On PostgreSQL the load skips the foreign-key triggers; the rows must still join."""
    assert ArticleLink.objects.count() == ArticleLink.objects.filter(
        article__id__isnull=False, link__id__isnull=False).count()
    assert Event.objects.count() == Event.objects.filter(article__id__isnull=False).count()
    assert Event.objects.exclude(actor=None).count() == Event.objects.filter(actor__id__isnull=False).count()
    assert Revision.objects.count() == Revision.objects.filter(article__id__isnull=False, author__id__isnull=False).count()
    people = Article.objects.filter(translator__isnull=False).count()
    assert people == Article.objects.filter(translator__id__isnull=False).count()


def test_counters_sequences_and_sign_in_work_after_seeding(seeded, settings):
    assert aggregates.differences(aggregates.stored_counts(), aggregates.expected_counts()) == []
    assert aggregates.published_version() != 0
    fresh = ArticleFactory()  # sequences continue after the seeded ids
    assert fresh.pk > 1500
    user = get_user_model().objects.filter(groups__name="translator").exclude(
        claims__ended_at__isnull=True).first()
    services.claim_article(article=fresh, user=user)
    assert aggregates.differences(aggregates.stored_counts(), aggregates.expected_counts()) == []
    client = Client()
    signed_in = client.post("/accounts/login/", {"username": user.username, "password": "bench-password-1"})
    assert signed_in.status_code == 302
    assert client.get(f"/articles/{fresh.pk}/").status_code == 200


def test_refuses_a_database_with_articles(seeded):
    before = Article.objects.count(), Event.objects.count(), get_user_model().objects.count()
    with pytest.raises(SeedError, match="empty database"):
        seed_bulk(SeedOptions(articles=10, users=5))
    with pytest.raises(CommandError, match="empty database"):
        call_command("seed_bulk", "--articles", "10", "--users", "5")
    assert (Article.objects.count(), Event.objects.count(), get_user_model().objects.count()) == before


def test_command_checks_its_arguments(db):
    with pytest.raises(CommandError, match="at least 1"):
        call_command("seed_bulk", "--articles", "0")
    with pytest.raises(CommandError, match="body-min"):
        call_command("seed_bulk", "--body-min", "500", "--body-max", "100")
    assert not Article.objects.exists()
