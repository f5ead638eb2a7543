"""Every quality check fires on a crafted defect and stays quiet on a clean translation."""

from __future__ import annotations

import pytest
from django.utils import translation as dj_translation

from workflow.quality.checks import Issue, apply_fixes, run_checks
from workflow.quality.glossary import GlossaryCSVError, Term, find_terms, parse_glossary_csv
from workflow.quality.registry import REGISTRY, all_checks, severity_for

SOURCE = """\
[#]: subject: "Use the tar command"
[#]: via: "https://example.com/tar"
[#]: author: "Jane Doe https://example.com/jane"
[#]: collector: "lkxed"
[#]: translator: " "
[#]: reviewer: " "
[#]: publisher: " "
[#]: url: " "

Use the tar command
======
Learn how to bundle files into an archive with tar.

When you have a lot of related files, it is easier to treat them as one archive. The `tar` command was born for that, and the [GNU manual][1] lists every option it has.

I asked our authors how they used `tar`, and related tools like `zip` and `gzip`, in their daily work.

### Create an archive

Run `tar czf` with the name of the archive and the files to put in it, as the [Opensource.com guide](https://opensource.com/tar) shows.

```bash
# make the archive
tar czf backup.tar.gz html
```

![An archive][2]

| Option | Meaning |
| --- | --- |
| `c` | create |
| `x` | extract |

- Use `z` for gzip compression.
- Use `j` for bzip2 compression.
- Use `J` for xz compression.

> Archives used to feel like a forbidden vault to me, but now I use them every single day.

### Extract an archive

To extract the files again, run `tar xzf` followed by the archive name and wait until it finishes.

--------------------------------------------------------------------------------

via: https://example.com/tar

作者：[Jane Doe][a]
选题：[lkxed][b]
译者：[译者ID](https://github.com/译者ID)
校对：[校对者ID](https://github.com/校对者ID)

本文由 [LCTT](https://github.com/LCTT/TranslateProject) 原创编译，[Linux中国](https://linux.cn/) 荣誉推出

[a]: https://example.com/jane
[b]: https://github.com/lkxed
[1]: https://www.gnu.org/software/tar/manual/
[2]: https://example.com/archive.png
"""

CLEAN = """\
[#]: subject: "Use the tar command"
[#]: via: "https://example.com/tar"
[#]: author: "Jane Doe https://example.com/jane"
[#]: collector: "lkxed"
[#]: translator: "alice"
[#]: reviewer: " "
[#]: publisher: " "
[#]: url: " "

使用 tar 命令
======

> 了解如何用 tar 把文件打包成一个归档。

当你有很多相关的文件时，把它们当作一个归档来处理会更容易。`tar` 命令正是为此而生，[GNU 手册][1] 列出了它的每一个选项。

我问过我们的作者们在日常工作中如何使用 `tar` 以及 `zip` 和 `gzip` 等相关工具。

### 创建归档

运行 `tar czf`，后面跟上归档的名字和要放进去的文件，正如 [Opensource.com 指南](https://opensource.com/tar) 所示。

```bash
# make the archive
tar czf backup.tar.gz html
```

![一个归档][2]

| 选项 | 含义 |
| --- | --- |
| `c` | 创建 |
| `x` | 解压 |

- 使用 `z` 进行 gzip 压缩。
- 使用 `j` 进行 bzip2 压缩。
- 使用 `J` 进行 xz 压缩。

> 归档曾经让我觉得像一个禁忌的保险库，但现在我每天都在使用它们。

### 解压归档

要再次解压这些文件，运行 `tar xzf` 并跟上归档的名字，然后等待它完成。

--------------------------------------------------------------------------------

via: https://example.com/tar

作者：[Jane Doe][a]
选题：[lkxed][b]
译者：[alice](https://github.com/alice)
校对：[校对者ID](https://github.com/校对者ID)

本文由 [LCTT](https://github.com/LCTT/TranslateProject) 原创编译，[Linux中国](https://linux.cn/) 荣誉推出

[a]: https://example.com/jane
[b]: https://github.com/lkxed
[1]: https://www.gnu.org/software/tar/manual/
[2]: https://example.com/archive.png
"""

