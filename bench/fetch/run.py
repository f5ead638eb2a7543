"""Pages per second for extract + convert, and for fetch + extract + convert.

Run from the project root:

    .venv/bin/python bench/fetch/run.py [--seconds 3] [--large-kb 200]

Inputs are local: the golden pages of tests/golden/extraction/ (invented articles) and
one generated large article (~200 KB of HTML, deterministic, invented text). The fetch
part serves the same pages from a LocalHTTPServer on 127.0.0.1 and fetches them through
``articles.safe_http.fetch_page_sync`` (the SSRF-safe client; private addresses are
allowed for this run with TRANSLATE_HUB_FETCH_ALLOW_PRIVATE=1). Everything runs in one
process, one page at a time: extraction is CPU-bound, so the figure per core is the one
to scale by the worker count.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "translate_hub.settings")
os.environ["TRANSLATE_HUB_FETCH_ALLOW_PRIVATE"] = "1"

import django  # noqa: E402

django.setup()

from articles.extraction import extract_article  # noqa: E402
from articles.html_to_markdown import convert_article  # noqa: E402

GOLDEN = ROOT / "tests" / "golden" / "extraction"
WORDS_TEXT = (
    "system configuration package release kernel driver network storage cluster shell "
    "script terminal command option value file directory process memory thread queue "
    "server client request response cache index table column query user group "
    "permission service daemon journal module library function method object class "
    "interface version branch commit merge review test build deploy monitor alert"
)
WORDS = WORDS_TEXT.split(" ")


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 18))]
    return " ".join(words).capitalize() + "."


def large_page(target_bytes: int, seed: int = 7) -> str:
    """A long tutorial-like article with the boilerplate of a real blog around it."""
    rng = random.Random(seed)
    parts: list[str] = []
    section = 0
    while sum(len(p) for p in parts) < target_bytes:
        section += 1
        parts.append(f"<h2>Section {section}: {rng.choice(WORDS)} and {rng.choice(WORDS)}</h2>")
        for _ in range(rng.randint(2, 4)):
            link = f'<a href="../docs/{rng.choice(WORDS)}-{section}.html">{rng.choice(WORDS)}</a>'
            parts.append(
                f"<p>{sentence(rng)} {sentence(rng)} Use <code>{rng.choice(WORDS)} --{rng.choice(WORDS)}</code> "
                f"as described in the {link}. {sentence(rng)}</p>"
            )
        parts.append(
            '<div class="highlight"><pre><code class="language-bash">'
            + "\n".join(f"sudo {rng.choice(WORDS)} --{rng.choice(WORDS)} /etc/{rng.choice(WORDS)}.conf"
                        for _ in range(rng.randint(2, 6)))
            + "</code></pre></div>"
        )
        parts.append("<ul>" + "".join(f"<li>{sentence(rng)}</li>" for _ in range(rng.randint(3, 6))) + "</ul>")
        if section % 3 == 0:
            rows = "".join(f"<tr><td>{rng.choice(WORDS)}</td><td>{rng.randint(1, 999)}</td><td>{sentence(rng)}</td></tr>"
                           for _ in range(5))
            parts.append(f"<table><tr><th>Name</th><th>Value</th><th>Notes</th></tr>{rows}</table>")
        if section % 4 == 0:
            parts.append(f'<figure><img src="img/figure-{section}.png" alt="Figure {section}"></figure>')
    sidebar = "".join(f'<li><a href="/post/{i}/">{sentence(rng)}</a></li>' for i in range(40))
    comments = "".join(f'<div class="comment"><p>{sentence(rng)}</p></div>' for _ in range(30))
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>A very long guide | Bench Blog</title>"
        "<meta name='author' content='Bench Writer'><meta property='article:published_time' content='2024-02-02'>"
        "</head><body><nav><a href='/'>Home</a> <a href='/archive/'>Archive</a></nav>"
        "<div class='cookie-banner'>We use cookies.<button>OK</button></div>"
        f"<main><article><h1>A very long guide</h1>{''.join(parts)}</article>"
        f"<section id='comments'>{comments}</section></main><aside><ul>{sidebar}</ul></aside>"
        "<footer><p>Bench Blog footer</p></footer></body></html>"
    )


def golden_pages() -> list[tuple[str, str, str]]:
    pages = []
    for path in sorted(GOLDEN.glob("*.html")):
        html = path.read_text(encoding="utf-8")
        url = html.splitlines()[0].removeprefix("<!-- url: ").removesuffix(" -->")
        pages.append((path.stem, url, html))
    return pages


def measure(label: str, work, seconds: float) -> None:
    """Call ``work()`` repeatedly for about ``seconds``; print pages/s and latency."""
    work()  # warm-up (imports, regex compilation, connection pool)
    durations: list[float] = []
    started = time.perf_counter()
    while time.perf_counter() - started < seconds or len(durations) < 3:
        t0 = time.perf_counter()
        pages = work()
        durations.append((time.perf_counter() - t0) / pages)
    per_page = statistics.median(durations)
    print(f"{label:<44} {1 / per_page:8.1f} pages/s   median {per_page * 1000:7.2f} ms/page"
          f"   ({len(durations)} rounds)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    parser.add_argument("--large-kb", type=int, default=200, help="size of the large page")
    args = parser.parse_args()

    pages = golden_pages()
    large = large_page(args.large_kb * 1024)
    large_url = "https://bench.example/guides/very-long/"
    print(f"golden pages: {len(pages)} ({sum(len(h) for _, _, h in pages) // len(pages) // 1024} KB average); "
          f"large page: {len(large) // 1024} KB")

    def extract_all(items):
        for _name, url, html in items:
            extract_article(html, url=url)
        return len(items)

    def pipeline_all(items):
        for _name, url, html in items:
            convert_article(extract_article(html, url=url), collector="bench", via=url)
        return len(items)

    extracted_golden = [(url, extract_article(html, url=url)) for _n, url, html in pages]
    extracted_large = extract_article(large, url=large_url)

    def convert_all(items):
        for url, extracted in items:
            convert_article(extracted, collector="bench", via=url)
        return len(items)

    print("\nextract + convert (in process, one at a time)")
    measure("golden pages: extract", lambda: extract_all(pages), args.seconds)
    measure("golden pages: convert", lambda: convert_all(extracted_golden), args.seconds)
    measure("golden pages: extract + convert", lambda: pipeline_all(pages), args.seconds)
    large_item = [("large", large_url, large)]
    measure(f"large page ({len(large) // 1024} KB): extract", lambda: extract_all(large_item), args.seconds)
    measure(f"large page ({len(large) // 1024} KB): convert",
            lambda: convert_all([(large_url, extracted_large)]), args.seconds)
    measure(f"large page ({len(large) // 1024} KB): extract + convert",
            lambda: pipeline_all(large_item), args.seconds)
    converted = convert_article(extracted_large, collector="bench", via=large_url)
    print(f"  large page → {len(converted.markdown) // 1024} KB markdown, {len(converted.references)} references, "
          f"{converted.word_count} words")

    try:
        from articles.safe_http import DomainPolicy, fetch_page_sync
    except ImportError:
        print("\nfetch: articles.safe_http.fetch_page_sync is not available; skipped")
        return
    sys.path.insert(0, str(ROOT / "tests"))
    from httpfixtures import LocalHTTPServer

    policy = DomainPolicy()  # no domain rules: no database needed
    with LocalHTTPServer(hosts=["127.0.0.1"]) as server:
        served = []
        for name, _url, html in pages:
            server.route(f"/{name}.html", body=html.encode("utf-8"))
            served.append(server.url(f"/{name}.html"))
        server.route("/large.html", body=large.encode("utf-8"))
        large_served = server.url("/large.html")

        def fetch_only(urls):
            for url in urls:
                fetch_page_sync(url, domain_policy=policy)
            return len(urls)

        def fetch_pipeline(urls):
            for url in urls:
                result = fetch_page_sync(url, domain_policy=policy)
                convert_article(extract_article(result.text, url=result.final_url), collector="bench", via=url)
            return len(urls)

        print("\nfetch + extract + convert (local HTTP server on 127.0.0.1, safe_http client)")
        measure("golden pages: fetch only", lambda: fetch_only(served), args.seconds)
        measure("golden pages: fetch + extract + convert", lambda: fetch_pipeline(served), args.seconds)
        measure("large page: fetch only", lambda: fetch_only([large_served]), args.seconds)
        measure("large page: fetch + extract + convert", lambda: fetch_pipeline([large_served]), args.seconds)


if __name__ == "__main__":
    main()
