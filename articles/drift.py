"""Source drift: noticing that a source post changed after its translation started.

Weekly, ``schedule_drift_checks`` (beat task ``articles.schedule_drift_checks``) queues DRIFT
jobs over the claimed, submitted, in-review and published articles, ``DRIFT_BATCH_SIZE``
article ids per job. For each article the handler

1. fetches the source URL with a conditional GET (the last snapshot's ETag and
   Last-Modified; a 304 ends there), SSRF-safe through ``fetch_page_sync``;
2. extracts and converts the page exactly as the FETCH job does;
3. compares the new source with the last ``SourceSnapshot`` block by block
   (``compare_sources``). A block's key is its kind and text with whitespace collapsed
   (the engine's ``text_hash`` idea), reference links resolved to their URLs and every URL
   in ``normalize_url`` form (tracking parameters such as ``utm_*`` dropped) — so
   re-wrapped lines, renumbered references and tracking parameters are not drift;
4. when blocks changed, stores a new snapshot (``changed_paragraphs``: the indexes of the
   previous snapshot's blocks that were replaced or removed; ``diff``: the paragraph
   diff), sets ``Article.source_changed_at``, writes one ``source_changed`` event and
   notifies the translator and the reviewer (dedupe key per snapshot).

The network work runs outside any transaction; the database effect runs in the
transaction that finishes the job, under its lease (articles.jobs), so a redelivered job
writes it once. An article without a snapshot (imported from the LCTT repository) gets a
baseline snapshot on its first check and is not flagged: the importer's markdown was not
made by our converter, so comparing it would flag every paragraph.

Accepting: the translator (or the reviewer during review, or an editor) either takes the
new source — ``accept_source_update`` replaces ``source_markdown`` with the latest
snapshot — or keeps the old one — ``dismiss_source_update``; both clear the flag and write
one ``source_changed`` event naming who decided. The next check compares against the
latest snapshot either way, so the same change is never reported twice.

Public API
----------
``block_keys(markdown) -> list[tuple[int, str]]``
``compare_sources(old_md, new_md) -> SourceDiff``
``schedule_drift_checks(*, batch_size=DRIFT_BATCH_SIZE) -> int``
``request_drift_check(*, article, user) -> Job``
``check_drift`` (the DRIFT job handler), ``apply_drift(...)`` (its effect for one article)
``latest_snapshot(article) -> SourceSnapshot | None``
``can_resolve_drift(user, article) -> bool``
``accept_source_update(*, article, user) -> Article``, ``dismiss_source_update(*, article, user) -> Article``
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from articles import jobs
from articles.jobs import JobOutcome, create_job, job_handler
from articles.models import Article, ArticleState, Job, SourceSnapshot
from articles.urlnorm import normalize_url

logger = logging.getLogger(__name__)

DRIFT_STATES = (ArticleState.CLAIMED, ArticleState.SUBMITTED, ArticleState.IN_REVIEW, ArticleState.PUBLISHED)
DRIFT_BATCH_SIZE = 20
# Block texts kept in a snapshot's diff (enough to show the change; the snapshot keeps all).
MAX_DIFF_TEXT = 4000

_URL_RE = re.compile(r"""https?://[^\s<>()\[\]"'`]+""")
# [text][label], [text][] and ![alt][label]; the label resolved through the definitions.
_REF_LINK_RE = re.compile(r"(!?\[((?:[^\[\]\\]|\\.)*)\])\[((?:[^\[\]\\]|\\.)*)\]")


# --- comparing ------------------------------------------------------------------------------


def _normalized_url(url: str) -> str:
    trail = ""
    while url and url[-1] in ".,;:!?":
        trail, url = url[-1] + trail, url[:-1]
    try:
        return normalize_url(url) + trail
    except ValueError:
        return url + trail


def _comparable(text: str, refs: dict[str, str]) -> str:
    from workflow.quality.blocks import normalize_label

    def resolve(m: re.Match[str]) -> str:
        label = m.group(3) or m.group(2)
        url = refs.get(normalize_label(label))
        return f"{m.group(1)}(<{url}>)" if url is not None else m.group(0)

    text = _REF_LINK_RE.sub(resolve, text)
    text = _URL_RE.sub(lambda m: _normalized_url(m.group(0)), text)
    return " ".join(text.split())


