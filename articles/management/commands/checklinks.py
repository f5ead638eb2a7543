"""Check the links of articles (stored, with history) or of markdown files (no database writes).

    python manage.py checklinks --article 12 --article 40
    python manage.py checklinks --file "sources/tech/20220206 Write code.md" --json

With ``--json`` each checked URL is one JSON object per line with ``url``, ``result``,
``status``, ``final_url``, ``attempts``, ``elapsed_ms`` and ``error``; otherwise a table.
The exit status is 1 when any link failed: broken, server_error, timeout,
connection_error, dns_error or tls_error (``articles.linkcheck.FAILING_OUTCOMES``).
Redirects and skipped links do not fail the run.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from articles.link_extract import extract_links
from articles.link_services import check_article_links, check_urls, link_key
from articles.linkcheck import FAILING_OUTCOMES, LinkResult, check_urls_sync
from articles.models import Article, ArticleLink


class Command(BaseCommand):
    help = "Check the links of articles (stored) or of markdown files (not stored)."

    def add_arguments(self, parser):
        parser.add_argument("--article", type=int, action="append", default=[], metavar="ID",
                            help="article primary key; repeatable")
        parser.add_argument("--file", action="append", default=[], metavar="PATH",
                            help="markdown file to check without database writes; repeatable")
        parser.add_argument("--json", action="store_true", help="one JSON object per line")
        parser.add_argument("--fresh", action="store_true", help="ignore cached results (articles only)")
        parser.add_argument("--concurrency", type=int, default=None, help="requests in flight in all")
        parser.add_argument("--per-host", type=int, default=None, help="requests in flight per host")
        parser.add_argument("--timeout", type=float, default=15.0, help="seconds per request")
        parser.add_argument("--exclude", action="append", default=[], metavar="REGEX",
                            help="skip URLs matching this regular expression; repeatable")

    def handle(self, *args, **options):
        if not options["article"] and not options["file"]:
            raise CommandError("Give at least one --article ID or --file PATH.")
        checker_options = {
            "concurrency": options["concurrency"], "per_host": options["per_host"],
            "timeout": options["timeout"], "exclude": options["exclude"],
        }
        results: dict[str, LinkResult] = {}
        if options["file"]:
            urls = []
            for name in options["file"]:
                path = Path(name)
                try:
                    text = path.read_text(encoding="utf-8", errors="replace")
                except OSError as exc:
                    raise CommandError(f"Cannot read {name}: {exc.strerror or exc}") from exc
                urls.extend(link_key(link.url) for link in extract_links(text))
            results.update(check_urls_sync(dict.fromkeys(u for u in urls if u), **checker_options))
        for article_id in options["article"]:
            article = Article.objects.filter(pk=article_id).first()
            if article is None:
                raise CommandError(f"No article with id {article_id}.")
            max_age = timedelta(0) if options["fresh"] else None
            check_article_links(article=article, max_age=max_age, checker_options=checker_options)
            urls = ArticleLink.objects.filter(article=article).values_list("link__url", flat=True)
            # Answered from the rows just stored: no second round of requests.
            results.update(check_urls(list(urls), max_age=timedelta(days=3650)))
        self._print(results.values(), as_json=options["json"])
        if any(result.result in FAILING_OUTCOMES for result in results.values()):
            sys.exit(1)

    def _print(self, results, *, as_json: bool) -> None:
        ordered = sorted(results, key=lambda r: (r.result not in FAILING_OUTCOMES, r.url))
        if as_json:
            for r in ordered:
                self.stdout.write(json.dumps({
                    "url": r.url, "result": str(r.result), "status": r.status, "final_url": r.final_url,
                    "attempts": r.attempts, "elapsed_ms": r.elapsed_ms, "error": r.error,
                }, ensure_ascii=False))
            return
        self.stdout.write(f"{'RESULT':<19} {'STATUS':>6} {'TRIES':>5} {'MS':>6}  URL")
        for r in ordered:
            line = f"{r.result!s:<19} {r.status or '-':>6} {r.attempts:>5} {r.elapsed_ms:>6}  {r.url}"
            if r.final_url and r.final_url != r.url:
                line += f"  -> {r.final_url}"
            if r.error:
                line += f"  ({r.error})"
            self.stdout.write(line)
        failed = sum(r.result in FAILING_OUTCOMES for r in ordered)
        self.stdout.write(f"{len(ordered)} links, {failed} failing")
