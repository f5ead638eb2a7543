# SQL here is built from model metadata and this module's constants; values go as parameters.
# ruff: noqa: S608
"""Fill an empty database with a large, realistic data set (``manage.py seed_bulk``).

What it makes
-------------
Users (all translators; a few collectors, reviewers and publishers, with profiles) and
articles whose states follow LCTT's history — mostly published, then available, a few in
every pipeline state, some withdrawn — in the three categories, with difficulty stars,
English bodies of 5–30 k characters and Chinese translations, ~30 links each (shared
popular URLs plus the article's own, with check results), the events the transitions
would have written (~8 per article), claims, revisions for every submitted, approved and
published text, notifications, feeds with candidates and fetch jobs. Every text is
generated here from word lists written for this project: no third-party text.

People's activity follows a power law, as in LCTT (a handful of translators did most of
the work), so contributor pages and the leaderboard look like the real thing.

How
---
Rows are generated in Python from per-article random generators (so links can be
regenerated in a later pass instead of held in memory) and loaded with COPY through
psycopg 3 (``cursor.copy``) on PostgreSQL, or ``bulk_create`` on SQLite. Revisions are
copied inside PostgreSQL (``INSERT … SELECT``) rather than sent three more times. The whole
load is one transaction: it either completes or leaves nothing. The counter triggers are
switched off for the load (inside that transaction) and the counters rebuilt at the end
with ``workflow.aggregates.recount``; then the tables are analysed (``--vacuum`` also
vacuums them, as a long-running database would be).

Columns this module does not know (added later by someone else) get their model default,
so the seeder keeps working as the models grow.
"""

from __future__ import annotations

import array
import bisect
import contextlib
import datetime as dt
import hashlib
import itertools
import json
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from articles.lctt import make_filename
from articles.models import (
    Article,
    ArticleLink,
    ArticleState,
    Category,
    Feed,
    FeedEntry,
    Job,
    LinkCheckResult,
    LinkStatus,
)

from . import aggregates
from .models import Claim, Event, EventAction, Notification, Profile, Revision, Role

S = ArticleState

# Shares of each state, from LCTT's history: ~8,000 published against ~1,300 never-claimed
# sources, a few dozen in flight at any time, some withdrawn.
STATE_MIX = [
    (S.PUBLISHED, 0.78), (S.AVAILABLE, 0.13), (S.CLAIMED, 0.03), (S.SUBMITTED, 0.015),
    (S.IN_REVIEW, 0.007), (S.APPROVED, 0.005), (S.WITHDRAWN, 0.02), (S.NEW, 0.008),
    (S.FETCH_FAILED, 0.005),
]
CATEGORY_MIX = [(Category.TECH, 0.70), (Category.TALK, 0.18), (Category.NEWS, 0.12)]
DIFFICULTY_MIX = [(0, 0.40), (1, 0.25), (2, 0.25), (3, 0.10)]
HISTORY_START = dt.datetime(2013, 9, 1, tzinfo=dt.UTC)

# --- Words written for this project ---------------------------------------------------------

EN_NOUNS = (
    "kernel", "package", "terminal", "shell", "file system", "container", "process", "daemon",
    "repository", "configuration file", "network interface", "service", "partition", "log file",
    "command", "script", "text editor", "desktop", "server", "module", "driver", "library",
    "compiler", "user account", "permission", "firewall", "backup", "archive", "mirror",
    "cluster", "boot loader", "window manager", "package manager", "virtual machine", "socket",
    "cron job", "swap file", "symbolic link", "environment variable", "mount point",
)
EN_VERBS = (
    "install", "configure", "inspect", "restart", "compile", "mount", "update", "remove",
    "monitor", "debug", "automate", "secure", "list", "search", "compress", "back up",
    "deploy", "patch", "test", "share", "rename", "schedule", "benchmark", "document",
)
EN_ADJECTIVES = (
    "small", "reliable", "fast", "open source", "default", "new", "old", "minimal",
    "graphical", "remote", "local", "secure", "popular", "lightweight", "modern", "stable",
    "experimental", "portable", "busy", "shared",
)
EN_SENTENCES = (
    "You can {verb} the {adj} {noun} with a single command.",
    "Most distributions ship a {adj} {noun} that is easy to {verb}.",
    "Before you {verb} the {noun}, make sure the {noun2} is {adj}.",
    "The {noun} keeps running while you {verb} the {noun2}, which saves a reboot.",
    "If something goes wrong, the {noun2} tells you why the {noun} refused to {verb}.",
    "Many readers asked how to {verb} a {adj} {noun} without root access.",
    "This tutorial shows how to {verb} the {noun} and what to check afterwards.",
    "A {adj} {noun} is often all you need; there is no reason to {verb} a {noun2} as well.",
    "The manual page of the {noun} explains every option, but three of them matter most.",
    "In the next section we {verb} the {noun2} and compare the results.",
    "Remember that every {noun} you {verb} here also changes the {adj} {noun2}.",
    "Once the {noun} is ready, the rest of the setup takes only a few minutes.",
)
EN_COMMANDS = (
    "sudo dnf install {pkg}", "sudo apt install {pkg}", "systemctl status {pkg}",
    "journalctl -u {pkg} --since today", "ls -lh /var/lib/{pkg}", "{pkg} --help | less",
    "grep -rn {pkg} /etc", "du -sh ~/.cache/{pkg}", "tar czf {pkg}.tar.gz ~/{pkg}",
)
PACKAGES = ("htop", "rsync", "nginx", "tmux", "vim", "git", "podman", "borg", "zsh", "curl",
            "ffmpeg", "sqlite", "pandoc", "restic", "fzf", "ripgrep")

