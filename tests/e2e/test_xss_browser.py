"""Every XSS payload, rendered on published article pages, loaded by a real Chromium.

Pages carry ~100 payloads each (alone, in a paragraph, as link text) plus payloads in the
title, subject and author. After each page loads, every element of the article body gets the
events payloads hook (mouseover, focus, animation, error…) dispatched at it. The browser must
raise no dialog (alert, confirm, prompt), report no Content-Security-Policy violation (each
would be injected markup the sanitizer let through) and stay on the page. Controls show the
detectors work: a dialog raised on purpose is seen, and script injected into the DOM after the
fact is blocked by the CSP and reported.

The editor is exercised under the same CSP: markdownx's live preview of a payload, and an
image dropped onto the editor (drag-and-drop upload) that lands as markdown and loads, while a
dropped SVG is refused.
"""

from __future__ import annotations

import base64
import io
import itertools

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from articles.models import Article, ArticleState
from tests.conftest import SECURITY_DATA
from tests.factories import DEFAULT_PASSWORD, ArticleFactory, make_user
from tests.xss_assertions import as_documents, payloads

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ALL_PAYLOADS = [payload for _name, payload in payloads(SECURITY_DATA)]
PER_PAGE = 100

WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample || ''}`);
});
"""
POKE = """
() => {
  const kinds = ['mouseover', 'mouseenter', 'mousemove', 'focus', 'focusin', 'blur', 'animationstart',
                 'animationend', 'transitionend', 'error', 'load', 'toggle', 'pointerover', 'input'];
  let poked = 0;
  for (const el of document.querySelectorAll('.prose *, h1, .credits *, .subject')) {
    for (const kind of kinds) { el.dispatchEvent(new Event(kind)); poked++; }
  }
  return poked;
}
"""


class Watcher:
    """What a page did: dialogs it raised, CSP violations, script errors, where it went."""

    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.console_csp: list[str] = []
        self.errors: list[str] = []
        self.blocked: list[str] = []
        page.on("dialog", self._dialog)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

        def only_this_site(route):
            if route.request.url.startswith(base):
                route.continue_()
            else:  # no request leaves the machine (payload images point everywhere)
                self.blocked.append(route.request.url)
                route.abort()

        page.context.route("**/*", only_this_site)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message} at {self.page.url}")
        dialog.dismiss()

    def _console(self, message) -> None:
        # a CSP violation, or a policy header the browser cannot read
        if message.type == "error" and ("Content Security Policy" in message.text
                                        or "Permissions-Policy" in message.text):
            self.console_csp.append(message.text)

    def violations(self) -> list[str]:
        return self.page.evaluate("() => window.__violations || []")


def new_page(browser: Browser, base: str) -> tuple[Page, Watcher]:
    context = browser.new_context(locale="en-US", extra_http_headers={"Accept-Language": "en"})
    context.set_default_timeout(20_000)
    context.add_init_script(WATCH)
    page = context.new_page()
    return page, Watcher(page, base)


def publish_payload_pages() -> list[Article]:
    translator = make_user("alice", "translator")
    now = timezone.now()
    articles = []
    iterator = iter(ALL_PAYLOADS)
    while batch := list(itertools.islice(iterator, PER_PAGE)):
        body = "\n\n".join(itertools.chain.from_iterable(as_documents(p) for p in batch))
        articles.append(ArticleFactory(
            state=ArticleState.PUBLISHED, published_at=now, translator=translator,
            title=" ".join(batch[:6])[:500], subject=" ".join(batch[6:12])[:500],
            author_name=" ".join(batch[12:16])[:300], translation_markdown=body,
        ))
    return articles


def test_published_pages_with_every_payload_run_no_script(browser, live_server):
    articles = publish_payload_pages()
    assert sum(a.translation_markdown.count("\n\n") for a in articles) > 3 * len(ALL_PAYLOADS)
    base = live_server.url
    page, watcher = new_page(browser, base)
    violations, poked = [], 0
    for article in articles:
        url = f"{base}{article.get_absolute_url()}"
        response = page.goto(url, wait_until="load")
        assert response.status == 200
        poked += page.evaluate(POKE)
        page.wait_for_timeout(150)  # timers and late image errors
        violations += [f"{url}: {v}" for v in watcher.violations()]
        assert page.url == url, f"navigated away to {page.url}"
        assert page.evaluate("() => document.querySelectorAll('script:not([src])').length") == 0
    assert poked > 10_000
    assert not watcher.dialogs, watcher.dialogs[:5]
    assert not violations, violations[:5]
    assert not watcher.console_csp, watcher.console_csp[:5]
    assert not watcher.errors, watcher.errors[:5]
    # the list page shows the payload titles too
    page.goto(f"{base}/", wait_until="load")
    page.wait_for_timeout(150)
    assert not watcher.dialogs and not watcher.violations()

    # Controls: the watchers see a dialog, and the CSP blocks and reports injected script.
    page.goto(f"{base}{articles[0].get_absolute_url()}", wait_until="load")
    page.evaluate("() => alert('control')")
    assert watcher.dialogs == [f"alert: control at {base}{articles[0].get_absolute_url()}"]
    page.evaluate("""() => {
        const s = document.createElement('script'); s.textContent = "alert('inline')"; document.body.append(s);
        document.querySelector('.prose').insertAdjacentHTML('beforeend', '<img src="/x.png" onerror="alert(2)">');
    }""")
    page.wait_for_timeout(300)
    assert len(watcher.dialogs) == 1  # neither injected script ran
    found = watcher.violations()
    assert any("script-src" in v for v in found), found
    assert len(found) >= 2  # the inline script and the inline handler


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).not_to_have_url(f"{base}/accounts/login/")


def drop_file(page: Page, data: bytes, name: str, mime: str) -> None:
    page.evaluate("""([b64, name, mime]) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], name, {type: mime}));
        const editor = document.querySelector('#id_text');
        editor.focus();
        editor.selectionStart = editor.selectionEnd = editor.value.length;
        for (const type of ['dragenter', 'dragover', 'drop']) {
            editor.dispatchEvent(new DragEvent(type, {dataTransfer: transfer, bubbles: true, cancelable: true}));
        }
    }""", [base64.b64encode(data).decode(), name, mime])


SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>alert(document.domain)</script></svg>')


def test_the_editor_works_under_the_csp_preview_and_drag_and_drop(browser, live_server, settings, tmp_path):
    from workflow import services

    settings.MEDIA_ROOT = tmp_path / "media"
    alice = make_user("alice", "translator")
    article = ArticleFactory()
    services.claim_article(article=article, user=alice)
    base = live_server.url
    page, watcher = new_page(browser, base)
    sign_in(page, base, "alice")
    page.goto(f"{base}/articles/{article.pk}/translate/")

    # live preview of payloads: sanitized HTML arrives, nothing runs
    evil = "\n\n".join(ALL_PAYLOADS[:40]) + "\n\n## Still a heading\n"
    page.fill("#id_text", evil)
    expect(page.locator(".markdownx-preview h2")).to_have_text("Still a heading", timeout=15_000)
    page.evaluate(POKE.replace(".prose *", ".markdownx-preview *"))
    page.wait_for_timeout(200)

    # drop a PNG onto the editor: uploaded, inserted as markdown, and the image loads
    page.fill("#id_text", "Before the image.\n\n")
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (200, 40, 40)).save(out, "PNG")
    drop_file(page, out.getvalue(), "screenshot.png", "image/png")
    editor = page.locator("#id_text")
    page.wait_for_function(
        "() => document.querySelector('#id_text').value.includes('/media/uploads/')", timeout=15_000)
    value = editor.input_value()
    url = value[value.index("/media/uploads/"):value.index(")", value.index("/media/uploads/"))]
    expect(page.locator(f".markdownx-preview img[src='{url}']")).to_have_count(1, timeout=15_000)
    loaded = page.evaluate("""(src) => new Promise((resolve) => {
        const img = new Image(); img.onload = () => resolve([img.naturalWidth, img.naturalHeight]);
        img.onerror = () => resolve(null); img.src = src; })""", url)
    assert loaded == [30, 20]

    # an SVG with script is refused: nothing stored, no image code inserted
    page.fill("#id_text", "No SVG here.\n\n")
    drop_file(page, SVG, "drawing.svg", "image/svg+xml")
    page.wait_for_function("() => document.querySelector('#id_text').value.includes('Invalid response')",
                           timeout=15_000)  # markdownx's own marker for a refused upload
    assert "/media/uploads/" not in editor.input_value()
    stored = [p for p in (tmp_path / "media").rglob("*") if p.is_file()]
    assert len(stored) == 1 and stored[0].suffix == ".png"

    assert not watcher.dialogs, watcher.dialogs
    assert not watcher.violations(), watcher.violations()
    assert not watcher.console_csp, watcher.console_csp
    assert not watcher.errors, watcher.errors
