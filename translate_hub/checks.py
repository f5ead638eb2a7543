"""The project's own system checks: the safety settings Django's ``check --deploy`` cannot know.

They run with every ``manage.py`` command (and so at deploy time and in CI), and each names
the setting to fix:

* ``translate_hub.E001``–``E003``: markdown is rendered by our sanitizing renderer, and that
  renderer really strips a script probe (a settings typo or a swapped function would
  otherwise turn the editor's live preview into a script injector).
* ``translate_hub.E010``–``E012``: markdownx's preview and upload endpoints resolve to our
  views and refuse anonymous requests.
* ``translate_hub.E020``–``E022``: image uploads accept raster formats only (no SVG: an SVG
  is a document that can carry script) and at most 5 MB.
* ``translate_hub.E030``–``E035``: a Content-Security-Policy is enforced, with a nonce in
  ``script-src`` and nothing that re-opens inline or eval'd script.
* ``translate_hub.W040``: our security-headers middleware is installed.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

OUR_RENDERER = "articles.rendering.render_markdown"
OUR_UPLOAD_VIEW = "articles.uploads.upload_image"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
RASTER_CONTENT_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
SECURITY_HEADERS_MIDDLEWARE = "translate_hub.security.SecurityHeadersMiddleware"

# What a sanitizer must remove; each line alone is enough to run script if it survives.
SCRIPT_PROBE = (
    '<script>alert("th-probe")</script>\n\n'
    "[click](javascript:alert(1))\n\n"
    '<img src="x" onerror="alert(1)">\n\n'
    '<a href="jav&#x09;ascript:alert(1)">x</a> <iframe src="https://example.org/"></iframe>\n'
)
_ACTIVE_TAGS = frozenset({
    "script", "iframe", "frame", "object", "embed", "applet", "svg", "math", "style", "base",
    "meta", "link", "form", "template", "noscript",
})
_URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "srcset"})
_SAFE_SCHEMES = frozenset({"", "http", "https", "mailto"})


class _ActiveContentFinder(HTMLParser):
    """Collects what in a piece of HTML could run script (stdlib only: this runs in production)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _ACTIVE_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{name}= on <{tag}>")
            elif name == "style":
                self.found.append(f"style= on <{tag}>")
            elif name in _URL_ATTRIBUTES and value:
                # Browsers drop ASCII whitespace and control characters inside a scheme.
                cleaned = "".join(ch for ch in value if ord(ch) > 0x20 and ch != "\x7f")
                scheme = urlsplit(cleaned).scheme.lower() if ":" in cleaned else ""
                if scheme not in _SAFE_SCHEMES:
                    self.found.append(f"{name}={value!r} on <{tag}>")

    handle_startendtag = handle_starttag


def active_content(html: str) -> list[str]:
    """What in ``html`` could run script or load active content; empty means none found."""
    finder = _ActiveContentFinder()
    finder.feed(html)
    finder.close()
    return finder.found