ZH_NOUNS = (
    "内核", "软件包", "终端", "命令行", "文件系统", "容器", "进程", "守护进程", "仓库", "配置文件",
    "网卡", "服务", "分区", "日志", "脚本", "编辑器", "桌面环境", "服务器", "模块", "驱动",
    "函数库", "编译器", "用户账户", "权限", "防火墙", "备份", "归档", "镜像", "集群", "引导程序",
)
ZH_VERBS = (
    "安装", "配置", "检查", "重启", "编译", "挂载", "更新", "删除", "监控", "调试", "自动化",
    "加固", "列出", "搜索", "压缩", "备份", "部署", "修补", "测试", "共享",
)
ZH_ADJECTIVES = (
    "小巧的", "可靠的", "快速的", "开源的", "默认的", "新的", "旧的", "精简的", "图形化的",
    "远程的", "本地的", "安全的", "流行的", "轻量级的", "现代的", "稳定的",
)
ZH_SENTENCES = (
    "你可以用一条命令{verb}这个{adj}{noun}。",
    "大多数发行版都自带一个很容易{verb}的{adj}{noun}。",
    "在{verb}{noun}之前，先确认{noun2}是{adj}。",
    "{noun}在你{verb}{noun2}的时候仍在运行，这样就不用重启了。",
    "如果出了问题，{noun2}会告诉你{noun}为什么拒绝{verb}。",
    "很多读者问过如何在没有 root 权限的情况下{verb}{adj}{noun}。",
    "本教程介绍如何{verb}{noun}，以及之后要检查什么。",
    "一个{adj}{noun}通常就够用了，没有必要再{verb}一个{noun2}。",
    "下一节我们会{verb}{noun2}并比较结果。",
    "准备好{noun}之后，剩下的设置只需要几分钟。",
)
HANDLE_PARTS = (
    "geek", "linux", "tux", "shell", "byte", "kernel", "open", "code", "pixel", "root", "data",
    "cloud", "lemon", "panda", "tiger", "river", "stone", "maple", "north", "swift", "quiet",
    "silver", "amber", "echo", "delta", "nova", "orbit", "fern", "pine", "wolf",
)
SITES = (
    "opensource.example.com", "fedoramagazine.example.org", "itsfoss.example.com",
    "linuxjournal.example.com", "lwn.example.net", "howtoforge.example.com",
    "linuxhandbook.example.com", "ostechnix.example.com", "tecmint.example.com",
    "linux.example.com", "nixcraft.example.org", "unixmen.example.com",
)
LINK_SITES = (
    "docs.example.org", "wiki.example.org", "github.example.com", "man.example.org",
    "kernel.example.org", "packages.example.net", "forum.example.com", "blog.example.net",
    "news.example.com", "video.example.com", "images.example.org", "stackexchange.example.com",
)
LINK_RESULTS = [
    ("ok", 200, 0.84), ("redirect_permanent", 301, 0.05), ("redirect_temporary", 302, 0.02),
    ("broken", 404, 0.05), ("server_error", 503, 0.01), ("timeout", None, 0.01),
    ("connection_error", None, 0.01), ("dns_error", None, 0.01),
]


def _cumulative(mix: Iterable[tuple]) -> tuple[list, list[float]]:
    values, weights = [], []
    total = 0.0
    for *value, weight in mix:
        total += weight
        values.append(value[0] if len(value) == 1 else tuple(value))
        weights.append(total)
    return values, [w / total for w in weights]


def _pick(rng: random.Random, values: list, cumulative: list[float]) -> Any:
    return values[bisect.bisect_left(cumulative, rng.random() * cumulative[-1])]


def _zipf_cumulative(n: int, exponent: float = 1.05) -> list[float]:
    return list(itertools.accumulate(1.0 / (rank ** exponent) for rank in range(1, n + 1)))


class TextPool:
    """Paragraphs generated once; an article body is a random run of them plus its links."""

    def __init__(self, rng: random.Random, *, size: int = 2500) -> None:
        self.en = [self._english_paragraph(rng) for _ in range(size)]
        self.en_words = [len(p.split()) for p in self.en]
        self.zh = [self._chinese_paragraph(rng) for _ in range(size)]

    @staticmethod
    def _fill(rng: random.Random, template: str, nouns, verbs, adjectives) -> str:
        return template.format(noun=rng.choice(nouns), noun2=rng.choice(nouns),
                               verb=rng.choice(verbs), adj=rng.choice(adjectives))

    def _english_paragraph(self, rng: random.Random) -> str:
        kind = rng.random()
        if kind < 0.10:
            lines = [rng.choice(EN_COMMANDS).format(pkg=rng.choice(PACKAGES)) for _ in range(rng.randint(1, 4))]
            return "```bash\n" + "\n".join("$ " + line for line in lines) + "\n```"
        if kind < 0.16:
            return f"### {rng.choice(EN_VERBS).capitalize()} the {rng.choice(EN_NOUNS)}"
        if kind < 0.24:
            return "\n".join(
                "  * " + self._fill(rng, rng.choice(EN_SENTENCES), EN_NOUNS, EN_VERBS, EN_ADJECTIVES)
                for _ in range(rng.randint(2, 5))
            )
        sentences = [self._fill(rng, rng.choice(EN_SENTENCES), EN_NOUNS, EN_VERBS, EN_ADJECTIVES)
                     for _ in range(rng.randint(3, 8))]
        if rng.random() < 0.5:  # a reference link, resolved by the article's link list
            i = rng.randrange(len(sentences))
            noun = rng.choice(EN_NOUNS)
            sentences[i] = sentences[i].replace(noun, f"[{noun}][{rng.randint(1, 30)}]", 1) \
                if noun in sentences[i] else sentences[i] + f" See [the {noun}][{rng.randint(1, 30)}]."
        return " ".join(sentences)

    def _chinese_paragraph(self, rng: random.Random) -> str:
        if rng.random() < 0.08:
            return f"### {rng.choice(ZH_VERBS)}{rng.choice(ZH_NOUNS)}"
        return "".join(self._fill(rng, rng.choice(ZH_SENTENCES), ZH_NOUNS, ZH_VERBS, ZH_ADJECTIVES)
                       for _ in range(rng.randint(3, 9)))

    def english(self, rng: random.Random, chars: int) -> tuple[list[str], int]:
        parts, words, total = [], 0, 0
        while total < chars:
            i = rng.randrange(len(self.en))
            parts.append(self.en[i])
            words += self.en_words[i]
            total += len(self.en[i]) + 2
        return parts, words

    def chinese(self, rng: random.Random, chars: int) -> list[str]:
        parts, total = [], 0
        while total < chars:
            p = self.zh[rng.randrange(len(self.zh))]
            parts.append(p)
            total += len(p) + 2
        return parts


# --- Options and report ---------------------------------------------------------------------


