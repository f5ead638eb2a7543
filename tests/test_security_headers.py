"""Every URL of the site (walked from the URLconf, parameters filled with real objects), as
every kind of user, over HTTPS with the production settings: each response carries HSTS,
nosniff, Referrer-Policy, Cross-Origin-Opener-Policy and Permissions-Policy; each HTML
response also a nonce-based Content-Security-Policy with no inline script, X-Frame-Options
DENY, and (for a signed-in person) Cache-Control that keeps it out of shared caches. Pages
themselves hold no inline script or event handler the policy would have to allow."""

from __future__ import annotations

import re

import lxml.html
import pytest
from django.test import Client, override_settings

from tests.url_inventory import ACTORS, build_world, concrete_urls, endpoints

pytestmark = pytest.mark.django_db

PRODUCTION_HTTPS = {
    "SECURE_SSL_REDIRECT": True,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
}
# Never POSTed in the walk: they would end the session the walk runs in.
NO_POST = {"logout", "admin:logout"}
ADMIN_ACTORS = {"anonymous", "staff", "superuser"}  # the others see what anonymous sees


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world()


def parse_csp(value: str) -> dict[str, list[str]]:
    policy = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            policy[words[0].lower()] = words[1:]
    return policy


def header_problems(response, *, actor: str) -> list[str]:
    problems = []
    if response.status_code >= 500:
        problems.append(f"status {response.status_code}")
    expect = {
        "Strict-Transport-Security": "max-age=31536000; includeSubDomains; preload",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    for name, value in expect.items():
        if response.get(name) != value:
            problems.append(f"{name}: {response.get(name)!r}")
    if "camera=()" not in response.get("Permissions-Policy", ""):
        problems.append("no Permissions-Policy")
    if not response.get("Content-Type", "").startswith("text/html"):
        return problems
    if response.get("X-Frame-Options") != "DENY":
        problems.append(f"X-Frame-Options: {response.get('X-Frame-Options')!r}")
    csp = parse_csp(response.get("Content-Security-Policy", ""))
    script = csp.get("script-src", [])
    nonces = [s[len("'nonce-"):-1] for s in script if s.startswith("'nonce-")]
    if len(nonces) != 1:
        problems.append(f"script-src without one nonce: {script}")
    for unsafe in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "https:", "http:"):
        if unsafe in script or unsafe in csp.get("default-src", []):
            problems.append(f"CSP allows {unsafe}")
    for directive, value in (("object-src", ["'none'"]), ("base-uri", ["'none'"]),
                             ("frame-ancestors", ["'none'"])):
        if csp.get(directive) != value:
            problems.append(f"CSP {directive}: {csp.get(directive)}")
    if actor != "anonymous":
        cache_control = response.get("Cache-Control", "")
        if "private" not in cache_control or "no-store" not in cache_control:
            problems.append(f"signed-in page with Cache-Control {cache_control!r}")
    problems += page_problems(response, nonces[0] if nonces else None)
    return problems


_UNSAFE_URL = re.compile(r"^\s*(javascript|vbscript|data):", re.IGNORECASE)


def page_problems(response, nonce: str | None) -> list[str]:
    """Inline script, event handlers or script URLs in our own markup (the CSP would block them)."""
    body = response.content.decode(response.charset or "utf-8", errors="replace")
    if not body.strip():
        return []
    problems = []
    root = lxml.html.fromstring(body)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag == "script" and element.get("type", "") not in ("application/json", "text/template"):
            src = element.get("src")
            if not src:
                problems.append("inline <script>")
            elif not src.startswith("/") or src.startswith("//"):
                problems.append(f"<script src={src!r}> not from our own origin")
            elif element.get("nonce") not in (None, nonce):
                problems.append("<script> with a nonce that is not the page's")
        for name, value in element.attrib.items():
            if name.lower().startswith("on"):
                problems.append(f"{name}= on <{element.tag}>")
            if name.lower() in ("href", "src", "action", "formaction") and _UNSAFE_URL.match(value or ""):
                problems.append(f"{name}={value!r} on <{element.tag}>")
    return problems


def visit_all(client: Client, actor: str, world) -> tuple[int, list[str]]:
    problems: list[str] = []
    visited = 0
    for endpoint in endpoints():
        if endpoint.is_admin and actor not in ADMIN_ACTORS:
            continue
        for url in concrete_urls(endpoint, world):
            requests = [("GET", {})]
            if not endpoint.is_admin and endpoint.name not in NO_POST:
                requests += [("POST", {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "https://testserver/"})]
            for method, extra in requests:
                response = client.generic(method, url, secure=True, **extra)
                visited += 1
                problems += [f"{method} {url} as {actor}: {p}" for p in header_problems(response, actor=actor)]
    return visited, problems


@pytest.mark.parametrize("actor", ACTORS)
def test_every_url_carries_the_security_headers(actor, world):
    client = Client(raise_request_exception=False)  # a crash is one finding among all
    if actor != "anonymous":
        client.force_login(world.people[actor])
    with override_settings(**PRODUCTION_HTTPS):
        visited, problems = visit_all(client, actor, world)
    assert visited > 100
    assert not problems, f"{len(problems)} problems, first: " + "\n".join(problems[:15])


def test_the_checker_finds_missing_headers_and_inline_script():
    from django.http import HttpResponse

    bare = HttpResponse("<p onclick='x()'>hi</p><script>alert(1)</script>")
    problems = " ".join(header_problems(bare, actor="translator"))
    for expected in ("Strict-Transport-Security", "X-Content-Type-Options", "Referrer-Policy",
                     "Cross-Origin-Opener-Policy", "Permissions-Policy", "X-Frame-Options",
                     "without one nonce", "object-src", "Cache-Control", "inline <script>", "onclick="):
        assert expected in problems, expected


@override_settings(**PRODUCTION_HTTPS)
def test_plain_http_is_redirected_to_https_except_the_health_check(world):
    response = Client().get("/leaderboard/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/leaderboard/"
    assert Client().get("/healthz").status_code == 200
    forwarded = Client().get("/leaderboard/", HTTP_X_FORWARDED_PROTO="https")
    assert forwarded.status_code == 200  # behind the TLS-terminating proxy


def test_each_page_gets_a_fresh_nonce(world):
    first = parse_csp(Client().get("/", secure=True)["Content-Security-Policy"])["script-src"]
    second = parse_csp(Client().get("/", secure=True)["Content-Security-Policy"])["script-src"]
    assert first != second
    page = Client().get("/", secure=True)
    nonce = next(s for s in parse_csp(page["Content-Security-Policy"])["script-src"] if s.startswith("'nonce-"))
    assert f'nonce="{nonce[7:-1]}"' in page.content.decode()
