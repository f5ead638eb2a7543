"""The glossary: reviewers keep it (pages and admin, CSV import with a per-row report),
everyone signed in reads it; its terms are highlighted in the source on the translate page
and the glossary check flags a translation that does not use the agreed term."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from articles.models import Article
from tests.factories import ArticleFactory, make_user
from workflow import editor, quality_services, services
from workflow.models import CheckRule, GlossaryTerm
from workflow.quality import find_terms

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    quality_services.clear_report_cache()


@pytest.fixture
def people(db):
    return {
        "alice": make_user("alice", "translator"),
        "rita": make_user("rita", "reviewer"),
        "pete": make_user("pete", "publisher"),
        "sam": make_user("sam", "translator", is_staff=True, is_superuser=True),
    }


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def add(client, **data):
    return client.post(reverse("workflow:glossary_add"), {"note": "", **data})


# --- reading and writing ---------------------------------------------------------------------


def test_everyone_signed_in_reads_and_searches_only_reviewers_write(people):
    term = GlossaryTerm.objects.create(source_term="container", target_term="容器", note="not 集装箱")
    GlossaryTerm.objects.create(source_term="kernel", target_term="内核")
    alice = client_for(people["alice"])
    page = alice.get(reverse("workflow:glossary")).content.decode()
    assert "container" in page and "容器" in page and "not 集装箱" in page and "内核" in page
    assert reverse("workflow:glossary_add") not in page           # no write buttons for translators
    found = alice.get(reverse("workflow:glossary"), {"q": "内核"}).content.decode()
    assert '<td lang="en">kernel' in found and '<td lang="en">container' not in found
    assert 'href="/glossary/"' in alice.get(reverse("workflow:my_work")).content.decode()  # in the menu

    edit = reverse("workflow:glossary_edit", args=[term.pk])
    delete = reverse("workflow:glossary_delete", args=[term.pk])
    for url, data in [(reverse("workflow:glossary_add"), {"source_term": "pod", "target_term": "容器组"}),
                      (edit, {"source_term": "container", "target_term": "货柜"}),
                      (delete, {}), (reverse("workflow:glossary_import"), {"text": "pod,容器组"})]:
        assert alice.get(url).status_code == 403
        assert alice.post(url, data).status_code == 403
        anonymous = Client().post(url, data)
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert Client().get(reverse("workflow:glossary")).status_code == 302
    assert GlossaryTerm.objects.get(pk=term.pk).target_term == "容器"
    assert GlossaryTerm.objects.count() == 2


def test_a_reviewer_adds_edits_and_deletes_terms(people):
    rita = client_for(people["rita"])
    response = add(rita, source_term="  Open   source ", target_term="开源", note="形容词")
    assert response.status_code == 302
    term = GlossaryTerm.objects.get()
    assert (term.source_term, term.target_term, term.note, term.created_by) == ("Open source", "开源", "形容词", people["rita"])
    # one entry per English term, whatever its case
    duplicate = add(rita, source_term="open source", target_term="开放源代码")
    assert duplicate.status_code == 400
    assert "“Open source” is already in the glossary" in html.unescape(duplicate.content.decode())
    assert add(rita, source_term="", target_term="空").status_code == 400
    assert GlossaryTerm.objects.count() == 1

    response = rita.post(reverse("workflow:glossary_edit", args=[term.pk]),
                         {"source_term": "open source", "target_term": "开源|开放源代码", "note": "",
                          "case_sensitive": "on"})
    assert response.status_code == 302
    term.refresh_from_db()
    assert (term.source_term, term.target_term, term.case_sensitive) == ("open source", "开源|开放源代码", True)
    assert rita.post(reverse("workflow:glossary_delete", args=[term.pk])).status_code == 302
    assert not GlossaryTerm.objects.exists()
    # staff may too; a publisher who is not a reviewer may not
    assert add(client_for(people["sam"]), source_term="pod", target_term="容器组").status_code == 302
    assert add(client_for(people["pete"]), source_term="node", target_term="节点").status_code == 403


# --- CSV import ------------------------------------------------------------------------------


def test_csv_import_adds_and_updates_terms(people):
    GlossaryTerm.objects.create(source_term="Kernel", target_term="核心")
    csv_text = "\ufeffenglish,chinese,note\ncontainer,容器,不要译作集装箱\nkernel,内核,\n\"load balancer\",负载均衡器,\"名词, 常用\"\n"
    upload = SimpleUploadedFile("terms.csv", csv_text.encode("utf-8"), content_type="text/csv")
    response = client_for(people["rita"]).post(reverse("workflow:glossary_import"), {"file": upload}, follow=True)
    page = html.unescape(response.content.decode())
    assert "Imported: 2 added, 1 updated, 0 unchanged." in page
    assert dict(GlossaryTerm.objects.values_list("source_term", "target_term")) == {
        "Kernel": "内核", "container": "容器", "load balancer": "负载均衡器"}
    assert GlossaryTerm.objects.get(source_term="load balancer").note == "名词, 常用"


def test_a_csv_with_bad_rows_imports_nothing_and_lists_every_problem(people):
    csv_text = "container,容器\n,空的英文\nkernel\nContainer,又一个\npod,容器组,note,extra\n"
    response = client_for(people["rita"]).post(reverse("workflow:glossary_import"), {"text": csv_text})
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "Nothing was imported: 4 rows have problems." in page
    problems = re.findall(r"<li>Line (\d+): ([^<]+)</li>", page)
    assert [n for n, _ in problems] == ["2", "3", "4", "5"]
    assert "English term is empty" in problems[0][1]
    assert "Chinese term is empty" in problems[1][1]
    assert "duplicate of line 1" in problems[2][1]
    assert "4 columns" in problems[3][1]
    assert not GlossaryTerm.objects.exists()


def test_a_file_that_is_not_utf8_is_refused_with_a_reason(people):
    upload = SimpleUploadedFile("terms.csv", "container,容器\n".encode("gb18030"), content_type="text/csv")
    response = client_for(people["rita"]).post(reverse("workflow:glossary_import"), {"file": upload})
    assert response.status_code == 400
    assert "not UTF-8" in response.content.decode()
    assert not GlossaryTerm.objects.exists()


def test_admin_import_and_check_rules_with_the_registry(people):
    admin = client_for(people["sam"])
    changelist = admin.get(reverse("admin:workflow_glossaryterm_changelist")).content.decode()
    assert reverse("admin:workflow_glossaryterm_import") in changelist
    bad = SimpleUploadedFile("t.csv", b"container,\n", content_type="text/csv")
    page = admin.post(reverse("admin:workflow_glossaryterm_import"), {"file": bad}).content.decode()
    assert "Line 1" in page and "Chinese term is empty" in page
    good = SimpleUploadedFile("t.csv", "container,容器\n".encode(), content_type="text/csv")
    assert admin.post(reverse("admin:workflow_glossaryterm_import"), {"file": good}).status_code == 302
    assert GlossaryTerm.objects.get().target_term == "容器"

    form = admin.get(reverse("admin:workflow_checkrule_add")).content.decode()
    assert 'value="typography.space_han_latin"' in form
    assert "No space between Chinese and Latin letters or digits." in html.unescape(form)
    response = admin.post(reverse("admin:workflow_checkrule_add"), {"code": "typography.number_unit", "severity": "error"})
    assert response.status_code == 302
    assert CheckRule.objects.get().severity == "error"
    refused = admin.post(reverse("admin:workflow_checkrule_add"), {"code": "made.up", "severity": "error"})
    assert refused.status_code == 200 and CheckRule.objects.count() == 1
    listing = html.unescape(admin.get(reverse("admin:workflow_checkrule_changelist")).content.decode())
    assert "No space between a number and its unit" in listing


# --- highlighting ----------------------------------------------------------------------------

SOURCE = """\
Every container shares the host's kernel. The `container` command and [Kubernetes containers][1] \
are covered below; see https://example.org/container for more.

