"""import_lctt / export_lctt against the database (SQLite, and PostgreSQL with DATABASE_URL)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import threading
import time
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import lctt
from articles.lctt_repo import assign_lctt_filename, export_checkout, import_checkout
from articles.models import Article, ArticleState, LcttSource
from articles.people import UNKNOWN_USERNAME, user_for_handle
from tests.factories import ArticleFactory, UserFactory
from workflow.models import Claim, Event, EventAction, Profile

pytestmark = pytest.mark.django_db

OPENRAN = "sources/tech/20220917 What is OpenRAN-.md"
AGILE = "translated/tech/20191229 The best resources for agile software development.md"
AGILE_AS_SOURCE = "sources/tech/20191229 The best resources for agile software development.md"
FLAKES = "sources/tech/20231114 Some notes on nix flakes.md"
WAVE = "published/202311/20231123 Wave- A Modern New Linux Terminal that You-ll Love if You Hate Command Line.md"


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def article_files(root: Path) -> dict[str, bytes]:
    """What a checkout holds that the importer reads: every .md but the READMEs."""
    return {rel: data for rel, data in tree(root).items() if rel.endswith(".md") and not rel.endswith("README.md")}


def copy_samples(lctt_samples: Path, dest: Path) -> Path:
    shutil.copytree(lctt_samples, dest)
    return dest


def changed_lines(before: bytes, after: bytes) -> list[tuple[bytes, bytes]]:
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(a) == len(b)
    return [(x, y) for x, y in zip(a, b, strict=True) if x != y]


def claim(article: Article, user) -> None:
    now = timezone.now()
    article.translator = user
    article.state = ArticleState.CLAIMED
    article.claimed_at = now
    article.claim_deadline = now + dt.timedelta(days=settings.CLAIM_DAYS)
    article.save()


# --------------------------------------------------------------------------- round trip


def test_import_then_export_reproduces_every_file(lctt_samples, tmp_path):
    report = import_checkout(lctt_samples)
    expected = article_files(lctt_samples)
    assert report.errors == []
    assert report.created == len(expected) == Article.objects.count() == LcttSource.objects.count()
    export = export_checkout(tmp_path / "out")
    assert tree(tmp_path / "out") == expected  # the whole tree: same paths, same bytes, nothing else
    assert export.identical == len(expected) and export.edited == export.moved == export.created == 0


def test_import_maps_folders_people_dates_and_texts(lctt_samples):
    report = import_checkout(lctt_samples)
    assert report.by_state == {"published": 43, "available": 12, "submitted": 9, "claimed": 2}
    assert report.by_category == {"tech": 62, "talk": 3, "news": 1}

    source = Article.objects.get(lctt_filename="20220917 What is OpenRAN-.md")
    assert (source.state, source.category, source.subject, source.title) == (ArticleState.AVAILABLE, "tech", "What is OpenRAN?", "")
    assert source.via == "https://opensource.com/article/22/9/open-radio-access-networks"
    assert source.via_normalized == "https://opensource.com/article/22/9/open-radio-access-networks"
    assert (source.author_name, source.author_url) == ("Stephan Avenwedde", "https://opensource.com/users/hansic99")
    assert source.collector.username == "lkxed" and source.translator is None
    assert source.source_markdown.startswith("Open Radio Access Network") and source.source_markdown.endswith("intcmp=7013a000002qLH8AAM\n")
    assert source.translation_markdown == "" and source.word_count > 300
    assert source.source_date == dt.date(2022, 9, 17) and source.day_counter is None and source.difficulty == 0
    assert timezone.localtime(source.available_at).date() == dt.date(2022, 9, 17)

    claimed = Article.objects.get(lctt_filename="20221018.2 ⭐️⭐️⭐️ Exploring innovative Open Organization charts.md")
    assert claimed.state == ArticleState.CLAIMED and claimed.translator.username == "CanYellow"
    assert (claimed.category, claimed.difficulty, claimed.day_counter) == ("talk", 3, 2)
    assert claimed.claim_deadline - claimed.claimed_at == dt.timedelta(days=settings.CLAIM_DAYS)
    assert Claim.objects.get(article=claimed, ended_at__isnull=True).user == claimed.translator

    translated = Article.objects.get(lctt_filename="20220921 CentOS Hyperscale SIG conference recap.md")
    assert (translated.state, translated.category) == (ArticleState.SUBMITTED, "news")
    assert translated.title == "CentOS 超大型 SIG 会议回顾" and translated.source_markdown == ""
    assert translated.translation_markdown.startswith("在过往的几个月中，CentOS 超大型 SIG 的成员")
    assert translated.word_count == 0
    assert translated.reviewer.username == "Phodopussungorus" and translated.submitted_at is not None

    published = Article.objects.get(lctt_filename=WAVE.rsplit("/", 1)[1])
    assert published.state == ArticleState.PUBLISHED
    assert timezone.localtime(published.published_at).date() == dt.date(2023, 11, 1)
    assert published.published_url == "https://linux.cn/article-16409-1.html"
    assert (published.translator.username, published.reviewer.username, published.publisher.username) == ("ChatGPT", "wxy", "wxy")
    assert published.collector.username == "lujun9972"

    old = Article.objects.get(lctt_filename="KDE vs GNOME- Settings, Apps, Widgets.md")
    assert old.source_date is None and timezone.localtime(old.published_at).date() == dt.date(2013, 12, 1)
    assert old.translator.username == "KayGuoWhu" and old.subject == "KDE vs GNOME- Settings, Apps, Widgets"

    # imported people are inactive, cannot log in, and are marked as imported
    wxy = get_user_model().objects.get(username="wxy")
    assert not wxy.is_active and not wxy.has_usable_password()
    assert wxy.profile.github == "wxy" and wxy.profile.imported
    # one audit event per article
    assert Event.objects.count() == Article.objects.count()
    assert set(Event.objects.values_list("action", flat=True)) == {EventAction.IMPORT}
    assert Event.objects.get(article=claimed).to_state == ArticleState.CLAIMED
    # warnings are kept with the file
    warnings = LcttSource.objects.get(path__endswith="20190401 How to create a filesystem on a Linux partition or logical volume.md").warnings
    assert [w["code"] for w in warnings] == ["odd_header_key"]
    assert report.warnings["odd_header_key"][0][0].startswith("published/201904/")


def test_second_import_changes_nothing(lctt_samples):
    import_checkout(lctt_samples)
    User = get_user_model()

    def snapshot():
        return (
            list(Article.objects.order_by("pk").values_list("pk", "updated_at", "state")),
            list(Event.objects.order_by("pk").values_list("pk", "created_at")),
            LcttSource.objects.count(),
            User.objects.count(),
            Claim.objects.count(),
        )

    before = snapshot()
    with CaptureQueriesContext(connection) as queries:
        report = import_checkout(lctt_samples)
    assert (report.created, report.updated, report.unchanged, report.skipped) == (0, 0, len(article_files(lctt_samples)), 0)
    assert report.by_state == {"published": 43, "available": 12, "submitted": 9, "claimed": 2}
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []
    assert snapshot() == before


# --------------------------------------------------------------------------- claims


@pytest.fixture
def checkout_with_paren_source(lctt_samples, tmp_path) -> Path:
    """The samples plus an unclaimed source in the ( ) era (the samples have none)."""
    root = copy_samples(lctt_samples, tmp_path / "checkout")
    text = (root / AGILE).read_text()
    text = text.replace("[#]: translator: (algzjh)", "[#]: translator: ( )")
    text = text.replace("译者：[algzjh](https://github.com/algzjh)", "译者：[译者ID](https://github.com/译者ID)")
    (root / AGILE_AS_SOURCE).write_text(text)
    return root


@pytest.mark.parametrize(
    ("rel", "before", "after"),
    [
        (OPENRAN, b'[#]: translator: " "\n', b'[#]: translator: "alice"\n'),
        (AGILE_AS_SOURCE, b"[#]: translator: ( )\n", b"[#]: translator: (alice)\n"),
    ],
)
def test_claim_changes_exactly_one_exported_line(checkout_with_paren_source, tmp_path, rel, before, after):
    root = checkout_with_paren_source
    import_checkout(root)
    article = LcttSource.objects.get(path=rel).article
    assert article.state == ArticleState.AVAILABLE
    claim(article, UserFactory(username="alice"))
    report = export_checkout(tmp_path / "out")
    exported, original = tree(tmp_path / "out"), article_files(root)
    assert exported.keys() == original.keys()
    differing = [path for path in original if exported[path] != original[path]]
    assert differing == [rel]
    assert changed_lines(original[rel], exported[rel]) == [(before, after)]
    assert (report.edited, report.identical) == (1, len(original) - 1)


def test_claim_by_an_app_user_with_a_github_handle_writes_the_handle(lctt_samples, tmp_path):
    import_checkout(lctt_samples)
    user = UserFactory(username="alice_cn")
    Profile.objects.update_or_create(user=user, defaults={"github": "alice-gh"})
    claim(LcttSource.objects.get(path=OPENRAN).article, user)
    export_checkout(tmp_path / "out")
    assert b'[#]: translator: "alice-gh"\n' in (tmp_path / "out" / OPENRAN).read_bytes()


def test_release_writes_the_empty_value_back(lctt_samples, tmp_path):
    import_checkout(lctt_samples)
    article = Article.objects.get(lctt_filename__startswith="20221018.2 ")
    article.translator = None
    article.state = ArticleState.AVAILABLE
    article.claimed_at = article.claim_deadline = None
    article.save()
    export_checkout(tmp_path / "out")
    rel = LcttSource.objects.get(article=article).path
    assert changed_lines((lctt_samples / rel).read_bytes(), (tmp_path / "out" / rel).read_bytes()) == [
        (b'[#]: translator: "CanYellow"\n', b'[#]: translator: " "\n')
    ]


# --------------------------------------------------------------------------- bad input


def test_bad_files_are_reported_and_skipped(lctt_samples, tmp_path):
    root = copy_samples(lctt_samples, tmp_path / "checkout")
    tech = root / "sources" / "tech"
    (tech / "20240101 A directory.md").mkdir()
    (tech / "20240101 A directory.md" / "inside.md").write_text("x")
    (tech / "20240102 Not UTF-8.md").write_bytes(bytes(range(0x80, 0x100)) * 8)
    (tech / "20240103 Binary.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    (tech / "20240104 Empty.md").write_bytes(b"")
    # one stray Latin-1 byte in an otherwise fine file: imported, and written back as it was
    stray = (root / OPENRAN).read_bytes().replace(b"Open Radio Access Network", b"Open Radio Acc\xe8s Network", 1)
    (tech / "20240105 Stray byte.md").write_bytes(stray.replace(b"open-radio-access-networks", b"stray-byte"))
    expected_errors = {
        "sources/tech/20240101 A directory.md": "not_a_file",
        "sources/tech/20240102 Not UTF-8.md": "not_text",
        "sources/tech/20240103 Binary.md": "not_text",
        "sources/tech/20240104 Empty.md": "not_text",
    }
    unreadable = tech / "20240106 Unreadable.md"
    if os.geteuid() != 0:  # root reads anything
        unreadable.write_text("x")
        unreadable.chmod(0)
        expected_errors["sources/tech/20240106 Unreadable.md"] = "unreadable"

    report = import_checkout(root)
    assert {path: code for path, code, _message in report.errors} == expected_errors
    good = article_files(lctt_samples)
    assert report.created == len(good) + 1
    assert "sources/tech/20240105 Stray byte.md" in [p for p, _ in report.warnings["invalid_utf8"]]
    stray_article = LcttSource.objects.get(path="sources/tech/20240105 Stray byte.md").article
    assert "Open Radio Acc\ufffds Network" in stray_article.source_markdown

    if unreadable.exists():
        unreadable.chmod(0o644)
    export_checkout(tmp_path / "out")
    exported = tree(tmp_path / "out")
    for rel, data in good.items():
        assert exported[rel] == data
    assert exported["sources/tech/20240105 Stray byte.md"] == stray.replace(b"open-radio-access-networks", b"stray-byte")
    assert not any(path in exported for path in expected_errors)


def test_crlf_file_round_trips_and_claims_keep_crlf(lctt_samples, tmp_path):
    root = tmp_path / "checkout"
    for rel in (OPENRAN, WAVE):
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((lctt_samples / rel).read_bytes().replace(b"\n", b"\r\n"))
    assert b"\r\n" in (root / OPENRAN).read_bytes() and not (root / WAVE).read_bytes().endswith(b"\n")
    import_checkout(root)
    export_checkout(tmp_path / "out")
    assert tree(tmp_path / "out") == tree(root)
    source = LcttSource.objects.get(path=OPENRAN).article
    assert "\r" not in source.source_markdown
    claim(source, UserFactory(username="alice"))
    export_checkout(tmp_path / "out2")
    assert changed_lines((root / OPENRAN).read_bytes(), (tmp_path / "out2" / OPENRAN).read_bytes()) == [
        (b'[#]: translator: " "\r\n', b'[#]: translator: "alice"\r\n')
    ]


# --------------------------------------------------------------------------- re-import


def test_changed_file_updates_its_article_unless_the_app_changed_it(lctt_samples, tmp_path):
    root = tmp_path / "checkout"
    for rel in (OPENRAN, FLAKES):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(lctt_samples / rel, root / rel)
    import_checkout(root)
    openran = LcttSource.objects.get(path=OPENRAN).article
    flakes = LcttSource.objects.get(path=FLAKES).article
    flakes.subject = "Edited in the app"
    flakes.save()
    openran_updated_at = openran.updated_at

    for rel in (OPENRAN, FLAKES):  # both files change in the repository, and OpenRAN gets a claim
        data = (root / rel).read_bytes().replace(b"### ", b"#### ").replace(b'[#]: translator: " "', b'[#]: translator: "bob"')
        (root / rel).write_bytes(data)
    report = import_checkout(root)
    assert (report.updated, report.conflicts, report.created) == (1, 1, 0)
    assert [p for p, _ in report.warnings["changed_in_app"]] == [FLAKES]

    openran.refresh_from_db()
    assert "#### " in openran.source_markdown and openran.updated_at > openran_updated_at
    assert (openran.state, openran.translator.username) == (ArticleState.CLAIMED, "bob")
    assert Claim.objects.filter(article=openran, ended_at__isnull=True).count() == 1
    assert list(Event.objects.filter(article=openran).values_list("from_state", "to_state")) == [("", "available"), ("available", "claimed")]
    assert LcttSource.objects.get(path=OPENRAN).raw == (root / OPENRAN).read_bytes()
    flakes.refresh_from_db()
    assert flakes.subject == "Edited in the app" and "#### " not in flakes.source_markdown
    # and the import is idempotent again
    again = import_checkout(root)
    assert (again.updated, again.unchanged, again.conflicts) == (0, 1, 1)


def test_a_file_that_moved_folders_moves_its_article(lctt_samples, tmp_path):
    root = tmp_path / "checkout"
    (root / OPENRAN).parent.mkdir(parents=True)
    shutil.copy(lctt_samples / OPENRAN, root / OPENRAN)
    import_checkout(root)
    article = LcttSource.objects.get(path=OPENRAN).article
    english = article.source_markdown

    # the translator's pull request: sources/tech/… → translated/tech/…, translated in place
    moved = "translated/tech/20220917 What is OpenRAN-.md"
    text = (root / OPENRAN).read_text()
    text = text.replace('[#]: translator: " "', '[#]: translator: "bob"').replace("译者：[译者ID](https://github.com/译者ID)", "译者：[bob](https://github.com/bob)")
    body_start = text.index("Open Radio Access Network defines")
    text = text[:body_start].replace("What is OpenRAN?\n======", "什么是 OpenRAN？\n======") + "开放无线接入网定义了开放标准。\n\n" + text[text.index("-" * 80):]
    (root / moved).parent.mkdir(parents=True)
    (root / moved).write_text(text)
    (root / OPENRAN).unlink()

    report = import_checkout(root)
    assert (report.created, report.updated, report.moved, report.missing) == (0, 1, 1, 0)
    article.refresh_from_db()
    assert LcttSource.objects.get(article=article).path == moved
    assert (article.state, article.translator.username, article.title) == (ArticleState.SUBMITTED, "bob", "什么是 OpenRAN？")
    assert article.translation_markdown.startswith("开放无线接入网定义了开放标准。")
    assert article.source_markdown == english  # the English is kept, though the file no longer has it
    assert list(Event.objects.filter(article=article).values_list("to_state", flat=True)) == ["available", "submitted"]
    export_checkout(tmp_path / "out")
    assert tree(tmp_path / "out") == tree(root)


def test_duplicate_source_urls_are_marked_not_fatal(lctt_samples, tmp_path):
    root = tmp_path / "checkout"
    # the later file (by name, i.e. date) is the duplicate, whatever its folder
    copies = [OPENRAN, "sources/news/20220918 OpenRAN.md", "sources/tech/20220919 What is OpenRAN again.md"]
    for rel in copies:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(lctt_samples / OPENRAN, root / rel)
    report = import_checkout(root)
    assert report.created == 3 and report.errors == []
    first, *later = [LcttSource.objects.get(path=rel).article for rel in copies]
    assert first.duplicate_of is None
    assert [a.duplicate_of_id for a in later] == [first.pk, first.pk]
    assert sorted(p for p, _ in report.warnings["duplicate_via"]) == sorted(copies[1:])
    export_checkout(tmp_path / "out")
    assert tree(tmp_path / "out") == tree(root)


def test_source_url_already_in_progress_in_the_app(lctt_samples, tmp_path):
    existing = ArticleFactory(via="https://opensource.com/article/22/9/open-radio-access-networks",
                              via_normalized="https://opensource.com/article/22/9/open-radio-access-networks",
                              state=ArticleState.NEW)
    root = tmp_path / "checkout"
    (root / OPENRAN).parent.mkdir(parents=True)
    shutil.copy(lctt_samples / OPENRAN, root / OPENRAN)
    report = import_checkout(root)
    assert report.created == 1
    assert LcttSource.objects.get(path=OPENRAN).article.duplicate_of == existing


# --------------------------------------------------------------------------- export of app articles


def test_new_article_gets_a_template_file_and_an_lctt_name(tmp_path):
    collector = UserFactory(username="lkxed")
    article = ArticleFactory(
        subject="What's new in Linux 6.8?", via="https://example.org/linux-6-8", source_date=dt.date(2024, 3, 1),
        difficulty=2, collector=collector, author_name="Jane Doe", author_url="https://example.org/jane",
    )
    other = ArticleFactory(subject="Another post", source_date=dt.date(2024, 3, 1))
    assert assign_lctt_filename(article) == "20240301.0 ⭐️⭐️ What-s new in Linux 6.8-.md"
    assert assign_lctt_filename(other) == "20240301.1 Another post.md"
    assert assign_lctt_filename(other) == "20240301.1 Another post.md"  # already named: unchanged
    article.refresh_from_db()
    assert (article.day_counter, article.lctt_filename) == (0, "20240301.0 ⭐️⭐️ What-s new in Linux 6.8-.md")

    report = export_checkout(tmp_path / "out")
    assert report.created == 2
    path = tmp_path / "out" / "sources" / "tech" / "20240301.0 ⭐️⭐️ What-s new in Linux 6.8-.md"
    text = path.read_text()
    assert text.startswith('[#]: subject: "What\'s new in Linux 6.8?"\n[#]: via: "https://example.org/linux-6-8"\n')
    assert '[#]: collector: "lkxed"\n[#]: translator: " "\n' in text
    doc = lctt.parse(text, path=str(path))
    assert doc.warnings == []
    fields = lctt.extract_fields(doc, kind="sources")
    assert (fields.subject, fields.collector, fields.markdown) == (article.subject, "lkxed", article.source_markdown)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_collectors_get_distinct_counters():
    """Two collectors naming posts of the same day at the same moment: the advisory lock
    makes the second wait for the first's commit, so the counters differ."""
    articles = [ArticleFactory(subject=f"Post {n}", source_date=dt.date(2024, 5, 4), via=f"https://example.org/p{n}") for n in range(4)]
    barrier = threading.Barrier(len(articles))
    errors = []

    def name(article):
        try:
            barrier.wait()
            with transaction.atomic():
                assign_lctt_filename(article)
                time.sleep(0.05)  # hold the transaction open, as a slow request would
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=name, args=(a,)) for a in articles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    counters = sorted(Article.objects.filter(source_date=dt.date(2024, 5, 4)).values_list("day_counter", flat=True))
    assert counters == [0, 1, 2, 3]


