"""The counters (workflow/aggregates.py) stay equal to a recount whatever writes the articles.

A seeded random walk runs the real transitions (claim, release, submit, review, approve,
publish, withdraw, restore, expire…) with random people, mixed with the writes that bypass
the services (admin category edits, extra reviewers added and removed, a raw UPDATE of a
publication date, an imported article inserted directly); after every step the stored
counters must equal the numbers computed from the articles with the ORM.
"""

from __future__ import annotations

import datetime as dt
import random
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.utils import timezone

from articles.models import Article, ArticleState, Category
from tests.factories import ArticleFactory, make_user
from workflow import aggregates, services
from workflow.aggregates import ContributorTotal, StateCount

pytestmark = pytest.mark.django_db

TEXT = "# 标题\n\n译文。\n"


def assert_consistent() -> None:
    problems = aggregates.differences(aggregates.stored_counts(), aggregates.expected_counts())
    assert problems == []


@pytest.fixture
def people(db):
    return {
        "collector": make_user("cora", "collector"),
        "translators": [make_user(f"t{i}", "translator") for i in range(3)],
        "reviewers": [make_user(f"r{i}", "reviewer") for i in range(2)],
        "publisher": make_user("pete", "publisher", "reviewer", is_staff=True),
    }


def _step(rng: random.Random, article: Article, people: dict) -> str:
    """Try one random move on ``article``; refusals are fine (they must change nothing)."""
    article.refresh_from_db()
    translator = rng.choice(people["translators"])
    reviewer = rng.choice(people["reviewers"])
    publisher = people["publisher"]
    state = article.state
    moves = {
        ArticleState.AVAILABLE: ["claim", "withdraw", "category"],
        ArticleState.CLAIMED: ["release", "submit", "expire", "withdraw"],
        ArticleState.SUBMITTED: ["start_review", "approve_and_publish", "withdraw"],
        ArticleState.IN_REVIEW: ["approve", "request_changes", "withdraw"],
        ArticleState.APPROVED: ["publish"],
        ArticleState.PUBLISHED: ["extra_add", "extra_remove", "backdate", "withdraw", "category"],
        ArticleState.WITHDRAWN: ["restore"],
        ArticleState.NEW: ["make_available"],
    }[state]
    move = rng.choice(moves)
    holder = article.translator or translator
    try:
        if move == "claim":
            services.claim_article(article=article, user=translator)
        elif move == "release":
            services.release_claim(article=article, user=holder)
        elif move == "submit":
            services.save_draft(article=article, user=holder, text=TEXT, title="题",
                                base_version=article.version)
            services.submit_translation(article=article, user=holder)
        elif move == "expire":
            Article.objects.filter(pk=article.pk).update(claim_deadline=timezone.now() - dt.timedelta(days=1))
            from workflow.models import Claim

            Claim.objects.filter(article=article, ended_at__isnull=True).update(
                deadline=timezone.now() - dt.timedelta(days=1))
            services.expire_claims()
        elif move == "start_review":
            services.start_review(article=article, user=reviewer)
        elif move == "approve":
            services.approve_translation(article=article, user=article.reviewer)
        elif move == "request_changes":
            services.request_changes(article=article, user=article.reviewer, note="再改改")
        elif move == "approve_and_publish":
            services.approve_and_publish(article=article, user=publisher)
        elif move == "publish":
            services.publish_article(article=article, user=publisher)
        elif move == "withdraw":
            services.withdraw_article(article=article, user=publisher, reason="重复")
        elif move == "restore":
            services.restore_article(article=article, user=publisher)
        elif move == "make_available":
            services.make_available(article=article, user=publisher)
        elif move == "category":  # an admin edit: no service involved
            Article.objects.filter(pk=article.pk).update(category=rng.choice([*Category.values, "series"]))
        elif move == "extra_add":
            article.extra_reviewers.add(rng.choice(people["reviewers"] + people["translators"]))
        elif move == "extra_remove":
            article.extra_reviewers.clear()
        elif move == "backdate":  # as an import correcting a date would
            Article.objects.filter(pk=article.pk).update(
                published_at=timezone.now() - dt.timedelta(days=rng.randint(1, 900)))
    except services.TransitionError:
        pass
    return move


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counters_equal_a_recount_after_random_transitions(people, seed, settings):
    settings.MAX_OPEN_CLAIMS = 50
    rng = random.Random(seed)
    articles = [ArticleFactory(collector=people["collector"],
                               category=rng.choice(Category.values)) for _ in range(6)]
    assert_consistent()
    seen = set()
    for _ in range(150):
        seen.add(_step(rng, rng.choice(articles), people))
        assert_consistent()
    # an imported article arrives already published, with an extra reviewer
    imported = ArticleFactory(state=ArticleState.PUBLISHED, published_at=timezone.now(),
                              translator=people["translators"][0], reviewer=people["reviewers"][0],
                              publisher=people["publisher"], collector=people["collector"])
    imported.extra_reviewers.add(people["reviewers"][1], people["reviewers"][0])
    assert_consistent()
    assert {"claim", "release", "submit", "start_review", "withdraw", "restore"} <= seen, seen
    assert seen & {"publish", "approve_and_publish"} and seen & {"extra_add", "backdate", "category"}, seen
    assert ContributorTotal.objects.exists() or "publish" not in seen


