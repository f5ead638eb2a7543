"""Reads for the workflow pages (HackSoft's "selectors"): lists, counts, timelines, diffs.

Lists use keyset pagination (``WHERE (key, id) < (last key, last id)``), which stays fast
on deep pages and does not skip or repeat rows while articles move between states.
Counts (contributors, leaderboard, admin dashboard) are computed from ``Article`` with a
handful of GROUP BY queries; each is a single function so it can later be swapped for a
maintained aggregate table without touching the views.
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
from django.db.models import Count, F, Min, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from articles.models import Article, ArticleState, Category, Difficulty

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


def keyset_page(qs: QuerySet, *, order: list[tuple[str, bool]], cursor: str | None,
                size: int) -> Page:
    """One page of ``qs`` ordered by ``order`` ([(field, descending)], unique last field)."""
    values = _decode(cursor, len(order))
    if values is not None:
        condition = Q()
        for i, (name, descending) in enumerate(order):
            step = Q(**{f"{name}__{'lt' if descending else 'gt'}": values[i]})
            for j in range(i):
                step &= Q(**{order[j][0]: values[j]})
            condition |= step
        qs = qs.filter(condition)
    qs = qs.order_by(*[f"-{n}" if d else n for n, d in order])
    rows = list(qs[: size + 1])
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


def category_choices() -> list[tuple[str, str]]:
    """The three LCTT categories plus any named series present in the data."""
    known = dict(Category.choices)
    extra = (
        Article.objects.exclude(category__in=list(known)).values_list("category", flat=True)
        .distinct().order_by("category")[:50]
    )
    return list(known.items()) + [(c, c) for c in extra]


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
        Article.objects.available().without_bodies().select_related("collector")
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
    qs = _search(qs, search)
    order = AVAILABLE_SORTS.get(sort, AVAILABLE_SORTS["new"])[1]
    return qs, order


def published_articles(*, category: str = "", search: str = "") -> tuple[QuerySet, list[tuple[str, bool]]]:
    qs = Article.objects.published().without_bodies().with_people()
    if category:
        qs = qs.filter(category=category)
    qs = _search(qs, search)
    return qs, [("published_at", True), ("id", True)]


def review_queue() -> tuple[QuerySet, list[tuple[str, bool]]]:
    """Submitted translations waiting for a reviewer, oldest first."""
    qs = (
        Article.objects.in_state(ArticleState.SUBMITTED).without_bodies()
        .select_related("translator")
        .annotate(sort_key=Coalesce("submitted_at", "updated_at"))
    )
    return qs, [("sort_key", False), ("id", False)]


def in_review() -> QuerySet:
    return (
        Article.objects.in_state(ArticleState.IN_REVIEW).without_bodies()
        .select_related("translator", "reviewer").order_by("review_started_at", "id")
    )


# --- My work --------------------------------------------------------------------------------


@dataclass
class ClaimedItem:
    article: Article
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
    submitted: list[Article] = field(default_factory=list)
    reviewing: list[Article] = field(default_factory=list)
    published: list[Article] = field(default_factory=list)


def my_work(user: AbstractUser) -> MyWork:
    work = MyWork()
    claimed = list(
        Article.objects.in_state(ArticleState.CLAIMED).filter(translator=user)
        .without_bodies().order_by("claim_deadline", "id")
    )
    latest_event: dict[int, Event] = {}
    if claimed:
        for event in (
            Event.objects.filter(article__in=claimed).select_related("actor")
            .order_by("article_id", "created_at", "id")
        ):
            latest_event[event.article_id] = event
    for article in claimed:
        event = latest_event.get(article.pk)
        item = ClaimedItem(article=article, deadline=article.claim_deadline)
        if event is not None and event.action == EventAction.REQUEST_CHANGES:
            item.sent_back_note = event.note
            item.sent_back_by = event.actor
            work.sent_back.append(item)
        else:
            work.claims.append(item)
    work.submitted = list(
        Article.objects.in_state(ArticleState.SUBMITTED, ArticleState.IN_REVIEW, ArticleState.APPROVED)
        .filter(translator=user).without_bodies().select_related("reviewer")
        .order_by("submitted_at", "id")
    )
    work.reviewing = list(
        Article.objects.in_state(ArticleState.IN_REVIEW).filter(reviewer=user)
        .without_bodies().select_related("translator").order_by("review_started_at", "id")
    )
    work.published = list(
        Article.objects.published().filter(translator=user).without_bodies()
        .order_by("-published_at", "-id")[:10]
    )
    return work


def open_claims_of(user: AbstractUser) -> int:
    return Claim.objects.filter(user=user, ended_at__isnull=True).count()


# --- Article page ---------------------------------------------------------------------------


def timeline(article: Article) -> list[Event]:
    return list(Event.objects.filter(article=article).select_related("actor").order_by("created_at", "id"))


def reviewers_of(article: Article) -> list:
    people = [article.reviewer] if article.reviewer_id else []
    people += [u for u in article.extra_reviewers.all() if u.pk != article.reviewer_id]
    return people


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


def _role_counts(base: QuerySet) -> dict[str, Counter]:
    """Credits per role on the given articles: {role: Counter(user_id → n)}."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for role in ("collector", "translator", "reviewer", "publisher"):
        rows = base.exclude(**{f"{role}__isnull": True}).values_list(role).annotate(n=Count("id")).order_by()
        for user_id, n in rows:
            counts[role][user_id] += n
    through = Article.extra_reviewers.through
    extra = (
        through.objects.filter(article__in=base.values("pk")).exclude(user_id=F("article__reviewer_id"))
        .values_list("user_id").annotate(n=Count("id")).order_by()
    )
    for user_id, n in extra:
        counts["reviewer"][user_id] += n
    return counts


