"""Reads for the workflow pages (HackSoft's "selectors"): lists, counts, timelines, diffs.

Lists use keyset pagination (``WHERE (key, id) < (last key, last id)``), which stays fast
on deep pages and does not skip or repeat rows while articles move between states; every
list query is served by an index on ``articles_article`` in its order
(tests/test_explain_indexes.py), and loads only the columns its page shows.
Counts (totals, categories, contributors, leaderboard, the admin dashboard) come from the
counters the article triggers keep (``workflow.aggregates``), never from counting rows.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core import signing
from django.db import connection
from django.db.models import (
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from articles.models import Article, ArticleState, Category, Difficulty

from . import aggregates
from .models import Claim, Event, EventAction, Revision

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser

# --- Keyset pagination ------------------------------------------------------------------------

_CURSOR_SALT = "workflow.keyset"


@dataclass
class Page:
    items: list
    next_cursor: str | None
    first: bool

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None


def _encode(values: list[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, dt.date | dt.datetime) else v for v in values]
    return signing.dumps(plain, salt=_CURSOR_SALT, compress=True)


def _decode(cursor: str | None, width: int) -> list[Any] | None:
    if not cursor:
        return None
    try:
        values = signing.loads(cursor, salt=_CURSOR_SALT)
    except signing.BadSignature:
        return None  # a mangled cursor means "first page", never an error page
    if not isinstance(values, list) or len(values) != width:
        return None
    return values


class Row(dict):
    """One list row: a dict — a fraction of a model instance's cost to build — that
    templates and code read like the model (``row.subject``, ``row.translator``)."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


_PEOPLE = {f"{role}__username": role for role in aggregates.ROLES}
_STATE_LABELS = dict(ArticleState.choices)
_DIFFICULTY_LABELS = dict(Difficulty.choices)


def as_row(values: dict) -> Row:
    """A ``values()`` dict as a row: people by username, and the model's display helpers."""
    row = Row(values)
    for source, name in _PEOPLE.items():
        if source in row:
            row[name] = row.pop(source)
    row["pk"] = row["id"]
    if "title" in row and "subject" in row:
        row["display_title"] = row["title"] or row["subject"]
    if "state" in row:
        row["get_state_display"] = _STATE_LABELS.get(row["state"], row["state"])
    if "difficulty" in row:
        row["get_difficulty_display"] = _DIFFICULTY_LABELS.get(row["difficulty"], "")
        row["stars"] = "⭐️" * int(row["difficulty"] or 0)
    return row


def keyset_page(qs: QuerySet, *, order: list[tuple[str, bool]], cursor: str | None,
                size: int) -> Page:
    """One page of ``qs`` ordered by ``order`` ([(field, descending)], unique last field)."""
    values = _decode(cursor, len(order))
    if values is not None:
        # The OR below alone is a filter; this bound on the first key (implied by it) is
        # what lets the database start the index scan at the cursor instead of the top.
        first, first_desc = order[0]
        qs = qs.filter(**{f"{first}__{'lte' if first_desc else 'gte'}": values[0]})
        condition = Q()
        for i, (name, descending) in enumerate(order):
            step = Q(**{f"{name}__{'lt' if descending else 'gt'}": values[i]})
            for j in range(i):
                step &= Q(**{order[j][0]: values[j]})
            condition |= step
        qs = qs.filter(condition)
    qs = qs.order_by(*[f"-{n}" if d else n for n, d in order])
    rows = [as_row(r) if isinstance(r, dict) else r for r in qs[: size + 1]]
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = _encode([getattr(last, n) for n, _d in order])
    return Page(items=rows, next_cursor=next_cursor, first=values is None)


# --- Effort ---------------------------------------------------------------------------------

WORDS_PER_HOUR = 400  # a volunteer's pace for a first draft, technical English to Chinese


def effort_hours(word_count: int) -> float:
    """Rough translation effort in hours, rounded to half hours (at least half an hour)."""
    return max(0.5, math.ceil(word_count * 2 / WORDS_PER_HOUR) / 2)


