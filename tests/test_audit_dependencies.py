"""scripts/audit_dependencies.py (CI's pip-audit step) against a vulnerability service this
test serves on 127.0.0.x: it fails on a known vulnerability, honours .pip-audit-ignore, passes
a clean report, and says plainly that it skipped when the service does not answer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web

from tests.conftest import ROOT
from tests.httpfixtures import LocalHTTPServer, unused_port

SCRIPT = ROOT / "scripts" / "audit_dependencies.py"
pytestmark = pytest.mark.skipif(not Path(sys.executable).with_name("pip-audit").exists(),
                                reason="pip-audit is not installed")


def advisory(package: str, vid: str, fixed: str) -> dict:
    return {
        "id": vid, "summary": f"a test advisory for {package}", "modified": "2026-01-01T00:00:00Z",
        "affected": [{"package": {"name": package, "ecosystem": "PyPI"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]}],
    }


def osv_service(vulnerable: dict[str, dict]):
    """An OSV /v1/query endpoint: the canary (Django 3.2.0) and ``vulnerable`` have advisories."""
    async def query(request: web.Request) -> web.Response:
        body = await request.json()
        name = body["package"]["name"].lower()
        if name == "django" and body.get("version") == "3.2.0":
            return web.json_response({"vulns": [advisory("django", "PYSEC-TEST-CANARY", "3.2.1")]})
        if name in vulnerable:
            return web.json_response({"vulns": [vulnerable[name]]})
        return web.json_response({})

    return query


def run_script(tmp_path, **env) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PIP_AUDIT_SERVICE": "osv",
                   "PIP_AUDIT_IGNORE_FILE": str(tmp_path / "ignore"), **env}
    return subprocess.run([sys.executable, str(SCRIPT)], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture
def service():
    with LocalHTTPServer(hosts=["127.0.0.8"]) as server:
        yield server


def test_a_known_vulnerability_fails_the_audit_and_an_exception_lets_it_pass(service, tmp_path):
    service.route("/v1/query", handler=osv_service({"nh3": advisory("nh3", "GHSA-test-nh3x-0001", "99.0")}))
    url = service.url("/v1/query")
    failed = run_script(tmp_path, PIP_AUDIT_OSV_URL=url)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "nh3" in failed.stdout and "GHSA-test-nh3x-0001" in failed.stdout and "99.0" in failed.stdout
    (tmp_path / "ignore").write_text("# accepted for a test\nGHSA-test-nh3x-0001  # not reachable from our code\n")
    passed = run_script(tmp_path, PIP_AUDIT_OSV_URL=url)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "ignored by .pip-audit-ignore: GHSA-test-nh3x-0001 (not reachable from our code)" in passed.stdout
    assert "no known vulnerabilities in" in passed.stdout


def test_a_clean_report_passes_and_says_how_many_packages_were_audited(service, tmp_path):
    service.route("/v1/query", handler=osv_service({}))
    result = run_script(tmp_path, PIP_AUDIT_OSV_URL=service.url("/v1/query"))
    assert result.returncode == 0, result.stdout + result.stderr
    audited = int(result.stdout.split("no known vulnerabilities in ")[1].split()[0])
    assert audited > 50  # the whole environment, not just the canary


def test_an_unreachable_service_is_a_clear_skip_not_a_pass(tmp_path):
    result = run_script(tmp_path, PIP_AUDIT_OSV_URL=f"http://127.0.0.1:{unused_port()}/v1/query")
    assert result.returncode == 0
    assert "SKIPPED" in result.stdout and "Nothing was checked" in result.stdout


def test_the_exceptions_file_documents_its_format():
    text = (ROOT / ".pip-audit-ignore").read_text()
    assert "--ignore-vuln" in text
    for line in text.splitlines():
        entry = line.split("#", 1)[0].strip()
        assert not entry or "#" in line, f"an exception without its reason: {line!r}"
