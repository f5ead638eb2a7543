"""Demo users (one per role, plus an admin) and a handful of demo articles in several states.

Idempotent: users are matched by username and articles by their demo source URL, so running
it again changes nothing. Every text here was written for this project (no third-party
article text). The articles go through workflow.services, so their timelines are real.
"""

from __future__ import annotations

import datetime as dt
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from articles.models import Article, ArticleState, Category, Difficulty
from workflow import services
from workflow.models import Profile, Role

DEMO_BASE = "https://example.org/translate-hub-demo/"
DEFAULT_PASSWORD = "translate-hub-demo"  # noqa: S105 - demo accounts only, printed on purpose

USERS = [
    # username, roles, staff, superuser, display name
    ("cora", [Role.COLLECTOR, Role.TRANSLATOR], False, False, "Cora (选题)"),
    ("tina", [Role.TRANSLATOR], False, False, "Tina (译者)"),
    ("ming", [Role.TRANSLATOR], False, False, "Ming (译者)"),
    ("rita", [Role.REVIEWER, Role.TRANSLATOR], False, False, "Rita (校对)"),
    ("pete", [Role.PUBLISHER, Role.REVIEWER, Role.TRANSLATOR], True, False, "Pete (发布)"),
    ("admin", [Role.COLLECTOR, Role.TRANSLATOR, Role.REVIEWER, Role.PUBLISHER], True, True, "Admin"),
]
EDITOR_PERMISSIONS = [
    ("articles", "view_article"), ("articles", "change_article"),
    ("articles", "view_lcttsource"), ("workflow", "view_event"), ("workflow", "view_claim"),
    ("workflow", "view_revision"),
]


def _para(*lines: str) -> str:
    return "\n\n".join(lines) + "\n"


