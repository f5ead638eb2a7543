# SQL here is assembled from this module's constants only (table, column and role names),
# never from input: S608 does not apply.
# ruff: noqa: S608
"""Counters kept in step with every write to the articles table, so pages never count rows.

What is kept
------------
* ``StateCount(state, category, count)`` — how many articles are in each state and
  category: list totals, the category filter's choices, the editors' dashboard.
* ``ContributionCount(user, role, month, count)`` — credits on published translations per
  person, role (collector, translator, reviewer, publisher) and calendar month (UTC): the
  "last 12 months" leaderboard.
* ``ContributorTotal(user, collector, translator, reviewer, publisher)`` — the all-time
  sums: the leaderboard and the contributor pages.
* ``AggregateVersion("published")`` — a random token replaced whenever the set of
  published articles or any of their rows changes: the cache key of fragments that are the
  same for everyone (leaderboard, Atom feed), so a publish, withdrawal or admin edit
  invalidates them in the same transaction.
* ``AggregateVersion("work")`` — a random token replaced by every write that can change
  what the signed-in lists show (available articles, my work, the review queue): any new,
  deleted or changed article except a draft save, and any new event (my work shows each
  claim's last one). The lists' cached blocks carry it in their keys
  (``workflow.templatetags.fragment_tags``).
* ``AggregateVersion("links")`` — a random token replaced by every write that can change an
  article's link report: its links (``articles_articlelink``), their check results
  (``articles_linkstatus``, shared by every article that links the same address) and its
  link-check jobs being queued, started or finished. The article page's cached report
  carries it in its key (``articles.templatetags.article_links``). One token for all
  articles: a check of one address may change thousands of reports, and a check run moves
  it once per transaction.

How they are kept
-----------------
Database triggers on ``articles_article`` and its ``extra_reviewers`` table (installed by
migration 0003, on PostgreSQL and SQLite). The transitions in ``workflow.services`` are
the main writers, but not the only ones: the LCTT importer bulk-inserts articles, the
collector pages insert them, the admin edits categories, tests write rows directly. A
trigger runs inside the writing statement's transaction whatever wrote the row, so the
counters commit or roll back with it — no code path can forget them.

* A reviewer's credit follows the selectors' rule: the ``reviewer`` plus every extra
  reviewer who is not that same person.
* On PostgreSQL the two ``StateCount`` rows a transition touches are updated in key order,
  so a claim (available → claimed) and a release (claimed → available) running at the same
  moment queue behind each other instead of deadlocking; and an article's update is counted
  at COMMIT (a deferred constraint trigger), so those rows are held only while it commits.
  A transaction sees its own updates in the counters only after it commits (tests, which
  never commit, make the trigger immediate: ``PG_DEFERRED_TRIGGERS``).
* Months are UTC calendar months; the "last 12 months" board covers the current month and
  the eleven before it.

``recount()`` rebuilds everything from the tables (the ``recount`` management command; the
bulk seeder calls it after loading with the triggers off); ``expected_counts()`` computes
the same numbers with the ORM, for ``recount --check`` and the tests.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Count
from django.db.models.functions import TruncMonth

ROLES = ("collector", "translator", "reviewer", "publisher")
PUBLISHED = "published"
PUBLISHED_VERSION = "published"
WORK_VERSION = "work"
WORK_BUMPED_SETTING = "translate_hub.work_version_bumped"
LINKS_VERSION = "links"
LINKS_BUMPED_SETTING = "translate_hub.links_version_bumped"

ARTICLE_TABLE = "articles_article"
EXTRA_REVIEWERS_TABLE = "articles_article_extra_reviewers"
EVENT_TABLE = "workflow_event"

# What a draft save (autosave, every few seconds per translator) writes: no list shows them, so
# writing only these leaves the work version alone — and the version row unlocked.
DRAFT_COLUMNS = ("translation_markdown", "version", "updated_at")


class StateCount(models.Model):
    state = models.CharField(max_length=20)
    category = models.CharField(max_length=64)
    count = models.BigIntegerField(default=0)

    class Meta:
        app_label = "workflow"
        constraints = [
            models.UniqueConstraint(fields=["state", "category"], name="statecount_state_category"),
        ]

    def __str__(self) -> str:
        return f"{self.state}/{self.category}: {self.count}"


class ContributionCount(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    role = models.CharField(max_length=10)
    month = models.DateField()
    count = models.IntegerField(default=0)

    class Meta:
        app_label = "workflow"
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "month"], name="contribution_user_role_month"),
        ]
        indexes = [models.Index(fields=["month"], name="contribution_month")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} {self.month:%Y-%m}: {self.count}"


class ContributorTotal(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, primary_key=True, related_name="+"
    )
    collector = models.IntegerField(default=0)
    translator = models.IntegerField(default=0)
    reviewer = models.IntegerField(default=0)
    publisher = models.IntegerField(default=0)

    class Meta:
        app_label = "workflow"

    def __str__(self) -> str:
        return f"{self.user_id}: {self.collector}/{self.translator}/{self.reviewer}/{self.publisher}"


class AggregateVersion(models.Model):
    name = models.CharField(max_length=40, primary_key=True)
    version = models.BigIntegerField()

    class Meta:
        app_label = "workflow"

    def __str__(self) -> str:
        return f"{self.name}: {self.version}"


# --- Reading --------------------------------------------------------------------------------


# Both are read on most pages: plain SQL skips the ORM's query building (~0.3 ms each).


def published_version() -> int:
    """Changes whenever a published article (or the published set) changes; 0 before any."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM workflow_aggregateversion WHERE name = %s", [PUBLISHED_VERSION])
        row = cursor.fetchone()
    return row[0] if row else 0


