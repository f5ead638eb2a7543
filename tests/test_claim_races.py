"""Claim races on PostgreSQL: 8 threads claim one article, over and over; exactly one wins.

The same harness runs a deliberately naive read-check-save claim (written below) and must
catch it handing one article to several people — proof that the harness can fail.

Threads and their connections are reused across rounds; a barrier lines the threads up
at the start of each round so they really hit the same article at the same moment.
CLAIM_RACES (default 1000) sets the number of rounds.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.utils import timezone

from articles.models import Article, ArticleState
from tests.factories import DEFAULT_PASSWORD
from workflow import services
from workflow.models import Claim, Event, EventAction

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8
ROUNDS = int(os.environ.get("CLAIM_RACES", "1000"))
NAIVE_ROUNDS = int(os.environ.get("CLAIM_RACES_NAIVE", "300"))


def make_users(prefix: str, n: int) -> list:
    User = get_user_model()
    User.objects.bulk_create([User(username=f"{prefix}{i}", password=DEFAULT_PASSWORD) for i in range(n)])
    return list(User.objects.filter(username__startswith=prefix).order_by("id"))


def make_articles(n: int, tag: str) -> list[int]:
    now = timezone.now()
    Article.objects.bulk_create([
        Article(subject=f"race {tag} {i}", via=f"https://example.org/race/{tag}/{i}",
                via_normalized=f"https://example.org/race/{tag}/{i}", state=ArticleState.AVAILABLE,
                available_at=now)
        for i in range(n)
    ], batch_size=1000)
    return list(Article.objects.filter(subject__startswith=f"race {tag} ").order_by("id").values_list("id", flat=True))


def run_races(claim: Callable[[int, object], bool], article_ids: list[int], users: list,
              stop_early: Callable[[list[bool]], bool] | None = None) -> list[list[bool]]:
    """Each round, every thread claims article_ids[round] at once; returns wins per round."""
    results: list[list[bool]] = [[False] * len(users) for _ in article_ids]
    barrier = threading.Barrier(len(users))
    errors: list[BaseException] = []
    stop = threading.Event()

    def worker(index: int) -> None:
        user = users[index]
        try:
            for round_no, article_id in enumerate(article_ids):
                barrier.wait(timeout=30)
                if stop.is_set():
                    return
                results[round_no][index] = claim(article_id, user)
                # decided one round late, when every thread has finished the previous one
                if stop_early is not None and index == 0 and round_no and stop_early(results[round_no - 1]):
                    stop.set()
        except threading.BrokenBarrierError:
            pass
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(users))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


def service_claim(article_id: int, user) -> bool:
    try:
        services.claim_article(article=Article(pk=article_id), user=user)
    except services.AlreadyClaimed:
        return False
    return True


def naive_claim(article_id: int, user) -> bool:
    """Read, check, save: what LCTT's pull-request claims amounted to. Deliberately racy."""
    article = Article.objects.get(pk=article_id)
    if article.state != ArticleState.AVAILABLE:
        return False
    article.state = ArticleState.CLAIMED
    article.translator = user
    article.claimed_at = timezone.now()
    article.save(update_fields=["state", "translator", "claimed_at"])
    return True


def test_exactly_one_winner_in_every_race(settings):
    settings.MAX_OPEN_CLAIMS = ROUNDS + 1  # this test is about articles, not the per-person limit
    users = make_users("racer", THREADS)
    article_ids = make_articles(ROUNDS, "service")
    results = run_races(service_claim, article_ids, users)

    winners_per_round = [sum(r) for r in results]
    assert winners_per_round == [1] * ROUNDS
    # the database agrees with what the threads saw
    winner_of = {aid: users[r.index(True)].pk for aid, r in zip(article_ids, results, strict=True)}
    rows = dict(Article.objects.filter(pk__in=article_ids).values_list("id", "translator_id"))
    assert rows == winner_of
    assert Claim.objects.filter(article_id__in=article_ids).count() == ROUNDS
    assert Event.objects.filter(article_id__in=article_ids, action=EventAction.CLAIM).count() == ROUNDS
    assert not Article.objects.filter(pk__in=article_ids).exclude(state=ArticleState.CLAIMED).exists()


def test_the_harness_catches_a_naive_claim():
    users = make_users("naive", THREADS)
    article_ids = make_articles(NAIVE_ROUNDS, "naive")
    results = run_races(naive_claim, article_ids, users, stop_early=lambda wins: sum(wins) > 1)
    double_claims = [r for r in results if sum(r) > 1]
    assert double_claims, "the naive read-check-save claim was never caught handing out an article twice"


def test_claim_limit_holds_when_one_person_claims_from_many_tabs(settings):
    """One user, 8 simultaneous claims of 8 different articles: exactly MAX_OPEN_CLAIMS win."""
    settings.MAX_OPEN_CLAIMS = 3
    rounds = 25
    people = make_users("tabs", rounds)
    article_ids = make_articles(rounds * THREADS, "tabs")
    wins_per_round = []
    for round_no, person in enumerate(people):
        ids = article_ids[round_no * THREADS:(round_no + 1) * THREADS]
        barrier = threading.Barrier(THREADS)
        wins: list[bool] = [False] * THREADS
        errors: list[BaseException] = []

        def worker(i: int, ids=ids, barrier=barrier, wins=wins, errors=errors, person=person) -> None:
            try:
                barrier.wait(timeout=30)
                try:
                    services.claim_article(article=Article(pk=ids[i]), user=person)
                    wins[i] = True
                except services.ClaimLimitReached:
                    wins[i] = False
            except BaseException as exc:
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        wins_per_round.append(sum(wins))
        assert Claim.objects.filter(user=person, ended_at__isnull=True).count() == 3
    assert wins_per_round == [3] * rounds