![A container diagram](https://example.org/container.png)

```
docker run container
```

The Container Runtime Interface talks to each CONTAINER runtime.

[1]: https://example.org/k8s
"""


class Marks(HTMLParser):
    """<mark> elements of the page's source pane, with their title, and whether any is nested
    in an attribute or left open."""

    def __init__(self) -> None:
        super().__init__()
        self.marks: list[tuple[str, str]] = []
        self.open: list[str] | None = None
        self.parents: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "mark" and ("class", "term") in attrs:
            self.open = [dict(attrs).get("title", "")]
        elif tag not in ("img", "br", "hr", "input"):
            self.parents.append(tag)

    def handle_endtag(self, tag):
        if tag == "mark" and self.open is not None:
            self.marks.append((self.open[0], "".join(self.open[1:])))
            self.open = None
        elif self.parents:
            self.parents.pop()

    def handle_data(self, data):
        if self.open is not None:
            self.open.append(data)


def test_terms_are_highlighted_in_the_source_at_their_positions(people):
    GlossaryTerm.objects.create(source_term="container", target_term="容器", note="not 集装箱")
    GlossaryTerm.objects.create(source_term="Container Runtime Interface", target_term="容器运行时接口")
    GlossaryTerm.objects.create(source_term="kernel", target_term="内核")
    article = ArticleFactory(source_markdown=SOURCE)
    services.claim_article(article=article, user=people["alice"])
    page = client_for(people["alice"]).get(reverse("workflow:translate", args=[article.pk])).content.decode()
    pane = re.search(r'<div class="prose source source-pane".*?</div>\n</div>', page, re.S).group(0)
    parser = Marks()
    parser.feed(pane)
    assert parser.open is None
    # what find_terms finds in the prose is what is marked: not in code, URLs or the image's alt
    hits = find_terms(SOURCE, quality_services.glossary_terms())
    assert [h.text for h in hits] == ["container", "kernel", "containers", "Container Runtime Interface", "CONTAINER"]
    assert [text for _title, text in parser.marks] == [h.text for h in hits]
    assert parser.marks[0] == ("container → 容器 (not 集装箱)", "container")
    assert parser.marks[3][0] == "Container Runtime Interface → 容器运行时接口"
    assert '<a href="https://example.org/k8s" rel="noopener noreferrer nofollow ugc">Kubernetes <mark class="term" title="container → 容器 (not 集装箱)">containers</mark></a>' in pane
    assert '<code>container</code>' in pane and "docker run container\n" in pane
    assert 'alt="A container diagram"' in pane and 'src="https://example.org/container.png"' in pane
    assert "\ue0f0" not in page and "\ue0f1" not in page


def test_highlighting_never_breaks_markup():
    terms = quality_services.glossary_terms()
    assert terms == ()
    from workflow.quality import Term

    terms = (Term("open source", "开源"), Term("script", "脚本"))
    text = 'Use **open** source tools; a <b title="script">script</b> and [open source](https://x.example/?q=script).\n'
    blocks = editor.source_blocks(text, terms=terms)
    out = blocks[0].html
    parser = Marks()
    parser.feed(out)
    assert parser.open is None
    # across emphasis the hit is not marked (it would straddle elements); inside the link it is
    assert [t for _title, t in parser.marks] == ["script", "open source"]
    assert 'title="script"' in out and "?q=script" in out


# --- the glossary check through the page ---------------------------------------------------

TERM_SOURCE = "Each container runs one process and keeps its own file system view.\n"


def test_the_glossary_check_flags_a_translation_without_the_agreed_term(people):
    GlossaryTerm.objects.create(source_term="container", target_term="容器", note="not 集装箱")
    article = ArticleFactory(source_markdown=TERM_SOURCE)
    services.claim_article(article=article, user=people["alice"])
    alice = client_for(people["alice"])
    wrong = alice.post(reverse("workflow:save_draft", args=[article.pk]),
                       {"text": "每个集装箱运行一个进程，并有自己的文件系统视图。\n", "title": "题", "base_version": 1},
                       HTTP_HX_REQUEST="true").content.decode()
    assert "glossary.term_not_used" in wrong
    assert "“container” should be translated as “容器” (not 集装箱)." in html.unescape(wrong)
    right = alice.post(reverse("workflow:save_draft", args=[article.pk]),
                       {"text": "每个容器运行一个进程，并有自己的文件系统视图。\n", "title": "题", "base_version": 2},
                       HTTP_HX_REQUEST="true").content.decode()
    assert "glossary.term_not_used" not in right
    # a new term takes effect on the next check, without a restart
    GlossaryTerm.objects.create(source_term="file system", target_term="文件系统|档案系统")
    GlossaryTerm.objects.create(source_term="process", target_term="进程")
    assert quality_services.article_report(article=Article.objects.get(pk=article.pk)).issues == ()
    process = GlossaryTerm.objects.get(source_term="process")
    process.target_term = "过程"
    process.save()
    page = alice.get(reverse("workflow:translate", args=[article.pk])).content.decode()
    assert "“process” should be translated as “过程”" in html.unescape(page)
