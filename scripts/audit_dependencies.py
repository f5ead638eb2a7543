"""Audit the installed Python packages for known vulnerabilities (pip-audit), for CI.

pip-audit asks PyPI's vulnerability service about each installed package. Where that service
cannot be reached (some mirrors serve packages but not the per-release data pip-audit reads)
pip-audit still exits 0 and says "No known vulnerabilities found" while having checked
nothing. So a canary comes first: a release with published advisories (Django 3.2.0) must
be reported as vulnerable. If it is not, the service is not answering: the audit is skipped
with a message that says so, instead of a false "all clear" (or a red CI that no code change
can fix).

Exceptions live in .pip-audit-ignore at the project root, one advisory id per line with the
reason in a comment; each is passed to pip-audit as --ignore-vuln.

Exit status: 0 clean (or skipped), 1 vulnerabilities found, 2 pip-audit could not run.
PIP_AUDIT_SERVICE (pypi, osv), PIP_AUDIT_OSV_URL and PIP_AUDIT_IGNORE_FILE change the service
and the exceptions file (tests/test_audit_dependencies.py runs it against a local service).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIP_AUDIT = Path(sys.executable).with_name("pip-audit")
CANARY = "django==3.2.0"
IGNORE_FILE = Path(os.environ.get("PIP_AUDIT_IGNORE_FILE", ROOT / ".pip-audit-ignore"))


def service_args() -> list[str]:
    args = ["--vulnerability-service", os.environ.get("PIP_AUDIT_SERVICE", "pypi")]
    if os.environ.get("PIP_AUDIT_OSV_URL"):
        args += ["--osv-url", os.environ["PIP_AUDIT_OSV_URL"]]
    return args


def run_pip_audit(*args: str) -> tuple[dict | None, str]:
    """pip-audit's JSON report, or None and its error output when it could not finish."""
    command = [str(PIP_AUDIT), "-f", "json", "--progress-spinner", "off", *service_args(), *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)  # noqa: S603 - our own venv tool
    if result.returncode not in (0, 1) or not result.stdout.strip():
        return None, result.stderr[-2000:]
    return json.loads(result.stdout), ""


def ignored_ids() -> dict[str, str]:
    ignored = {}
    if IGNORE_FILE.exists():
        for line in IGNORE_FILE.read_text().splitlines():
            entry, _, reason = line.partition("#")
            if entry.strip():
                ignored[entry.strip()] = reason.strip()
    return ignored


def service_answers() -> bool:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as canary:
        canary.write(CANARY + "\n")
    try:
        report, _error = run_pip_audit("--no-deps", "--disable-pip", "-r", canary.name)
    finally:
        Path(canary.name).unlink(missing_ok=True)
    return report is not None and any(dep.get("vulns") for dep in report.get("dependencies", []))


def main() -> int:
    if not PIP_AUDIT.exists():
        print(f"pip-audit is not installed next to {sys.executable} (pip install -e '.[dev]')", file=sys.stderr)
        return 2
    if not service_answers():
        print("pip-audit: SKIPPED - the vulnerability service does not answer from this machine "
              f"(the canary {CANARY}, which has published advisories, came back clean or "
              "unaudited). Nothing was checked; run `make audit` where the service is reachable.")
        return 0
    ignored = ignored_ids()
    args = ["--skip-editable"]
    for advisory in ignored:
        args += ["--ignore-vuln", advisory]
    report, error = run_pip_audit(*args)
    if report is None:
        print(f"pip-audit failed:\n{error}", file=sys.stderr)
        return 2
    found, skipped = [], []
    for dep in report.get("dependencies", []):
        if dep.get("skip_reason"):
            skipped.append(f"{dep['name']}: {dep['skip_reason']}")
        for vuln in dep.get("vulns", []):
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed release"
            found.append(f"{dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})")
    audited = len(report.get("dependencies", [])) - len(skipped)
    for line in skipped:
        print(f"pip-audit: not audited: {line}")
    if ignored:
        print("pip-audit: ignored by .pip-audit-ignore: "
              + "; ".join(f"{k} ({v or 'no reason given'})" for k, v in ignored.items()))
    if found:
        print(f"pip-audit: {len(found)} known vulnerabilities in {audited} audited packages:")
        for line in found:
            print(f"  {line}")
        return 1
    print(f"pip-audit: no known vulnerabilities in {audited} audited packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
