"""``manage.py checklinks``: files without database writes, articles with, JSON lines, exit status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from articles.models import LinkCheckResult, LinkStatus
from tests.conftest import ROOT
from tests.factories import ArticleFactory
from tests.httpfixtures import LocalHTTPServer


@pytest.fixture
def server(settings):
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = True
    with LocalHTTPServer(hosts=["127.0.0.2"]) as srv:
        srv.route("/ok")
        srv.route("/gone", status=404)
        srv.route("/moved", status=308, location="/ok")
        yield srv


def run(*args):
    out = StringIO()
    try:
        call_command("checklinks", *args, stdout=out)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


@pytest.mark.django_db
def test_file_json_lines_and_exit_status(server, tmp_path):
    doc = tmp_path / "post.md"
    doc.write_text(
        f"[a]({server.url('/ok')}) [b]({server.url('/gone')}) <{server.url('/moved')}>\n"
        "```\nhttps://in-code.example.org/\n```\n[m](mailto:x@example.org)\n",
        encoding="utf-8",
    )
    code, output = run("--file", str(doc), "--json", "--timeout", "2")
    assert code == 1
    lines = [json.loads(line) for line in output.splitlines()]
    by_url = {line["url"]: line for line in lines}
    assert set(by_url) == {server.url("/ok"), server.url("/gone"), server.url("/moved"), "mailto:x@example.org"}
    for line in lines:
        assert {"url", "result", "status", "final_url", "attempts", "elapsed_ms"} <= set(line)
    assert by_url[server.url("/gone")] | {"elapsed_ms": 0} == {
        "url": server.url("/gone"), "result": "broken", "status": 404, "final_url": server.url("/gone"),
        "attempts": 1, "elapsed_ms": 0, "error": "",
    }
    assert by_url[server.url("/moved")]["result"] == "redirect_permanent"
    assert by_url[server.url("/moved")]["final_url"] == server.url("/ok")
    assert by_url["mailto:x@example.org"]["result"] == "skipped"
    # Files are checked without touching the database.
    assert LinkStatus.objects.count() == 0 and LinkCheckResult.objects.count() == 0


@pytest.mark.django_db
def test_file_all_good_exits_zero_with_a_table(server, tmp_path):
    doc = tmp_path / "ok.md"
    doc.write_text(f"[a]({server.url('/ok')})\n[b]({server.url('/moved')})\n", encoding="utf-8")
    code, output = run("--file", str(doc))
    assert code == 0
    assert output.splitlines()[0].split() == ["RESULT", "STATUS", "TRIES", "MS", "URL"]
    assert "redirect_permanent" in output and f"-> {server.url('/ok')}" in output
    assert output.strip().endswith("2 links, 0 failing")


@pytest.mark.django_db
def test_article_checks_are_stored(server):
    article = ArticleFactory(source_markdown=f"[a]({server.url('/ok')})\n\n[1]: {server.url('/gone')}\n")
    code, output = run("--article", str(article.pk), "--json")
    assert code == 1
    results = {json.loads(line)["url"]: json.loads(line)["result"] for line in output.splitlines()}
    assert results == {server.url("/ok"): "ok", server.url("/gone"): "broken"}
    assert LinkStatus.objects.filter(result="broken").count() == 1
    assert LinkCheckResult.objects.count() == 2
    # Run again: answered from the cache (no new requests), unless --fresh.
    requests = len(server.requests)
    run("--article", str(article.pk))
    assert len(server.requests) == requests
    run("--article", str(article.pk), "--fresh")
    assert len(server.requests) > requests
    assert LinkCheckResult.objects.count() == 4


@pytest.mark.django_db
def test_bad_arguments():
    with pytest.raises(CommandError, match="--article"):
        call_command("checklinks")
    with pytest.raises(CommandError, match="No article"):
        call_command("checklinks", "--article", "999999")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("checklinks", "--file", "/nonexistent/file.md")


def test_exit_status_from_a_real_process(server, tmp_path):
    """The shell sees exit status 1; TRANSLATE_HUB_FETCH_ALLOW_PRIVATE admits the local server."""
    doc = tmp_path / "post.md"
    doc.write_text(f"[b]({server.url('/gone')})\n", encoding="utf-8")
    env = {"TRANSLATE_HUB_FETCH_ALLOW_PRIVATE": "1", "PATH": "/usr/bin:/bin"}
    env.update({k: v for k, v in os.environ.items() if k in ("DATABASE_URL", "REDIS_URL", "HOME")})
    proc = subprocess.run(
        [sys.executable, "manage.py", "checklinks", "--file", str(doc), "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout.splitlines()[0])["result"] == "broken"