@dataclass
class SeedOptions:
    articles: int = 1000
    users: int = 100
    seed: int = 1
    body_min: int = 5_000
    body_max: int = 30_000
    links_per_article: int = 30
    password: str | None = None
    vacuum: bool = False
    now: dt.datetime | None = None
    # Add to a database seeded before (tests grow 10 articles to 10,000 and compare pages);
    # ids, names and URLs continue after what is there.
    append: bool = False


@dataclass
class SeedReport:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


class SeedError(Exception):
    pass


# --- Loading rows ---------------------------------------------------------------------------


class Loader:
    """Writes dict rows (by attname) into a model's table: COPY on PostgreSQL, bulk_create else.

    Fields missing from a row get the model default, computed once per field.
    """

    def __init__(self, report: SeedReport) -> None:
        self.report = report
        self.postgres = connection.vendor == "postgresql"

    def load(self, model: type[models.Model], rows: Iterable[dict], *, name: str | None = None) -> int:
        name = name or model._meta.db_table
        started = time.perf_counter()
        fields = [f for f in model._meta.concrete_fields]
        defaults = {f.attname: (None if f.primary_key else f.get_default()) for f in fields}
        count = (self._copy if self.postgres else self._bulk)(model, fields, defaults, rows)
        self.report.rows[name] = self.report.rows.get(name, 0) + count
        self.report.seconds[name] = self.report.seconds.get(name, 0.0) + time.perf_counter() - started
        return count

    @staticmethod
    def _copy(model, fields, defaults, rows) -> int:
        rows = iter(rows)
        first = next(rows, None)
        if first is None:
            return 0
        # An auto primary key the rows do not give is left to its sequence.
        fields = [f for f in fields if not (f.primary_key and f.attname not in first)]
        json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
        names = [f.attname for f in fields]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        count = 0
        with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
        ) as copy:
            for row in itertools.chain([first], rows):
                values = []
                for name in names:
                    value = row.get(name, defaults[name])
                    if value is not None and name in json_fields:
                        value = json.dumps(value, ensure_ascii=False)
                    values.append(value)
                copy.write_row(values)
                count += 1
        return count

    @staticmethod
    def _bulk(model, fields, defaults, rows, batch: int = 2000) -> int:
        """SQLite: plain executemany (bulk_create builds a model instance per row: 5× slower)."""
        rows = iter(rows)
        first = next(rows, None)
        if first is None:
            return 0
        fields = [f for f in fields if not (f.primary_key and f.attname not in first)]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        sql = (f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) "
               f"VALUES ({', '.join('%s' for _f in fields)})")
        prepared = {f.attname: f.get_db_prep_save for f in fields}
        count = 0
        with connection.cursor() as cursor:
            for chunk in itertools.batched(itertools.chain([first], rows), batch) \
                    if hasattr(itertools, "batched") else _batched(itertools.chain([first], rows), batch):
                cursor.executemany(sql, [
                    [prepared[f.attname](row.get(f.attname, defaults[f.attname]), connection) for f in fields]
                    for row in chunk
                ])
                count += len(chunk)
        return count


def _batched(iterable, n: int) -> Iterator[tuple]:
    iterator = iter(iterable)
    while chunk := tuple(itertools.islice(iterator, n)):
        yield chunk


# --- The seeder -----------------------------------------------------------------------------


@dataclass
class Person:
    pk: int
    username: str
    roles: tuple[str, ...]


@dataclass
class Plan:
    """One article's facts, drawn before its rows are written."""

    pk: int
    state: str
    category: str
    difficulty: int
    created: dt.datetime
    times: dict[str, dt.datetime]
    collector: int
    translator: int | None = None
    reviewer: int | None = None
    publisher: int | None = None
    released_by: int | None = None  # a claim given back before the final one
    sent_back: bool = False  # a first review round ended with "request changes"


