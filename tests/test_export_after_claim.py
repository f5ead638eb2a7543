"""A claim made through workflow.services changes exactly the translator line on export.

This is what LCTT's own claim pull requests did: one header line, in the file's own quoting
style (`" "` → `"alice"`, `( )` → `(alice)`). Releasing the claim writes the file back byte
for byte.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from articles.lctt_repo import export_checkout, import_checkout
from articles.models import Article, ArticleState, LcttSource
from tests.factories import make_user
from workflow import services

pytestmark = pytest.mark.django_db

AGILE = "translated/tech/20191229 The best resources for agile software development.md"
AGILE_AS_SOURCE = "sources/tech/20191229 The best resources for agile software development.md"


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.md"))
            if p.is_file() and p.name != "README.md"}


def changed_lines(before: bytes, after: bytes) -> list[tuple[bytes, bytes]]:
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(a) == len(b), "a claim must not add or remove lines"
    return [(x, y) for x, y in zip(a, b, strict=True) if x != y]


@pytest.fixture
def checkout(lctt_samples, tmp_path) -> Path:
    """The samples plus one unclaimed source in the 2018–2021 `( )` quoting style."""
    root = tmp_path / "checkout"
    shutil.copytree(lctt_samples, root)
    text = (root / AGILE).read_text()
    text = text.replace("[#]: translator: (algzjh)", "[#]: translator: ( )")
    text = text.replace("译者：[algzjh](https://github.com/algzjh)", "译者：[译者ID](https://github.com/译者ID)")
    (root / AGILE_AS_SOURCE).write_text(text)
    return root


def test_every_claim_changes_only_its_translator_line(checkout, tmp_path, settings):
    import_checkout(checkout)
    available = list(Article.objects.filter(state=ArticleState.AVAILABLE).select_related("lctt_source"))
    assert len(available) >= 2
    settings.MAX_OPEN_CLAIMS = len(available)
    alice = make_user("alice", "translator")
    for article in available:
        services.claim_article(article=article, user=alice)

    export_checkout(tmp_path / "out")
    original, exported = tree(checkout), tree(tmp_path / "out")
    assert exported.keys() == original.keys()
    claimed_paths = {a.lctt_source.path for a in available}
    styles = set()
    for path, data in original.items():
        if path not in claimed_paths:
            assert exported[path] == data, f"{path} changed although nobody claimed it"
            continue
        [(before, after)] = changed_lines(data, exported[path])
        assert before.startswith(b"[#]: translator: ") and after.startswith(b"[#]: translator: ")
        ending = b"\r\n" if before.endswith(b"\r\n") else b"\n"
        if b'" "' in before:
            assert after == b'[#]: translator: "alice"' + ending
            styles.add("quotes")
        else:
            assert before == b"[#]: translator: ( )" + ending
            assert after == b"[#]: translator: (alice)" + ending
            styles.add("parentheses")
    assert styles == {"quotes", "parentheses"}


def test_claim_then_release_exports_the_original_bytes(checkout, tmp_path):
    import_checkout(checkout)
    article = LcttSource.objects.get(path=AGILE_AS_SOURCE).article
    alice = make_user("alice", "translator")
    services.claim_article(article=article, user=alice)
    services.release_claim(article=article, user=alice)
    export_checkout(tmp_path / "out")
    assert tree(tmp_path / "out") == tree(checkout)
