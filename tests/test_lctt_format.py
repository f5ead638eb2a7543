"""The LCTT file format (articles/lctt.py): lossless on every sample and every string,
field values from every era, edits that touch only what changed."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles import lctt
from tests.conftest import LCTT_SAMPLES

SAMPLE_PATHS = sorted(p.relative_to(LCTT_SAMPLES).as_posix() for p in LCTT_SAMPLES.rglob("*.md") if p.name != "README.md")
HEADER_SAMPLES = [p for p in SAMPLE_PATHS if (LCTT_SAMPLES / p).read_bytes().startswith(b"[#]")]
SAMPLE_TEXTS = {p: lctt.decode((LCTT_SAMPLES / p).read_bytes()) for p in SAMPLE_PATHS}


def load(lctt_samples: Path, rel: str) -> lctt.LcttDocument:
    return lctt.parse_bytes((lctt_samples / rel).read_bytes(), path=rel)


def kind_of(rel: str) -> str:
    return rel.split("/", 1)[0]


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(a) == len(b), "lines were added or removed"
    return [(x, y) for x, y in zip(a, b, strict=True) if x != y]


# --------------------------------------------------------------------------- every sample


def test_samples_are_all_there(lctt_samples):
    assert len(SAMPLE_PATHS) >= 60
    assert {kind_of(p) for p in SAMPLE_PATHS} == {"sources", "translated", "published"}


@pytest.mark.parametrize("rel", SAMPLE_PATHS)
def test_every_sample_round_trips_byte_for_byte(lctt_samples, rel):
    raw = (lctt_samples / rel).read_bytes()
    doc = lctt.parse_bytes(raw, path=rel)
    assert lctt.encode(lctt.render(doc)) == raw
    assert not [w for w in doc.warnings if w.code == "parse_error"]
    # the segments partition the file: consecutive, complete, in document order
    position = 0
    for segment in doc.segments:
        assert segment.start == position and segment.end > segment.start
        position = segment.end
    assert position == len(doc.lines)
    # the article it describes writes back unchanged
    fields = lctt.extract_fields(doc, kind=kind_of(rel))
    assert lctt.apply_fields(doc, fields, kind=kind_of(rel)) == []
    assert lctt.encode(doc.render()) == raw


# --------------------------------------------------------------------------- hand-written values


def test_no_header_2013_footer_on_one_line(lctt_samples):
    rel = "published/201312/KDE vs GNOME- Settings, Apps, Widgets.md"
    doc = load(lctt_samples, rel)
    assert doc.header == []
    assert doc.title.text == "KDE vs GNOME: 设置，应用和小工具" and doc.title.style == "="
    assert doc.filename == lctt.FilenameParts(date=None, counter=None, stars=0, title="KDE vs GNOME- Settings, Apps, Widgets")
    assert doc.lines[doc.rule_line].text == "---"
    assert doc.footer_via == "http://www.datamation.com/open-source/kde-vs-gnome-settings-apps-widgets-1.html"
    assert doc.lctt_line is not None
    translator, reviewer = doc.credits  # 译者：[…](…) 校对：[…](…) on one line
    assert translator.line == reviewer.line
    assert (translator.role, translator.names[0].text) == ("translator", "KayGuoWhu")
    assert [r.label for r in doc.refs] == [str(n) for n in range(1, 13)]
    assert doc.refs[0].url == "http://www.opensuse.org/en/"
    fields = lctt.extract_fields(doc, kind="published")
    assert fields.subject == "KDE vs GNOME- Settings, Apps, Widgets"  # only the file name has it
    assert fields.title == "KDE vs GNOME: 设置，应用和小工具"
    assert (fields.translator, fields.reviewers, fields.collector, fields.publisher) == ("KayGuoWhu", ("wxy",), None, None)
    assert fields.published_url == "" and fields.author_name == ""
    assert fields.markdown.startswith("当提到桌面环境时") and fields.markdown.endswith("[12]:http://www.shutterstock.com/pic-137314787/stock-photo-information-concept-golden-gears-on-digital-background-d-render.html\n")
    assert doc.warnings == []


def test_no_header_2014_credit_names_come_from_github_urls(lctt_samples):
    doc = load(lctt_samples, "published/201408/20140616 How to diskless boot a Linux machine.md")
    fields = lctt.extract_fields(doc, kind="published")
    # "[Caroline](https://github.com/carolinewuyan)": the handle is the profile's
    assert fields.reviewers == ("carolinewuyan",)
    assert fields.translator == "alim0x"
    assert doc.filename.date == dt.date(2014, 6, 16)
    assert doc.title.text == "如何无盘启动Linux"
    assert doc.refs == []
    # the "----------" lines inside the body are not the footer rule
    assert doc.lines[doc.rule_line].text == "-" * 80 and doc.rule_line > 130


def test_underlined_with_dashes_and_rule_without_blank_line(lctt_samples):
    doc = load(lctt_samples, "published/201704/20170413 Ubuntu 17.04 (Zesty Zapus) Officially Released, Available to Download Now.md")
    assert doc.title.style == "-"
    assert doc.via_line == doc.rule_line + 1
    fields = lctt.extract_fields(doc, kind="published")
    assert (fields.author_name, fields.author_url) == ("Marius Nestor", "http://news.softpedia.com/editors/browse/marius-nestor")
    assert fields.subject == "Ubuntu 17.04 (Zesty Zapus) Officially Released, Available to Download Now"


def test_paren_header_collector_first_url_last(lctt_samples):
    doc = load(lctt_samples, "published/201812/20171223 Celebrate Christmas In Linux Way With These Wallpapers.md")
    assert [h.name for h in doc.header] == ["collector", "translator", "reviewer", "publisher", "subject", "via", "author", "url"]
    assert {h.style for h in doc.header} == {"("}
    fields = lctt.extract_fields(doc, kind="published")
    assert fields == lctt.ArticleFields(
        subject="Celebrate Christmas In Linux Way With These Wallpapers",
        title="以 Linux 的方式庆祝圣诞节",
        via="https://itsfoss.com/christmas-linux-wallpaper/",
        author_name="Abhishek Prakash",
        author_url="https://itsfoss.com/author/abhishek/",
        collector="lujun9972",
        translator="jlztan",
        reviewers=("wxy",),
        publisher="wxy",
        published_url="https://linux.cn/article-10381-1.html",
        markdown=fields.markdown,
    )
    assert doc.lines[doc.rule_line].text == "------"


def test_paren_header_collector_first_url_fifth(lctt_samples):
    doc = load(lctt_samples, "published/201903/20190220 An Automated Way To Install Essential Applications On Ubuntu.md")
    assert [h.name for h in doc.header] == ["collector", "translator", "reviewer", "publisher", "url", "subject", "via", "author"]
    assert doc.header_value("url") == "https://linux.cn/article-10600-1.html"
    fields = lctt.extract_fields(doc, kind="published")
    assert (fields.author_name, fields.translator) == ("SK", "geekpi")
    # "[1]: data:image/gif;base64,…" is a reference link like any other
    assert doc.ref_map()["1"].url.startswith("data:image/gif;base64,")
    url = doc.header_field("url")
    assert doc.raw(url.start, url.end) == "[#]: url: (https://linux.cn/article-10600-1.html)\n"


def test_reference_links_with_titles(lctt_samples):
    doc = load(lctt_samples, "published/201809/20180803 10 Popular Windows Apps That Are Also Available on Linux.md")
    first = doc.ref_map()["1"]
    assert (first.url, first.title) == ("https://plus.google.com/share?url=https://www.fossmint.com/install-popular-windows-apps-on-linux/", "Share on Google+")
    assert doc.ref_map()["a"].url == "https://www.fossmint.com/author/dillivine/"  # "[a]:url" without a space


def test_paren_header_author_key_in_chinese_and_parens_inside_the_value(lctt_samples):
    doc = load(lctt_samples, "published/201904/20190401 How to create a filesystem on a Linux partition or logical volume.md")
    author = doc.header_field("author")
    assert author.key == "作者" and author.style == "("
    fields = lctt.extract_fields(doc, kind="published")
    assert fields.author_name == "Kedar Vijay Kulkarni (Red Hat)"
    assert fields.author_url == "https://opensource.com/users/kkulkarn"
    assert [w.code for w in doc.warnings] == ["odd_header_key"]


def test_subject_first_paren_header(lctt_samples):
    doc = load(lctt_samples, "published/202104/20210407 What is Git cherry-picking.md")
    assert [h.name for h in doc.header] == list(lctt.HEADER_ORDER)
    fields = lctt.extract_fields(doc, kind="published")
    assert fields.subject == "What is Git cherry-picking?"
    assert doc.filename.title == "What is Git cherry-picking"
    assert fields.title == "什么是 Git 遴选（cherry-pick）？"


def test_subject_key_with_a_middle_dot(lctt_samples):
    doc = load(lctt_samples, "published/202109/20210829 Position text on your screen in Linux with ncurses.md")
    assert doc.header[0].key == "sub·ject" and doc.header[0].name == "subject"
    assert lctt.extract_fields(doc, kind="published").subject == "Position text on your screen in Linux with ncurses"


def test_mixed_quoting_styles_in_one_header(lctt_samples):
    doc = load(lctt_samples, "published/201910/20190830 How to Install Linux on Intel NUC.md")
    assert [h.style for h in doc.header] == ["("] * 5 + ['"'] * 3
    assert "mixed_header_quoting" in [w.code for w in doc.warnings]


def test_current_template_source_with_empty_values(lctt_samples):
    doc = load(lctt_samples, "sources/tech/20220917 What is OpenRAN-.md")
    assert [h.name for h in doc.header] == list(lctt.HEADER_ORDER)
    assert [h.value for h in doc.header][4:] == ["", "", "", ""]
    assert doc.header_field("translator").style == '"'
    fields = lctt.extract_fields(doc, kind="sources")
    assert fields.subject == "What is OpenRAN?"
    assert fields.title == ""  # a source has no translated title yet
    assert (fields.collector, fields.translator, fields.reviewers, fields.publisher) == ("lkxed", None, (), None)
    assert (fields.author_name, fields.author_url) == ("Stephan Avenwedde", "https://opensource.com/users/hansic99")
    # the body and its links, without the footer's [a]/[b] links
    assert fields.markdown.startswith("Open Radio Access Network defines open standards")
    assert "[a]:" not in fields.markdown and "[b]:" not in fields.markdown
    assert fields.markdown.endswith("[8]: https://www.redhat.com/en/topics/edge-computing/what-is-edge-computing?intcmp=7013a000002qLH8AAM\n")
    assert doc.footer_ref_labels == {"a", "b"}
    assert doc.filename == lctt.FilenameParts(dt.date(2022, 9, 17), None, 0, "What is OpenRAN-")


def test_claimed_source_header_wins_over_placeholder_footer(lctt_samples):
    doc = load(lctt_samples, "sources/talk/20221018.2 ⭐️⭐️⭐️ Exploring innovative Open Organization charts.md")
    assert lctt.extract_fields(doc, kind="sources").translator == "CanYellow"
    assert doc.credit("translator").names[0].text == "译者ID"
    assert doc.filename == lctt.FilenameParts(dt.date(2022, 10, 18), 2, 3, "Exploring innovative Open Organization charts")


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("sources/tech/20230303.2 ⭐️⭐️⭐️ How do Nix builds work.md", (dt.date(2023, 3, 3), 2, 3, "How do Nix builds work")),
        ("published/202302/20230201.0 ⭐️⭐️ System76's Upcoming COSMIC Desktop is Gearing Up With Big Changes.md", (dt.date(2023, 2, 1), 0, 2, "System76's Upcoming COSMIC Desktop is Gearing Up With Big Changes")),
        ("translated/tech/20230621.1 ⭐️ Install and Use Flatpak on Ubuntu.md", (dt.date(2023, 6, 21), 1, 1, "Install and Use Flatpak on Ubuntu")),
    ],
)
def test_star_file_names(lctt_samples, rel, expected):
    assert tuple(dataclasses.astuple(load(lctt_samples, rel).filename)) == expected


def test_missing_final_newline_and_a_zero_reference_label(lctt_samples):
    rel = "published/202311/20231123 Wave- A Modern New Linux Terminal that You-ll Love if You Hate Command Line.md"
    doc = load(lctt_samples, rel)
    assert doc.lines[-1].eol == "" and doc.lines[-1].text.startswith("[0]: https://img.linux.net.cn/")
    assert doc.refs[-1].label == "0"
    fields = lctt.extract_fields(doc, kind="published")
    assert fields.collector == "lujun9972"  # "lujun9972/lctt-scripts-1700446145": the collector's script
    assert fields.translator == "ChatGPT"
    assert fields.markdown.endswith("[0]: https://img.linux.net.cn/data/attachment/album/202311/24/164058enkoo1pol4sllr1p.jpg\n")


def test_translated_file_with_reference_style_credit(lctt_samples):
    doc = load(lctt_samples, "translated/tech/20200131 Intro to the Linux command line.md")
    fields = lctt.extract_fields(doc, kind="translated")
    assert fields.translator == "qianmingtian" and fields.reviewers == ()
    assert doc.footer_ref_labels == {"a", "b", "c"}
    assert fields.title == "Linux 命令行简介"
    assert "[c]:" not in fields.markdown


def test_translated_file_reviewer_only_in_the_footer(lctt_samples):
    doc = load(lctt_samples, "translated/news/20220921 CentOS Hyperscale SIG conference recap.md")
    fields = lctt.extract_fields(doc, kind="translated")
    assert doc.header_value("reviewer") == ""
    assert fields.reviewers == ("Phodopussungorus",)
    assert doc.lctt_line is None  # this footer lacks the 本文由 LCTT line
    assert (fields.author_name, fields.author_url) == ("CentOS Blog", "https://blog.centos.org")


def test_translator_named_in_link_text_with_placeholder_url(lctt_samples):
    doc = load(lctt_samples, "translated/tech/20200825 OnionShare- An Open-Source Tool to Share Files Securely Over Tor Network.md")
    assert lctt._footer_people(doc, "translator") == ("geekpi",)


# --------------------------------------------------------------------------- crafted cases

HEADERLESS_SOURCE = (
    "geekpi translating\n"
    "\n"
    "How to foo\n"
    "================\n"
    "\n"
    "Body text.\n"
    "\n"
    "--------------------------------------------------------------------------------\n"
    "\n"
    "via: http://example.com/foo\n"
    "\n"
    "作者：[John][a]\n"
    "译者：[译者ID](https://github.com/译者ID)\n"
    "校对：[校对者ID](https://github.com/校对者ID)\n"
    "\n"
    "本文由 [LCTT](https://github.com/LCTT/TranslateProject) 原创编译，[Linux中国](https://linux.cn/) 荣誉推出\n"
    "\n"
    "[a]:http://example.com/john\n"
    "[1]:http://example.com/1"
)


@pytest.mark.parametrize(
    ("first_line", "handle"),
    [
        ("geekpi translating", "geekpi"),
        ("translating by geekpi", "geekpi"),
        ("Translating by ucasFL", "ucasFL"),
        ("[translating] by zpl1025", "zpl1025"),
        ("translating---mr-ping", "mr-ping"),
        ("  GOLinux translating...  ", "GOLinux"),
    ],
)
def test_claim_markers_of_header_less_files(first_line, handle):
    text = HEADERLESS_SOURCE.replace("geekpi translating", first_line)
    doc = lctt.parse(text, path="sources/tech/20150101 How to foo.md")
    assert doc.render() == text
    assert [m.handle for m in doc.markers] == [handle]
    fields = lctt.extract_fields(doc, kind="sources")
    assert fields.translator == handle
    assert fields.subject == "How to foo"
    assert (fields.author_name, fields.author_url) == ("John", "http://example.com/john")
    assert fields.markdown == "Body text.\n\n[1]:http://example.com/1\n"


def test_title_mentioning_translation_is_not_a_marker():
    text = "Translating by machine\n===\n\nbody\n"
    doc = lctt.parse(text)
    assert doc.markers == [] and doc.title.text == "Translating by machine"


def test_header_value_broken_over_several_lines():
    text = (
        "[#]: collector: (lujun9972)\n[#]: translator: ( )\n[#]: reviewer: ( )\n[#]: publisher: ( )\n[#]: url: ( )\n"
        "[#]: subject: (A very long subject that\n  continues on the next line)\n"
        "[#]: via: (https://example.org/a)\n[#]: author: (Jane Doe https://example.org/jane)\n\nTitle\n======\nbody\n"
    )
    doc = lctt.parse(text)
    subject = doc.header_field("subject")
    assert subject.value == "A very long subject that continues on the next line"
    assert subject.end - subject.start == 2
    assert doc.header_value("via") == "https://example.org/a"  # the next field is intact
    assert "multiline_header_value" in [w.code for w in doc.warnings]
    doc.set_header_value("subject", "Short")
    assert "[#]: subject: (Short)\n[#]: via:" in doc.render()


def test_unterminated_header_value_is_a_warning():
    doc = lctt.parse('[#]: subject: "No closing quote\n[#]: via: "https://x.org/"\n\nTitle\n===\n')
    assert doc.header_value("subject") == "No closing quote"
    assert doc.header_value("via") == "https://x.org/"
    assert "unterminated_header_value" in [w.code for w in doc.warnings]


def test_missing_title():
    text = '[#]: subject: "S"\n[#]: translator: " "\n\nJust a body\nwith lines\n'
    doc = lctt.parse(text, path="sources/tech/20200101 S.md")
    assert doc.title is None
    assert {"missing_title", "missing_footer"} <= {w.code for w in doc.warnings}
    assert lctt.extract_fields(doc, kind="sources").markdown == "Just a body\nwith lines\n"


def test_atx_title():
    doc = lctt.parse("# 标题 #\n\nbody\n")
    assert (doc.title.text, doc.title.style) == ("标题", "#")
    doc.set_title("新标题")
    assert doc.render() == "# 新标题 #\n\nbody\n"


def test_crlf_file_keeps_its_line_endings_on_edit():
    text = (
        '[#]: subject: "S"\r\n[#]: translator: " "\r\n[#]: reviewer: "a, b"\r\n\r\nTitle\r\n======\r\n\r\nBody\r\n\r\n'
        "-----\r\n\r\nvia: https://x.org/\r\n\r\n译者：[译者ID](https://github.com/译者ID)\r\n\r\n[1]: https://y.org/\r\n"
    )
    doc = lctt.parse(text)
    assert doc.render() == text and doc.newline == "\r\n"
    fields = lctt.extract_fields(doc, kind="sources")
    assert fields.reviewers == ("a", "b")
    assert fields.markdown == "Body\n\n[1]: https://y.org/\n"  # the app gets \n
    lctt.apply_fields(doc, dataclasses.replace(fields, translator="alice", markdown="New body\nline two\n"), kind="sources")
    out = doc.render()
    assert '[#]: translator: "alice"\r\n' in out
    assert "New body\r\nline two\r\n" in out
    assert "\n" not in out.replace("\r\n", "")


def test_several_reviewers_in_header_and_footer():
    text = (
        '[#]: subject: "S"\n[#]: reviewer: "wxy, turbokernel"\n\nT\n===\n\nbody\n\n---\n\nvia: https://x.org/\n\n'
        "校对：[wxy](https://github.com/wxy)，[turbokernel](https://github.com/turbokernel)\n"
    )
    doc = lctt.parse(text)
    assert lctt.extract_fields(doc, kind="published").reviewers == ("wxy", "turbokernel")
    assert lctt._footer_people(doc, "reviewer") == ("wxy", "turbokernel")
    fields = lctt.extract_fields(doc, kind="published")
    lctt.apply_fields(doc, dataclasses.replace(fields, reviewers=("wxy", "alice", "bob")), kind="published")
    out = doc.render()
    assert '[#]: reviewer: "wxy, alice, bob"' in out
    assert "校对：[wxy](https://github.com/wxy)，[alice](https://github.com/alice)，[bob](https://github.com/bob)" in out


def test_old_one_line_footer_with_several_reviewers_and_placeholders():
    text = "T\n===\n\nbody\n\n---\n\nvia: http://x.org/\n\n译者：[译者ID](https://github.com/译者ID) 校对：[a](https://github.com/a)，[b](https://github.com/b)\n"
    doc = lctt.parse(text)
    fields = lctt.extract_fields(doc, kind="published")
    assert fields.translator is None and fields.reviewers == ("a", "b")
    lctt.apply_fields(doc, dataclasses.replace(fields, translator="alice"), kind="published")
    assert doc.lines[-1].text == "译者：[alice](https://github.com/alice) 校对：[a](https://github.com/a)，[b](https://github.com/b)"


@pytest.mark.parametrize("value", ["译者ID", "校对者ID", " ", "", "@", "https://github.com/译者ID"])
def test_placeholders_mean_nobody(value):
    assert lctt.normalize_handle(value) is None


@pytest.mark.parametrize(
    ("value", "handle"),
    [("@geekpi", "geekpi"), (" wxy ", "wxy"), ("https://github.com/lkxed/", "lkxed"), ("lujun9972/lctt-scripts-1693450080", "lujun9972")],
)
def test_handles_are_normalised(value, handle):
    assert lctt.normalize_handle(value) == handle


def test_bom_and_invalid_utf8_round_trip():
    raw = "\ufeff".encode() + b"Title\n===\n\ncaf\xe9 body\n"
    doc = lctt.parse_bytes(raw)
    assert lctt.encode(doc.render()) == raw
    assert doc.title.text == "Title"
    assert {"bom", "invalid_utf8"} <= {w.code for w in doc.warnings}
    assert lctt.extract_fields(doc, kind="sources").markdown == "caf\ufffd body\n"  # storable text


@pytest.mark.parametrize("text", ["", "\n", "\r", "\r\n\r\n", "===", "[#]:", "[#]: : \"", "[1]:", "译者：", "---\n---", "\x00\udcff\u00a0\t"])
def test_degenerate_inputs(text):
    doc = lctt.parse(text)
    assert doc.render() == text
    lctt.extract_fields(doc, kind="sources")


# --------------------------------------------------------------------------- edits


def test_claim_changes_the_translator_line_in_each_quoting_style(lctt_samples):
    for rel, before, after in [
        ("sources/tech/20220917 What is OpenRAN-.md", '[#]: translator: " "\n', '[#]: translator: "alice"\n'),
        ("translated/tech/20191229 The best resources for agile software development.md", "[#]: translator: (algzjh)\n", "[#]: translator: (alice)\n"),
    ]:
        text = SAMPLE_TEXTS[rel]
        if kind_of(rel) == "translated":  # make it an unclaimed source in the ( ) era
            text = text.replace("[#]: translator: (algzjh)", "[#]: translator: ( )").replace(
                "译者：[algzjh](https://github.com/algzjh)", "译者：[译者ID](https://github.com/译者ID)"
            )
            before = "[#]: translator: ( )\n"
        doc = lctt.parse(text, path=rel)
        fields = lctt.extract_fields(doc, kind="sources")
        assert fields.translator is None
        assert lctt.apply_fields(doc, dataclasses.replace(fields, translator="alice"), kind="sources") == ["translator"]
        assert changed_lines(text, doc.render()) == [(before, after)]


def test_claim_on_a_header_less_source_adds_the_marker_line():
    doc = lctt.parse(HEADERLESS_SOURCE.replace("geekpi translating\n\n", ""))
    fields = lctt.extract_fields(doc, kind="sources")
    assert fields.translator is None
    lctt.apply_fields(doc, dataclasses.replace(fields, translator="alice"), kind="sources")
    assert doc.render().startswith("translating by alice\nHow to foo\n")
    assert lctt.extract_fields(doc, kind="sources").translator == "alice"
    lctt.apply_fields(doc, dataclasses.replace(fields, translator=None), kind="sources")
    assert doc.render() == HEADERLESS_SOURCE.replace("geekpi translating\n\n", "")


def test_existing_marker_keeps_its_form():
    doc = lctt.parse(HEADERLESS_SOURCE.replace("geekpi translating", "[translating] by @geekpi"))
    fields = lctt.extract_fields(doc, kind="sources")
    lctt.apply_fields(doc, dataclasses.replace(fields, translator="alice"), kind="sources")
    assert doc.lines[0].text == "[translating] by @alice"


def test_body_edit_keeps_footer_and_footer_links(lctt_samples):
    rel = "sources/tech/20220917 What is OpenRAN-.md"
    doc = load(lctt_samples, rel)
    fields = lctt.extract_fields(doc, kind="sources")
    new = "A new body.\n\nWith [a link][1].\n\n[1]: https://example.org/one\n"
    lctt.apply_fields(doc, dataclasses.replace(fields, markdown=new), kind="sources")
    out = doc.render()
    assert "via: https://opensource.com/article/22/9/open-radio-access-networks\n\n作者：[Stephan Avenwedde][a]" in out
    assert out.endswith("[a]: https://opensource.com/users/hansic99\n[b]: https://github.com/lkxed\n[1]: https://example.org/one\n")
    assert lctt.extract_fields(lctt.parse(out), kind="sources").markdown == new


def test_header_value_empty_renders_as_space_in_its_style():
    doc = lctt.parse('[#]: translator: "bob"\n[#]: reviewer: (carol)\n\nT\n===\n')
    doc.set_header_value("translator", "")
    doc.set_header_value("reviewer", "")
    assert doc.render() == '[#]: translator: " "\n[#]: reviewer: ( )\n\nT\n===\n'


def test_new_document_follows_the_current_template(lctt_samples):
    fields = lctt.ArticleFields(
        subject="What is OpenRAN?",
        via="https://opensource.com/article/22/9/open-radio-access-networks",
        author_name="Stephan Avenwedde",
        author_url="https://opensource.com/users/hansic99",
        collector="lkxed",
        markdown="Open Radio Access Network defines open standards.\n\n[1]: https://www.o-ran.org/\n",
    )
    doc = lctt.new_document(fields, kind="sources")
    text = doc.render()
    sample = SAMPLE_TEXTS["sources/tech/20220917 What is OpenRAN-.md"]
    # the header and the footer are the sample's, line for line
    assert text.split("\n\n")[0] == sample.split("\n\n")[0]
    footer = text[text.index("-" * 80):]
    sample_footer = sample[sample.index("-" * 80):sample.index("[1]:")]
    assert footer.startswith(sample_footer)
    assert lctt.extract_fields(doc, kind="sources") == fields
    assert doc.warnings == []


# --------------------------------------------------------------------------- file names


@pytest.mark.parametrize(
    ("date", "counter", "stars", "subject", "name"),
    [
        (dt.date(2022, 8, 20), None, 0, "What's your favorite screenshot tool on Linux?", "20220820 What-s your favorite screenshot tool on Linux-.md"),
        (dt.date(2022, 7, 19), None, 0, "Top 10 Features of Linux Mint 21 “Vanessa”", "20220719 Top 10 Features of Linux Mint 21 -Vanessa-.md"),
        (dt.date(2018, 11, 28), None, 0, "Arch-Audit : A Tool To Check Vulnerable Packages In Arch Linux", "20181128 Arch-Audit - A Tool To Check Vulnerable Packages In Arch Linux.md"),
        (dt.date(2019, 7, 9), None, 0, "Pipx – Install And Run Python Applications In Isolated Environments", "20190709 Pipx - Install And Run Python Applications In Isolated Environments.md"),
        (dt.date(2023, 11, 23), None, 0, "Wave: A Modern New Linux Terminal that You'll Love if You Hate Command Line", "20231123 Wave- A Modern New Linux Terminal that You-ll Love if You Hate Command Line.md"),
        (dt.date(2023, 3, 3), 2, 3, "How do Nix builds work", "20230303.2 ⭐️⭐️⭐️ How do Nix builds work.md"),
        (dt.date(2023, 2, 10), 4, 1, "How to Install DOSBox in Ubuntu to Play Old Games", "20230210.4 ⭐️ How to Install DOSBox in Ubuntu to Play Old Games.md"),
    ],
)
def test_make_filename_matches_lctt_names(lctt_samples, date, counter, stars, subject, name):
    assert lctt.make_filename(date, counter, stars, subject) == name
    assert any(p.endswith("/" + name) for p in SAMPLE_PATHS)


def test_make_filename_is_windows_safe():
    name = lctt.make_filename(dt.date(2024, 1, 2), 0, 2, 'a<b>c:d"e/f\\g|h?i*j\tk\x01 end. ')
    assert name == "20240102.0 ⭐️⭐️ a-b-c-d-e-f-g-h-i-j k end.md"
    long_name = lctt.make_filename(dt.date(2024, 1, 2), None, 0, "长" * 300)
    assert len(long_name.encode()) <= 243 and long_name.endswith("长.md")


def test_parse_filename_accepts_star_without_variation_selector():
    parts, warnings = lctt.parse_filename("20230303.2 ⭐⭐ Title.md")
    assert (parts.date, parts.counter, parts.stars, parts.title) == (dt.date(2023, 3, 3), 2, 2, "Title")
    parts, warnings = lctt.parse_filename("20231341 Not a date.md")
    assert parts.date is None and [w.code for w in warnings] == ["bad_filename_date"]


@settings(max_examples=200, deadline=None)
@given(
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)),
    st.none() | st.integers(0, 99),
    st.integers(0, 3),
    st.text(min_size=1, max_size=120),
)
def test_make_filename_parses_back(date, counter, stars, title):
    name = lctt.make_filename(date, counter, stars, title)
    assert not set(name) & set('<>:"/\\|?*') and not any(ord(ch) < 32 for ch in name)
    parts, _ = lctt.parse_filename(name)
    assert (parts.date, parts.counter, parts.stars) == (date, counter, stars)


# --------------------------------------------------------------------------- properties

TRICKY = st.sampled_from(
    ["\r\n", "\r", "\n", "\u00a0", "\t", "\ufeff", "[#]: translator: ", '" "', "( )", "======", "---", "# ",
     "译者：", "校对：", "[译者ID](https://github.com/译者ID)", "via: ", "[1]: ", "[a]: ", "translating by x",
     "⭐️", "本文由 LCTT 原创编译", "\udcff", "x", " "]
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), st.lists(st.one_of(TRICKY, st.text(max_size=5)), max_size=60).map("".join)))
def test_any_text_round_trips(text):
    doc = lctt.parse(text, path="sources/tech/20200101 X.md")
    assert lctt.render(doc) == text
    assert not [w for w in doc.warnings if w.code == "parse_error"]
    fields = lctt.extract_fields(doc, kind="sources")
    assert lctt.apply_fields(doc, fields, kind="sources") == []
    assert doc.render() == text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SAMPLE_PATHS),
    st.lists(st.tuples(st.integers(0, 40_000), st.integers(0, 40), st.one_of(TRICKY, st.text(max_size=8))), max_size=6),
    st.booleans(),
)
def test_mutated_samples_round_trip(rel, edits, crlf):
    text = SAMPLE_TEXTS[rel]
    if crlf:
        text = text.replace("\n", "\r\n")
    for position, length, insert in edits:
        position %= len(text) + 1
        text = text[:position] + insert + text[position + length:]
    doc = lctt.parse(text, path=rel)
    assert lctt.render(doc) == text
    fields = lctt.extract_fields(doc, kind=kind_of(rel))
    assert lctt.apply_fields(doc, fields, kind=kind_of(rel)) == []
    assert doc.render() == text
    # a claim is always expressible and read back
    claimed = dataclasses.replace(fields, translator="alice")
    lctt.apply_fields(doc, claimed, kind=kind_of(rel))
    assert lctt.differing_fields(lctt.extract_fields(doc, kind=kind_of(rel)), claimed, kind=kind_of(rel)) == []


HANDLE = st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,12}", fullmatch=True)
WORDS = st.lists(st.from_regex(r"[A-Za-z0-9\u4e00-\u4e20]{1,8}", fullmatch=True), min_size=1, max_size=8).map(" ".join)
MARKDOWN = st.tuples(
    st.lists(WORDS, min_size=1, max_size=5).map("\n\n".join),
    st.lists(st.integers(1, 99), max_size=4, unique=True),
).map(lambda t: t[0] + ("\n\n" + "\n".join(f"[{n}]: https://example.org/{n}" for n in t[1]) if t[1] else "") + "\n")
FIELDS = st.builds(
    lctt.ArticleFields,
    subject=WORDS,
    title=WORDS,
    via=st.from_regex(r"https://[a-z]{1,8}\.org/[a-z0-9]{0,8}", fullmatch=True),
    author_name=WORDS,
    author_url=st.from_regex(r"https://[a-z]{1,8}\.org/[a-z]{1,5}/", fullmatch=True),
    collector=st.none() | HANDLE,
    translator=st.none() | HANDLE,
    reviewers=st.lists(HANDLE, max_size=3, unique_by=str.lower).map(tuple),
    publisher=st.none() | HANDLE,
    published_url=st.just("") | st.from_regex(r"https://linux\.cn/article-[0-9]{1,5}-1\.html", fullmatch=True),
    markdown=MARKDOWN,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(HEADER_SAMPLES), FIELDS, st.booleans())
def test_any_article_is_written_and_read_back(rel, fields, crlf):
    text = SAMPLE_TEXTS[rel].replace("\n", "\r\n") if crlf else SAMPLE_TEXTS[rel]
    kind = kind_of(rel)
    doc = lctt.parse(text, path=rel)
    lctt.apply_fields(doc, fields, kind=kind)
    out = doc.render()
    if crlf:
        assert "\n" not in out.replace("\r\n", "")
    assert lctt.differing_fields(lctt.extract_fields(lctt.parse(out, path=rel), kind=kind), fields, kind=kind) == []
    assert lctt.apply_fields(lctt.parse(out, path=rel), fields, kind=kind) == []  # idempotent
    new = lctt.new_document(fields, kind=kind)
    assert lctt.differing_fields(lctt.extract_fields(new, kind=kind), fields, kind=kind) == []