GLOSSARY = [Term("archive", "归档", "not 存档"), Term("option", "选项")]


@pytest.fixture(autouse=True)
def english_messages():
    with dj_translation.override("en"):
        yield


def codes(issues: list[Issue]) -> set[str]:
    return {i.code for i in issues}


def check(translation: str, **kwargs) -> list[Issue]:
    kwargs.setdefault("glossary", GLOSSARY)
    return run_checks(source_md=SOURCE, translation_md=translation, **kwargs)


def mutate(old: str, new: str, text: str = CLEAN) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def test_clean_translation_raises_nothing():
    issues = check(CLEAN)
    assert issues == [], [(i.code, str(i.message)) for i in issues]


def test_every_check_is_registered_with_a_valid_default():
    specs = all_checks()
    assert len({s.code for s in specs}) == len(specs)
    for spec in specs:
        assert spec.default_severity in ("error", "warning", "off")
        assert str(spec.description)


# (check code, mutation of the clean translation) — each must fire the named check.
MUTATIONS = {
    "structure.headings": ("### 解压归档", "#### 解压归档"),
    "structure.code_block": ("tar czf backup.tar.gz html\n```", "tar czf 备份.tar.gz html\n```"),
    "structure.code_comment": ("# make the archive", "# 创建归档"),
    "structure.inline_code": ("运行 `tar czf`，", "运行 tar czf，"),
    "structure.images": ("![一个归档][2]\n\n", ""),
    "structure.tables": ("| `x` | 解压 |\n", ""),
    "structure.list_items": ("- 使用 `J` 进行 xz 压缩。\n", ""),
    "structure.blockquotes": ("> 归档曾经", "归档曾经"),
    "links.missing": ("[Opensource.com 指南](https://opensource.com/tar)", "Opensource.com 指南"),
    "links.reference_missing": ("[1]: https://www.gnu.org/software/tar/manual/\n", ""),
    "links.reference_changed": ("[2]: https://example.com/archive.png", "[2]: https://example.com/other.png"),
    "links.added": ("所示。", "所示，另见 [Linux 中国](https://linux.cn/article-1.html)。"),
    "content.untranslated": (
        "我问过我们的作者们在日常工作中如何使用 `tar` 以及 `zip` 和 `gzip` 等相关工具。",
        "I asked our authors how they used `tar`, and related tools like `zip` and `gzip`, in their daily work.",
    ),
    "content.untranslated_quote": (
        "> 归档曾经让我觉得像一个禁忌的保险库，但现在我每天都在使用它们。",
        "> Archives used to feel like a forbidden vault to me, but now I use them every single day.",
    ),
    "alignment.missing": ("我问过我们的作者们在日常工作中如何使用 `tar` 以及 `zip` 和 `gzip` 等相关工具。\n\n", ""),
    "alignment.extra": (
        "### 解压归档\n\n",
        "### 解压归档\n\n这是我自己加的一段话，原文里没有，它提到了 LCTT 和 Linux 中国的很多事情。\n\n",
    ),
    "alignment.merged": ("的每一个选项。\n\n我问过", "的每一个选项。我问过"),
    "alignment.split": ("会更容易。`tar` 命令", "会更容易。\n\n`tar` 命令"),
    "content.length_ratio": (
        "当你有很多相关的文件时，把它们当作一个归档来处理会更容易。`tar` 命令正是为此而生，[GNU 手册][1] 列出了它的每一个选项。",
        "`tar` 归档见 [GNU 手册][1]。",
    ),
    "template.header_missing": (CLEAN[: CLEAN.index("使用 tar 命令")], ""),
    "template.header_field": ('[#]: url: " "\n', ""),
    "template.translator_missing": ('[#]: translator: "alice"', '[#]: translator: " "'),
    "template.translator_placeholder": ("译者：[alice](https://github.com/alice)", "译者：[译者ID](https://github.com/译者ID)"),
    "template.footer_missing": (CLEAN[CLEAN.index("-----") : CLEAN.index("[a]: ")], ""),
    "template.footer_incomplete": ("本文由 [LCTT](https://github.com/LCTT/TranslateProject) 原创编译，[Linux中国](https://linux.cn/) 荣誉推出\n", ""),
    "template.footer_mismatch": ("译者：[alice](https://github.com/alice)", "译者：[bob](https://github.com/bob)"),
    "typography.space_han_latin": ("用 tar 把文件", "用tar把文件"),
    "typography.space_fullwidth": ("会更容易。", "会更容易 。"),
    "typography.fullwidth_punctuation": ("然后等待它完成。", "然后等待它完成."),
    "typography.repeated_punctuation": ("每天都在使用它们。", "每天都在使用它们！！"),
    "typography.proper_noun_case": ("相关的文件时", "相关的 linux 文件时"),
    "typography.number_unit": ("然后等待它完成。", "然后等待它完成，大约 10GB。"),
    "glossary.term_not_used": ("把它们当作一个归档来处理", "把它们当作一个存档来处理"),
}


