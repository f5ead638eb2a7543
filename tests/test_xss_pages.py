"""Every XSS payload of ../shared/security/xss, through the pages people actually load.

* The markdownx live preview (POST as a signed-in translator): each payload alone, inside a
  paragraph and as link text; the HTML that comes back holds nothing unsafe
  (tests/xss_assertions.unsafe_parts, on an HTML5 parser's view).
* Published article pages: payloads in the translation, the title, the subject and the
  author of published articles. The article body holds nothing unsafe, and nothing escapes
  into the rest of the page: the page outside the body has exactly the structure (elements
  and attribute names) of the same page with plain text in those fields, the <title> is
  text, and every script is ours. The published list and the Atom feed are held to the same.
* Ordinary markdown keeps its formatting on the way through the preview and the page.
"""

from __future__ import annotations

import html
import itertools
from xml.etree import ElementTree

import html5lib
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, ArticleState
from tests.conftest import SECURITY_DATA
from tests.factories import ArticleFactory, make_user
from tests.test_rendering import ORDINARY
from tests.xss_assertions import as_documents, payloads, unsafe_parts

pytestmark = pytest.mark.django_db

ALL_PAYLOADS = [payload for _name, payload in payloads(SECURITY_DATA)]
PER_ARTICLE = 6  # payloads per published article (title, subject, author, body)


@pytest.fixture
def translator_client(db):
    client = Client()
    client.force_login(make_user("tina", "translator"))
    return client


def test_there_are_payloads():
    assert len(ALL_PAYLOADS) > 1500


# --- the markdownx preview endpoint ------------------------------------------------------------


def test_every_payload_through_the_preview_endpoint(translator_client):
    url = reverse("markdownx_markdownify")
    failures = []
    for payload in ALL_PAYLOADS:
        for document in as_documents(payload):
            response = translator_client.post(url, {"content": document})
            assert response.status_code == 200
            problems = unsafe_parts(response.content.decode())
            if problems:
                failures.append((payload, problems))
    assert not failures, f"{len(failures)} unsafe previews, first: {failures[:3]}"


def test_preview_keeps_ordinary_markdown(translator_client):
    body = translator_client.post(reverse("markdownx_markdownify"), {"content": ORDINARY}).content.decode()
    for fragment in ("<h1>", "<strong>bold</strong>", "<em>italic</em>", "<del>struck</del>",
                     '<code class="language-python">', "<table>", "<blockquote>", "<kbd>Ctrl</kbd>",
                     '<a href="https://example.org/ref"', '<img src="https://example.org/image.png"'):
        assert fragment in body, fragment


# --- published pages ------------------------------------------------------------------------------


def chunks(items, size):
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def body_with(batch: list[str]) -> str:
    return "\n\n".join(itertools.chain.from_iterable(as_documents(p) for p in batch))


def publish_payload_articles(people) -> list[Article]:
    articles = []
    now = timezone.now()
    for batch in chunks(ALL_PAYLOADS, PER_ARTICLE):
        # every payload of the batch in every field, as far as the field's length allows
        title = " ".join(batch)[:500]
        subject = " ".join(reversed(batch))[:500]
        author = " ".join(batch[3:] + batch[:3])[:300]
        articles.append(ArticleFactory(
            state=ArticleState.PUBLISHED, published_at=now, title=title, subject=subject,
            author_name=author, translation_markdown=body_with(batch),
            translator=people["translator"], publisher=people["publisher"], collector=people["collector"],
        ))
    return articles


def parse(page: str):
    return html5lib.parse(page, treebuilder="etree", namespaceHTMLElements=False)


def is_prose(element) -> bool:
    return element.tag == "div" and "prose" in (element.get("class") or "").split()


def skeleton(root) -> list[tuple]:
    """Elements and attribute names, in document order, leaving out article bodies."""
    shape = []

    def walk(element, depth):
        if not isinstance(element.tag, str):
            return
        if is_prose(element):
            shape.append((depth, "prose"))
            return
        shape.append((depth, element.tag, tuple(sorted(element.attrib))))
        for child in element:
            walk(child, depth + 1)

    walk(root, 0)
    return shape


def prose_html(root) -> list[str]:
    """The inner HTML of each article body on the page."""
    bodies = []
    for element in root.iter():
        if isinstance(element.tag, str) and is_prose(element):
            inner = html.escape(element.text or "", quote=False) + "".join(
                ElementTree.tostring(child, encoding="unicode", method="html") for child in element)
            bodies.append(inner)
    return bodies