def test_counts_of_a_publication(people):
    article = ArticleFactory(collector=people["collector"], category=Category.NEWS)
    translator, reviewer, publisher = people["translators"][0], people["reviewers"][0], people["publisher"]
    services.claim_article(article=article, user=translator)
    assert StateCount.objects.get(state="claimed", category="news").count == 1
    assert StateCount.objects.get(state="available", category="news").count == 0
    services.save_draft(article=article, user=translator, text=TEXT, title="题", base_version=1)
    services.submit_translation(article=article, user=translator)
    services.start_review(article=article, user=reviewer)
    before = aggregates.published_version()
    services.approve_translation(article=article, user=reviewer)
    assert aggregates.published_version() == before  # nothing published changed yet
    services.publish_article(article=article, user=publisher)
    assert aggregates.published_version() != before
    totals = {t.user_id: t for t in ContributorTotal.objects.all()}
    assert totals[translator.pk].translator == 1 and totals[reviewer.pk].reviewer == 1
    assert totals[publisher.pk].publisher == 1 and totals[people["collector"].pk].collector == 1
    # the extra reviewer who is the reviewer is credited once
    article.extra_reviewers.add(reviewer)
    assert ContributorTotal.objects.get(user=reviewer).reviewer == 1
    services.withdraw_article(article=article, user=publisher, reason="版权")
    assert ContributorTotal.objects.get(user=translator).translator == 0
    assert_consistent()


def test_recount_command_repairs_drift(people):
    for category in (Category.TECH, Category.TALK):
        ArticleFactory(category=category)
    StateCount.objects.filter(state="available", category="tech").update(count=999)
    ContributorTotal.objects.create(user=people["translators"][0], translator=7)
    assert aggregates.differences(aggregates.stored_counts(), aggregates.expected_counts())
    with pytest.raises(CommandError, match="available"):
        call_command("recount", "--check")
    call_command("recount")
    assert_consistent()
    call_command("recount", "--check")  # exits normally now


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_and_releases_neither_deadlock_nor_drift(settings):
    """Claims (available → claimed) and releases (claimed → available) of one category at
    the same moment touch the same two counter rows in opposite directions."""
    settings.MAX_OPEN_CLAIMS = 100
    users = [make_user(f"racer{i}") for i in range(6)]
    articles = [ArticleFactory(category=Category.TECH) for _ in range(12)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(users))

    def work(index: int) -> None:
        user = users[index]
        mine = articles[index * 2:(index + 1) * 2]
        try:
            barrier.wait()
            for _ in range(15):
                for article in mine:
                    services.claim_article(article=article, user=user)
                for article in mine:
                    services.release_claim(article=article, user=user)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(users))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert StateCount.objects.get(state="available", category="tech").count == 12
    assert_consistent()
    assert connection.vendor == "postgresql"