@checks.register(checks.Tags.security)
def check_markdown_renderer(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    from django.utils.module_loading import import_string

    path = getattr(settings, "MARKDOWNX_MARKDOWNIFY_FUNCTION", "markdownx.utils.markdownify")
    if path != OUR_RENDERER:
        return [checks.Error(
            f"MARKDOWNX_MARKDOWNIFY_FUNCTION is {path!r}, not the sanitizing renderer.",
            hint=f"Set MARKDOWNX_MARKDOWNIFY_FUNCTION = {OUR_RENDERER!r}: every other renderer "
                 "passes raw <script> and javascript: links into the editor's live preview.",
            id="translate_hub.E001",
        )]
    try:
        render = import_string(path)
        html = render(SCRIPT_PROBE)
    except Exception as exc:
        return [checks.Error(f"The markdown renderer {path!r} failed on a probe: {exc!r}.",
                             id="translate_hub.E002")]
    found = active_content(html)
    if found:
        return [checks.Error(
            f"The markdown renderer {path!r} lets active content through: {', '.join(found)}.",
            hint="Sanitize the rendered HTML with nh3 and an allow-list (articles/rendering.py).",
            id="translate_hub.E003",
        )]
    return []


def _probe_host() -> str:
    hosts = [h for h in getattr(settings, "ALLOWED_HOSTS", []) if h and h != "*"]
    return hosts[0].lstrip(".") if hosts else "localhost"


def _view_path(view) -> str:
    return f"{getattr(view, '__module__', '?')}.{getattr(view, '__name__', repr(view))}"


def _anonymous_post(match, path: str):
    """Call the resolved view as an anonymous POST, as a signed-out browser would."""
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory

    request = RequestFactory(HTTP_HOST=_probe_host()).post(path, {"content": "probe"})
    request.user = AnonymousUser()
    request.session = {}
    return match.func(request, *match.args, **match.kwargs)


@checks.register(checks.Tags.security, checks.Tags.urls)
def check_markdownx_endpoints(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    from django.urls import Resolver404, resolve

    errors: list[checks.CheckMessage] = []
    endpoints = [
        ("MARKDOWNX_URLS_PATH", "/markdownx/markdownify/"),
        ("MARKDOWNX_UPLOAD_URLS_PATH", "/markdownx/upload/"),
    ]
    for setting, default in endpoints:
        path = getattr(settings, setting, default)
        try:
            match = resolve(path)
        except Resolver404:
            errors.append(checks.Error(
                f"{setting} ({path!r}) does not resolve to a view: the editor's preview or "
                "image upload would fail.",
                hint="Route it in translate_hub/urls.py to the sign-in-only view.",
                id="translate_hub.E010",
            ))
            continue
        view_path = _view_path(match.func)
        if setting == "MARKDOWNX_UPLOAD_URLS_PATH" and view_path != OUR_UPLOAD_VIEW:
            errors.append(checks.Error(
                f"{setting} ({path!r}) is served by {view_path}, not the validating upload view.",
                hint=f"Route it to {OUR_UPLOAD_VIEW}: markdownx's own view trusts the "
                     "browser's content type and keeps the uploaded bytes.",
                id="translate_hub.E013",
            ))
        try:
            response = _anonymous_post(match, path)
        except Exception as exc:
            errors.append(checks.Error(
                f"An anonymous POST to {setting} ({path!r}, {view_path}) raised {exc!r}.",
                id="translate_hub.E011",
            ))
            continue
        if response.status_code not in (302, 401, 403):
            errors.append(checks.Error(
                f"{setting} ({path!r}) answers an anonymous POST with {response.status_code} "
                f"({view_path}); it must require sign-in.",
                hint="Wrap the view in login_required (workflow/views/accounts.py, "
                     "articles/uploads.py) instead of including markdownx.urls.",
                id="translate_hub.E012",
            ))
    return errors


@checks.register(checks.Tags.security)
def check_uploads(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    types = {t.lower() for t in getattr(settings, "MARKDOWNX_UPLOAD_CONTENT_TYPES", ())}
    if not types:
        errors.append(checks.Error(
            "MARKDOWNX_UPLOAD_CONTENT_TYPES is empty or missing (markdownx then accepts SVG).",
            hint=f"Set it to a subset of {sorted(RASTER_CONTENT_TYPES)}.",
            id="translate_hub.E020",
        ))
    elif not types <= RASTER_CONTENT_TYPES:
        errors.append(checks.Error(
            f"MARKDOWNX_UPLOAD_CONTENT_TYPES allows {sorted(types - RASTER_CONTENT_TYPES)}; "
            "only raster images may be uploaded (an SVG is a document that can run script).",
            hint=f"Use a subset of {sorted(RASTER_CONTENT_TYPES)}.",
            id="translate_hub.E021",
        ))
    size = getattr(settings, "MARKDOWNX_UPLOAD_MAX_SIZE", None)
    if not isinstance(size, int) or size <= 0 or size > MAX_UPLOAD_BYTES:
        errors.append(checks.Error(
            f"MARKDOWNX_UPLOAD_MAX_SIZE is {size!r}; uploads must be capped at 5 MB or less.",
            hint=f"Set MARKDOWNX_UPLOAD_MAX_SIZE = {MAX_UPLOAD_BYTES} (or less).",
            id="translate_hub.E022",
        ))
    return errors


def _sources(directives: dict, name: str) -> list | None:
    value = directives.get(name)
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


@checks.register(checks.Tags.security)
def check_content_security_policy(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    from csp.constants import NONCE

    errors: list[checks.CheckMessage] = []
    if "csp.middleware.CSPMiddleware" not in settings.MIDDLEWARE:
        errors.append(checks.Error(
            "csp.middleware.CSPMiddleware is not in MIDDLEWARE: no Content-Security-Policy is sent.",
            id="translate_hub.E030",
        ))
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
    directives = policy.get("DIRECTIVES") or {}
    if not directives:
        errors.append(checks.Error(
            "CONTENT_SECURITY_POLICY has no DIRECTIVES: nothing is enforced "
            "(a report-only policy does not block anything).",
            id="translate_hub.E031",
        ))
        return errors
    script = _sources(directives, "script-src")
    if script is None:
        script = _sources(directives, "default-src") or []
    if NONCE not in script:
        errors.append(checks.Error(
            "The Content-Security-Policy's script-src has no nonce.",
            hint="Add csp.constants.NONCE to script-src (a literal \"'nonce'\" is not a source).",
            id="translate_hub.E032",
        ))
    for name in ("default-src", "script-src", "script-src-elem", "script-src-attr"):
        sources = _sources(directives, name) or []
        unsafe = [s for s in sources if isinstance(s, str)
                  and s.lower() in {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'",
                                    "'wasm-unsafe-eval'", "*", "data:", "http:", "https:", "blob:"}]
        if unsafe:
            errors.append(checks.Error(
                f"The Content-Security-Policy's {name} allows {', '.join(unsafe)}, which "
                "re-opens injected or eval'd script.",
                hint="Load scripts from 'self' with the nonce; move inline code to static files.",
                id="translate_hub.E033",
            ))
    if _sources(directives, "object-src") != ["'none'"]:
        errors.append(checks.Error("The Content-Security-Policy must set object-src 'none'.",
                                   id="translate_hub.E034"))
    if _sources(directives, "base-uri") not in (["'none'"], ["'self'"]):
        errors.append(checks.Error(
            "The Content-Security-Policy must set base-uri 'none' (or 'self'): an injected "
            "<base> would otherwise move every relative script URL.",
            id="translate_hub.E035",
        ))
    return errors


@checks.register(checks.Tags.security)
def check_security_headers_middleware(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if SECURITY_HEADERS_MIDDLEWARE in settings.MIDDLEWARE:
        return []
    return [checks.Warning(
        f"{SECURITY_HEADERS_MIDDLEWARE} is not in MIDDLEWARE: no Permissions-Policy, and "
        "signed-in pages may be kept by shared caches.",
        id="translate_hub.W040",
    )]