ARTICLES = [
    {
        "slug": "find-large-files",
        "subject": "Find the largest files on your disk with du and sort",
        "source": _para(
            "When a disk fills up, the first question is always the same: what is taking the space?",
            "The `du` command answers it. Combined with `sort`, it lists the biggest directories first:",
            "```bash\ndu -h --max-depth=1 /var | sort -rh | head -n 10\n```",
            "The `-h` option prints human-readable sizes, and `sort -rh` understands them, so 2G sorts above 900M.",
            "### Looking at single files",
            "To list files rather than directories, `find` can filter by size:",
            "```bash\nfind / -xdev -type f -size +500M -exec ls -lh {} +\n```",
            "The `-xdev` option keeps `find` on one file system, so it does not wander into network mounts.",
        ),
        "title": "用 du 和 sort 找出磁盘上最大的文件",
        "translation": _para(
            "磁盘快满的时候，第一个问题总是一样的：到底是什么占用了空间？",
            "`du` 命令可以回答这个问题。配合 `sort`，它会把最大的目录排在最前面：",
            "```bash\ndu -h --max-depth=1 /var | sort -rh | head -n 10\n```",
            "`-h` 选项输出人类可读的大小，而 `sort -rh` 能理解这些单位，所以 2G 会排在 900M 前面。",
            "### 查看单个文件",
            "如果想列出文件而不是目录，可以用 `find` 按大小过滤：",
            "```bash\nfind / -xdev -type f -size +500M -exec ls -lh {} +\n```",
            "`-xdev` 选项让 `find` 只在一个文件系统内查找，不会跑到网络挂载点里去。",
        ),
        "category": Category.TECH, "difficulty": Difficulty.EASY, "target": ArticleState.PUBLISHED,
        "days_ago": 20,
    },
    {
        "slug": "ssh-config-tips",
        "subject": "Three ssh_config tricks that save typing",
        "source": _para(
            "If you log in to the same machines every day, your `~/.ssh/config` file can do much of the typing for you.",
            "First, give hosts short names with `Host` and `HostName`. Second, reuse one connection for many sessions with `ControlMaster auto` and `ControlPath`.",
            "Third, jump through a bastion host with `ProxyJump`, so `ssh internal-db` works from your laptop in one step.",
            "Each option is documented in `man ssh_config`, which is worth reading once from top to bottom.",
        ),
        "title": "三个省去打字的 ssh_config 技巧",
        "translation": _para(
            "如果你每天都要登录同样几台机器，`~/.ssh/config` 文件可以替你完成大部分输入。",
            "第一，用 `Host` 和 `HostName` 给主机起个短名字。第二，用 `ControlMaster auto` 和 `ControlPath` 让多个会话复用同一个连接。",
            "第三，用 `ProxyJump` 经由跳板机登录，这样在笔记本上一步就能 `ssh internal-db`。",
            "每个选项都写在 `man ssh_config` 里，值得从头到尾读一遍。",
        ),
        "category": Category.TECH, "difficulty": Difficulty.MEDIUM, "target": ArticleState.PUBLISHED,
        "days_ago": 9,
    },
    {
        "slug": "why-plain-text",
        "subject": "Why I keep my notes in plain text",
        "source": _para(
            "Every few years a new note-taking app promises to organise my life. Every few years I go back to plain text files.",
            "Plain text outlives the programs that wrote it. I can search it with `grep`, version it with `git`, and read it on any computer made in the last forty years.",
            "The trade-off is that I build the structure myself: one file per project, a date at the top of each entry, and a habit of writing things down before I forget them.",
        ),
        "title": "我为什么用纯文本记笔记",
        "translation": _para(
            "每隔几年，就会有一个新的笔记应用承诺帮我整理生活。每隔几年，我又回到了纯文本文件。",
            "纯文本比写它的程序活得更久。我可以用 `grep` 搜索它，用 `git` 管理版本，在过去四十年里造出的任何一台电脑上阅读它。",
            "代价是结构要自己搭建：每个项目一个文件，每条记录开头写上日期，并养成在忘记之前就把事情写下来的习惯。",
        ),
        "category": Category.TALK, "difficulty": Difficulty.EASY, "target": ArticleState.APPROVED,
        "days_ago": 5,
    },
    {
        "slug": "systemd-timers",
        "subject": "Replacing cron jobs with systemd timers",
        "source": _para(
            "Cron has scheduled jobs on Unix systems for decades, and it still works. But on a machine that runs systemd, timers offer a few things cron does not.",
            "A timer is a pair of units: a `.service` that says what to run and a `.timer` that says when. Logs go to the journal, so `journalctl -u backup.service` shows every run.",
            "With `Persistent=true`, a job that was missed while the machine was off runs as soon as it boots again.",
            "```ini\n[Timer]\nOnCalendar=daily\nPersistent=true\n```",
        ),
        "title": "用 systemd 定时器取代 cron 任务",
        "translation": _para(
            "几十年来，cron 一直在 Unix 系统上调度任务，而且至今仍然好用。但在运行 systemd 的机器上，定时器能提供一些 cron 做不到的事。",
            "定时器由一对单元组成：`.service` 说明要运行什么，`.timer` 说明何时运行。日志写入 journal，所以 `journalctl -u backup.service` 能显示每一次运行。",
            "设置 `Persistent=true` 后，机器关机期间错过的任务会在它再次启动后立即运行。",
            "```ini\n[Timer]\nOnCalendar=daily\nPersistent=true\n```",
        ),
        "category": Category.TECH, "difficulty": Difficulty.MEDIUM, "target": ArticleState.IN_REVIEW,
        "days_ago": 4,
    },
    {
        "slug": "shell-history",
        "subject": "Make your shell history more useful",
        "source": _para(
            "Your shell history is a record of how you solved problems before. A few settings make it much more useful.",
            "Set `HISTSIZE` and `HISTFILESIZE` to large numbers, add `HISTCONTROL=ignoredups`, and use `Ctrl-R` to search backwards.",
            "With `shopt -s histappend`, several terminals no longer overwrite each other's history when they close.",
        ),
        "title": "让你的 shell 历史更有用",
        "translation": _para(
            "shell 历史记录了你以前是怎样解决问题的。几个设置就能让它有用得多。",
            "把 `HISTSIZE` 和 `HISTFILESIZE` 设成很大的数，加上 `HISTCONTROL=ignoredups`，再用 `Ctrl-R` 向后搜索。",
            "打开 `shopt -s histappend` 后，多个终端关闭时就不会再互相覆盖历史记录了。",
        ),
        "category": Category.TECH, "difficulty": Difficulty.EASY, "target": ArticleState.SUBMITTED,
        "days_ago": 2,
    },
    {
        "slug": "read-man-pages",
        "subject": "How to read a man page quickly",
        "source": _para(
            "Man pages look dense, but they follow a fixed layout: NAME, SYNOPSIS, DESCRIPTION, OPTIONS, EXAMPLES and SEE ALSO.",
            "Jump straight to EXAMPLES by typing `/EXAMPLES` and pressing Enter. Press `n` to find the next match.",
            "In the SYNOPSIS, square brackets mark optional arguments and an ellipsis means the argument may repeat.",
        ),
        "title": "如何快速阅读 man 手册",
        "translation": "Man 手册看起来很密集，但它们遵循固定的结构。\n",
        "category": Category.TECH, "difficulty": Difficulty.EASY, "target": ArticleState.CLAIMED,
        "days_ago": 3,
    },
    {
        "slug": "open-source-maintainers",
        "subject": "What open source maintainers wish users knew",
        "source": _para(
            "Most open source projects are maintained by a few people in their spare time.",
            "A good bug report saves them hours: say what you did, what you expected and what happened instead, and include the version.",
            "Thanking a maintainer costs nothing and is remembered for a long time.",
        ),
        "category": Category.TALK, "difficulty": Difficulty.EASY, "target": ArticleState.AVAILABLE,
        "days_ago": 1,
    },
    {
        "slug": "tar-cheatsheet",
        "subject": "A tar cheat sheet you will actually remember",
        "source": _para(
            "The tar command has a reputation for cryptic options, but four letters cover most uses.",
            "`c` creates an archive, `x` extracts one, `t` lists its contents and `f` names the file. Add `z` for gzip or `J` for xz.",
            "```bash\ntar czf backup.tar.gz ~/projects\ntar tzf backup.tar.gz | head\ntar xzf backup.tar.gz -C /tmp/restore\n```",
            "Modern GNU tar detects compression when extracting, so `tar xf` works for every format.",
        ),
        "category": Category.TECH, "difficulty": Difficulty.EASY, "target": ArticleState.AVAILABLE,
        "days_ago": 6,
    },
    {
        "slug": "kernel-release-notes",
        "subject": "Reading kernel release notes without getting lost",
        "source": _para(
            "Each Linux kernel release brings thousands of changes. Nobody reads all of them, and you do not need to.",
            "Start with the summary that the release announcement links to, then look only at the subsystems your hardware uses.",
            "Drivers, file systems and security features are where most users notice a difference.",
            "Finally, check the list of regressions before you upgrade a production machine.",
        ),
        "category": Category.NEWS, "difficulty": Difficulty.HARD, "target": ArticleState.AVAILABLE,
        "days_ago": 2,
    },
]