LENGTHS = {
    "short": (_("Short (under 1,000 words)"), Q(word_count__lt=1000)),
    "medium": (_("Medium (1,000–2,500 words)"), Q(word_count__gte=1000, word_count__lte=2500)),
    "long": (_("Long (over 2,500 words)"), Q(word_count__gt=2500)),
}
AGES = {
    "month": (_("Posted in the last month"), 31),
    "year": (_("Posted in the last year"), 365),
    "older": (_("Older than a year"), None),
}
AVAILABLE_SORTS = {
    "new": (_("Newest first"), [("sort_key", True), ("id", True)]),
    "old": (_("Oldest first"), [("sort_key", False), ("id", False)]),
    "short": (_("Shortest first"), [("word_count", False), ("id", False)]),
    "long": (_("Longest first"), [("word_count", True), ("id", True)]),
    "date": (_("Source post date"), [("source_key", True), ("id", True)]),
}


def category_choices(counts: dict[tuple[str, str], int] | None = None) -> list[tuple[str, str]]:
    """The three LCTT categories plus any named series present in the data (from the counters)."""
    known = dict(Category.choices)
    counts = aggregates.state_counts() if counts is None else counts
    extra = sorted({c for (_state, c), n in counts.items() if n > 0 and c not in known})[:50]
    return list(known.items()) + [(c, c) for c in extra]


def total(state: str, *, category: str = "", counts: dict | None = None) -> int:
    """How many articles are in ``state`` (and ``category``), from the counters."""
    counts = aggregates.state_counts() if counts is None else counts
    return sum(n for (s, c), n in counts.items() if s == state and (not category or c == category))


def _search(qs: QuerySet, search: str) -> QuerySet:
    search = (search or "").strip()[:200]
    if not search:
        return qs
    return qs.filter(Q(subject__icontains=search) | Q(title__icontains=search)
                     | Q(author_name__icontains=search))


def available_articles(*, category: str = "", difficulty: str = "", length: str = "",
                       age: str = "", search: str = "", sort: str = "new",
                       today: dt.date | None = None) -> tuple[QuerySet, list[tuple[str, bool]]]:
    """Available articles filtered as the list page asks; returns (queryset, keyset order)."""
    qs = (
        Article.objects.available()
        .annotate(
            sort_key=Coalesce("available_at", "created_at"),
            source_key=Coalesce("source_date", Value(dt.date(1970, 1, 1))),
        )
    )
    if category:
        qs = qs.filter(category=category)
    if difficulty in {str(v) for v in Difficulty.values}:
        qs = qs.filter(difficulty=int(difficulty))
    if length in LENGTHS:
        qs = qs.filter(LENGTHS[length][1])
    if age in AGES:
        today = today or timezone.localdate()
        days = AGES[age][1]
        if days is None:
            qs = qs.filter(source_date__lt=today - dt.timedelta(days=365))
        else:
            qs = qs.filter(source_date__gte=today - dt.timedelta(days=days))
    qs = _search(qs, search).values(
        "id", "subject", "category", "difficulty", "word_count", "source_date", "state",
        "translator_id", "collector__username", "sort_key", "source_key",
    )
    order = AVAILABLE_SORTS.get(sort, AVAILABLE_SORTS["new"])[1]
    return qs, order


CARD_FIELDS = ("id", "subject", "title", "category", "state", "published_at",
               "translator__username", "reviewer__username")


def published_articles(*, category: str = "", search: str = "") -> tuple[QuerySet, list[tuple[str, bool]]]:
    qs = Article.objects.published()
    if category:
        qs = qs.filter(category=category)
    qs = _search(qs, search).values(*CARD_FIELDS)
    return qs, [("published_at", True), ("id", True)]


def review_queue() -> tuple[QuerySet, list[tuple[str, bool]]]:
    """Submitted translations waiting for a reviewer, oldest first."""
    qs = (
        Article.objects.in_state(ArticleState.SUBMITTED)
        .annotate(sort_key=Coalesce("submitted_at", "updated_at"))
        .values("id", "subject", "title", "state", "submitted_at", "review_round", "word_count",
                "translator_id", "translator__username", "sort_key")
    )
    return qs, [("sort_key", False), ("id", False)]


IN_REVIEW_SHOWN = 50


def in_review(*, limit: int = IN_REVIEW_SHOWN) -> list[Row]:
    """The translations being reviewed, longest-running first (the page shows the first ``limit``)."""
    return [as_row(r) for r in (
        Article.objects.in_state(ArticleState.IN_REVIEW)
        .values("id", "subject", "title", "state", "review_started_at",
                "translator__username", "reviewer__username")
        .order_by("review_started_at", "id")[:limit]
    )]