def block_keys(markdown: str) -> list[tuple[int, str]]:
    """(block index, comparison key) for every block but the reference definitions."""
    from workflow.quality import parse_markdown
    from workflow.quality.blocks import REFERENCES

    doc = parse_markdown(markdown or "")
    refs = doc.reference_map
    out = []
    for block in doc.blocks:
        if block.kind == REFERENCES:
            continue
        norm = _comparable(block.text, refs)
        out.append((block.index, hashlib.sha256(f"{block.kind}\0{norm}".encode()).hexdigest()[:32]))
    return out


@dataclass
class SourceDiff:
    changed_old: list[int] = field(default_factory=list)   # previous blocks replaced or removed
    ops: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.ops)


def _block_info(markdown: str) -> dict[int, tuple[int, str]]:
    from workflow.quality import parse_markdown

    return {b.index: (b.line, b.text[:MAX_DIFF_TEXT]) for b in parse_markdown(markdown or "").blocks}


def compare_sources(old_md: str, new_md: str) -> SourceDiff:
    """The paragraph diff between two versions of a source (trivial changes ignored)."""
    old, new = block_keys(old_md), block_keys(new_md)
    matcher = SequenceMatcher(None, [k for _, k in old], [k for _, k in new], autojunk=False)
    diff = SourceDiff()
    old_info = new_info = None
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if old_info is None:
            old_info, new_info = _block_info(old_md), _block_info(new_md)
        old_idx = [old[i][0] for i in range(i1, i2)]
        new_idx = [new[j][0] for j in range(j1, j2)]
        diff.ops.append({
            "op": tag,
            "old": old_idx,
            "new": new_idx,
            "old_keys": [old[i][1] for i in range(i1, i2)],
            "old_line": old_info[old_idx[0]][0] if old_idx else None,
            "new_line": new_info[new_idx[0]][0] if new_idx else None,
            "old_text": [old_info[i][1] for i in old_idx],
            "new_text": [new_info[j][1] for j in new_idx],
        })
        diff.changed_old.extend(old_idx)
    return diff


# --- scheduling -----------------------------------------------------------------------------


def schedule_drift_checks(*, batch_size: int = DRIFT_BATCH_SIZE) -> int:
    """Queue DRIFT jobs over every article whose source may drift; returns the job count.

    Nothing is queued while an earlier weekly batch is still queued or running.
    """
    busy = Job.objects.filter(
        kind=Job.Kind.DRIFT, article__isnull=True, status__in=[Job.Status.QUEUED, Job.Status.RUNNING],
    ).exists()
    if busy:
        return 0
    ids = list(
        Article.objects.filter(state__in=DRIFT_STATES).exclude(via="")
        .order_by("pk").values_list("pk", flat=True)
    )
    queued = 0
    for start in range(0, len(ids), batch_size):
        with transaction.atomic():
            create_job(kind=Job.Kind.DRIFT, max_attempts=3,
                       payload={"article_ids": ids[start:start + batch_size]})
        queued += 1
    return queued


def request_drift_check(*, article: Article, user) -> Job:
    """Check one article's source now (editors and the article's people)."""
    from articles.services import can_request_link_check
    from workflow.services import NotAllowed

    if not can_request_link_check(user, article):
        raise NotAllowed(_("Only this article's translator, reviewer and editors can check its source."))
    with transaction.atomic():
        pending = Job.objects.filter(
            article=article, kind=Job.Kind.DRIFT, status__in=[Job.Status.QUEUED, Job.Status.RUNNING],
        ).first()
        return pending or create_job(kind=Job.Kind.DRIFT, article=article, user=user, max_attempts=3)


# --- the job --------------------------------------------------------------------------------


def latest_snapshot(article: Article | int) -> SourceSnapshot | None:
    article_id = article if isinstance(article, int) else article.pk
    return SourceSnapshot.objects.filter(article_id=article_id).order_by("-fetched_at", "-id").first()


def _fetch_source(article: Article, previous: SourceSnapshot | None):
    """(page, markdown); markdown is None for a 304. Raises FetchError / ExtractionError."""
    from articles.extraction import extract_article
    from articles.html_to_markdown import convert_article
    from articles.people import handle_of
    from articles.safe_http import fetch_page_sync
    from articles.services import source_markdown_from_lctt

    page = fetch_page_sync(
        article.via,
        etag=(previous.etag or None) if previous else None,
        last_modified=(previous.last_modified or None) if previous else None,
    )
    if page.not_modified:
        return page, None
    extracted = extract_article(page.text, url=page.final_url)
    converted = convert_article(extracted, collector=handle_of(article.collector) or "collector", via=article.via)
    return page, source_markdown_from_lctt(converted.markdown)