class BulkSeeder:
    def __init__(self, options: SeedOptions) -> None:
        self.o = options
        self.now = options.now or timezone.now()
        self.rng = random.Random(options.seed)
        self.report = SeedReport()
        self.loader = Loader(self.report)
        self.pool = TextPool(random.Random(options.seed * 7919 + 1))
        self.common_links = max(200, options.articles * options.links_per_article // 15)
        self.unique_offsets = array.array("q", [0])
        self.link_base = 0  # link ids start after any already in the table

    # -- entry point

    def run(self) -> SeedReport:
        if Article.objects.exists() and not self.o.append:
            raise SeedError("seed_bulk fills an empty database, and this one already has articles. "
                            "Create a new database (or drop this one) and run migrate first.")
        self.article_base = Article.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        with transaction.atomic():
            triggers = self._triggers_off()
            people = self._users()
            plans = self._plans(people)
            self._articles(plans)
            self._links(plans)
            self._events_and_claims(plans)
            self._revisions(plans)
            self._notifications(plans)
            self._feeds_and_jobs(plans, people)
            self._reset_sequences()
            self._triggers_on(triggers)
            self._timed("recount", aggregates.recount)
        self._timed("analyze", self._analyze)
        return self.report

    def _timed(self, name: str, fn, *args) -> Any:
        started = time.perf_counter()
        result = fn(*args)
        self.report.seconds[name] = self.report.seconds.get(name, 0.0) + time.perf_counter() - started
        return result

    def _triggers_off(self) -> list[tuple[str, str]]:
        """Switch triggers off for this transaction only; the counters are recounted after.

        A superuser skips every trigger, the deferred foreign-key checks too
        (``session_replication_role = replica``: the rows are generated consistent, and
        queuing millions of checks would double the load time). Otherwise the counter
        triggers are disabled by ALTER TABLE (which needs only table ownership).
        """
        if connection.vendor != "postgresql":
            return []
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            # lz4 compresses the long bodies several times faster than the default pglz.
            with contextlib.suppress(DatabaseError), transaction.atomic():
                cursor.execute("SET LOCAL default_toast_compression = lz4")
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if cursor.fetchone()[0]:
                cursor.execute("SET LOCAL session_replication_role = replica")
                return []
            pairs = [(aggregates.ARTICLE_TABLE, t) for t in aggregates.PG_ARTICLE_TRIGGERS]
            pairs += [(aggregates.EXTRA_REVIEWERS_TABLE, t) for t in aggregates.PG_EXTRA_TRIGGERS]
            pairs += [(aggregates.EVENT_TABLE, t) for t in aggregates.PG_EVENT_TRIGGERS]
            pairs += list(aggregates.PG_LINKS_TRIGGERS)
            for table, trigger in pairs:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        return pairs

    def _triggers_on(self, pairs: list[tuple[str, str]]) -> None:
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            if not pairs:
                cursor.execute("SET LOCAL session_replication_role = origin")
                return
            # ALTER TABLE refuses while deferred foreign-key checks are queued: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table, trigger in pairs:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")

    # -- people

    def _users(self) -> dict[str, list[Person]]:
        User = get_user_model()
        rng = self.rng
        start = (User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        password = make_password(self.o.password) if self.o.password else None
        groups = {name: Group.objects.get_or_create(name=name)[0].pk for name in Role.values}
        n = self.o.users
        people: list[Person] = []
        for i in range(n):
            share = i / max(n, 1)
            roles = [Role.TRANSLATOR]
            if share < 0.01:
                roles += [Role.PUBLISHER, Role.REVIEWER]
            elif share < 0.04:
                roles += [Role.REVIEWER]
            elif share < 0.10:
                roles += [Role.COLLECTOR]
            handle = f"{rng.choice(HANDLE_PARTS)}{rng.choice(HANDLE_PARTS)}{start + i}"
            people.append(Person(pk=start + i, username=handle, roles=tuple(roles)))
        joined = self.now - dt.timedelta(days=3650)

        def users() -> Iterator[dict]:
            for p in people:
                yield {
                    "id": p.pk, "username": p.username, "email": f"{p.username}@example.org",
                    "password": password or make_password(None), "is_active": True,
                    "is_staff": Role.PUBLISHER in p.roles, "is_superuser": False,
                    "first_name": "", "last_name": "",
                    "date_joined": joined + dt.timedelta(minutes=p.pk),
                }

        self.loader.load(User, users())
        through = User.groups.through
        self.loader.load(through, (
            {"user_id": p.pk, "group_id": groups[role]} for p in people for role in p.roles
        ))
        self.loader.load(Profile, (
            {"user_id": p.pk, "display_name": p.username.capitalize(), "github": p.username,
             "bio": "" if p.pk % 3 else "我喜欢翻译开源文章。", "imported": False,
             "muted_notifications": [], "email_notifications": p.pk % 4 != 0}
            for p in people
        ))
        by_role = {role: [p for p in people if role in p.roles] for role in Role.values}
        for members in by_role.values():  # the busiest translator is not the busiest publisher
            rng.shuffle(members)
        by_role["collector"] = by_role[Role.COLLECTOR] or people[:1]
        by_role["reviewer"] = by_role[Role.REVIEWER] or people[:1]
        by_role["publisher"] = by_role[Role.PUBLISHER] or people[:1]
        self.people = people
        self.weights = {role: _zipf_cumulative(len(members)) for role, members in by_role.items()}
        self.by_role = by_role
        return by_role

    def _person(self, role: str, rng: random.Random, *, not_pk: int | None = None,
                busy: dict[int, int] | None = None, limit: int = 0) -> int:
        """Someone in ``role``: by a power law for finished work, or (``busy`` given) evenly
        among those holding fewer than ``limit`` articles in flight, as the claim limit and
        a reviewer's own pace keep it."""
        members, weights = self.by_role[role], self.weights[role]
        for _ in range(20):
            if busy is None:
                pk = members[bisect.bisect_left(weights, rng.random() * weights[-1])].pk
            else:
                pk = members[rng.randrange(len(members))].pk
                if limit and busy.get(pk, 0) >= limit:
                    continue
            if pk != not_pk:
                if busy is not None:
                    busy[pk] = busy.get(pk, 0) + 1
                return pk
        # Everyone is at the limit (a small seed): the least busy one takes it.
        pk = min((m.pk for m in members if m.pk != not_pk), key=lambda p: (busy or {}).get(p, 0),
                 default=members[0].pk)
        if busy is not None:
            busy[pk] = busy.get(pk, 0) + 1
        return pk

    # -- plans: who did what, when

    def _plans(self, people) -> list[Plan]:
        rng = self.rng
        states, state_w = _cumulative(STATE_MIX)
        categories, category_w = _cumulative(CATEGORY_MIX)
        difficulties, difficulty_w = _cumulative(DIFFICULTY_MIX)
        span = (self.now - HISTORY_START).total_seconds()
        day = dt.timedelta(days=1)
        drafts = []
        for _ in range(self.o.articles):
            state = _pick(rng, states, state_w)
            if state in (S.CLAIMED, S.SUBMITTED, S.IN_REVIEW, S.APPROVED):
                created = self.now - dt.timedelta(seconds=rng.uniform(40, 120) * 86400)
            elif state in (S.NEW, S.FETCH_FAILED):
                created = self.now - dt.timedelta(seconds=rng.uniform(0.01, 10) * 86400)
            elif state == S.AVAILABLE:
                created = self.now - dt.timedelta(seconds=rng.uniform(2, 900) * 86400)
            else:
                created = HISTORY_START + dt.timedelta(seconds=rng.uniform(0, span - 60 * 86400))
            drafts.append((created, state))
        drafts.sort(key=lambda item: item[0])
        plans = []
        claims_held: dict[int, int] = {}  # open claims per translator (MAX_OPEN_CLAIMS)
        in_flight: dict[int, int] = {}  # submitted … approved per translator
        reviews_held: dict[int, int] = {}  # unfinished reviews per reviewer
        for index, (created, state) in enumerate(drafts, start=1):
            times: dict[str, dt.datetime] = {"fetched": created + dt.timedelta(minutes=rng.randint(1, 30))}
            plan = Plan(pk=self.article_base + index, state=state, category=_pick(rng, categories, category_w),
                        difficulty=_pick(rng, difficulties, difficulty_w), created=created,
                        times=times, collector=self._person("collector", rng))
            if state not in (S.NEW, S.FETCH_FAILED):
                times["available"] = times["fetched"] + dt.timedelta(hours=rng.uniform(0.5, 48))
                if rng.random() < 0.15:  # someone claimed it once and gave it back
                    plan.released_by = self._person(Role.TRANSLATOR, rng)
                    times["released_claim"] = times["available"] + day * rng.uniform(0.2, 3)
                    times["released"] = times["released_claim"] + day * rng.uniform(1, 20)
            base = times.get("released", times.get("available", created))
            if state == S.CLAIMED:
                times["claimed"] = max(self.now - day * rng.uniform(0.1, 36), base + day * 0.1)
                plan.translator = self._person(Role.TRANSLATOR, rng, busy=claims_held,
                                               limit=settings.MAX_OPEN_CLAIMS)
            elif state in (S.SUBMITTED, S.IN_REVIEW, S.APPROVED):
                times["claimed"] = base + day * rng.uniform(0.1, 10)
                plan.translator = self._person(Role.TRANSLATOR, rng, busy=in_flight, limit=6)
            elif state == S.PUBLISHED:
                times["claimed"] = base + day * rng.uniform(0.1, 10)
                plan.translator = self._person(Role.TRANSLATOR, rng)
            # Reviews in progress spread evenly (a reviewer's "I am reviewing" list stays short);
            # finished ones follow the power law.
            reviewing = {"busy": reviews_held} if state == S.IN_REVIEW else {}
            if state in (S.CLAIMED, S.SUBMITTED, S.IN_REVIEW, S.APPROVED, S.PUBLISHED) and rng.random() < 0.2:
                # A first round sent back by a reviewer: submit, review, request changes.
                plan.sent_back = True
                plan.reviewer = self._person(Role.REVIEWER, rng, not_pk=plan.translator, **reviewing)
                times["first_submitted"] = times["claimed"] + day * rng.uniform(0.5, 10)
                times["first_review"] = times["first_submitted"] + day * rng.uniform(0.1, 3)
                times["sent_back"] = times["first_review"] + day * rng.uniform(0.1, 2)
                if state == S.CLAIMED:
                    times["sent_back"] = max(times["sent_back"], self.now - day * rng.uniform(0.1, 20))
            resumed = times.get("sent_back", times.get("claimed"))
            if state in (S.SUBMITTED, S.IN_REVIEW, S.APPROVED, S.PUBLISHED):
                times["submitted"] = resumed + day * rng.uniform(0.5, 20)
            if state in (S.IN_REVIEW, S.APPROVED, S.PUBLISHED):
                plan.reviewer = plan.reviewer or self._person(Role.REVIEWER, rng, not_pk=plan.translator,
                                                              **reviewing)
                times["review"] = times["submitted"] + day * rng.uniform(0.1, 5)
            if state in (S.APPROVED, S.PUBLISHED):
                times["approved"] = times["review"] + day * rng.uniform(0.05, 2)
            if state == S.PUBLISHED:
                plan.publisher = self._person(Role.PUBLISHER, rng, not_pk=plan.translator)
                times["published"] = times["approved"] + day * rng.uniform(0.05, 3)
            if state == S.WITHDRAWN:
                times["withdrawn"] = base + day * rng.uniform(1, 30)
            latest = max(times.values())
            if latest > self.now:  # squeeze a late timeline back before "now"
                shift = latest - self.now + dt.timedelta(minutes=1)
                plan.created -= shift
                for key in times:
                    times[key] -= shift
            plans.append(plan)
        return plans

    # -- articles

    def _article_rngs(self, plan: Plan) -> tuple[random.Random, random.Random]:
        """Two generators per article: one for its text, one for its links (regenerated later)."""
        return (random.Random(self.o.seed * 1_000_003 + plan.pk),
                random.Random(self.o.seed * 2_000_029 + plan.pk))

    def _link_choices(self, plan: Plan, rng: random.Random) -> tuple[list[int], int]:
        """(popular link ids, number of the article's own links)."""
        n = max(1, round(self.o.links_per_article * rng.uniform(0.5, 1.5))) if self.o.links_per_article else 0
        own = sum(1 for _ in range(n) if rng.random() < 0.3)
        popular = set()
        weights = self._popular_weights
        while len(popular) < n - own:
            popular.add(self.link_base + 1 + bisect.bisect_left(weights, rng.random() * weights[-1]))
        return sorted(popular), own

    def _popular_url(self, j: int) -> str:
        site = LINK_SITES[j % len(LINK_SITES)]
        return f"https://{site}/{EN_NOUNS[j % len(EN_NOUNS)].replace(' ', '-')}/{self.link_base + j}"

    def _own_url(self, article_pk: int, k: int) -> str:
        site = SITES[article_pk % len(SITES)]
        return f"https://{site}/wp-content/{article_pk}/figure-{k}.png" if k % 4 == 3 else \
            f"https://{site}/{article_pk}/notes-{k}/"

    def _articles(self, plans: list[Plan]) -> None:
        self.link_base = LinkStatus.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        self._popular_weights = _zipf_cumulative(self.common_links, 0.9)
        offsets = self.unique_offsets
        chars_min, chars_max = self.o.body_min, max(self.o.body_min, self.o.body_max)
        pool = self.pool

        def rows() -> Iterator[dict]:
            for plan in plans:
                text_rng, link_rng = self._article_rngs(plan)
                popular, own = self._link_choices(plan, link_rng)
                offsets.append(offsets[-1] + own)
                chars = int(chars_min + (chars_max - chars_min) * text_rng.random() ** 1.6)
                paragraphs, words = pool.english(text_rng, chars)
                urls = [self._popular_url(j - self.link_base) for j in popular]
                urls += [self._own_url(plan.pk, k) for k in range(own)]
                refs = "\n".join(f"[{i}]: {url}" for i, url in enumerate(urls, start=1))
                noun, verb, adj = text_rng.choice(EN_NOUNS), text_rng.choice(EN_VERBS), text_rng.choice(EN_ADJECTIVES)
                subject = f"How to {verb} a {adj} {noun} on Linux ({plan.pk})"
                source = "\n\n".join(paragraphs) + "\n\n--------------------------------------------------------------------------------\n\n" + refs + "\n"
                t = plan.times
                has_translation = plan.state in (S.SUBMITTED, S.IN_REVIEW, S.APPROVED, S.PUBLISHED) or (
                    plan.state == S.CLAIMED and text_rng.random() < 0.6)
                translation = title = ""
                if has_translation:
                    share = 1.0 if plan.state != S.CLAIMED else text_rng.uniform(0.1, 0.9)
                    zh = pool.chinese(text_rng, int(chars * 0.4 * share))
                    translation = "\n\n".join(zh) + "\n\n" + "\n".join(
                        f"[{i}]: {url}" for i, url in enumerate(urls, start=1)) + "\n"
                    title = f"如何在 Linux 上{text_rng.choice(ZH_VERBS)}{text_rng.choice(ZH_ADJECTIVES)}{text_rng.choice(ZH_NOUNS)}（{plan.pk}）"
                site = SITES[plan.pk % len(SITES)]
                source_date = (plan.created - dt.timedelta(days=text_rng.randint(0, 5))).date()
                via = f"https://{site}/{source_date:%Y/%m}/{verb.replace(' ', '-')}-{noun.replace(' ', '-')}-{plan.pk}/"
                claimed = plan.state == S.CLAIMED
                yield {
                    "id": plan.pk, "subject": subject, "title": title, "via": via,
                    "via_normalized": via.rstrip("/"), "author_name": f"Author {plan.pk % 997}",
                    "author_url": f"https://{site}/users/author-{plan.pk % 997}/",
                    "source_date": source_date, "day_counter": None, "category": plan.category,
                    "difficulty": plan.difficulty, "word_count": words,
                    "lctt_filename": make_filename(source_date, None, plan.difficulty, subject),
                    "source_markdown": source, "translation_markdown": translation,
                    "collector_id": plan.collector, "translator_id": plan.translator,
                    "reviewer_id": plan.reviewer if ("review" in t or plan.sent_back) else None, "publisher_id": plan.publisher,
                    "published_url": f"{settings.SITE_URL}/articles/{plan.pk}/" if plan.state == S.PUBLISHED else "",
                    "state": plan.state, "version": 1 + (text_rng.randint(1, 40) if has_translation else 0),
                    "review_round": ("submitted" in t or plan.sent_back) + plan.sent_back, "duplicate_of_id": None,
                    "source_changed_at": None, "created_at": plan.created,
                    "updated_at": max(t.values()), "fetched_at": t["fetched"] if plan.state != S.NEW else None,
                    "available_at": t.get("available"), "claimed_at": t.get("sent_back", t.get("claimed")),
                    "claim_deadline": t.get("sent_back", t.get("claimed")) + dt.timedelta(days=settings.CLAIM_DAYS)
                    if claimed else None,
                    "submitted_at": t.get("submitted"), "review_started_at": t.get("review"),
                    "approved_at": t.get("approved"), "published_at": t.get("published"),
                    "withdrawn_at": t.get("withdrawn"),
                }

        self.loader.load(Article, rows())

    def _links(self, plans: list[Plan]) -> None:
        if not self.o.links_per_article:
            return
        results, result_w = _cumulative(LINK_RESULTS)
        rng = random.Random(self.o.seed * 31 + 7)
        offsets = self.unique_offsets
        checked_base = self.now - dt.timedelta(days=20)

        def status(pk: int, url: str) -> dict:
            result, code = _pick(rng, results, result_w)
            checked = checked_base + dt.timedelta(seconds=rng.uniform(0, 20 * 86400))
            final = url.replace("http://", "https://") + "new/" if result.startswith("redirect") else ""
            return {
                "id": pk, "url": url, "url_hash": hashlib.sha256(url.encode()).hexdigest(),
                "result": result, "status_code": code, "final_url": final,
                "redirect_chain": [final] if final else [], "attempts": 1 if code == 200 else 2,
                "elapsed_ms": rng.randint(40, 2500), "checked_at": checked,
                "error": "" if code else "no answer",
            }

        statuses: list[tuple[int, str, str, int | None, dt.datetime]] = []

        def status_rows() -> Iterator[dict]:
            for j in range(1, self.common_links + 1):  # ids follow link_base
                row = status(self.link_base + j, self._popular_url(j))
                statuses.append((j, row["result"], row["final_url"], row["status_code"], row["checked_at"]))
                yield row
            for index, plan in enumerate(plans):
                base = self.link_base + self.common_links + offsets[index]
                for k in range(offsets[index + 1] - offsets[index]):
                    row = status(base + k + 1, self._own_url(plan.pk, k))
                    statuses.append((row["id"], row["result"], row["final_url"], row["status_code"], row["checked_at"]))
                    yield row

        self.loader.load(LinkStatus, status_rows())
        self.loader.load(LinkCheckResult, (
            {"link_id": pk, "result": result, "status_code": code, "final_url": final,
             "redirect_chain": [final] if final else [], "attempts": 1, "elapsed_ms": 100,
             "error": "", "checked_at": checked}
            for pk, result, final, code, checked in statuses
        ))
        statuses.clear()

        def article_links() -> Iterator[dict]:
            for index, plan in enumerate(plans):
                _text_rng, link_rng = self._article_rngs(plan)
                popular, own = self._link_choices(plan, link_rng)
                translated = plan.state in (S.SUBMITTED, S.IN_REVIEW, S.APPROVED, S.PUBLISHED)
                label = 0
                for link_id in popular:
                    label += 1
                    yield {"article_id": plan.pk, "link_id": link_id, "in_source": True,
                           "in_translation": translated, "kinds": ["reference"], "labels": [str(label)]}
                base = self.link_base + self.common_links + offsets[index]
                for k in range(own):
                    label += 1
                    yield {"article_id": plan.pk, "link_id": base + k + 1, "in_source": True,
                           "in_translation": translated, "kinds": ["image" if k % 4 == 3 else "reference"],
                           "labels": [str(label)]}

        self.loader.load(ArticleLink, article_links())

    # -- what happened to each article

    def _events_and_claims(self, plans: list[Plan]) -> None:
        claims: list[dict] = []

        def events() -> Iterator[dict]:
            for plan in plans:
                t = plan.times

                def ev(action, from_state, to_state, actor, when, note="", plan=plan):
                    return {"article_id": plan.pk, "actor_id": actor, "action": action,
                            "from_state": from_state, "to_state": to_state, "note": note,
                            "created_at": when}

                yield ev(EventAction.COLLECT, "", S.NEW, plan.collector, plan.created, "")
                if plan.state == S.FETCH_FAILED:
                    yield ev(EventAction.FETCH_FAIL, S.NEW, S.FETCH_FAILED, None, t["fetched"], "timed out")
                    continue
                if plan.state == S.NEW:
                    continue
                yield ev(EventAction.FETCH, S.NEW, S.NEW, None, t["fetched"])
                yield ev(EventAction.MAKE_AVAILABLE, S.NEW, S.AVAILABLE, plan.collector, t["available"])
                if plan.released_by:
                    yield ev(EventAction.CLAIM, S.AVAILABLE, S.CLAIMED, plan.released_by, t["released_claim"])
                    yield ev(EventAction.RELEASE, S.CLAIMED, S.AVAILABLE, plan.released_by, t["released"])
                    claims.append({"article_id": plan.pk, "user_id": plan.released_by,
                                   "claimed_at": t["released_claim"],
                                   "deadline": t["released_claim"] + dt.timedelta(days=settings.CLAIM_DAYS),
                                   "ended_at": t["released"], "end_reason": Claim.EndReason.RELEASED,
                                   "reminded_days": []})
                if "claimed" in t:
                    yield ev(EventAction.CLAIM, S.AVAILABLE, S.CLAIMED, plan.translator, t["claimed"])
                    claim_ends = t.get("first_submitted", t.get("submitted"))
                    claims.append({"article_id": plan.pk, "user_id": plan.translator, "claimed_at": t["claimed"],
                                   "deadline": t["claimed"] + dt.timedelta(days=settings.CLAIM_DAYS),
                                   "ended_at": claim_ends,
                                   "end_reason": Claim.EndReason.SUBMITTED if claim_ends else "",
                                   "reminded_days": []})
                if plan.sent_back:
                    yield ev(EventAction.SUBMIT, S.CLAIMED, S.SUBMITTED, plan.translator, t["first_submitted"])
                    yield ev(EventAction.START_REVIEW, S.SUBMITTED, S.IN_REVIEW, plan.reviewer, t["first_review"])
                    yield ev(EventAction.REQUEST_CHANGES, S.IN_REVIEW, S.CLAIMED, plan.reviewer, t["sent_back"],
                             "第二段和第五段还有漏译，请补上。")
                    claims.append({"article_id": plan.pk, "user_id": plan.translator, "claimed_at": t["sent_back"],
                                   "deadline": t["sent_back"] + dt.timedelta(days=settings.CLAIM_DAYS),
                                   "ended_at": t.get("submitted"),
                                   "end_reason": Claim.EndReason.SUBMITTED if "submitted" in t else "",
                                   "reminded_days": []})
                if "submitted" in t:
                    yield ev(EventAction.SUBMIT, S.CLAIMED, S.SUBMITTED, plan.translator, t["submitted"])
                if "review" in t:
                    yield ev(EventAction.START_REVIEW, S.SUBMITTED, S.IN_REVIEW, plan.reviewer, t["review"])
                if "approved" in t:
                    yield ev(EventAction.APPROVE, S.IN_REVIEW, S.APPROVED, plan.reviewer, t["approved"])
                if "published" in t:
                    yield ev(EventAction.PUBLISH, S.APPROVED, S.PUBLISHED, plan.publisher, t["published"],
                             f"{settings.SITE_URL}/articles/{plan.pk}/")
                if "withdrawn" in t:
                    yield ev(EventAction.WITHDRAW, S.AVAILABLE, S.WITHDRAWN, plan.collector, t["withdrawn"],
                             "重复选题")

        self.loader.load(Event, events())
        self.loader.load(Claim, claims)

    # (kind, round, author column, time, states); a sent-back article (round 2) also keeps
    # the text of its first round, submitted before the reviewer asked for changes.
    _REVISION_KINDS = [
        (Revision.Kind.SUBMITTED, 1, "translator_id", "first_round",
         [S.CLAIMED, S.SUBMITTED, S.IN_REVIEW, S.APPROVED, S.PUBLISHED]),
        (Revision.Kind.SUBMITTED, 0, "translator_id", "submitted_at", [S.SUBMITTED, S.IN_REVIEW, S.APPROVED, S.PUBLISHED]),
        (Revision.Kind.APPROVED, 0, "reviewer_id", "approved_at", [S.APPROVED, S.PUBLISHED]),
        (Revision.Kind.PUBLISHED, 0, "publisher_id", "published_at", [S.PUBLISHED]),
    ]

    def _revisions(self, plans: list[Plan]) -> None:
        started = time.perf_counter()
        if connection.vendor != "postgresql":
            self._revisions_python()
            return
        # PostgreSQL: copy the (already compressed) texts inside the server.
        known = {"id", "article_id", "kind", "round", "title", "text", "content_hash", "author_id", "created_at"}
        extra = [f for f in Revision._meta.concrete_fields if f.attname not in known]
        extra_cols = "".join(f", {connection.ops.quote_name(f.column)}" for f in extra)
        extra_vals = "".join(", %s" for _f in extra)
        params = [f.get_db_prep_save(f.get_default(), connection) for f in extra]
        with connection.cursor() as cursor:
            for kind, _round, author, when, states in self._REVISION_KINDS:
                if when == "first_round":
                    when_sql, round_sql, only = "a.claimed_at - interval '1 day'", "1", "AND a.review_round = 2"
                else:
                    when_sql, round_sql, only = f"a.{when}", "a.review_round", ""
                cursor.execute(
                    "WITH h AS MATERIALIZED (SELECT id, encode(sha256(convert_to(translation_markdown, 'UTF8')), 'hex') AS digest "
                    f"FROM articles_article a WHERE id > %s AND state = ANY(%s) {only}) "
                    f"INSERT INTO workflow_revision (article_id, kind, round, title, text, content_hash, author_id, created_at{extra_cols}) "
                    f"SELECT a.id, %s, {round_sql}, a.title, a.translation_markdown, h.digest, a.{author}, {when_sql}{extra_vals} "
                    "FROM articles_article a JOIN h ON h.id = a.id ORDER BY a.id",
                    [self.article_base, states, kind, *params],
                )
                self.report.rows["workflow_revision"] = self.report.rows.get("workflow_revision", 0) + cursor.rowcount
        self.report.seconds["workflow_revision"] = time.perf_counter() - started

    def _revisions_python(self) -> None:
        rows = []
        for a in Article.objects.filter(review_round__gte=1, pk__gt=self.article_base).values(
                "id", "title", "translation_markdown", "state", "translator_id", "reviewer_id",
                "publisher_id", "claimed_at", "submitted_at", "approved_at", "published_at", "review_round"):
            digest = hashlib.sha256(a["translation_markdown"].encode()).hexdigest()
            for kind, round_no, author, when, states in self._REVISION_KINDS:
                if a["state"] not in states or (when == "first_round" and a["review_round"] != 2):
                    continue
                created = a["claimed_at"] - dt.timedelta(days=1) if when == "first_round" else a[when]
                rows.append({"article_id": a["id"], "kind": kind, "round": round_no or a["review_round"],
                             "title": a["title"], "text": a["translation_markdown"], "content_hash": digest,
                             "author_id": a[author], "created_at": created})
        self.loader.load(Revision, rows)

    def _notifications(self, plans: list[Plan]) -> None:
        rng = random.Random(self.o.seed * 17 + 3)

        def rows() -> Iterator[dict]:
            for plan in plans:
                t = plan.times
                if plan.state == S.PUBLISHED:
                    when = t["published"]
                    yield {"user_id": plan.translator, "kind": Notification.Kind.PUBLISHED,
                           "article_id": plan.pk, "message": f"《{plan.pk}》已发布。",
                           "url": f"/articles/{plan.pk}/", "dedupe_key": "", "created_at": when,
                           "read_at": when + dt.timedelta(hours=5) if rng.random() < 0.9 else None,
                           "emailed_at": None}
                elif plan.state == S.CLAIMED and plan.sent_back:
                    yield {"user_id": plan.translator, "kind": Notification.Kind.CHANGES_REQUESTED,
                           "article_id": plan.pk, "message": f"《{plan.pk}》需要修改：第二段和第五段还有漏译。",
                           "url": f"/articles/{plan.pk}/translate/", "dedupe_key": "",
                           "created_at": t["sent_back"], "read_at": None, "emailed_at": None}
                elif plan.state == S.IN_REVIEW:
                    yield {"user_id": plan.translator, "kind": Notification.Kind.REVIEW_STARTED,
                           "article_id": plan.pk, "message": f"有人开始校对《{plan.pk}》。",
                           "url": f"/articles/{plan.pk}/", "dedupe_key": "", "created_at": t["review"],
                           "read_at": None, "emailed_at": None}

        self.loader.load(Notification, rows())

    def _feeds_and_jobs(self, plans: list[Plan], people) -> None:
        rng = random.Random(self.o.seed * 13 + 5)
        collectors = self.by_role["collector"]
        existing = set(Feed.objects.values_list("url", flat=True))
        feeds = []
        for i, site in enumerate(SITES):
            if f"https://{site}/feed/" in existing:
                continue
            feeds.append({"url": f"https://{site}/feed/", "title": site.split(".")[0],
                          "active": True, "category": Category.NEWS if i % 5 == 0 else Category.TECH,
                          "etag": "", "last_modified": "", "last_polled_at": self.now - dt.timedelta(hours=1),
                          "last_status": "200", "created_by_id": collectors[0].pk,
                          "created_at": self.now - dt.timedelta(days=900)})
        self.loader.load(Feed, feeds)
        feed_ids = list(Feed.objects.filter(url__in=[f["url"] for f in feeds]).values_list("pk", flat=True))
        if not feed_ids:
            return
        entries = max(50, self.o.articles // 30)
        statuses = [FeedEntry.Status.NEW] * 6 + [FeedEntry.Status.COLLECTED, FeedEntry.Status.DISMISSED] * 2

        def entry_rows() -> Iterator[dict]:
            for i in range(1, entries + 1):
                url = f"https://{SITES[i % len(SITES)]}/candidate/{self.article_base + i}/"
                published = self.now - dt.timedelta(hours=rng.uniform(1, 24 * 120))
                yield {"feed_id": feed_ids[i % len(feed_ids)], "url": url, "url_normalized": url.rstrip("/"),
                       "url_hash": hashlib.sha256(url.rstrip("/").encode()).hexdigest(),
                       "title": f"Candidate post {i}", "author": f"Author {i % 97}",
                       "summary": "A new post about the command line.", "published_at": published,
                       "status": rng.choice(statuses), "article_id": None, "decided_by_id": None,
                       "created_at": published + dt.timedelta(minutes=20)}

        self.loader.load(FeedEntry, entry_rows())
        self.loader.load(Job, (
            {"kind": Job.Kind.FETCH,
             "status": Job.Status.FAILED if plan.state == S.FETCH_FAILED else Job.Status.QUEUED,
             "article_id": plan.pk, "payload": {"url": f"https://{SITES[plan.pk % len(SITES)]}/p/{plan.pk}/"},
             "result": {}, "error": "timed out" if plan.state == S.FETCH_FAILED else "",
             "attempts": 5 if plan.state == S.FETCH_FAILED else 0, "max_attempts": 5,
             "created_by_id": plan.collector, "created_at": plan.created, "enqueued_at": plan.created}
            for plan in plans if plan.state in (S.NEW, S.FETCH_FAILED)
        ))

    # -- housekeeping

    def _reset_sequences(self) -> None:
        User = get_user_model()
        tables = [User, User.groups.through, Profile, Article, LinkStatus, LinkCheckResult, ArticleLink,
                  Event, Claim, Revision, Notification, Feed, FeedEntry, Job]
        statements = connection.ops.sequence_reset_sql(no_style(), tables)
        if statements:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)

    def _analyze(self) -> None:
        if connection.vendor != "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            return
        tables = ["auth_user", "auth_user_groups", "workflow_profile", "articles_article",
                  "articles_linkstatus", "articles_linkcheckresult", "articles_articlelink",
                  "workflow_event", "workflow_claim", "workflow_revision", "workflow_notification",
                  "articles_feed", "articles_feedentry", "articles_job", "workflow_statecount",
                  "workflow_contributioncount", "workflow_contributortotal"]
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"{'VACUUM ' if self.o.vacuum else ''}ANALYZE {table}")


def seed_bulk(options: SeedOptions) -> SeedReport:
    """Fill an empty database; see the module docstring. Raises SeedError if it has articles."""
    return BulkSeeder(options).run()