def as_parsed(text: str) -> str:
    """Text as an HTML5 parser hands it back (newlines normalised, NUL replaced)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd")


def nonce_of(response) -> str:
    script_src = [p for p in response["Content-Security-Policy"].split(";") if p.strip().startswith("script-src")]
    return next(s for s in script_src[0].split() if s.startswith("'nonce-"))[len("'nonce-"):-1]


def foreign_scripts(root, nonce: str) -> list[str]:
    found = []
    for element in root.iter("script"):
        src = element.get("src") or ""
        if not src.startswith("/") or src.startswith("//") or element.get("nonce") not in (nonce, None) \
                or (element.text or "").strip():
            found.append(ElementTree.tostring(element, encoding="unicode")[:200])
    return found


@pytest.fixture
def people(db):
    return {
        "collector": make_user("cora", "collector"),
        "translator": make_user("alice", "translator"),
        "publisher": make_user("pete", "publisher", "translator"),
    }


def test_payloads_in_published_articles_stay_inside_the_article_body(people):
    articles = publish_payload_articles(people)
    client = Client()
    failures = []
    first_pages = {}
    for article in articles:
        response = client.get(article.get_absolute_url())
        assert response.status_code == 200
        page = response.content.decode()
        root = parse(page)
        first_pages[article.pk] = skeleton(root)
        for fragment in prose_html(root):
            failures += [(article.pk, "body", p) for p in unsafe_parts(fragment)]
        failures += [(article.pk, "script", s) for s in foreign_scripts(root, nonce_of(response))]
        title = root.find(".//title")
        if len(title) or as_parsed(article.title) not in (title.text or ""):
            failures.append((article.pk, "title", (title.text or "")[:200]))
    # The same pages with plain text in every field have the same structure outside the body.
    Article.objects.filter(pk__in=[a.pk for a in articles]).update(
        title="标题", subject="Subject", author_name="Author", translation_markdown="正文")
    for article in articles:
        plain = skeleton(parse(client.get(article.get_absolute_url()).content.decode()))
        if plain != first_pages[article.pk]:
            diff = [(a, b) for a, b in zip(first_pages[article.pk], plain, strict=False) if a != b][:3]
            failures.append((article.pk, "structure", diff))
    assert not failures, f"{len(failures)} problems, first: {failures[:5]}"


def test_payload_titles_on_the_list_page_and_in_the_feed(people):
    articles = publish_payload_articles(people)
    client = Client()
    failures = []
    response = client.get(reverse("workflow:published_list"))
    root = parse(response.content.decode())
    list_shape = skeleton(root)
    failures += foreign_scripts(root, nonce_of(response))
    shown = "".join(root.itertext())
    assert sum(as_parsed(a.title).strip() in shown for a in articles) >= 20  # titles are listed as text
    feed = client.get(reverse("workflow:feed"))
    assert feed.status_code == 200
    tree = ElementTree.fromstring(feed.content)
    atom = "{http://www.w3.org/2005/Atom}"
    entries = tree.findall(f"{atom}entry")
    assert len(entries) == 30
    for entry in entries:
        for part in ("summary", "content"):
            element = entry.find(f"{atom}{part}")
            if element is not None and element.text:
                failures += unsafe_parts(element.text)
        assert entry.find(f"{atom}title").text  # the title is text (XML-escaped), not markup
    Article.objects.filter(pk__in=[a.pk for a in articles]).update(title="标题", subject="Subject")
    if skeleton(parse(client.get(reverse("workflow:published_list")).content.decode())) != list_shape:
        failures.append("the list page changes structure with payload titles")
    assert not failures, failures[:5]


def test_script_urls_in_source_and_author_links_are_not_links(people):
    article = ArticleFactory(
        state=ArticleState.PUBLISHED, published_at=timezone.now(), translator=people["translator"],
        via="javascript:alert(document.cookie)", author_url=" JaVaScRiPt:alert(1)",
        author_name="Mallory", translation_markdown="正文",
    )
    page = Client().get(article.get_absolute_url()).content.decode()
    root = parse(page)
    hrefs = [a.get("href") for a in root.iter("a")]
    assert not [h for h in hrefs if h and "script:" in h.lower()], hrefs
    assert "Mallory" in page  # the author is still credited


def test_script_urls_are_not_links_on_the_collector_pages(people):
    article = ArticleFactory(state=ArticleState.NEW, available_at=None, collector=people["collector"],
                             via="javascript:alert(document.cookie)")
    client = Client()
    client.force_login(people["collector"])
    for url in (reverse("articles:prepare", args=[article.pk]), reverse("articles:collect_status")):
        response = client.get(url)
        assert response.status_code == 200, url
        hrefs = [a.get("href") or "" for a in parse(response.content.decode()).iter("a")]
        assert not [h for h in hrefs if "script:" in h.lower()], (url, hrefs)


def test_the_structure_check_notices_an_escape():
    safe = parse("<html><head><title>x</title></head><body><h1>t</h1><div class='prose'><p>a</p></div></body></html>")
    leaked = parse("<html><head><title>x</title></head><body><h1>t<img src=x onerror=alert(1)></h1>"
                   "<div class='prose'><p>a</p></div></body></html>")
    assert skeleton(safe) != skeleton(leaked)
    body_only = parse("<html><body><h1>t</h1><div class='prose'><p>a<b>b</b></p></div></body></html>")
    other_body = parse("<html><body><h1>t</h1><div class='prose'><table></table></div></body></html>")
    assert skeleton(body_only) == skeleton(other_body)  # bodies are checked by unsafe_parts instead


def test_the_unsafe_checker_knows_clobbering_and_styling_attributes():
    assert unsafe_parts('<p><a id="CSP_NONCE" href="https://e.org/">x</a></p>')
    assert unsafe_parts('<img name="getElementById" src="https://e.org/x.png">')
    assert unsafe_parts('<p class="skip-link message-error">x</p>')
    assert unsafe_parts('<bgsound src="https://e.org/a.mid">')
    assert not unsafe_parts('<pre><code class="language-python">x</code></pre>')


def test_published_page_keeps_ordinary_markdown(people):
    article = ArticleFactory(state=ArticleState.PUBLISHED, published_at=timezone.now(),
                             translator=people["translator"], translation_markdown=ORDINARY)
    root = parse(Client().get(article.get_absolute_url()).content.decode())
    body = "".join(prose_html(root))
    for fragment in ("<h1>", "<strong>bold</strong>", "<table>", "<blockquote>", "<kbd>Ctrl</kbd>",
                     'href="https://example.org/ref"'):
        assert fragment in body, fragment
    assert not unsafe_parts(body)