def test_state_change_moves_the_file_to_its_folder(lctt_samples, tmp_path):
    import_checkout(lctt_samples)
    article = LcttSource.objects.get(path=OPENRAN).article
    alice = UserFactory(username="alice")
    article.translator = alice
    article.state = ArticleState.SUBMITTED
    article.submitted_at = timezone.now()
    article.title = "什么是 OpenRAN？"
    article.translation_markdown = "开放无线接入网定义了开放标准。\n\n[1]: https://www.o-ran.org/\n"
    article.save()
    withdrawn = LcttSource.objects.get(path=FLAKES).article
    withdrawn.state = ArticleState.WITHDRAWN
    withdrawn.withdrawn_at = timezone.now()
    withdrawn.save()

    report = export_checkout(tmp_path / "out")
    assert report.moved == 1 and report.not_exported == {"withdrawn": 1}
    out = tmp_path / "out"
    assert not (out / OPENRAN).exists() and not (out / FLAKES).exists()
    moved = (out / "translated" / "tech" / "20220917 What is OpenRAN-.md").read_text()
    doc = lctt.parse(moved)
    fields = lctt.extract_fields(doc, kind="translated")
    assert (fields.title, fields.translator, fields.markdown) == ("什么是 OpenRAN？", "alice", article.translation_markdown)
    assert "译者：[alice](https://github.com/alice)" in moved  # the placeholder is filled on submission
    assert moved.startswith('[#]: subject: "What is OpenRAN?"\n')