def _check_one(article: Article) -> tuple[dict, Any]:
    """Fetch and compare one article (no writes): (result, effect or None)."""
    from articles.extraction import ExtractionError
    from articles.safe_http import FetchError

    previous = latest_snapshot(article)
    try:
        page, markdown = _fetch_source(article, previous)
    except FetchError as error:
        return {"outcome": "fetch_error", "error": error.message}, None
    except ExtractionError as error:
        return {"outcome": "extraction_error", "error": str(error)}, None
    except Exception as error:  # a page our converter chokes on must not sink the batch
        logger.exception("drift check of article %s failed", article.pk)
        return {"outcome": "conversion_error", "error": type(error).__name__}, None
    etag, last_modified = page.etag[:500], page.last_modified[:100]
    if markdown is None:
        return {"outcome": "not_modified"}, None
    fetched_at = timezone.now()
    if previous is None:
        def baseline() -> None:
            _store_snapshot(article.pk, markdown, etag, last_modified, fetched_at)

        return {"outcome": "baseline"}, baseline
    diff = compare_sources(previous.markdown, markdown)
    if not diff.changed:
        def remember_validators() -> None:
            # A trivial change: the next conditional GET should be answered with a 304.
            SourceSnapshot.objects.filter(pk=previous.pk).update(etag=etag, last_modified=last_modified)

        return {"outcome": "unchanged"}, remember_validators

    def effect() -> None:
        apply_drift(article_id=article.pk, previous_id=previous.pk, markdown=markdown, diff=diff,
                    etag=etag, last_modified=last_modified, fetched_at=fetched_at)

    return {"outcome": "changed", "paragraphs": diff.changed_old}, effect


@job_handler(Job.Kind.DRIFT)
def check_drift(job: Job) -> JobOutcome:
    """One article (``job.article``) or a batch (``payload["article_ids"]``)."""
    ids = [job.article_id] if job.article_id else [int(i) for i in job.payload.get("article_ids", [])]
    results: dict[str, dict] = {}
    effects: list[tuple[int, Any]] = []
    articles = Article.objects.filter(pk__in=ids, state__in=DRIFT_STATES).exclude(via="").select_related("collector")
    for n, article in enumerate(articles.order_by("pk")):
        result, effect = _check_one(article)
        results[str(article.pk)] = result
        if effect is not None:
            effects.append((article.pk, effect))
        if len(ids) > 1 and n % 5 == 4:
            jobs.extend_lease(job, job.lease_token)  # a batch may outlast one lease

    def apply() -> None:
        for article_id, effect in effects:
            try:
                with transaction.atomic():
                    effect()
            except Exception:  # one bad row must not lose the rest of the batch
                logger.exception("drift effect for article %s failed", article_id)
                results[str(article_id)] = {"outcome": "apply_error"}
        Job.objects.filter(pk=job.pk).update(result={"articles": results})

    return JobOutcome(result={"articles": results}, apply=apply)


def _store_snapshot(article_id: int, markdown: str, etag: str, last_modified: str, fetched_at,
                    *, changed: list[int] | None = None, diff: list[dict] | None = None) -> SourceSnapshot:
    return SourceSnapshot.objects.create(
        article_id=article_id, fetched_at=fetched_at, markdown=markdown,
        content_hash=hashlib.sha256(markdown.encode("utf-8")).hexdigest(),
        etag=etag, last_modified=last_modified,
        changed_paragraphs=changed or [], diff=diff or [],
    )


def _people_to_notify(article: Article) -> list:
    people = {}
    for person in (article.translator, article.reviewer):
        if person is not None and person.is_active:
            people[person.pk] = person
    return list(people.values())


