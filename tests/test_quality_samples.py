"""The quality checks on the real LCTT samples (../shared/lctt-samples).

* published/ (stage "publish") and translated/ (stage "review"): the source-free checks
  (template, untranslated, typography). There is no English original for them.
* sources/: no human translation exists, so two machine-free pairs per file run the full
  check set — the source against itself (every structure and link check must stay quiet,
  every prose paragraph is untranslated) and the source against a pseudo-translation that
  keeps code, links and images (``workflow.quality.pseudo``; nothing but the template
  placeholders may raise an error). They exercise the structure, link and alignment
  checks on real markdown; they say nothing about translation quality.

Run with ``-s`` to see the tables of issues per check.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from django.utils import translation as dj_translation

from workflow.quality.blocks import parse_markdown
from workflow.quality.checks import run_checks
from workflow.quality.pseudo import pseudo_translate

SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "lctt-samples"


def files(folder: str) -> list[Path]:
    return sorted((SAMPLES / folder).rglob("*.md"))


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


# Errors the samples really have, (file name, check code): each one is a defect a
# reviewer should have caught, so the check is right to block.
KNOWN_DEFECTS = {
    # The author header key is written in Chinese ("[#]: 作者:"): tools reading "author" find none.
    ("20190401 How to create a filesystem on a Linux partition or logical volume.md", "template.header_field"),
    # The subject key contains a middle dot ("sub·ject"): the header has no subject.
    ("20210829 Position text on your screen in Linux with ncurses.md", "template.header_field"),
    # Translated, awaiting review: the translator's link still points at github.com/译者ID.
    ("20200825 OnionShare- An Open-Source Tool to Share Files Securely Over Tor Network.md",
     "template.translator_placeholder"),
}


@pytest.fixture(autouse=True)
def english_messages():
    with dj_translation.override("en"):
        yield


def print_table(title: str, per_file: dict[str, Counter]) -> None:
    total: Counter = Counter()
    for counts in per_file.values():
        total.update(counts)
    print(f"\n{title}: {len(per_file)} files")
    print(f"  {'check':40} {'severity':8} {'issues':>6} {'files':>5}")
    for (code, severity), n in sorted(total.items()):
        n_files = sum(1 for c in per_file.values() if c[(code, severity)])
        print(f"  {code:40} {severity:8} {n:6} {n_files:5}")


@pytest.mark.parametrize(("folder", "stage"), [("published", "publish"), ("translated", "review")])
def test_source_free_checks_on_translations(folder, stage):
    per_file: dict[str, Counter] = {}
    unexpected = []
    for path in files(folder):
        issues = run_checks(source_md="", translation_md=read(path), stage=stage)
        per_file[path.name] = Counter((i.code, i.severity) for i in issues)
        for issue in issues:
            if issue.severity == "error" and (path.name, issue.code) not in KNOWN_DEFECTS:
                unexpected.append((path.name, issue.code, str(issue.message), issue.location.line))
    print_table(f"{folder} (stage {stage}), source-free checks", per_file)
    assert unexpected == []
    found = {(name, code) for name, counts in per_file.items() for (code, sev) in counts if sev == "error"}
    names = {p.name for p in files(folder)}
    assert found == {d for d in KNOWN_DEFECTS if d[0] in names}  # the named defects are still caught


def test_published_samples_after_2018_raise_few_typography_warnings():
    # The spacing convention took hold around 2016; before that, articles have dozens.
    per_file = {}
    for path in files("published"):
        if path.parent.name >= "201805":
            issues = run_checks(source_md="", translation_md=read(path), stage="publish")
            per_file[path.name] = sum(1 for i in issues if i.code.startswith("typography."))
    assert max(per_file.values()) <= 12, per_file
    assert sum(per_file.values()) / len(per_file) < 3


def test_sources_against_themselves():
    per_file: dict[str, Counter] = {}
    for path in files("sources"):
        text = read(path)
        issues = run_checks(source_md=text, translation_md=text)
        per_file[path.name] = Counter((i.code, i.severity) for i in issues)
        structural = [i for i in issues if i.code.split(".")[0] in ("structure", "links", "alignment", "glossary")]
        assert structural == [], (path.name, [(i.code, str(i.message)) for i in structural])
        assert any(i.code == "content.untranslated" for i in issues)
    print_table("sources against themselves", per_file)


def _claimed(text: str) -> str:
    """The file as its translator would submit it: header and footer name the same person."""
    name = parse_markdown(text).header.get("translator") or "alice"
    text = text.replace('[#]: translator: " "', f'[#]: translator: "{name}"')
    return text.replace("[译者ID](https://github.com/译者ID)", f"[{name}](https://github.com/{name})")


def test_sources_against_pseudo_translations():
    per_file: dict[str, Counter] = {}
    for path in files("sources"):
        source = read(path)
        translation = _claimed(pseudo_translate(source))
        issues = run_checks(source_md=source, translation_md=translation)
        per_file[path.name] = Counter((i.code, i.severity) for i in issues)
        errors = [(i.code, str(i.message), i.location.line) for i in issues if i.severity == "error"]
        assert errors == [], (path.name, errors)
    print_table("sources against pseudo-translations", per_file)