def _normalized(url: str) -> str:
    try:
        from articles.urlnorm import normalize_url
    except ImportError:  # the URL normaliser is another module; plain URLs are already normal
        return url
    return normalize_url(url)


class Command(BaseCommand):
    help = "Create demo users (one per role, plus admin) and demo articles; safe to run again."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--password", default=os.environ.get("DEMO_PASSWORD", DEFAULT_PASSWORD),
                            help="Password for every demo user (default: $DEMO_PASSWORD or %(default)s).")

    def handle(self, *args, password: str, **options) -> None:
        users = self._users(password)
        created = 0
        for spec in ARTICLES:
            if self._article(spec, users):
                created += 1
        self.stdout.write(self.style.SUCCESS(
            f"Demo users: {', '.join(users)} — password: {password}  "
            f"(admin is a superuser; pete publishes from the admin). Demo articles created: {created}."
        ))

    def _users(self, password: str) -> dict:
        User = get_user_model()
        people = {}
        permissions = [
            Permission.objects.get(content_type__app_label=app, codename=code)
            for app, code in EDITOR_PERMISSIONS
        ]
        for username, roles, staff, superuser, display in USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(username=username, email=f"{username}@example.org",
                            is_staff=staff, is_superuser=superuser)
                user.set_password(password)
                user.save()
                user.groups.add(*Group.objects.filter(name__in=roles))
                if staff and not superuser:
                    user.user_permissions.add(*permissions)
                Profile.objects.get_or_create(user=user, defaults={"display_name": display})
            people[username] = user
        return people

    @transaction.atomic
    def _article(self, spec: dict, users: dict) -> bool:
        via = f"{DEMO_BASE}{spec['slug']}/"
        if Article.objects.filter(via=via).exists():
            return False
        now = timezone.now()
        source_date = (now - dt.timedelta(days=spec["days_ago"] + 3)).date()
        article = Article.objects.create(
            subject=spec["subject"], via=via, via_normalized=_normalized(via), author_name="translate_hub demo",
            author_url=DEMO_BASE, source_date=source_date, category=spec["category"],
            difficulty=spec["difficulty"], source_markdown=spec["source"],
            word_count=len(spec["source"].split()), collector=users["cora"],
            state=ArticleState.NEW,
        )
        services.make_available(article=article, user=users["cora"])
        target = spec["target"]
        if target == ArticleState.AVAILABLE:
            return True
        translator = users["tina"] if spec["slug"] != "ssh-config-tips" else users["ming"]
        services.claim_article(article=article, user=translator)
        services.save_draft(article=article, user=translator, text=spec["translation"],
                            title=spec["title"], base_version=article.version)
        if target == ArticleState.CLAIMED:
            return True
        services.submit_translation(article=article, user=translator)
        if target == ArticleState.SUBMITTED:
            return True
        services.start_review(article=article, user=users["rita"])
        if target == ArticleState.IN_REVIEW:
            return True
        services.approve_translation(article=article, user=users["rita"], note="译文通顺，术语一致。")
        if target == ArticleState.APPROVED:
            return True
        services.publish_article(article=article, user=users["pete"])
        return True
