"""Benchmark: run_checks on the largest sample pair, cold and after a one-paragraph edit.

    .venv/bin/python bench/quality.py

The pair is the largest file in ../shared/lctt-samples/sources and its machine-free
pseudo-translation (workflow/quality/pseudo.py: code, links and images kept, English
words turned into Han characters), plus a ≥30 KB pair made by appending a second source.
A 500-term glossary built from the source's own words is passed, so term matching is
measured too. Figures are medians over repeated runs.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "translate_hub.settings")

import django  # noqa: E402

django.setup()

from workflow.quality import Term, autofix, clear_caches, parse_markdown, run_checks  # noqa: E402
from workflow.quality.pseudo import _han_for, pseudo_translate  # noqa: E402
from workflow.quality.text import LATIN_WORD_RE  # noqa: E402

SOURCES = ROOT.parent / "shared" / "lctt-samples" / "sources"
REPEAT = 15


def glossary_for(text: str, n: int = 500) -> list[Term]:
    """Terms from the source's words, with the pseudo-translation's rendering as target."""
    words = sorted({w.lower() for w in LATIN_WORD_RE.findall(text) if len(w) > 3 and w.isalpha()})
    return [Term(w, _han_for(w, 0)) for w in words[:n]]


def one_paragraph_edited(translation: str, k: int) -> str:
    doc = parse_markdown(translation)
    paragraphs = [b for b in doc.blocks if b.kind == "paragraph" and len(b.text) > 80]
    b = paragraphs[(len(paragraphs) // 2 + k) % len(paragraphs)]
    return translation[: b.start] + b.text.replace("的", "得", 1).rstrip("\n") + f"改{k}。\n" + translation[b.end :]


def median_ms(fn) -> float:
    times = []
    for k in range(REPEAT):
        times.append(fn(k))
    return statistics.median(times) * 1000


def bench(label: str, source: str) -> None:
    translation = pseudo_translate(source)
    glossary = glossary_for(source)

    def cold(_k):
        clear_caches()
        t = time.perf_counter()
        run_checks(source_md=source, translation_md=translation, glossary=glossary)
        return time.perf_counter() - t

    def incremental(k):
        clear_caches()
        run_checks(source_md=source, translation_md=translation, glossary=glossary)
        edited = one_paragraph_edited(translation, k)
        t = time.perf_counter()
        run_checks(source_md=source, translation_md=edited, glossary=glossary)
        return time.perf_counter() - t

    def unchanged(_k):
        t = time.perf_counter()
        run_checks(source_md=source, translation_md=translation, glossary=glossary)
        return time.perf_counter() - t

    def fix(_k):
        clear_caches()
        t = time.perf_counter()
        autofix(translation)
        return time.perf_counter() - t

    issues = run_checks(source_md=source, translation_md=translation, glossary=glossary)
    print(f"{label}: source {len(source.encode()) / 1024:.1f} KB, translation "
          f"{len(translation.encode()) / 1024:.1f} KB, {len(parse_markdown(source).blocks)} blocks, "
          f"{len(glossary)} glossary terms, {len(issues)} issues")
    print(f"  run_checks, cold (caches cleared)      {median_ms(cold):7.1f} ms")
    print(f"  run_checks, one paragraph edited       {median_ms(incremental):7.1f} ms")
    print(f"  run_checks, same texts again           {median_ms(unchanged):7.1f} ms")
    print(f"  autofix, cold                          {median_ms(fix):7.1f} ms")


def main() -> None:
    files = sorted(SOURCES.rglob("*.md"), key=lambda p: p.stat().st_size, reverse=True)
    largest = files[0].read_bytes().decode("utf-8")
    bench(f"largest sample ({files[0].name})", largest)
    # A ≥30 KB source: the largest file with paragraphs of the second largest inserted
    # before its footer.
    doc = parse_markdown(largest)
    cut = sum(len(x) for x in doc.lines[: doc.footer.start_line])
    body = files[1].read_bytes().decode("utf-8")
    extra = parse_markdown(body)
    take = [b for b in extra.blocks[1:]]
    size = len(largest.encode())
    pieces = []
    for b in take:
        if size >= 30 * 1024:
            break
        pieces.append(b.text)
        size += len(b.text.encode()) + 1
    combined = largest[:cut] + "\n" + "\n".join(pieces) + "\n" + largest[cut:]
    bench("30 KB pair (largest + blocks of the second largest)", combined)


if __name__ == "__main__":
    main()
