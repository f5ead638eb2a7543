"""Chinese typography rules and the autofix: examples, then properties (hypothesis)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from workflow.quality.blocks import parse_markdown
from workflow.quality.typography import autofix, check_block_text

# --- examples ---------------------------------------------------------------------------

FIXES = [
    ("使用Vim编辑器", "使用 Vim 编辑器"),
    ("有10个项目", "有 10 个项目"),
    ("运行`git log`命令", "运行 `git log` 命令"),
    ("访问[GitHub](https://github.com/a_b)页面", "访问 [GitHub](https://github.com/a_b) 页面"),
    ("中文**English**中文", "中文 **English** 中文"),
    ("**中文**English", "**中文** English"),
    ("真的吗?好的,走吧.", "真的吗？好的，走吧。"),
    ("太棒了！！真的吗？？好。。", "太棒了！真的吗？好。"),
    ("这是测试 ，后面 。 再来（ 括号 ）", "这是测试，后面。再来（括号）"),
    ("安全外壳 (SSH) 协议", "安全外壳（SSH）协议"),
    ("在github上用javascript和macos", "在 GitHub 上用 JavaScript 和 macOS"),
    ("连上wifi", "连上 Wi-Fi"),
    ("文件在/etc/fstab里", "文件在 /etc/fstab 里"),
    ("访问https://example.com/a_b?x=1获取", "访问 https://example.com/a_b?x=1 获取"),
]

UNCHANGED = [
    "python 是命令，`python3` 也是",          # command names keep their lower case
    "思科的 IOS 系统",                         # a different proper noun
    "github.com 是域名",                       # domains are not proper nouns
    "遴选<ruby>遴选<rt>cherry-pick</rt></ruby>命令",  # raw HTML is a hard boundary
    "中文...English 的省略号",
    "Linux 中国",
    "snake_case_名字",
    "## ，标题里的逗号",                       # the space after "##" is syntax
    "- ，列表",
    "1. ：编号",
    "[^4]: 脚注定义",
    "把游戏挂载到 C: 盘",                      # a drive letter, not a sentence colon
]


@pytest.mark.parametrize(("text", "expected"), FIXES)
def test_fix_examples(text, expected):
    assert check_block_text(text).fixed == expected
    assert check_block_text(expected).findings == ()


@pytest.mark.parametrize("text", UNCHANGED)
def test_unchanged_examples(text):
    result = check_block_text(text)
    assert result.fixed == text
    assert [f.code for f in result.findings if f.code != "typography.number_unit"] == []


def test_number_unit_is_reported_not_fixed():
    result = check_block_text("内存有 8GB 和 2.4GHz")
    assert [(f.code, f.count) for f in result.findings] == [("typography.number_unit", 2)]
    assert result.fixed == "内存有 8GB 和 2.4GHz"


def test_findings_count_and_line():
    result = check_block_text("第一行没问题。\n第二行有Vim和Emacs。\n")
    (finding,) = result.findings
    assert (finding.code, finding.count, finding.line_offset) == ("typography.space_han_latin", 3, 1)


def test_autofix_leaves_header_footer_code_and_references():
    text = (
        '[#]: subject: "A,B"\n[#]: translator: "alice"\n\n标题有Vim\n======\n\n'
        "正文有Vim,还有`code,码`。\n\n```\n代码里有Vim,不改.\n```\n\n"
        "    缩进代码Vim,不改.\n\n<div>HTML块Vim,不改.</div>\n\n"
        "- 列表Vim\n\n  ```\n  列表里的代码Vim,不改.\n  ```\n\n"
        "------\n\nvia: https://example.com\n\n译者：[alice](https://github.com/alice)\n\n"
        "本文由 [LCTT](https://github.com/LCTT/TranslateProject) 原创编译，[Linux中国](https://linux.cn/) 荣誉推出\n\n"
        "[1]: https://example.com/Vim,中文\n"
    )
    fixed = autofix(text)
    expected = (
        text.replace("标题有Vim", "标题有 Vim")
        .replace("正文有Vim,还有`code,码`。", "正文有 Vim，还有 `code,码`。")
        .replace("- 列表Vim", "- 列表 Vim")
    )
    assert fixed == expected


def test_autofix_keeps_line_endings_and_missing_final_newline():
    text = "第一段Vim\r\n\r\n第二段Emacs"
    assert autofix(text) == "第一段 Vim\r\n\r\n第二段 Emacs"


# --- properties -------------------------------------------------------------------------

_md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_BARE_URL_RE = re.compile(
    r"(?:https?|ftp)://[^\s<>\"'()\[\]{}（）\u3000-\u303f\uff00-\uffef\u3400-\u9fff]*"
    r"[^\s<>\"'()\[\]{}（）\u3000-\u303f\uff00-\uffef\u3400-\u9fff.,;:!?]"
)


def protected_parts(markdown: str) -> dict[str, Counter]:
    """What the autofix must never change, as markdown-it sees it."""
    env: dict = {}
    tokens = _md.parse(markdown, env)
    parts: dict[str, Counter] = {k: Counter() for k in ("code", "inline_code", "href", "src", "html", "refs", "bare")}
    for tok in tokens:
        if tok.type in ("fence", "code_block"):
            parts["code"][(tok.info, tok.content)] += 1
        elif tok.type == "html_block":
            parts["html"][tok.content] += 1
        for child in tok.children or []:
            if child.type == "code_inline":
                parts["inline_code"][child.content] += 1
            elif child.type == "link_open":
                parts["href"][child.attrGet("href")] += 1
            elif child.type == "image":
                parts["src"][child.attrGet("src")] += 1
            elif child.type == "html_inline":
                parts["html"][child.content] += 1
            elif child.type == "text":
                parts["bare"].update(_BARE_URL_RE.findall(child.content))
    for label, ref in env.get("references", {}).items():
        parts["refs"][(label, ref["href"], ref.get("title"))] += 1
    return parts


def skeleton(markdown: str) -> list[tuple[str, str]]:
    """Block and inline token types: emphasis, links, lists … must survive the autofix."""
    out = []
    for tok in _md.parse(markdown):
        out.append((tok.type, tok.tag))
        out.extend((child.type, child.tag) for child in tok.children or [] if child.type not in ("text", "softbreak"))
    return out


def header_and_footer(markdown: str) -> tuple[str, str]:
    doc = parse_markdown(markdown)
    head = "".join(doc.lines[: doc.header.end_line]) if doc.header else ""
    foot = "".join(doc.lines[doc.footer.start_line :]) if doc.footer else ""
    return head, foot


han = st.text(alphabet="中文测试命令文件使用系统的了在是和一个", min_size=1, max_size=6)
latin = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,7}", fullmatch=True)
names = st.sampled_from(["github", "Github", "javascript", "linux", "macos", "wifi", "Python", "IOS", "ubuntu"])
punct = st.sampled_from([",", ".", "!", "?", ":", ";", "，", "。", "！！", "？？", "、", "（", "）", "(", ")", "...", "……"])
spaces = st.sampled_from(["", " ", "  "])
url = st.from_regex(r"https://[a-z]{1,8}\.(com|org|cn)(/[A-Za-z0-9_\-]{1,8}){0,3}(\?[a-z]=[0-9]{1,3})?", fullmatch=True)
code_text = st.text(alphabet="abc 中文,.!?*_[]()<>#:", min_size=1, max_size=12).filter(
    lambda s: s.strip() and not s.startswith(" ") and not s.endswith(" "))

inline_piece = st.one_of(
    han, latin, names, punct, spaces,
    code_text.map(lambda s: f"`{s}`"),
    st.tuples(st.one_of(han, latin), url).map(lambda t: f"[{t[0]}]({t[1]})"),
    st.tuples(st.one_of(han, latin), st.integers(1, 3)).map(lambda t: f"[{t[0]}][{t[1]}]"),
    url.map(lambda u: f"<{u}>"),
    url.map(lambda u: f" {u} "),
    st.tuples(st.one_of(han, latin), st.sampled_from(["**", "*", "_"])).map(lambda t: f"{t[1]}{t[0]}{t[1]}"),
    st.tuples(st.one_of(han, latin), url).map(lambda t: f"![{t[0]}]({t[1]})"),
    st.sampled_from(["<kbd>", "</kbd>", "<ruby>遴选<rt>cherry-pick</rt></ruby>", "&nbsp;", "\\*", "/etc/fstab"]),
)
line = st.lists(inline_piece, min_size=1, max_size=10).map("".join).filter(lambda s: s.strip())
block = st.one_of(
    line,
    line.map(lambda s: "## " + s),
    st.lists(line, min_size=1, max_size=3).map(lambda items: "\n".join("- " + i for i in items)),
    line.map(lambda s: "> " + s),
    st.tuples(st.sampled_from(["", "bash", "python"]), st.lists(line, min_size=1, max_size=3)).map(
        lambda t: f"```{t[0]}\n" + "\n".join(x.replace("`", "'") for x in t[1]) + "\n```"),
    line.map(lambda s: "    " + s.replace("\n", " ")),
    st.tuples(st.integers(1, 3), url).map(lambda t: f"[{t[0]}]: {t[1]}"),
    st.tuples(line, line).map(lambda t: f"| {t[0].replace('|', '')} | x |\n| --- | --- |\n| {t[1].replace('|', '')} | y |"),
)
header = st.sampled_from(["", '[#]: subject: "A,B:中文"\n[#]: translator: "alice"\n\n'])
footer = st.sampled_from([
    "",
    "\n\n------\n\nvia: https://example.com/a\n\n作者：[Jane][a]\n译者：[alice](https://github.com/alice)\n\n"
    "本文由 [LCTT](https://github.com/LCTT/TranslateProject) 原创编译，[Linux中国](https://linux.cn/) 荣誉推出\n\n"
    "[a]: https://example.com/jane\n",
])
documents = st.tuples(header, st.lists(block, min_size=1, max_size=6), footer, st.sampled_from(["\n", "\r\n"])).map(
    lambda t: (t[0] + "\n\n".join(t[1]) + t[2]).replace("\n", t[3]))

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(documents)
def test_autofix_is_idempotent(markdown):
    once = autofix(markdown)
    assert autofix(once) == once


@PROPERTY_SETTINGS
@given(documents)
def test_autofix_never_touches_code_links_urls_html_header_or_footer(markdown):
    fixed = autofix(markdown)
    assert protected_parts(fixed) == protected_parts(markdown)
    assert header_and_footer(fixed) == header_and_footer(markdown)
    assert skeleton(fixed) == skeleton(markdown)


@PROPERTY_SETTINGS
@given(documents)
def test_autofix_only_changes_spaces_punctuation_and_case(markdown):
    fixed = autofix(markdown)

    def skeleton(text: str) -> str:
        text = re.sub(r"[ \t]", "", text)
        for half, full in zip(",;:!?.()", "，；：！？。（）", strict=True):
            text = text.replace(half, full)
        text = re.sub(r"([，。！？：；、])\1+", r"\1", text)
        return text.casefold().replace("wi-fi", "wifi")

    assert skeleton(fixed) == skeleton(markdown)


def sample_files() -> list[Path]:
    root = Path(__file__).resolve().parent.parent.parent / "shared" / "lctt-samples"
    return sorted(p for p in root.rglob("*.md") if p.name != "README.md")


@pytest.mark.parametrize("path", sample_files(), ids=lambda p: p.name[:40])
def test_autofix_on_samples(path):
    markdown = path.read_bytes().decode("utf-8")
    fixed = autofix(markdown)
    assert autofix(fixed) == fixed
    assert protected_parts(fixed) == protected_parts(markdown)
    assert header_and_footer(fixed) == header_and_footer(markdown)
    assert skeleton(fixed) == skeleton(markdown)
