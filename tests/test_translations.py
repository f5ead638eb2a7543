"""The Chinese catalogue: complete, no fuzzy guesses, and the committed .mo matches the .po."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

from django.utils import translation

LOCALE = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES"


def parse_po(path: Path) -> list[dict]:
    """A small .po reader: entries with flags, msgid, msgid_plural and msgstr(s)."""
    entries, current, key = [], None, None
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if current and "msgid" in current:
                entries.append(current)
            current, key = None, None
            continue
        current = current or {"flags": set()}
        if line.startswith("#,"):
            current["flags"].update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#~"):
            current["obsolete"] = True
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[key] += ast.literal_eval(line)
        else:
            match = re.match(r"(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (\".*\")$", line)
            assert match, f"unreadable line in {path}: {raw!r}"
            key = match.group(1)
            current[key] = ast.literal_eval(match.group(2))
    return [e for e in entries if not e.get("obsolete")]


def test_every_message_is_translated_and_none_is_fuzzy():
    entries = parse_po(LOCALE / "django.po")
    assert len(entries) > 300
    header, messages = entries[0], entries[1:]
    assert header["msgid"] == "" and "fuzzy" not in header["flags"]
    assert "Plural-Forms: nplurals=1; plural=0;" in header["msgstr"]
    fuzzy = [e["msgid"] for e in messages if "fuzzy" in e["flags"]]
    empty = [e["msgid"] for e in messages if not (e.get("msgstr") or e.get("msgstr[0]"))]
    assert fuzzy == [] and empty == []


def test_compiled_catalogue_matches_the_source():
    with open(LOCALE / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in parse_po(LOCALE / "django.po")[1:]:
        if "msgctxt" in entry:
            continue
        if "msgid_plural" in entry:
            assert compiled.ngettext(entry["msgid"], entry["msgid_plural"], 1) == entry["msgstr[0]"]
        else:
            assert compiled.gettext(entry["msgid"]) == entry["msgstr"], entry["msgid"]


def test_the_required_names_in_chinese():
    names = {
        "Claim": "申领", "Release": "释放", "Save draft": "保存草稿", "Submit for review": "提交校对",
        "Start review": "开始校对", "Approve": "通过", "Request changes": "退回修改", "Publish": "发布",
        "Withdraw": "撤下", "Available articles": "可申领文章", "My work": "我的工作",
        "Review queue": "校对队列", "Published": "已发布",
    }
    with translation.override("zh-hans"):
        assert {en: translation.gettext(en) for en in names} == names