def test_every_registered_check_has_a_firing_case():
    stage_only = {"template.reviewer_placeholder"}  # tested at the publish stage below
    assert set(MUTATIONS) | stage_only == set(REGISTRY)


@pytest.mark.parametrize("code", sorted(MUTATIONS))
def test_check_fires_on_its_defect(code):
    old, new = MUTATIONS[code]
    issues = check(mutate(old, new))
    fired = [i for i in issues if i.code == code]
    assert fired, f"{code} did not fire; got {sorted(codes(issues))}"
    issue = fired[0]
    assert issue.severity == REGISTRY[code].default_severity
    assert str(issue.message)
    assert issue.location.line or issue.location.source_line


def test_reviewer_placeholder_only_at_publish_stage():
    assert "template.reviewer_placeholder" not in codes(check(CLEAN, stage="translate"))
    assert "template.reviewer_placeholder" not in codes(check(CLEAN, stage="review"))
    published = mutate("校对：[校对者ID](https://github.com/校对者ID)", "校对：[wxy](https://github.com/wxy)")
    published = mutate('[#]: reviewer: " "', '[#]: reviewer: "wxy"', published)
    assert check(published, stage="publish") == []
    at_publish = check(CLEAN, stage="publish")
    assert [i.severity for i in at_publish if i.code == "template.reviewer_placeholder"] == ["error", "error"]


def test_reviewer_in_footer_must_match_header_at_publish():
    text = mutate('[#]: reviewer: " "', '[#]: reviewer: "wxy"')
    text = mutate("校对：[校对者ID](https://github.com/校对者ID)", "校对：[carol](https://github.com/carol)", text)
    issues = check(text, stage="publish")
    assert [str(i.message) for i in issues if i.code == "template.footer_mismatch"] == [
        "Reviewer “carol” in the footer, “wxy” in the header."
    ]


def test_header_key_misspelt_is_reported():
    issues = check(mutate("[#]: subject:", "[#]: sub·ject:"))
    messages = [str(i.message) for i in issues if i.code == "template.header_field"]
    assert 'The header has no “subject” field.' in messages
    assert any("sub·ject" in m for m in messages)


def test_header_passed_by_the_caller_replaces_the_parsed_one():
    body_only = CLEAN[CLEAN.index("使用 tar 命令") :]
    header = {key: "x" for key in ("subject", "via", "author", "collector", "translator", "reviewer", "publisher", "url")}
    header["via"] = "https://example.com/tar"
    header["translator"] = "alice"
    header["collector"] = "lkxed"
    assert check(body_only, header=header) == []
    assert "template.header_missing" in codes(check(body_only))
    assert "template.translator_missing" in codes(check(body_only, header={**header, "translator": ""}))


def test_code_block_language_counts():
    issues = check(mutate("```bash", "```sh"))
    assert [str(i.message) for i in issues if i.code == "structure.code_block"] == [
        "Code block language “sh” differs from the source's “bash”."
    ]


def test_code_block_line_endings_do_not_count():
    assert check(CLEAN.replace("\n", "\r\n")) == []


