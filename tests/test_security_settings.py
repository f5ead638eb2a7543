"""Production settings pass Django's deploy checks, and the project's own checks catch each
misconfiguration they exist for (a check that cannot fail proves nothing)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.core import checks
from django.test import override_settings
from django.urls import include, path

from articles import rendering
from tests.conftest import ROOT
from translate_hub import checks as project_checks

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "k3y-" + "x9Qz" * 16,
    "ALLOWED_HOSTS": "hub.example.org",
}


def run_in_production(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "HTTPS", "SECURE_SSL_REDIRECT",
                        "SECURE_HSTS_SECONDS"}}
    env.update(PRODUCTION_ENV, TRANSLATE_HUB_VAR_DIR=str(tmp_path),
               DJANGO_SETTINGS_MODULE="translate_hub.settings")
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_production_settings_pass_check_deploy_with_zero_warnings(tmp_path):
    result = run_in_production(tmp_path, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr and "?:" not in result.stderr


def test_production_cookies_and_https_settings(tmp_path):
    names = ["DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
             "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
             "SECURE_CONTENT_TYPE_NOSNIFF", "X_FRAME_OPTIONS", "SECURE_REFERRER_POLICY",
             "SECURE_CROSS_ORIGIN_OPENER_POLICY", "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SAMESITE"]
    code = ("import django, json; django.setup(); from django.conf import settings; "
            f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))")
    result = run_in_production(tmp_path, "-c", code)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["SECURE_CROSS_ORIGIN_OPENER_POLICY"] == "same-origin"
    assert values["SESSION_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert values["CSRF_COOKIE_SAMESITE"] in ("Lax", "Strict")


def ids(messages) -> set[str]:
    return {m.id for m in messages}


def all_project_checks() -> list:
    return (project_checks.check_markdown_renderer() + project_checks.check_markdownx_endpoints()
            + project_checks.check_uploads() + project_checks.check_content_security_policy()
            + project_checks.check_security_headers_middleware())


def test_project_checks_pass_on_the_real_settings():
    assert all_project_checks() == []


def test_project_checks_are_registered_with_django():
    registered = {getattr(c, "__name__", "") for c in checks.registry.registry.get_checks()}
    assert {"check_markdown_renderer", "check_markdownx_endpoints", "check_uploads",
            "check_content_security_policy", "check_security_headers_middleware"} <= registered
    with override_settings(MARKDOWNX_UPLOAD_MAX_SIZE=50 * 1024 * 1024):
        assert "translate_hub.E022" in ids(checks.run_checks(tags=[checks.Tags.security]))


# --- renderer -------------------------------------------------------------------------------


def test_another_renderer_is_refused():
    with override_settings(MARKDOWNX_MARKDOWNIFY_FUNCTION="markdownx.utils.markdownify"):
        assert ids(project_checks.check_markdown_renderer()) == {"translate_hub.E001"}


def test_a_renderer_that_lets_script_through_is_refused(monkeypatch):
    import cmarkgfm
    from cmarkgfm.cmark import Options

    def unsafe(text):
        return cmarkgfm.markdown_to_html(text, options=Options.CMARK_OPT_UNSAFE)

    assert "<script>" in unsafe(project_checks.SCRIPT_PROBE)  # the probe would have run
    monkeypatch.setattr(rendering, "render_markdown", unsafe)
    found = project_checks.check_markdown_renderer()
    assert ids(found) == {"translate_hub.E003"}
    assert "<script>" in found[0].msg


def test_a_renderer_that_crashes_is_refused(monkeypatch):
    def broken(text):
        raise RuntimeError("boom")

    monkeypatch.setattr(rendering, "render_markdown", broken)
    assert ids(project_checks.check_markdown_renderer()) == {"translate_hub.E002"}


def test_the_probe_detector_sees_every_kind_of_active_content():
    find = project_checks.active_content
    assert find("<script>x</script>")
    assert find('<a href="javascript:alert(1)">x</a>')
    assert find('<a href=" jav\tascript:alert(1)">x</a>')
    assert find('<a href="jav&#x09;ascript:alert(1)">x</a>')
    assert find('<img src="x" onerror="alert(1)">')
    assert find('<p style="x">')
    assert find("<iframe></iframe>")
    assert not find('<p><a href="https://e.org/" rel="nofollow">x</a> <img src="/a.png" alt=""></p>')


# --- markdownx endpoints ----------------------------------------------------------------------

# A URLconf that includes markdownx's own (unprotected) views, as its README suggests.
urlpatterns = [
    path("markdownx/", include("markdownx.urls")),
    path("", include("translate_hub.urls")),
]


def test_unprotected_markdownx_views_are_refused():
    with override_settings(ROOT_URLCONF=__name__):
        found = project_checks.check_markdownx_endpoints()
    assert "translate_hub.E012" in ids(found)  # the preview answers anonymous users
    assert "translate_hub.E013" in ids(found)  # the upload is markdownx's own view
    preview = next(m for m in found if m.id == "translate_hub.E012")
    assert "MARKDOWNX_URLS_PATH" in preview.msg and "200" in preview.msg


def test_markdownx_paths_that_resolve_nowhere_are_refused():
    with override_settings(MARKDOWNX_URLS_PATH="/no/such/preview/",
                           MARKDOWNX_UPLOAD_URLS_PATH="/no/such/upload/"):
        found = project_checks.check_markdownx_endpoints()
    assert [m.id for m in found] == ["translate_hub.E010", "translate_hub.E010"]


def test_the_endpoint_check_works_with_production_hosts():
    with override_settings(ALLOWED_HOSTS=["hub.example.org"], DEBUG=False):
        assert project_checks.check_markdownx_endpoints() == []


# --- uploads ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("overrides", "expected"), [
    ({"MARKDOWNX_UPLOAD_CONTENT_TYPES": ("image/png", "image/svg+xml")}, "translate_hub.E021"),
    ({"MARKDOWNX_UPLOAD_CONTENT_TYPES": ("image/png", "text/html")}, "translate_hub.E021"),
    ({"MARKDOWNX_UPLOAD_CONTENT_TYPES": ()}, "translate_hub.E020"),
    ({"MARKDOWNX_UPLOAD_MAX_SIZE": 5 * 1024 * 1024 + 1}, "translate_hub.E022"),
    ({"MARKDOWNX_UPLOAD_MAX_SIZE": 0}, "translate_hub.E022"),
])
def test_upload_misconfigurations_are_refused(overrides, expected):
    with override_settings(**overrides):
        assert ids(project_checks.check_uploads()) == {expected}


# --- Content-Security-Policy -------------------------------------------------------------------


def csp_with(**directives):
    from django.conf import settings

    policy = {"DIRECTIVES": {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"], **directives}}
    return override_settings(CONTENT_SECURITY_POLICY=policy)


def test_csp_without_a_nonce_is_refused():
    with csp_with(**{"script-src": ["'self'"]}):
        assert ids(project_checks.check_content_security_policy()) == {"translate_hub.E032"}


def test_csp_with_a_literal_nonce_string_is_refused():
    with csp_with(**{"script-src": ["'self'", "'nonce'"]}):
        assert ids(project_checks.check_content_security_policy()) == {"translate_hub.E032"}


@pytest.mark.parametrize("source", ["'unsafe-inline'", "'unsafe-eval'", "*", "https:", "data:"])
def test_csp_that_reopens_script_is_refused(source):
    from csp.constants import NONCE

    with csp_with(**{"script-src": ["'self'", NONCE, source]}):
        assert ids(project_checks.check_content_security_policy()) == {"translate_hub.E033"}
    with csp_with(**{"default-src": ["'self'", source]}):
        assert ids(project_checks.check_content_security_policy()) == {"translate_hub.E033"}


def test_csp_without_object_src_or_base_uri_is_refused():
    with csp_with(**{"object-src": ["'self'"], "base-uri": ["*"]}):
        assert ids(project_checks.check_content_security_policy()) == {"translate_hub.E034", "translate_hub.E035"}


def test_csp_not_enforced_is_refused():
    from django.conf import settings

    without = [m for m in settings.MIDDLEWARE if m != "csp.middleware.CSPMiddleware"]
    with override_settings(MIDDLEWARE=without):
        assert ids(project_checks.check_content_security_policy()) == {"translate_hub.E030"}
    with override_settings(CONTENT_SECURITY_POLICY={},
                           CONTENT_SECURITY_POLICY_REPORT_ONLY=settings.CONTENT_SECURITY_POLICY):
        assert ids(project_checks.check_content_security_policy()) == {"translate_hub.E031"}


def test_missing_security_headers_middleware_warns():
    from django.conf import settings

    without = [m for m in settings.MIDDLEWARE if m != project_checks.SECURITY_HEADERS_MIDDLEWARE]
    with override_settings(MIDDLEWARE=without):
        assert ids(project_checks.check_security_headers_middleware()) == {"translate_hub.W040"}