def test_translated_file_without_translator_is_credited_to_nobody_in_particular(lctt_samples, tmp_path):
    root = tmp_path / "checkout"
    rel = "translated/tech/20240124 Shut Down WSL Running Linux Distributions.md"
    (root / rel).parent.mkdir(parents=True)
    data = (lctt_samples / rel).read_bytes().replace(b'[#]: translator: "geekpi"', b'[#]: translator: " "')
    data = data.replace(b"[geekpi](https://github.com/geekpi)", b"[\xe8\xaf\x91\xe8\x80\x85ID](https://github.com/\xe8\xaf\x91\xe8\x80\x85ID)")
    (root / rel).write_bytes(data)
    report = import_checkout(root)
    article = LcttSource.objects.get(path=rel).article
    assert article.state == ArticleState.SUBMITTED and article.translator.username == UNKNOWN_USERNAME
    assert [p for p, _ in report.warnings["missing_translator"]] == [rel]
    export_checkout(tmp_path / "out")
    assert (tmp_path / "out" / rel).read_bytes() == data


# --------------------------------------------------------------------------- commands and people


def test_import_command_prints_counts_and_grouped_warnings(lctt_samples):
    out = StringIO()
    call_command("import_lctt", str(lctt_samples), stdout=out)
    text = out.getvalue()
    assert "66 new" in text
    assert "By state:    published 43 · available 12 · submitted 9 · claimed 2" in text
    assert "odd_header_key (2)" in text and "published/202109/20210829 Position text" in text