# --- My work --------------------------------------------------------------------------------


@dataclass
class ClaimedItem:
    article: Any  # a Row
    deadline: dt.datetime | None
    sent_back_note: str = ""
    sent_back_by: Any = None

    @property
    def days_left(self) -> int | None:
        if self.deadline is None:
            return None
        return (self.deadline - timezone.now()).days


@dataclass
class MyWork:
    claims: list[ClaimedItem] = field(default_factory=list)
    sent_back: list[ClaimedItem] = field(default_factory=list)
    submitted: list = field(default_factory=list)
    reviewing: list = field(default_factory=list)
    published: list = field(default_factory=list)


# An editor who took over a backlog can hold hundreds of reviews: the page shows the oldest.
MY_WORK_SHOWN = 50


def my_work(user: AbstractUser) -> MyWork:
    """Five short lists, four queries whatever their lengths (the last event of each claim
    comes with it, as subqueries on the events index)."""
    work = MyWork()
    last_event = Event.objects.filter(article=OuterRef("pk")).order_by("-created_at", "-id")
    claimed = (
        Article.objects.in_state(ArticleState.CLAIMED).filter(translator=user)
        .annotate(last_action=Subquery(last_event.values("action")[:1]),
                  last_note=Subquery(last_event.values("note")[:1]),
                  last_actor=Subquery(last_event.values("actor__username")[:1]))
        .values("id", "subject", "title", "state", "word_count", "claim_deadline", "translator_id",
                "last_action", "last_note", "last_actor")
        .order_by("claim_deadline", "id")
    )
    for article in map(as_row, claimed):
        item = ClaimedItem(article=article, deadline=article.claim_deadline)
        if article.last_action == EventAction.REQUEST_CHANGES:
            item.sent_back_note = article.last_note
            item.sent_back_by = article.last_actor
            work.sent_back.append(item)
        else:
            work.claims.append(item)
    listed = ("id", "subject", "title", "state")
    work.submitted = [as_row(r) for r in (
        Article.objects.in_state(ArticleState.SUBMITTED, ArticleState.IN_REVIEW, ArticleState.APPROVED)
        .filter(translator=user)
        .values(*listed, "submitted_at", "translator_id", "reviewer__username")
        .order_by("submitted_at", "id")[:MY_WORK_SHOWN]
    )]
    work.reviewing = [as_row(r) for r in (
        Article.objects.in_state(ArticleState.IN_REVIEW).filter(reviewer=user)
        .values(*listed, "review_started_at", "reviewer_id", "translator__username")
        .order_by("review_started_at", "id")[:MY_WORK_SHOWN]
    )]
    work.published = [as_row(r) for r in (
        Article.objects.published().filter(translator=user)
        .values(*listed, "published_at", "translator_id")
        .order_by("-published_at", "-id")[:10]
    )]
    return work


def open_claims_of(user: AbstractUser) -> int:
    """Counted with the signed-in user when the request loaded it (workflow.auth_backend)."""
    counted = getattr(user, "open_claims_count", None)
    if counted is not None:
        return counted
    return Claim.objects.filter(user=user, ended_at__isnull=True).count()


# --- Article page ---------------------------------------------------------------------------


def timeline(article: Article) -> list[Event]:
    return list(Event.objects.filter(article=article).select_related("actor").order_by("created_at", "id"))


_ACTION_LABELS = dict(EventAction.choices)


def timeline_rows(article: Article) -> list[Row]:
    """The timeline as rows (the article page shows it on every view; see ``Row``)."""
    rows = []
    for values in (Event.objects.filter(article=article).order_by("created_at", "id")
                   .values("id", "action", "from_state", "to_state", "note", "created_at",
                           "actor_id", "actor__username")):
        row = Row(values)
        row["pk"] = row["id"]
        row["actor"] = row.pop("actor__username")
        row["get_action_display"] = _ACTION_LABELS.get(row["action"], row["action"])
        row["get_from_state_display"] = _STATE_LABELS.get(row["from_state"], row["from_state"])
        row["get_to_state_display"] = _STATE_LABELS.get(row["to_state"], row["to_state"])
        rows.append(row)
    return rows


