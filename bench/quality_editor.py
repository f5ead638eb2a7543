"""Benchmark: what the quality checks add to the editor's requests.

    DATABASE_URL=postgres://root@127.0.0.1:5432/test .venv/bin/python bench/quality_editor.py

On the largest sample source of ../shared/lctt-samples/sources and its pseudo-translation
(workflow/quality/pseudo.py), with a 500-term glossary in the database, through the real
views (Django test client, throwaway database made by Django's test-database machinery):

* autosave: POST the draft with one paragraph edited (htmx: the response carries the
  checks panel and the alignment map), versus the same save with the engine's caches and
  this process's report cache cleared ("cold");
* the translate page (source pane rendered block by block with glossary marks);
* submit-time blockers (``quality_services.submission_blockers``) for the stored draft.

Medians over repeated runs; the figures go to docs/quality-checks.md.
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

REPEAT = 15
SOURCES = ROOT.parent / "shared" / "lctt-samples" / "sources"


def main() -> None:
    import django
    from django.conf import settings

    django.setup()
    from django.db import connection
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    test_settings = settings.DATABASES["default"].setdefault("TEST", {})
    if connection.vendor != "sqlite":
        test_settings["NAME"] = f"{connection.creation._get_test_db_name()}_qbench_{os.getpid()}"
    old_name = connection.settings_dict["NAME"]
    try:
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
        run(Client)
    finally:
        if connection.settings_dict["NAME"] != old_name:
            connection.creation.destroy_test_db(old_name, verbosity=0)


def run(client_class) -> None:
    from django.urls import reverse

    from articles.models import Article
    from bench.quality import glossary_for, one_paragraph_edited
    from tests.factories import ArticleFactory, make_user
    from workflow import quality_services, services
    from workflow.models import GlossaryTerm
    from workflow.quality import clear_caches
    from workflow.quality.pseudo import pseudo_translate

    path = max(SOURCES.rglob("*.md"), key=lambda p: p.stat().st_size)
    from articles.services import source_markdown_from_lctt

    source = source_markdown_from_lctt(path.read_text(encoding="utf-8"))
    translation = pseudo_translate(source)
    GlossaryTerm.objects.bulk_create(
        GlossaryTerm(source_term=t.source, target_term=t.target) for t in glossary_for(source))
    alice = make_user("alice")
    article = ArticleFactory(source_markdown=source)
    services.claim_article(article=article, user=alice)
    client = client_class()
    client.force_login(alice)
    draft_url = reverse("workflow:save_draft", args=[article.pk])
    print(f"{path.name}: source {len(source) / 1000:.1f} KB, translation {len(translation) / 1000:.1f} KB, "
          f"{GlossaryTerm.objects.count()} glossary terms, database {Article.objects.db}")

    def save(k: int, *, cold: bool) -> float:
        version = Article.objects.values_list("version", flat=True).get(pk=article.pk)
        text = one_paragraph_edited(translation, k)
        if cold:
            clear_caches()
            quality_services.clear_report_cache()
        started = time.perf_counter()
        response = client.post(draft_url, {"text": text, "title": "标题", "base_version": version},
                               HTTP_HX_REQUEST="true")
        elapsed = time.perf_counter() - started
        assert response.status_code == 200 and b'id="quality-panel"' in response.content
        return elapsed

    def plain_save(k: int) -> float:
        version = Article.objects.values_list("version", flat=True).get(pk=article.pk)
        text = one_paragraph_edited(translation, k)
        started = time.perf_counter()
        services.save_draft(article=article, user=alice, text=text, title="标题", base_version=version)
        return time.perf_counter() - started

    def page(_k: int) -> float:
        started = time.perf_counter()
        response = client.get(reverse("workflow:translate", args=[article.pk]))
        elapsed = time.perf_counter() - started
        assert response.status_code == 200 and b"mark class=\"term\"" in response.content
        return elapsed

    def blockers(k: int) -> float:
        Article.objects.filter(pk=article.pk).update(translation_markdown=one_paragraph_edited(translation, k))
        started = time.perf_counter()
        quality_services.submission_blockers(article)
        return time.perf_counter() - started

    save(0, cold=False)  # warm the template loader and the renderer
    rows = [
        ("save_draft service alone", [plain_save(k) for k in range(REPEAT)]),
        ("autosave view, one paragraph edited", [save(k + 1, cold=False) for k in range(REPEAT)]),
        ("autosave view, caches cleared", [save(k + 100, cold=True) for k in range(REPEAT)]),
        ("translate page", [page(k) for k in range(REPEAT)]),
        ("submission blockers", [blockers(k + 200) for k in range(REPEAT)]),
    ]
    for label, times in rows:
        print(f"{label:<40} median {statistics.median(times) * 1000:7.1f} ms   max {max(times) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