def apply_drift(*, article_id: int, previous_id: int, markdown: str, diff: SourceDiff,
                etag: str = "", last_modified: str = "", fetched_at=None) -> SourceSnapshot | None:
    """Record a changed source (run inside the job's finishing transaction)."""
    from workflow.models import Event, EventAction, Notification
    from workflow.notifications import notify

    article = (Article.objects.select_for_update(of=("self",)).select_related("translator", "reviewer")
               .defer("source_markdown", "translation_markdown").filter(pk=article_id).first())
    if article is None or article.state not in DRIFT_STATES:
        return None
    latest = latest_snapshot(article_id)
    if latest is None or latest.pk != previous_id:
        return None  # another check recorded a newer version meanwhile
    now = timezone.now()
    snapshot = _store_snapshot(article_id, markdown, etag, last_modified, fetched_at or now,
                               changed=diff.changed_old, diff=diff.ops)
    Article.objects.filter(pk=article_id).update(source_changed_at=now)
    with translation.override(settings.LANGUAGE_CODE):
        lines = sorted({op["old_line"] for op in diff.ops if op["old_line"]})
        added = sum(len(op["new"]) for op in diff.ops if op["op"] == "insert")
        note = _("%(n)d source paragraphs changed or removed, %(added)d added (snapshot %(id)d).") % {
            "n": len(diff.changed_old), "added": added, "id": snapshot.pk}
        if lines:
            note += " " + _("Source lines: %(lines)s.") % {"lines": ", ".join(map(str, lines[:20]))}
        message = _("The source of “%(title)s” was updated: %(n)d paragraphs changed. The translate page marks the paragraphs to check.") % {
            "title": article.display_title, "n": len(diff.changed_old) + added}
    Event.objects.create(article_id=article_id, actor=None, action=EventAction.SOURCE_CHANGED,
                         from_state=article.state, to_state=article.state, note=note, created_at=now)
    url = (reverse("workflow:translate", args=[article_id]) if article.state == ArticleState.CLAIMED
           else article.get_absolute_url())
    for person in _people_to_notify(article):
        notify(user=person, kind=Notification.Kind.SOURCE_CHANGED, article=article, message=message,
               url=url, dedupe_key=f"source_changed:{snapshot.pk}")
    return snapshot


# --- resolving ------------------------------------------------------------------------------


def can_resolve_drift(user, article: Article) -> bool:
    """The translator while translating, the reviewer while reviewing, editors always."""
    from workflow import permissions

    if not permissions.is_active_user(user):
        return False
    if user.is_staff or user.is_superuser or permissions.is_publisher(user):
        return True
    if article.state == ArticleState.CLAIMED:
        return article.translator_id == user.pk
    if article.state in (ArticleState.SUBMITTED, ArticleState.IN_REVIEW):
        return article.reviewer_id == user.pk or permissions.is_reviewer(user)
    return permissions.is_reviewer(user)


def _resolve(*, article: Article, user, accept: bool) -> Article:
    from articles.html_to_markdown import count_words
    from articles.lctt import split_markdown_refs
    from articles.link_services import record_article_links
    from workflow.models import Event, EventAction
    from workflow.services import NotAllowed, WrongState

    with transaction.atomic():
        current = Article.objects.select_for_update(of=("self",)).get(pk=article.pk)
        if not can_resolve_drift(user, current):
            raise NotAllowed(_("Only the translator, the reviewer or an editor can decide about the updated source."))
        if current.source_changed_at is None:
            raise WrongState(_("The source has not changed since it was last checked; there is nothing to update."))
        snapshot = latest_snapshot(current)
        now = timezone.now()
        fields: dict[str, Any] = {"source_changed_at": None}
        if accept and snapshot is not None:
            body, _refs = split_markdown_refs(snapshot.markdown)
            fields.update(source_markdown=snapshot.markdown, word_count=count_words(body), updated_at=now)
            note = _("Accepted the updated source (snapshot %(id)d).") % {"id": snapshot.pk}
        else:
            note = _("Kept the previous source; the update was dismissed.")
        Article.objects.filter(pk=current.pk).update(**fields)
        Event.objects.create(article_id=current.pk, actor=user, action=EventAction.SOURCE_CHANGED,
                             from_state=current.state, to_state=current.state, note=note, created_at=now)
        if "source_markdown" in fields:
            current.source_markdown = fields["source_markdown"]
            record_article_links(article=current)
    for name, value in fields.items():
        setattr(article, name, value)
    return article


def accept_source_update(*, article: Article, user) -> Article:
    """Take the latest fetched source as the article's source and clear the flag."""
    return _resolve(article=article, user=user, accept=True)


def dismiss_source_update(*, article: Article, user) -> Article:
    """Keep the source the translation follows and clear the flag."""
    return _resolve(article=article, user=user, accept=False)
