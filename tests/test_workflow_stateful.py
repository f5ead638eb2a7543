"""A hypothesis state machine over workflow.services: random people try random transitions.

Invariants checked after every step:
* state changes only through services: every article's state is the ``to_state`` of its last
  event, and its events form an unbroken chain from the state it started in;
* one event per transition (three for "approve and publish" from submitted), none for a
  draft save or a refusal, and a refusal changes nothing;
* never two open claims on one article; an open claim exists exactly when the article is
  claimed, and it belongs to the article's translator;
* no translator goes over the claim limit by claiming (claims returned by "request changes"
  are the translator's own work coming back and are counted apart).

Each example runs inside a savepoint that is rolled back, so the users and articles are
created once per test. WORKFLOW_STATEFUL_EXAMPLES / WORKFLOW_STATEFUL_STEPS set the size
(default 200 × 30).
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from articles.models import Article, ArticleState
from tests.factories import ArticleFactory, make_user
from workflow import services
from workflow.models import Claim, Event

EXAMPLES = int(os.environ.get("WORKFLOW_STATEFUL_EXAMPLES", "200"))
STEPS = int(os.environ.get("WORKFLOW_STATEFUL_STEPS", "30"))
MAX_CLAIMS = 2  # small, so the limit is reached often

pytestmark = pytest.mark.django_db

# The expected (from_state → to_state) of each successful transition.
MOVES = {
    "claim": {ArticleState.AVAILABLE: ArticleState.CLAIMED},
    "release": {ArticleState.CLAIMED: ArticleState.AVAILABLE},
    "submit": {ArticleState.CLAIMED: ArticleState.SUBMITTED},
    "start_review": {ArticleState.SUBMITTED: ArticleState.IN_REVIEW},
    "request_changes": {ArticleState.IN_REVIEW: ArticleState.CLAIMED},
    "approve": {ArticleState.IN_REVIEW: ArticleState.APPROVED},
    "publish": {ArticleState.APPROVED: ArticleState.PUBLISHED},
    "approve_and_publish": {ArticleState.SUBMITTED: ArticleState.PUBLISHED,
                            ArticleState.IN_REVIEW: ArticleState.PUBLISHED},
    "make_available": {ArticleState.NEW: ArticleState.AVAILABLE},
}
TEXTS = ["", "译文第一段。\n", "译文第一段。\n\n第二段。\n", "# 标题\n\n完整的译文。\n"]


def snapshot() -> dict[int, tuple]:
    return {
        row[0]: row[1:]
        for row in Article.objects.order_by("id").values_list(
            "id", "state", "translator_id", "reviewer_id", "publisher_id", "version",
            "translation_markdown", "title",
        )
    }


class WorkflowMachine(RuleBasedStateMachine):
    people: dict = {}
    article_ids: list[int] = []
    initial_states: dict[int, str] = {}

    def __init__(self) -> None:
        super().__init__()
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        self.returned_claims: set[int] = set()  # claims opened by request_changes
        self.transitions = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)

    # --- plumbing ---------------------------------------------------------------------------

    def attempt(self, name: str, article_id: int, call, *, events: int = 1) -> None:
        before = snapshot()
        events_before = Event.objects.count()
        # open claims of every person, fresh ones only (what the limit counts against claiming)
        open_before = dict(
            Claim.objects.filter(ended_at__isnull=True).values_list("user_id").annotate(n=Count("id"))
        ) if name == "claim" else {}
        article = Article.objects.get(pk=article_id)
        from_state = article.state
        try:
            result = call(article)
        except services.TransitionError as error:
            assert str(error), "a refusal must say why"
            assert Event.objects.count() == events_before, f"{name} refused but wrote events"
            assert snapshot() == before, f"{name} refused but changed something"
            return
        after = snapshot()
        if name == "save":
            assert Event.objects.count() == events_before, "a draft save writes no event"
            assert after[article_id][0] == from_state
            assert after[article_id][4] == before[article_id][4] + 1
            return
        expected_events = events
        if name == "approve_and_publish" and from_state == ArticleState.IN_REVIEW:
            expected_events = 2
        assert Event.objects.count() == events_before + expected_events, name
        expected = {
            "withdraw": ArticleState.WITHDRAWN,
        }.get(name) or MOVES.get(name, {}).get(from_state)
        if name == "restore":
            assert from_state == ArticleState.WITHDRAWN
            assert after[article_id][0] != ArticleState.WITHDRAWN
        else:
            assert after[article_id][0] == expected, (name, from_state, after[article_id][0])
        for other, row in after.items():
            if other != article_id:
                assert row == before[other], f"{name} on {article_id} changed article {other}"
        if name == "claim":
            assert open_before.get(after[article_id][1], 0) < MAX_CLAIMS, "claimed over the limit"
        if name == "request_changes":
            self.returned_claims.add(result.pk)
        self.transitions += 1

    # --- rules ------------------------------------------------------------------------------

    articles = st.integers(min_value=0, max_value=3)
    anyone = st.sampled_from(["t1", "t2", "t3", "r1", "r2", "p1", "c1"])

    def _id(self, i: int) -> int:
        return self.article_ids[i]

    @rule(i=articles, who=anyone)
    def claim(self, i, who):
        self.attempt("claim", self._id(i), lambda a: services.claim_article(article=a, user=self.people[who]))

    @rule(i=articles, who=anyone)
    def release(self, i, who):
        self.attempt("release", self._id(i), lambda a: services.release_claim(article=a, user=self.people[who]))

    @rule(i=articles, who=anyone, text=st.sampled_from(TEXTS), stale=st.booleans(), titled=st.booleans())
    def save(self, i, who, text, stale, titled):
        def call(article):
            base = article.version - 1 if stale and article.version > 1 else article.version
            return services.save_draft(article=article, user=self.people[who], text=text + str(article.version),
                                       title="标题" if titled else None, base_version=base)
        self.attempt("save", self._id(i), call)

    @rule(i=articles, who=anyone)
    def submit(self, i, who):
        self.attempt("submit", self._id(i), lambda a: services.submit_translation(article=a, user=self.people[who]))

    @rule(i=articles, who=anyone)
    def start_review(self, i, who):
        self.attempt("start_review", self._id(i), lambda a: services.start_review(article=a, user=self.people[who]))

    @rule(i=articles, who=anyone, note=st.sampled_from(["", "请修改第二段"]))
    def request_changes(self, i, who, note):
        self.attempt("request_changes", self._id(i),
                     lambda a: services.request_changes(article=a, user=self.people[who], note=note))

    @rule(i=articles, who=anyone)
    def approve(self, i, who):
        self.attempt("approve", self._id(i), lambda a: services.approve_translation(article=a, user=self.people[who]))

    @rule(i=articles, who=anyone)
    def publish(self, i, who):
        self.attempt("publish", self._id(i), lambda a: services.publish_article(article=a, user=self.people[who]))

    @rule(i=articles, who=anyone)
    def approve_and_publish(self, i, who):
        self.attempt("approve_and_publish", self._id(i),
                     lambda a: services.approve_and_publish(article=a, user=self.people[who]), events=3)

    @rule(i=articles, who=anyone, reason=st.sampled_from(["", "版权问题"]))
    def withdraw(self, i, who, reason):
        self.attempt("withdraw", self._id(i),
                     lambda a: services.withdraw_article(article=a, user=self.people[who], reason=reason))

    @rule(i=articles, who=anyone)
    def restore(self, i, who):
        self.attempt("restore", self._id(i), lambda a: services.restore_article(article=a, user=self.people[who]))

    @rule(i=articles, who=anyone)
    def make_available(self, i, who):
        self.attempt("make_available", self._id(i), lambda a: services.make_available(article=a, user=self.people[who]))

    @rule(days=st.integers(min_value=0, max_value=2 * django_settings.CLAIM_DAYS))
    def expire(self, days):
        before = snapshot()
        events_before = Event.objects.count()
        now = timezone.now() + dt.timedelta(days=days)
        overdue = set(
            Claim.objects.filter(ended_at__isnull=True, deadline__lt=now).values_list("article_id", flat=True)
        )
        count = services.expire_claims(now=now)
        after = snapshot()
        assert count == len(overdue)
        assert Event.objects.count() == events_before + count
        for article_id, row in after.items():
            if article_id in overdue:
                assert row[0] == ArticleState.AVAILABLE and row[1] is None
                assert row[5] == before[article_id][5], "expiry keeps the draft"
            else:
                assert row == before[article_id]
        self.transitions += count

    # --- invariants -------------------------------------------------------------------------

    @invariant()
    def invariants_hold(self):
        rows = snapshot()
        # state changes only through services: the event log explains every state
        chains: dict[int, list[tuple[str, str]]] = {}
        for article_id, from_state, to_state in Event.objects.order_by("created_at", "id").values_list(
            "article_id", "from_state", "to_state"
        ):
            chains.setdefault(article_id, []).append((from_state, to_state))
        for article_id, row in rows.items():
            state = self.initial_states[article_id]
            for from_state, to_state in chains.get(article_id, []):
                assert from_state == state, f"event chain broken on {article_id}: {from_state} after {state}"
                state = to_state
            assert state == row[0], f"article {article_id} is {row[0]} but its events end at {state}"
        # one open claim per article, held by its translator, exactly while it is claimed
        open_claims = list(Claim.objects.filter(ended_at__isnull=True).values_list("pk", "article_id", "user_id"))
        articles = [a for _pk, a, _u in open_claims]
        assert len(articles) == len(set(articles)), "two open claims on one article"
        assert set(articles) == {a for a, row in rows.items() if row[0] == ArticleState.CLAIMED}
        for _pk, article_id, user_id in open_claims:
            assert rows[article_id][1] == user_id
        # nobody holds more fresh claims than the limit
        fresh: dict[int, int] = {}
        for pk, _a, user_id in open_claims:
            if pk not in self.returned_claims:
                fresh[user_id] = fresh.get(user_id, 0) + 1
        assert all(n <= MAX_CLAIMS for n in fresh.values()), fresh


@pytest.fixture
def workflow_world(db, settings):
    settings.MAX_OPEN_CLAIMS = MAX_CLAIMS
    people = {
        "t1": make_user("t1", "translator"),
        "t2": make_user("t2", "translator"),
        "t3": make_user("t3", "translator", "reviewer"),
        "r1": make_user("r1", "reviewer"),
        "r2": make_user("r2", "reviewer"),
        "p1": make_user("p1", "publisher"),
        "c1": make_user("c1", "collector"),
    }
    articles = ArticleFactory.create_batch(3, collector=people["c1"])
    articles.append(ArticleFactory(state=ArticleState.NEW, collector=people["c1"], available_at=None))
    return people, articles


def test_workflow_state_machine(workflow_world):
    people, articles = workflow_world
    WorkflowMachine.people = people
    WorkflowMachine.article_ids = [a.pk for a in articles]
    WorkflowMachine.initial_states = {a.pk: a.state for a in articles}
    run_state_machine_as_test(
        WorkflowMachine,
        settings=settings(
            max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
