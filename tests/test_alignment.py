"""Blocks (LCTT markdown → header, title, body, footer) and paragraph alignment."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflow.quality.alignment import align, paragraph_progress
from workflow.quality.blocks import parse_markdown
from workflow.quality.pseudo import pseudo_translate

SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "lctt-samples"
SOURCES = sorted((SAMPLES / "sources").rglob("*.md"))


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def tar_source() -> str:
    return read(next(p for p in SOURCES if "tar command" in p.name))


# --- blocks -----------------------------------------------------------------------------

def test_blocks_of_an_lctt_file():
    text = (
        '[#]: subject: "A"\r\n[#]: via: (https://x.example/a)\r\n[#]: translator: " "\r\n\r\n'
        "The title\r\n======\r\nLead paragraph.\r\n\r\n### Head\r\n\r\n```py\r\nprint(1)\r\n```\r\n\r\n"
        "![img](https://x.example/i.png)\r\n\r\n| a | b |\r\n| - | - |\r\n| 1 | 2 |\r\n| 3 | 4 |\r\n\r\n"
        "1. one\r\n2. two\r\n\r\n> quoted\r\n\r\n<div>raw</div>\r\n\r\n***\r\n\r\n[x]: https://x.example/ref\r\n\r\n"
        "Last paragraph\r\n-----\r\nvia: https://x.example/a\r\n\r\n作者：[Jane][a]\r\n译者：[alice](https://github.com/alice)\r\n"
        "校对：[校对者ID](https://github.com/校对者ID)\r\n\r\n[a]: https://x.example/jane"
    )
    doc = parse_markdown(text)
    assert doc.header.fields == {"subject": "A", "via": "https://x.example/a", "translator": ""}
    kinds = [(b.kind, b.line) for b in doc.blocks]
    assert kinds == [
        ("heading", 5), ("paragraph", 7), ("heading", 9), ("code", 11), ("image", 15), ("table", 17),
        ("list", 22), ("blockquote", 25), ("html", 27), ("rule", 29), ("references", 31), ("paragraph", 33),
    ]
    title, code, table, lst = doc.blocks[0], doc.blocks[3], doc.blocks[5], doc.blocks[6]
    assert title.is_title and title.setext and doc.title is title
    assert (code.info, code.lang, code.content) == ("py", "py", "print(1)\n")
    assert (table.rows, table.columns) == (3, 2)
    assert lst.ordered and lst.items == ("1. one\r\n", "2. two\r\n")
    # The footer rule does not turn "Last paragraph" into a setext heading.
    assert doc.blocks[-1].kind == "paragraph"
    assert doc.footer.via == "https://x.example/a"
    assert [(c.role, c.name, c.url) for c in doc.footer.credits] == [
        ("author", "Jane", "https://x.example/jane"),
        ("translator", "alice", "https://github.com/alice"),
        ("reviewer", "校对者ID", "https://github.com/校对者ID"),
    ]
    assert doc.reference_map == {"x": "https://x.example/ref", "a": "https://x.example/jane"}
    # Character ranges slice the original text, CRLF included.
    for block in doc.blocks:
        assert text[block.start : block.end] == block.text


def test_block_hashes_are_stable_and_local():
    text = tar_source()
    first = parse_markdown(text)
    changed_block = first.blocks[2]
    edited = text.replace(changed_block.text, changed_block.text.replace("archive", "bundle"))
    second = parse_markdown(edited)
    changed = [i for i, (a, b) in enumerate(zip(first.blocks, second.blocks, strict=True)) if a.hash != b.hash]
    assert changed == [2]
    # Whitespace-only edits keep text_hash (not drift), change hash.
    spaced = text.replace(changed_block.text, changed_block.text.replace(". ", ".  "))
    third = parse_markdown(spaced)
    assert third.blocks[2].hash != first.blocks[2].hash
    assert third.blocks[2].text_hash == first.blocks[2].text_hash


def test_old_footer_without_rule_and_one_line_credits():
    text = "标题\n===\n\n正文。\n\nvia: http://x.example/a\n\n译者：[alim0x](https://github.com/alim0x) 校对：[Caroline](https://github.com/c)\n"
    doc = parse_markdown(text)
    assert [b.kind for b in doc.blocks] == ["heading", "paragraph"]
    assert [(c.role, c.name) for c in doc.footer.credits] == [("translator", "alim0x"), ("reviewer", "Caroline")]


@pytest.mark.parametrize("path", sorted(p for p in SAMPLES.rglob("*.md") if p.name != "README.md"), ids=lambda p: p.name[:40])
def test_every_sample_parses_with_title_and_footer(path):
    doc = parse_markdown(read(path))
    assert doc.title is not None
    assert doc.footer is not None and doc.footer.via.startswith("http")
    assert all(b.end_line <= doc.footer.start_line for b in doc.blocks)


# --- alignment --------------------------------------------------------------------------

@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name[:40])
def test_pseudo_translation_aligns_one_to_one(path):
    source = read(path)
    s, t = parse_markdown(source), parse_markdown(pseudo_translate(source))
    alignment = align(s.blocks, t.blocks)
    expected = [((i,), (i,)) for i, b in enumerate(s.blocks) if b.kind != "references"]
    assert [(p.source, p.translation) for p in alignment.pairs] == expected
    assert paragraph_progress(s.blocks, t.blocks, alignment).ratio == 1.0


def _edit_blocks(text: str, edit) -> str:
    doc = parse_markdown(text)
    blocks = list(doc.blocks)
    pieces, pos = [], 0
    for i, block in enumerate(blocks):
        replacement = edit(i, block)
        if replacement is None:
            continue
        pieces.append(text[pos : block.start])
        pieces.append(replacement)
        pos = block.end
    pieces.append(text[pos:])
    return "".join(pieces)


def test_missing_merged_split_and_extra_paragraphs():
    source = tar_source()
    s = parse_markdown(source)
    translation = pseudo_translate(source)
    t0 = parse_markdown(translation)
    paragraphs = [i for i, b in enumerate(s.blocks) if b.kind == "paragraph" and b.inline.words > 15]
    missing, merge_a, split = paragraphs[1], paragraphs[3], paragraphs[6]
    assert s.blocks[merge_a + 1].kind == "paragraph"
    extra_after = paragraphs[8]

    def edit(i, block):
        if i == missing:
            return ""
        if i == merge_a:
            return block.text.rstrip("\n") + "。" + t0.blocks[i + 1].text
        if i == merge_a + 1:
            return ""
        if i == split:
            first, rest = block.text.split(". ", 1)  # at a sentence end, as a translator would
            return first + ".\n\n" + rest
        if i == extra_after:
            return block.text + "\n（译注：这是译者加的一段说明，提到了 LCTT。）\n"
        return None

    t = parse_markdown(_edit_blocks(translation, edit))
    alignment = align(s.blocks, t.blocks)
    kinds = {pair.source: pair.kind for pair in alignment.pairs if pair.kind != "1:1"}
    assert kinds[(missing,)] == "1:0"
    assert kinds[(merge_a, merge_a + 1)] == "2:1"
    assert kinds[(split,)] == "1:2"
    assert list(kinds.values()).count("0:1") == 1
    assert len(kinds) == 4
    progress = paragraph_progress(s.blocks, t.blocks, alignment)
    assert progress.per_source_block[missing] is False
    assert progress.translated == progress.total - 1


def test_partial_translation_progress_and_drift_mapping():
    source = tar_source()
    s = parse_markdown(source)
    translated = pseudo_translate(source)
    t_full = parse_markdown(translated)
    # Translate only the first half of the prose: the rest stays English, in place.
    half = len(s.blocks) // 2
    partial = _edit_blocks(source, lambda i, b: t_full.blocks[i].text if i < half else None)
    t = parse_markdown(partial)
    alignment = align(s.blocks, t.blocks)
    assert all(p.kind == "1:1" and p.source == p.translation for p in alignment.pairs)
    progress = paragraph_progress(s.blocks, t.blocks, alignment)
    prose = [i for i, b in enumerate(s.blocks) if b.kind in ("paragraph", "heading", "list", "blockquote", "table")]
    assert [progress.per_source_block[i] for i in prose] == [
        i < half or s.blocks[i].inline.words < 3 for i in prose
    ]
    # Drift: the translated paragraphs that correspond to changed source paragraphs.
    assert alignment.translation_blocks_for([3, 5]) == [3, 5]
    assert alignment.source_blocks_for([5]) == [5]


def test_drift_mapping_survives_a_merge():
    source = tar_source()
    s = parse_markdown(source)
    translation = pseudo_translate(source)
    t0 = parse_markdown(translation)
    a = next(i for i, b in enumerate(s.blocks) if b.kind == "paragraph" and s.blocks[i + 1].kind == "paragraph" and i > 1)
    merged = _edit_blocks(translation, lambda i, b: b.text.rstrip("\n") + t0.blocks[i + 1].text if i == a
                          else ("" if i == a + 1 else None))
    t = parse_markdown(merged)
    alignment = align(s.blocks, t.blocks)
    assert alignment.translation_blocks_for([a + 1]) == [a]
    assert alignment.translation_blocks_for([a + 2]) == [a + 1]


def test_empty_documents():
    empty = parse_markdown("")
    assert empty.blocks == () and empty.header is None and empty.footer is None
    s = parse_markdown(tar_source())
    alignment = align(s.blocks, empty.blocks)
    assert all(p.kind == "1:0" for p in alignment.pairs)
    assert paragraph_progress(s.blocks, empty.blocks).translated == 0