def _version_columns(vendor: str, name: str, setting: str, alias: str) -> str:
    """SELECT columns: version ``name`` as ``alias`` and, on PostgreSQL, one that tells its
    triggers it was read (so the next write in this transaction moves it again)."""
    sql = f"(SELECT v.version FROM workflow_aggregateversion v WHERE v.name = '{name}') AS {alias}"
    if vendor == "postgresql":
        sql += f", set_config('{setting}', '', true) AS {alias}_read"
    return sql


def _read_version(name: str, setting: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_version_columns(connection.vendor, name, setting, 'version')}")
        row = cursor.fetchone()
    return row[0] or 0


def work_version_columns(vendor: str, alias: str = "work_version") -> str:
    return _version_columns(vendor, WORK_VERSION, WORK_BUMPED_SETTING, alias)


def work_version() -> int:
    """Changes whenever what a signed-in list shows may have changed; 0 before any write.

    Signed-in requests get it with the user (``workflow.auth_backend``) at no extra query.
    """
    return _read_version(WORK_VERSION, WORK_BUMPED_SETTING)


def links_version() -> int:
    """Changes whenever any article's link report may have changed (its links, their check
    results, a link check queued or finished); 0 before any write."""
    return _read_version(LINKS_VERSION, LINKS_BUMPED_SETTING)