@dataclass(frozen=True)
class Credits:
    """The usernames an article page credits (``{% person %}`` takes names)."""

    collector: str | None
    translator: str | None
    reviewers: list[str]
    publisher: str | None


def credits_of(article: Article) -> Credits:
    """Who collected, translated, reviewed and published ``article``, in one query: the
    main reviewer first, then the extra reviewers who are not that same person."""
    roles = {role: getattr(article, f"{role}_id") for role in aggregates.ROLES}
    names: dict[int, str] = {}
    extra: list[str] = []
    extra_rows = Article.extra_reviewers.through.objects.filter(article_id=article.pk)
    rows = (get_user_model().objects
            .filter(Q(pk__in=[pk for pk in roles.values() if pk]) | Q(pk__in=extra_rows.values("user_id")))
            .annotate(extra=Exists(extra_rows.filter(user_id=OuterRef("pk"))))
            .values_list("pk", "username", "extra").order_by("pk"))
    for pk, username, is_extra in rows:
        names[pk] = username
        if is_extra and pk != roles["reviewer"]:
            extra.append(username)
    return Credits(
        collector=names.get(roles["collector"]),
        translator=names.get(roles["translator"]),
        reviewers=([names[roles["reviewer"]]] if roles["reviewer"] in names else []) + extra,
        publisher=names.get(roles["publisher"]),
    )


def revisions(article: Article, *, kind: str | None = None) -> list[Revision]:
    qs = Revision.objects.filter(article=article).select_related("author")
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs.order_by("created_at", "id"))


# --- Diffs ----------------------------------------------------------------------------------


@dataclass
class DiffRow:
    kind: str  # equal, insert, delete, replace, gap
    old_no: int | None = None
    new_no: int | None = None
    old: list[tuple[str, bool]] = field(default_factory=list)  # (text, changed)
    new: list[tuple[str, bool]] = field(default_factory=list)