@dataclass
class LeaderRow:
    rank: int
    user: Any
    counts: dict[str, int]
    score: float


def leaderboard(*, role: str = "", since: dt.datetime | None = None, limit: int = 50) -> list[LeaderRow]:
    """Top contributors on published translations, for one role or combined (weighted)."""
    base = Article.objects.published()
    if since is not None:
        base = base.filter(published_at__gte=since)
    counts = _role_counts(base)
    scores: Counter = Counter()
    roles = [role] if role in ROLE_WEIGHTS else list(ROLE_WEIGHTS)
    for r in roles:
        weight = 1.0 if role in ROLE_WEIGHTS else ROLE_WEIGHTS[r]
        for user_id, n in counts[r].items():
            scores[user_id] += weight * n
    top = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
    users = get_user_model().objects.in_bulk([uid for uid, _s in top])
    rows = []
    for rank, (user_id, score) in enumerate(top, start=1):
        rows.append(LeaderRow(
            rank=rank, user=users.get(user_id),
            counts={r: counts[r].get(user_id, 0) for r in ROLE_WEIGHTS},
            score=round(score, 1),
        ))
    return rows


def contributor_counts(user: AbstractUser) -> dict[str, int]:
    """Published credits per role, plus work in progress."""
    published = Article.objects.published()
    counts = {
        "collector": published.filter(collector=user).count(),
        "translator": published.filter(translator=user).count(),
        "reviewer": published.filter(Q(reviewer=user) | Q(extra_reviewers=user)).distinct().count(),
        "publisher": published.filter(publisher=user).count(),
    }
    counts["in_progress"] = Article.objects.in_state(
        ArticleState.CLAIMED, ArticleState.SUBMITTED, ArticleState.IN_REVIEW, ArticleState.APPROVED
    ).filter(translator=user).count()
    counts["score"] = round(sum(ROLE_WEIGHTS[r] * counts[r] for r in ROLE_WEIGHTS), 1)
    return counts


def contributor_articles(user: AbstractUser) -> tuple[QuerySet, list[tuple[str, bool]]]:
    qs = (
        Article.objects.published().without_bodies().with_people()
        .filter(Q(collector=user) | Q(translator=user) | Q(reviewer=user) | Q(publisher=user)
                | Q(extra_reviewers=user)).distinct()
    )
    return qs, [("published_at", True), ("id", True)]


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
    now = now or timezone.now()
    raw = dict(Article.objects.values_list("state").annotate(n=Count("id")).order_by())
    by_state = [(value, str(label), raw.get(value, 0)) for value, label in ArticleState.choices]
    waiting = Article.objects.in_state(ArticleState.SUBMITTED, ArticleState.IN_REVIEW)
    oldest = waiting.aggregate(oldest=Min("submitted_at"))["oldest"]
    times = sorted(t for t in waiting.values_list("submitted_at", flat=True) if t is not None)
    median = now - times[len(times) // 2] if times else None
    return Dashboard(
        by_state=by_state,
        waiting_review=waiting.count(),
        oldest_submitted=oldest,
        median_wait=median,
        stale_claims=stale_claims().count(),
        approved=raw.get(ArticleState.APPROVED, 0),
    )


def stale_claims(*, now: dt.datetime | None = None) -> QuerySet:
    now = now or timezone.now()
    return Article.objects.in_state(ArticleState.CLAIMED).filter(claim_deadline__lt=now)