def state_counts() -> dict[tuple[str, str], int]:
    """{(state, category): count} for every pair that has ever had an article."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT state, category, count FROM workflow_statecount")
        return {(s, c): n for s, c, n in cursor.fetchall()}


# --- The triggers ---------------------------------------------------------------------------


def _month(vendor: str, expr: str) -> str:
    if vendor == "postgresql":
        return f"(date_trunc('month', {expr} AT TIME ZONE 'UTC'))::date"
    return f"date({expr}, 'start of month')"


def _credit_rows(vendor: str, rec: str, sign: int) -> str:
    """SELECTs giving (user_id, role, month, n) for the credits of row ``rec`` (OLD/NEW)."""
    month = _month(vendor, f"{rec}.published_at")
    published = f"{rec}.state = '{PUBLISHED}'"
    parts = [
        f"SELECT {rec}.{role}_id AS user_id, '{role}' AS role, {month} AS month, {sign} AS n "
        f"WHERE {published}"
        for role in ROLES
    ]
    parts.append(
        f"SELECT x.user_id, 'reviewer', {month}, {sign} FROM {EXTRA_REVIEWERS_TABLE} x "
        f"WHERE {published} AND x.article_id = {rec}.id "
        f"AND ({rec}.reviewer_id IS NULL OR x.user_id <> {rec}.reviewer_id)"
    )
    return " UNION ALL ".join(parts)


def _extra_rows(vendor: str, rec: str, sign: int) -> str:
    """The credit of one extra reviewer row ``rec`` of the through table."""
    month = _month(vendor, "a.published_at")
    return (
        f"SELECT {rec}.user_id AS user_id, 'reviewer' AS role, {month} AS month, {sign} AS n "
        f"FROM {ARTICLE_TABLE} a WHERE a.id = {rec}.article_id AND a.state = '{PUBLISHED}' "
        f"AND (a.reviewer_id IS NULL OR {rec}.user_id <> a.reviewer_id)"
    )


def _apply_credits(vendor: str, rows: str, guard: str = "") -> list[str]:
    """Statements adding the (user, role, month, n) ``rows`` to both credit tables.

    Rows are applied in key order (no deadlock between two publications sharing people).
    ``guard`` (SQLite deletes) skips the statement when the table was emptied, as Django's
    flush does before deleting the articles.
    """
    where = "WHERE d.user_id IS NOT NULL"
    monthly_guard = where + (" AND EXISTS (SELECT 1 FROM workflow_contributioncount)" if guard else "")
    total_guard = where + (" AND EXISTS (SELECT 1 FROM workflow_contributortotal)" if guard else "")
    role_sums = [f"SUM(CASE WHEN d.role = '{role}' THEN d.n ELSE 0 END)" for role in ROLES]
    sums = ", ".join(role_sums)
    changed = " OR ".join(f"{s} <> 0" for s in role_sums)
    updates = ", ".join(
        f"{role} = workflow_contributortotal.{role} + excluded.{role}" for role in ROLES
    )
    return [
        "INSERT INTO workflow_contributioncount (user_id, role, month, count) "
        f"SELECT d.user_id, d.role, d.month, SUM(d.n) FROM ({rows}) d {monthly_guard} "
        "GROUP BY d.user_id, d.role, d.month HAVING SUM(d.n) <> 0 "
        "ORDER BY d.user_id, d.role, d.month "
        "ON CONFLICT (user_id, role, month) DO UPDATE "
        "SET count = workflow_contributioncount.count + excluded.count",
        f"INSERT INTO workflow_contributortotal (user_id, {', '.join(ROLES)}) "
        f"SELECT d.user_id, {sums} FROM ({rows}) d {total_guard} "
        f"GROUP BY d.user_id HAVING {changed} ORDER BY d.user_id "
        f"ON CONFLICT (user_id) DO UPDATE SET {updates}",
    ]


def _new_token(vendor: str) -> str:
    return "(floor(random() * 9000000000000000000))::bigint" if vendor == "postgresql" else "random()"


def _bump_version(vendor: str, name: str = PUBLISHED_VERSION) -> str:
    return (
        "INSERT INTO workflow_aggregateversion (name, version) "
        f"VALUES ('{name}', {_new_token(vendor)}) "
        "ON CONFLICT (name) DO UPDATE SET version = excluded.version"
    )


def _people_changed(old: str = "OLD", new: str = "NEW") -> str:
    cols = [f"{role}_id" for role in ROLES] + ["published_at"]
    return " OR ".join(f"{old}.{c} IS DISTINCT FROM {new}.{c}" for c in cols)


_PG_DROP = [
    f"DROP TRIGGER IF EXISTS th_article_aggregates ON {ARTICLE_TABLE}",
    f"DROP TRIGGER IF EXISTS th_article_aggregates_update ON {ARTICLE_TABLE}",
    f"DROP TRIGGER IF EXISTS th_extra_reviewer_aggregates ON {EXTRA_REVIEWERS_TABLE}",
    "DROP FUNCTION IF EXISTS th_article_aggregates()",
    "DROP FUNCTION IF EXISTS th_extra_reviewer_aggregates()",
    "DROP FUNCTION IF EXISTS th_add_state(text, text, bigint)",
]

_SQLITE_TRIGGERS = [
    "th_article_aggregates_insert", "th_article_aggregates_update", "th_article_aggregates_delete",
    "th_extra_reviewer_aggregates_insert", "th_extra_reviewer_aggregates_delete",
]


def _postgresql_sql() -> list[str]:
    pg = "postgresql"
    credits = "\n".join(
        s + ";" for s in _apply_credits(pg, f"{_credit_rows(pg, 'OLD', -1)} UNION ALL {_credit_rows(pg, 'NEW', 1)}")
    )
    extra_insert = "\n".join(s + ";" for s in _apply_credits(pg, _extra_rows(pg, "NEW", 1)))
    extra_delete = "\n".join(s + ";" for s in _apply_credits(pg, _extra_rows(pg, "OLD", -1)))
    return [
        """
        CREATE OR REPLACE FUNCTION th_add_state(p_state text, p_category text, p_n bigint)
        RETURNS void LANGUAGE sql AS $$
            INSERT INTO workflow_statecount (state, category, count) VALUES (p_state, p_category, p_n)
            ON CONFLICT (state, category) DO UPDATE SET count = workflow_statecount.count + excluded.count
        $$;
        """,
        f"""
        CREATE OR REPLACE FUNCTION th_article_aggregates() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            old_published boolean := COALESCE(TG_OP <> 'INSERT' AND OLD.state = '{PUBLISHED}', false);
            new_published boolean := COALESCE(TG_OP <> 'DELETE' AND NEW.state = '{PUBLISHED}', false);
        BEGIN
            IF TG_OP = 'INSERT' THEN
                PERFORM th_add_state(NEW.state, NEW.category, 1);
            ELSIF TG_OP = 'DELETE' THEN
                PERFORM th_add_state(OLD.state, OLD.category, -1);
            ELSIF (OLD.state, OLD.category) IS DISTINCT FROM (NEW.state, NEW.category) THEN
                -- Lock the two counters in key order: a claim and a release running at the
                -- same moment must queue, not deadlock.
                IF (OLD.state, OLD.category) < (NEW.state, NEW.category) THEN
                    PERFORM th_add_state(OLD.state, OLD.category, -1);
                    PERFORM th_add_state(NEW.state, NEW.category, 1);
                ELSE
                    PERFORM th_add_state(NEW.state, NEW.category, 1);
                    PERFORM th_add_state(OLD.state, OLD.category, -1);
                END IF;
            END IF;
            IF old_published OR new_published THEN
                IF TG_OP <> 'UPDATE' OR old_published <> new_published OR {_people_changed()} THEN
                    {credits}
                END IF;
                {_bump_version(pg)};
            END IF;
            RETURN NULL;
        END;
        $$;
        """,
        f"""
        CREATE OR REPLACE FUNCTION th_extra_reviewer_aggregates() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                {extra_insert}
            ELSE
                {extra_delete}
            END IF;
            IF EXISTS (SELECT 1 FROM {ARTICLE_TABLE} a WHERE a.state = '{PUBLISHED}'
                       AND a.id = CASE WHEN TG_OP = 'INSERT' THEN NEW.article_id ELSE OLD.article_id END) THEN
                {_bump_version(pg)};
            END IF;
            RETURN NULL;
        END;
        $$;
        """,
        f"CREATE TRIGGER th_article_aggregates AFTER INSERT OR DELETE ON {ARTICLE_TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION th_article_aggregates()",
        # Draft autosaves change neither state, category nor a published row: no call at all.
        # Deferred to COMMIT (migration workflow 0007): run at the UPDATE, it held the two
        # counter rows from the article's UPDATE to the end of the transaction, and every
        # claim and release of one category queued behind the others' remaining statements
        # (12 threads cycling claim + release: 6.5 of them waiting on average; 160 cycles/s
        # immediate, 218 deferred). Bumped at commit, the counters are held only for it.
        f"CREATE CONSTRAINT TRIGGER th_article_aggregates_update AFTER UPDATE ON {ARTICLE_TABLE} "
        f"{_AT_COMMIT} FOR EACH ROW "
        "WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.category IS DISTINCT FROM NEW.category "
        f"OR OLD.state = '{PUBLISHED}' OR NEW.state = '{PUBLISHED}') "
        "EXECUTE FUNCTION th_article_aggregates()",
        f"CREATE TRIGGER th_extra_reviewer_aggregates AFTER INSERT OR DELETE ON {EXTRA_REVIEWERS_TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION th_extra_reviewer_aggregates()",
    ]


def _sqlite_sql() -> list[str]:
    lite = "sqlite"

    def add_state(rec: str, n: int, guard: bool = False) -> str:
        if guard:  # Django's flush empties the counters before it deletes the articles
            return (f"UPDATE workflow_statecount SET count = count + ({n}) "
                    f"WHERE state = {rec}.state AND category = {rec}.category")
        return ("INSERT INTO workflow_statecount (state, category, count) "
                f"VALUES ({rec}.state, {rec}.category, {n}) "
                "ON CONFLICT (state, category) DO UPDATE SET count = count + excluded.count")

    def body(*statements: str) -> str:
        return "BEGIN " + " ".join(s + ";" for s in statements) + " END"

    published = lambda rec: f"{rec}.state = '{PUBLISHED}'"  # noqa: E731
    bump = (f"INSERT INTO workflow_aggregateversion (name, version) SELECT '{PUBLISHED_VERSION}', "
            "random() WHERE {cond} ON CONFLICT (name) DO UPDATE SET version = excluded.version")
    both = f"{_credit_rows(lite, 'OLD', -1)} UNION ALL {_credit_rows(lite, 'NEW', 1)}"
    state_changed = "OLD.state IS NOT NEW.state OR OLD.category IS NOT NEW.category"
    return [
        f"CREATE TRIGGER th_article_aggregates_insert AFTER INSERT ON {ARTICLE_TABLE} FOR EACH ROW "
        + body(add_state("NEW", 1), *_apply_credits(lite, _credit_rows(lite, "NEW", 1)),
               bump.format(cond=published("NEW"))),
        f"CREATE TRIGGER th_article_aggregates_update AFTER UPDATE ON {ARTICLE_TABLE} FOR EACH ROW "
        f"WHEN {state_changed} OR {published('OLD')} OR {published('NEW')} "
        + body(
            f"UPDATE workflow_statecount SET count = count - 1 WHERE ({state_changed}) "
            "AND state = OLD.state AND category = OLD.category",
            "INSERT INTO workflow_statecount (state, category, count) "
            f"SELECT NEW.state, NEW.category, 1 WHERE {state_changed} "
            "ON CONFLICT (state, category) DO UPDATE SET count = count + excluded.count",
            *_apply_credits(lite, both),
            bump.format(cond=f"{published('OLD')} OR {published('NEW')}"),
        ),
        f"CREATE TRIGGER th_article_aggregates_delete AFTER DELETE ON {ARTICLE_TABLE} FOR EACH ROW "
        + body(add_state("OLD", -1, guard=True),
               *_apply_credits(lite, _credit_rows(lite, "OLD", -1), guard="flush"),
               bump.format(cond=published("OLD"))),
        f"CREATE TRIGGER th_extra_reviewer_aggregates_insert AFTER INSERT ON {EXTRA_REVIEWERS_TABLE} "
        "FOR EACH ROW " + body(*_apply_credits(lite, _extra_rows(lite, "NEW", 1))),
        f"CREATE TRIGGER th_extra_reviewer_aggregates_delete AFTER DELETE ON {EXTRA_REVIEWERS_TABLE} "
        "FOR EACH ROW " + body(*_apply_credits(lite, _extra_rows(lite, "OLD", -1), guard="flush")),
    ]


def _install(schema_editor, postgresql: Callable[[], list[str]], sqlite: Callable[[], list[str]]) -> None:
    vendor = schema_editor.connection.vendor
    statements = postgresql() if vendor == "postgresql" else sqlite() if vendor == "sqlite" else []
    for sql in statements:
        schema_editor.execute(sql, params=None)


def install_triggers(schema_editor) -> None:
    drop_triggers(schema_editor)
    _install(schema_editor, _postgresql_sql, _sqlite_sql)


def _drop(schema_editor, postgresql: list[str], sqlite_names: list[str]) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for sql in postgresql:
            schema_editor.execute(sql, params=None)
    elif vendor == "sqlite":
        for name in sqlite_names:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", params=None)


def drop_triggers(schema_editor) -> None:
    _drop(schema_editor, _PG_DROP, _SQLITE_TRIGGERS)


# --- The work version's triggers (migration 0005) --------------------------------------------
#
# On PostgreSQL they are constraint triggers deferred to COMMIT. The version row is one row
# that every transition updates: bumped at the first write, its lock would be held to the
# commit while the transaction goes on to lock StateCount and article rows, and two
# transactions touching several articles (an import, a claim) could each hold what the other
# waits for. Bumped at commit, it is the last lock taken and held only for the commit.
# A transaction sees the old version until then, so nothing may render a work list inside a
# transaction that writes (ATOMIC_REQUESTS is off; the services commit before views render).
# Tests run in one transaction that never commits: tests/conftest.py makes these triggers
# immediate there (``SET CONSTRAINTS … IMMEDIATE``), and tests/test_worklists.py checks the
# deferred path with real commits.

_PG_WORK_DROP = [
    f"DROP TRIGGER IF EXISTS th_article_work_version ON {ARTICLE_TABLE}",
    f"DROP TRIGGER IF EXISTS th_article_work_version_update ON {ARTICLE_TABLE}",
    f"DROP TRIGGER IF EXISTS th_event_work_version ON {EVENT_TABLE}",
    "DROP FUNCTION IF EXISTS th_bump_work_version()",
]

_SQLITE_WORK_TRIGGERS = [
    "th_article_work_version_insert", "th_article_work_version_update",
    "th_article_work_version_delete", "th_event_work_version",
]


_AT_COMMIT = "DEFERRABLE INITIALLY DEFERRED"


def _pg_bump_function(function: str, name: str, setting: str) -> str:
    return f"""
        CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- Once, until the version is read again in this transaction (the readers reset the
            -- flag): at commit that is once per transaction, and where the triggers run at each
            -- write (tests) a list read between two writes still sees the second one move it.
            -- Not on every row: a transaction's updates of one row pile up versions that each
            -- next update walks past (an import's thousands of rows would take quadratic time).
            IF current_setting('{setting}', true) IS DISTINCT FROM 'on' THEN
                PERFORM set_config('{setting}', 'on', true);
                {_bump_version("postgresql", name)};
            END IF;
            RETURN NULL;
        END;
        $$;
        """


def _pg_work_sql() -> list[str]:
    draft = "'{" + ",".join(DRAFT_COLUMNS) + "}'::text[]"
    return [
        _pg_bump_function("th_bump_work_version", WORK_VERSION, WORK_BUMPED_SETTING),
        f"CREATE CONSTRAINT TRIGGER th_article_work_version AFTER INSERT OR DELETE ON {ARTICLE_TABLE} "
        f"{_AT_COMMIT} FOR EACH ROW EXECUTE FUNCTION th_bump_work_version()",
        # Every column but the draft's, so a column added later is covered without a new trigger.
        f"CREATE CONSTRAINT TRIGGER th_article_work_version_update AFTER UPDATE ON {ARTICLE_TABLE} "
        f"{_AT_COMMIT} FOR EACH ROW "
        f"WHEN ((to_jsonb(OLD) - {draft}) IS DISTINCT FROM (to_jsonb(NEW) - {draft})) "
        "EXECUTE FUNCTION th_bump_work_version()",
        f"CREATE CONSTRAINT TRIGGER th_event_work_version AFTER INSERT ON {EVENT_TABLE} "
        f"{_AT_COMMIT} FOR EACH ROW EXECUTE FUNCTION th_bump_work_version()",
    ]


def _sqlite_work_sql(article_columns: list[str]) -> list[str]:
    bump = f"BEGIN {_bump_version('sqlite', WORK_VERSION)}; END"
    watched = [c for c in article_columns if c not in DRAFT_COLUMNS]
    changed = " OR ".join(f'OLD."{c}" IS NOT NEW."{c}"' for c in watched)
    return [
        f"CREATE TRIGGER th_article_work_version_insert AFTER INSERT ON {ARTICLE_TABLE} FOR EACH ROW {bump}",
        f"CREATE TRIGGER th_article_work_version_delete AFTER DELETE ON {ARTICLE_TABLE} FOR EACH ROW {bump}",
        # SQLite has no row-to-JSON: the columns as they are when the migration runs.
        f"CREATE TRIGGER th_article_work_version_update AFTER UPDATE ON {ARTICLE_TABLE} FOR EACH ROW "
        f"WHEN {changed} {bump}",
        f"CREATE TRIGGER th_event_work_version AFTER INSERT ON {EVENT_TABLE} FOR EACH ROW {bump}",
    ]


def install_work_triggers(schema_editor) -> None:
    connection_ = schema_editor.connection
    drop_work_triggers(schema_editor)
    if connection_.vendor == "postgresql":
        statements = _pg_work_sql()
    elif connection_.vendor == "sqlite":
        with connection_.cursor() as cursor:
            columns = [c.name for c in connection_.introspection.get_table_description(cursor, ARTICLE_TABLE)]
        statements = _sqlite_work_sql(columns)
    else:
        return
    for sql in statements:
        schema_editor.execute(sql, params=None)


def drop_work_triggers(schema_editor) -> None:
    _drop(schema_editor, _PG_WORK_DROP, _SQLITE_WORK_TRIGGERS)


# --- The links version's triggers (migration 0006) --------------------------------------------
#
# Deferred to COMMIT like the work version's, for the same reason: a link check's transaction
# updates hundreds of shared link rows, and the version row must be the last lock it takes.

LINK_TABLE = "articles_articlelink"
LINK_STATUS_TABLE = "articles_linkstatus"
JOB_TABLE = "articles_job"
CHECK_LINKS_JOB = "check_links"

# (table, trigger, events, condition): a job matters only as a link check queued or running.
_LINKS_TRIGGERS = (
    (LINK_TABLE, "th_link_links_version", "INSERT OR UPDATE OR DELETE", ""),
    (LINK_STATUS_TABLE, "th_link_status_links_version", "UPDATE OR DELETE", ""),
    (JOB_TABLE, "th_job_insert_links_version", "INSERT", f"NEW.kind = '{CHECK_LINKS_JOB}'"),
    (JOB_TABLE, "th_job_update_links_version", "UPDATE",
     f"(OLD.kind = '{CHECK_LINKS_JOB}' OR NEW.kind = '{CHECK_LINKS_JOB}') "
     "AND (OLD.status, OLD.kind, OLD.article_id) IS DISTINCT FROM (NEW.status, NEW.kind, NEW.article_id)"),
    (JOB_TABLE, "th_job_delete_links_version", "DELETE", f"OLD.kind = '{CHECK_LINKS_JOB}'"),
)


def _pg_links_sql() -> list[str]:
    statements = [_pg_bump_function("th_bump_links_version", LINKS_VERSION, LINKS_BUMPED_SETTING)]
    for table, name, events, condition in _LINKS_TRIGGERS:
        when = f"WHEN ({condition}) " if condition else ""
        statements.append(f"CREATE CONSTRAINT TRIGGER {name} AFTER {events} ON {table} {_AT_COMMIT} "
                          f"FOR EACH ROW {when}EXECUTE FUNCTION th_bump_links_version()")
    return statements


def _sqlite_links_sql() -> list[str]:
    bump = f"BEGIN {_bump_version('sqlite', LINKS_VERSION)}; END"
    statements = []
    for table, name, events, condition in _LINKS_TRIGGERS:
        # SQLite takes one event per trigger and compares with IS NOT.
        sqlite_condition = condition.replace("IS DISTINCT FROM", "IS NOT")
        when = f"WHEN {sqlite_condition} " if condition else ""
        for event in events.split(" OR "):
            statements.append(f"CREATE TRIGGER {name}_{event.lower()} AFTER {event} ON {table} "
                              f"FOR EACH ROW {when}{bump}")
    return statements


def install_links_triggers(schema_editor) -> None:
    drop_links_triggers(schema_editor)
    _install(schema_editor, _pg_links_sql, _sqlite_links_sql)


def drop_links_triggers(schema_editor) -> None:
    postgresql = [f"DROP TRIGGER IF EXISTS {name} ON {table}" for table, name, _, _ in _LINKS_TRIGGERS]
    sqlite_names = [f"{name}_{event.lower()}" for _, name, events, _ in _LINKS_TRIGGERS
                    for event in events.split(" OR ")]
    _drop(schema_editor, [*postgresql, "DROP FUNCTION IF EXISTS th_bump_links_version()"], sqlite_names)


# PostgreSQL trigger names per table, for bulk loads that recount afterwards.
_PG_ARTICLE_WORK_TRIGGERS = ("th_article_work_version", "th_article_work_version_update")
PG_EVENT_TRIGGERS = ("th_event_work_version",)
PG_WORK_TRIGGERS = _PG_ARTICLE_WORK_TRIGGERS + PG_EVENT_TRIGGERS
PG_ARTICLE_TRIGGERS = ("th_article_aggregates", "th_article_aggregates_update", *_PG_ARTICLE_WORK_TRIGGERS)
PG_EXTRA_TRIGGERS = ("th_extra_reviewer_aggregates",)
PG_LINKS_TRIGGERS = tuple((table, name) for table, name, _, _ in _LINKS_TRIGGERS)
# Triggers deferred to COMMIT (tests/conftest.py runs them at each write instead).
PG_DEFERRED_TRIGGERS = (
    "th_article_aggregates_update", *PG_WORK_TRIGGERS, *(name for _, name in PG_LINKS_TRIGGERS)
)


# --- Rebuilding and checking ------------------------------------------------------------------


def _recount_sql(vendor: str) -> list[str]:
    month = _month(vendor, "a.published_at")
    credits = " UNION ALL ".join(
        f"SELECT a.{role}_id AS user_id, '{role}' AS role, {month} AS month FROM {ARTICLE_TABLE} a "
        f"WHERE a.state = '{PUBLISHED}' AND a.{role}_id IS NOT NULL"
        for role in ROLES
    ) + (
        f" UNION ALL SELECT x.user_id, 'reviewer', {month} FROM {EXTRA_REVIEWERS_TABLE} x "
        f"JOIN {ARTICLE_TABLE} a ON a.id = x.article_id WHERE a.state = '{PUBLISHED}' "
        "AND (a.reviewer_id IS NULL OR x.user_id <> a.reviewer_id)"
    )
    sums = ", ".join(f"SUM(CASE WHEN role = '{role}' THEN count ELSE 0 END)" for role in ROLES)
    return [
        "DELETE FROM workflow_statecount",
        "DELETE FROM workflow_contributioncount",
        "DELETE FROM workflow_contributortotal",
        "INSERT INTO workflow_statecount (state, category, count) "
        f"SELECT state, category, COUNT(*) FROM {ARTICLE_TABLE} GROUP BY state, category",
        "INSERT INTO workflow_contributioncount (user_id, role, month, count) "
        f"SELECT user_id, role, month, COUNT(*) FROM ({credits}) c GROUP BY user_id, role, month",
        f"INSERT INTO workflow_contributortotal (user_id, {', '.join(ROLES)}) "
        f"SELECT user_id, {sums} FROM workflow_contributioncount GROUP BY user_id",
    ]


def bump_versions(*, using: str = "default") -> None:
    """New published, work and links versions, for writers that load with the triggers off
    (the bulk seeder, a recount)."""
    for name in (PUBLISHED_VERSION, WORK_VERSION, LINKS_VERSION):
        AggregateVersion.objects.using(using).update_or_create(
            name=name, defaults={"version": secrets.randbits(62)}
        )


def recount(*, using: str = "default") -> None:
    """Rebuild every counter from the tables, in one transaction (writers wait meanwhile)."""
    from django.db import connections

    conn = connections[using]
    with transaction.atomic(using=using), conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            # SHARE blocks inserts, updates and deletes until we commit, so no transition
            # can slip between the counting and the writing.
            cursor.execute(f"LOCK TABLE {ARTICLE_TABLE}, {EXTRA_REVIEWERS_TABLE} IN SHARE MODE")
        for sql in _recount_sql(conn.vendor):
            cursor.execute(sql)
        bump_versions(using=using)


@dataclass
class Counts:
    states: dict[tuple[str, str], int]
    monthly: dict[tuple[int, str, dt.date], int]
    totals: dict[int, dict[str, int]]


def stored_counts() -> Counts:
    """What the counter tables hold now (zero rows left by withdrawals are ignored)."""
    totals = {}
    for row in ContributorTotal.objects.values("user_id", *ROLES):
        user_id = row.pop("user_id")
        if any(row.values()):
            totals[user_id] = row
    return Counts(
        states={k: n for k, n in state_counts().items() if n},
        monthly={
            (u, r, m): n
            for u, r, m, n in ContributionCount.objects.values_list("user_id", "role", "month", "count")
            if n
        },
        totals=totals,
    )


def expected_counts() -> Counts:
    """The same numbers computed from the articles with the ORM (independent of the SQL)."""
    from articles.models import Article

    states = {
        (s, c): n for s, c, n in
        Article.objects.values_list("state", "category").annotate(n=Count("id")).order_by()
    }
    published = Article.objects.filter(state=PUBLISHED)
    month = TruncMonth("published_at", tzinfo=dt.UTC)
    monthly: Counter = Counter()
    for role in ROLES:
        rows = (published.exclude(**{f"{role}__isnull": True}).annotate(m=month)
                .values_list(f"{role}_id", "m").annotate(n=Count("id")).order_by())
        for user_id, m, n in rows:
            monthly[(user_id, role, _as_date(m))] += n
    through = Article.extra_reviewers.through
    extra = (
        through.objects.filter(article__state=PUBLISHED)
        .exclude(article__reviewer_id=models.F("user_id"))
        .annotate(m=TruncMonth("article__published_at", tzinfo=dt.UTC))
        .values_list("user_id", "m").annotate(n=Count("id")).order_by()
    )
    for user_id, m, n in extra:
        monthly[(user_id, "reviewer", _as_date(m))] += n
    totals: dict[int, dict[str, int]] = {}
    for (user_id, role, _m), n in monthly.items():
        totals.setdefault(user_id, dict.fromkeys(ROLES, 0))[role] += n
    return Counts(states=states, monthly=dict(monthly), totals=totals)


def _as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def differences(stored: Counts, expected: Counts) -> list[str]:
    """Human-readable mismatches between two sets of counts (empty when they agree)."""
    problems = []
    for name in ("states", "monthly", "totals"):
        have, want = getattr(stored, name), getattr(expected, name)
        for key in sorted(set(have) | set(want), key=str):
            if have.get(key) != want.get(key):
                problems.append(f"{name}{key}: stored {have.get(key)}, expected {want.get(key)}")
    return problems


def vendor() -> str:
    return connection.vendor