def test_heading_missing_is_reported_at_the_source_line():
    issues = check(mutate("### 创建归档\n\n", ""))
    heading = [i for i in issues if i.code == "structure.headings"]
    assert heading and heading[0].location.source_line == SOURCE.splitlines().index("### Create an archive") + 1


def test_missing_paragraph_points_at_the_source_line():
    old, new = MUTATIONS["alignment.missing"]
    issues = check(mutate(old, new))
    missing = [i for i in issues if i.code == "alignment.missing"]
    assert len(missing) == 1
    assert missing[0].location.source_line == SOURCE.splitlines().index(
        "I asked our authors how they used `tar`, and related tools like `zip` and `gzip`, in their daily work.") + 1


def test_issue_locations_are_translation_lines():
    text = mutate("tar czf backup.tar.gz html\n```", "tar czf 备份.tar.gz html\n```")
    issue = next(i for i in check(text) if i.code == "structure.code_block")
    assert text.splitlines()[issue.location.line - 1] == "```bash"
    assert SOURCE.splitlines()[issue.location.source_line - 1] == "```bash"


def test_translators_note_is_not_an_extra_paragraph():
    text = mutate("### 解压归档\n\n", "### 解压归档\n\n（译注：LCTT 的译者在这里加了一段说明，解释 Linux 中国的习惯。）\n\n")
    assert "alignment.extra" not in codes(check(text))


def test_lead_paragraph_may_become_a_quote():
    # LCTT house style: the source's lead paragraph is published as "> …" (the clean text does it).
    assert "structure.blockquotes" not in codes(check(CLEAN))


def test_source_free_checks_only_without_source():
    text = mutate("```bash", "```sh")
    issues = run_checks(source_md="", translation_md=mutate("用 tar 把文件", "用tar把文件", text))
    assert codes(issues) == {"typography.space_han_latin"}


def test_severities_override_defaults_and_off_hides():
    text = mutate("tar czf backup.tar.gz html\n```", "tar czf 备份.tar.gz html\n```")
    issues = check(text, severities={"structure.code_block": "warning"})
    assert [i.severity for i in issues if i.code == "structure.code_block"] == ["warning"]
    assert not any(i.code == "structure.code_block" for i in check(text, severities={"structure.code_block": "off"}))
    # Nonsense from the database falls back to the default.
    issues = check(text, severities={"structure.code_block": "fatal"})
    assert [i.blocks_submission for i in issues if i.code == "structure.code_block"] == [True]
    assert severity_for("structure.code_block", {"structure.code_block": "fatal"}) == "error"


def test_unknown_stage_is_refused():
    with pytest.raises(ValueError, match="unknown stage"):
        run_checks(source_md=SOURCE, translation_md=CLEAN, stage="later")


def test_typography_fixes_clear_typography_issues():
    text = CLEAN
    for code in ("typography.space_han_latin", "typography.space_fullwidth", "typography.fullwidth_punctuation",
                 "typography.repeated_punctuation", "typography.proper_noun_case"):
        old, new = MUTATIONS[code]
        text = mutate(old, new, text)
    issues = check(text)
    fixable = [i for i in issues if i.fix]
    assert {i.code for i in fixable} >= {"typography.space_han_latin", "typography.fullwidth_punctuation"}
    fixed = apply_fixes(text, [i.fix for i in fixable])
    assert not any(i.code.startswith("typography.") for i in check(fixed))
    assert "相关的 Linux 文件时" in fixed


def test_glossary_term_used_is_quiet_and_case_sensitive_terms_respected():
    assert "glossary.term_not_used" not in codes(check(CLEAN))
    strict = [Term("Archive", "档案", case_sensitive=True)]
    assert "glossary.term_not_used" not in codes(check(CLEAN, glossary=strict))


def test_glossary_not_checked_on_untranslated_paragraph():
    old, new = MUTATIONS["content.untranslated"]
    issues = check(mutate(old, new), glossary=[Term("authors", "作者")])
    assert "glossary.term_not_used" not in codes(issues)