def test_import_command_refuses_what_is_not_a_checkout(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("import_lctt", str(tmp_path / "missing"), stdout=StringIO())
    with pytest.raises(CommandError, match="not a TranslateProject checkout"):
        call_command("import_lctt", str(tmp_path), stdout=StringIO())


def test_export_command_reports_what_it_did_not_export(lctt_samples, tmp_path):
    import_checkout(lctt_samples)
    ArticleFactory(state=ArticleState.NEW)
    out = StringIO()
    call_command("export_lctt", str(tmp_path / "out"), stdout=out)
    assert "66 identical" in out.getvalue() and "Not exported (no folder for their state): new 1." in out.getvalue()


def test_user_for_handle_normalises_and_reuses():
    user = user_for_handle("@Geekpi")
    assert user_for_handle("https://github.com/geekpi").pk == user.pk
    assert user_for_handle(" GEEKPI ").pk == user.pk
    assert not user.is_active and not user.has_usable_password()
    assert (user.username, user.profile.github, user.profile.imported) == ("Geekpi", "Geekpi", True)
    for nobody in ("译者ID", "校对者ID", "", "  "):
        assert user_for_handle(nobody) is None
    member = UserFactory(username="alice")  # a real member keeps their account as it is
    assert user_for_handle("Alice").pk == member.pk
    member.refresh_from_db()
    assert member.is_active and member.has_usable_password()