def _intraline(a: str, b: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    old: list[tuple[str, bool]] = []
    new: list[tuple[str, bool]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if a[i1:i2]:
            old.append((a[i1:i2], tag != "equal"))
        if b[j1:j2]:
            new.append((b[j1:j2], tag != "equal"))
    return old, new


def line_diff(old_text: str, new_text: str, *, context: int = 3) -> list[DiffRow]:
    """Side-by-side rows: changed lines with ``context`` lines around them, gaps between."""
    a = old_text.splitlines()
    b = new_text.splitlines()
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    rows: list[DiffRow] = []
    for group_no, group in enumerate(matcher.get_grouped_opcodes(context)):
        if group_no:
            rows.append(DiffRow(kind="gap"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                for k in range(i2 - i1):
                    rows.append(DiffRow("equal", i1 + k + 1, j1 + k + 1,
                                        [(a[i1 + k], False)], [(b[j1 + k], False)]))
            elif tag == "replace":
                pairs = max(i2 - i1, j2 - j1)
                for k in range(pairs):
                    left = a[i1 + k] if i1 + k < i2 else None
                    right = b[j1 + k] if j1 + k < j2 else None
                    if left is not None and right is not None:
                        old, new = _intraline(left, right)
                        rows.append(DiffRow("replace", i1 + k + 1, j1 + k + 1, old, new))
                    elif left is not None:
                        rows.append(DiffRow("delete", i1 + k + 1, None, [(left, True)], []))
                    else:
                        rows.append(DiffRow("insert", None, j1 + k + 1, [], [(right, True)]))
            elif tag == "delete":
                for k in range(i1, i2):
                    rows.append(DiffRow("delete", k + 1, None, [(a[k], True)], []))
            elif tag == "insert":
                for k in range(j1, j2):
                    rows.append(DiffRow("insert", None, k + 1, [], [(b[k], True)]))
    return rows


@dataclass
class RoundDiff:
    label: str
    old_label: str
    new_label: str
    rows: list[DiffRow]


def review_diffs(article: Article, *, current_text: str | None = None) -> list[RoundDiff]:
    """What changed between review rounds, and what the reviewer changed in this one."""
    submitted = revisions(article, kind=Revision.Kind.SUBMITTED)
    diffs: list[RoundDiff] = []
    if len(submitted) >= 2:
        prev, last = submitted[-2], submitted[-1]
        diffs.append(RoundDiff(
            label=str(_("Changes since the previous round")),
            old_label=str(_("Round %(n)d") % {"n": prev.round}),
            new_label=str(_("Round %(n)d") % {"n": last.round}),
            rows=line_diff(prev.text, last.text),
        ))
    if submitted and current_text is not None and current_text != submitted[-1].text:
        diffs.append(RoundDiff(
            label=str(_("Edits made during this review")),
            old_label=str(_("As submitted")), new_label=str(_("Now")),
            rows=line_diff(submitted[-1].text, current_text),
        ))
    return diffs


# --- Contributors and leaderboard -----------------------------------------------------------

ROLE_WEIGHTS = {"collector": 0.5, "translator": 1.0, "reviewer": 1.0, "publisher": 0.8}
ROLE_LABELS = {
    "collector": _("Collected"),
    "translator": _("Translated"),
    "reviewer": _("Reviewed"),
    "publisher": _("Published"),
}


@dataclass
class LeaderRow:
    rank: int
    user: Any
    counts: dict[str, int]
    score: float


def first_counted_month(since: dt.datetime) -> dt.date:
    """Credits are counted per UTC calendar month: a period starts with its first month."""
    return since.astimezone(dt.UTC).date().replace(day=1)


def leaderboard(*, role: str = "", since: dt.datetime | None = None, limit: int = 50) -> list[LeaderRow]:
    """Top contributors on published translations, for one role or combined (weighted).

    All time: one query on ``ContributorTotal`` (a row per contributor). A period: the
    monthly ``ContributionCount`` rows since its first month, summed per person.
    """
    roles = [role] if role in ROLE_WEIGHTS else list(ROLE_WEIGHTS)
    # Scores in tenths keep the weighted sum exact in integer arithmetic.
    tenths = {r: round(10 * (1.0 if role in ROLE_WEIGHTS else ROLE_WEIGHTS[r])) for r in roles}
    if since is None:
        score = sum((F(r) * tenths[r] for r in roles), Value(0))
        top = list(
            aggregates.ContributorTotal.objects.select_related("user")
            .annotate(score=ExpressionWrapper(score, output_field=IntegerField()))
            .filter(score__gt=0).order_by("-score", "user_id")[:limit]
        )
        return [
            LeaderRow(rank=rank, user=row.user, counts={r: getattr(row, r) for r in ROLE_WEIGHTS},
                      score=round(row.score / 10, 1))
            for rank, row in enumerate(top, start=1)
        ]
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(ROLE_WEIGHTS, 0))
    for user_id, r, n in (
        aggregates.ContributionCount.objects.filter(month__gte=first_counted_month(since))
        .values_list("user_id", "role").annotate(n=Sum("count")).order_by()
    ):
        counts[user_id][r] += n
    scores = {uid: sum(c[r] * tenths[r] for r in roles) for uid, c in counts.items()}
    top_ids = sorted((uid for uid, sc in scores.items() if sc > 0), key=lambda uid: (-scores[uid], uid))[:limit]
    users = get_user_model().objects.in_bulk(top_ids)
    return [
        LeaderRow(rank=rank, user=users.get(uid), counts=dict(counts[uid]), score=round(scores[uid] / 10, 1))
        for rank, uid in enumerate(top_ids, start=1)
    ]


IN_PROGRESS_STATES = (ArticleState.CLAIMED, ArticleState.SUBMITTED, ArticleState.IN_REVIEW,
                      ArticleState.APPROVED)


def contributor_counts(user: AbstractUser) -> dict[str, int]:
    """Published credits per role (the counters), plus work in progress (the person's own
    few in-flight articles, read through the translator index), in one query."""
    states = ", ".join(["%s"] * len(IN_PROGRESS_STATES))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(f't.{role}' for role in ROLE_WEIGHTS)}, "  # noqa: S608 - names only
            f"(SELECT COUNT(*) FROM {Article._meta.db_table} a WHERE a.translator_id = %s AND a.state IN ({states})) "
            f"FROM (SELECT 1) AS one LEFT JOIN {aggregates.ContributorTotal._meta.db_table} t ON t.user_id = %s",
            [user.pk, *IN_PROGRESS_STATES, user.pk],
        )
        *credits, in_progress = cursor.fetchone()
    counts: dict[str, Any] = {role: n or 0 for role, n in zip(ROLE_WEIGHTS, credits, strict=True)}
    counts["in_progress"] = in_progress
    counts["score"] = round(sum(ROLE_WEIGHTS[r] * counts[r] for r in ROLE_WEIGHTS), 1)
    return counts


def contributor_page(user: AbstractUser, *, cursor: str | None, size: int) -> Page:
    """One page of the articles a person is credited on, newest publication first.

    Each role (and the extra reviewers) reads at most one page of ids from its own index in
    publication order; the union of those few ids is the page. A prolific translator's
    5,000 articles cost what a newcomer's five do.
    """
    values = _decode(cursor, 2)
    keyset, keyset_params = "", []
    if values is not None:
        try:
            when = connection.ops.adapt_datetimefield_value(dt.datetime.fromisoformat(values[0]))
            last_id = int(values[1])
        except (TypeError, ValueError):
            values = None
        else:
            keyset = "AND {a}published_at <= %s AND ({a}published_at < %s OR ({a}published_at = %s AND {a}id < %s))"
            keyset_params = [when, when, when, last_id]
    limit = size + 1
    branches, params = [], []
    for n, column in enumerate(("collector_id", "translator_id", "reviewer_id", "publisher_id")):
        branches.append(
            f"SELECT * FROM (SELECT id, published_at FROM {Article._meta.db_table} "  # noqa: S608 - names only
            f"WHERE state = %s AND {column} = %s {keyset.format(a='')} "
            f"ORDER BY published_at DESC, id DESC LIMIT %s) AS r{n}"
        )
        params += [ArticleState.PUBLISHED, user.pk, *keyset_params, limit]
    through = Article.extra_reviewers.through._meta.db_table
    branches.append(
        f"SELECT * FROM (SELECT a.id, a.published_at FROM {through} x "  # noqa: S608 - names only
        f"JOIN {Article._meta.db_table} a ON a.id = x.article_id "
        f"WHERE x.user_id = %s AND a.state = %s {keyset.format(a='a.')} "
        "ORDER BY a.published_at DESC, a.id DESC LIMIT %s) AS rx"
    )
    params += [user.pk, ArticleState.PUBLISHED, *keyset_params, limit]
    ids = RawSQL(f"SELECT id FROM ({' UNION '.join(branches)}) AS credited", params)  # noqa: S608, S611
    rows = [as_row(r) for r in (
        Article.objects.filter(pk__in=ids).values(*CARD_FIELDS).order_by("-published_at", "-id")[:limit]
    )]
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        next_cursor = _encode([rows[-1].published_at, rows[-1].pk])
    return Page(items=rows, next_cursor=next_cursor, first=values is None)


# --- Editors' dashboard ---------------------------------------------------------------------


@dataclass
class Dashboard:
    by_state: list[tuple[str, str, int]]
    waiting_review: int
    oldest_submitted: dt.datetime | None
    median_wait: dt.timedelta | None
    stale_claims: int
    approved: int


def dashboard(*, now: dt.datetime | None = None) -> Dashboard:
    """Counts per state from the counters; the review backlog's age from its own few rows."""
    now = now or timezone.now()
    raw: Counter = Counter()
    for (state, _category), n in aggregates.state_counts().items():
        raw[state] += n
    by_state = [(value, str(label), raw.get(value, 0)) for value, label in ArticleState.choices]
    waiting_count = raw[ArticleState.SUBMITTED] + raw[ArticleState.IN_REVIEW]
    waiting = Article.objects.in_state(ArticleState.SUBMITTED, ArticleState.IN_REVIEW).exclude(submitted_at=None)
    oldest = waiting.aggregate(oldest=Min("submitted_at"))["oldest"]
    middle = (waiting.order_by("submitted_at").values_list("submitted_at", flat=True)
              [waiting_count // 2: waiting_count // 2 + 1].first() if waiting_count else None)
    return Dashboard(
        by_state=by_state,
        waiting_review=waiting_count,
        oldest_submitted=oldest,
        median_wait=now - middle if middle else None,
        stale_claims=stale_claims().count(),
        approved=raw.get(ArticleState.APPROVED, 0),
    )


def stale_claims(*, now: dt.datetime | None = None) -> QuerySet:
    now = now or timezone.now()
    return Article.objects.in_state(ArticleState.CLAIMED).filter(claim_deadline__lt=now)