def test_glossary_accepts_model_like_objects():
    class Row:
        source_term, target_term, note, case_sensitive = "archive", "存档", "", False

    issues = check(CLEAN, glossary=[Row()])
    assert "glossary.term_not_used" in codes(issues)


# --- glossary matching ------------------------------------------------------------------

def test_find_terms_positions_boundaries_and_code_skipped():
    md = "An open source `archive` tool.\n\nOpen Source archives and archived files.\n\n```\narchive\n```\n"
    terms = [Term("open source", "开源"), Term("archive", "归档"), Term("source", "源")]
    hits = find_terms(md, terms)
    assert [(h.term.source, md[h.start : h.end], h.line) for h in hits] == [
        ("open source", "open source", 1),
        ("open source", "Open Source", 3),
        ("archive", "archives", 3),
    ]


def test_find_terms_case_sensitive_and_longest_first():
    md = "Use GNOME Shell, not gnome shell.\n"
    terms = [Term("GNOME", "GNOME", case_sensitive=True), Term("GNOME Shell", "GNOME Shell", case_sensitive=True)]
    hits = find_terms(md, terms)
    assert [md[h.start : h.end] for h in hits] == ["GNOME Shell"]


def test_find_terms_punctuated_terms_and_identifiers():
    md = "Open-source .NET tools use Wi-Fi; my_archive and archive-manager are not archives? Archive.\n"
    terms = [Term("open-source", "开源"), Term(".NET", ".NET", case_sensitive=True), Term("Wi-Fi", "Wi-Fi"),
             Term("archive", "归档")]
    hits = find_terms(md, terms)
    assert [md[h.start : h.end] for h in hits] == ["Open-source", ".NET", "Wi-Fi", "archive", "archives", "Archive"]


def test_find_terms_skips_links_urls_and_footer():
    md = "See https://example.com/archive and [the archive](https://example.com/archive).\n"
    hits = find_terms(md, [Term("archive", "归档")])
    assert [(md[h.start : h.end], h.start) for h in hits] == [("archive", md.index("archive]"))]


# --- glossary CSV -----------------------------------------------------------------------

def test_parse_glossary_csv_with_and_without_header():
    with_header = "\ufeffenglish,chinese,note\ncontainer,容器,\n\"pull request\",拉取请求,\"GitHub, GitLab\"\n"
    assert parse_glossary_csv(with_header) == [
        Term("container", "容器", ""), Term("pull request", "拉取请求", "GitHub, GitLab"),
    ]
    assert parse_glossary_csv("container,容器\r\nkernel,内核,Linux 内核\r\n") == [
        Term("container", "容器"), Term("kernel", "内核", "Linux 内核"),
    ]
    assert parse_glossary_csv("english,chinese,case_sensitive\nGo,Go,yes\n") == [Term("Go", "Go", "", True)]


def test_parse_glossary_csv_reports_every_bad_row():
    text = "english,chinese,note\ncontainer,容器,\n,空,\nkernel,,\nContainer,容器,again\na,b,c,d\n"
    with pytest.raises(GlossaryCSVError) as exc:
        parse_glossary_csv(text)
    assert exc.value.errors == [
        (3, "the English term is empty"),
        (4, "the Chinese term is empty"),
        (5, "duplicate of line 2"),
        (6, "4 columns, expected at most 3"),
    ]
    assert "line 3: the English term is empty" in str(exc.value)


def test_parse_glossary_csv_unknown_header_column():
    with pytest.raises(GlossaryCSVError, match="unknown column"):
        parse_glossary_csv("english,chinese,colour\na,b,c\n")


# --- bad input --------------------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_odd_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet="[]#:()`*_-=>|!\n 中文aZ0,.<>\\\r\t\u00a0\ue000", max_size=300),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_odd_text, _odd_text)
def test_run_checks_never_raises_on_arbitrary_text(source, translation):
    issues = run_checks(source_md=source, translation_md=translation, glossary=[Term("a", "文")], stage="publish")
    for issue in issues:
        assert issue.code in REGISTRY and str(issue.message)
        if issue.fix:
            assert 0 <= issue.fix.start <= issue.fix.end <= len(translation)
