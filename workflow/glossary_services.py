"""The glossary's writes (reviewers keep it) and reads (every signed-in user).

Terms are unique by their English term, compared case-insensitively (``Container`` and
``container`` are one term). A CSV import is all or nothing: every bad row is reported
with its line number and nothing is written; otherwise new terms are added and existing
ones (same English term) get the file's Chinese term, note and case flag.

Public API
----------
``can_edit_glossary(user) -> bool``
``search_terms(query="") -> QuerySet[GlossaryTerm]``
``create_term(*, user, source_term, target_term, note="", case_sensitive=False) -> GlossaryTerm``
``update_term(*, term, user, source_term, target_term, note="", case_sensitive=False) -> GlossaryTerm``
``delete_term(*, term, user) -> None``
``decode_csv(data: bytes) -> str``
``import_csv(*, text, user) -> ImportResult``
Errors: ``GlossaryError`` (``message``; ``errors`` for an import: ``[(line, message)]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from . import permissions
from .models import GlossaryTerm
from .quality import GlossaryCSVError, parse_glossary_csv
from .quality.glossary import MAX_TERM_LENGTH

MAX_NOTE_LENGTH = 2000
MAX_CSV_BYTES = 1024 * 1024
MAX_CSV_ROWS = 10_000


class GlossaryError(Exception):
    def __init__(self, message: str, *, errors: list[tuple[int, str]] | None = None) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.errors = errors or []

    def __str__(self) -> str:
        return self.message


class GlossaryNotAllowed(GlossaryError):
    pass


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    terms: list[str] = field(default_factory=list)


def can_edit_glossary(user) -> bool:
    """Reviewers (and staff) keep the glossary; everyone signed in reads it."""
    return permissions.is_reviewer(user) or (permissions.is_active_user(user) and bool(user.is_staff))


def _require_editor(user) -> None:
    if not can_edit_glossary(user):
        raise GlossaryNotAllowed(_("Only reviewers can change the glossary."))


def search_terms(query: str = "") -> QuerySet[GlossaryTerm]:
    qs = GlossaryTerm.objects.all()
    query = (query or "").strip()
    if query:
        qs = qs.filter(Q(source_term__icontains=query) | Q(target_term__icontains=query) | Q(note__icontains=query))
    return qs.order_by("source_term", "id")


def _clean(source_term: str, target_term: str, note: str) -> tuple[str, str, str]:
    source_term = " ".join((source_term or "").split())
    target_term = (target_term or "").strip()
    note = (note or "").strip()
    if not source_term or not target_term:
        raise GlossaryError(_("Give both the English term and its Chinese translation."))
    if len(source_term) > MAX_TERM_LENGTH or len(target_term) > MAX_TERM_LENGTH:
        raise GlossaryError(_("A term is at most %(n)d characters long.") % {"n": MAX_TERM_LENGTH})
    if len(note) > MAX_NOTE_LENGTH:
        raise GlossaryError(_("The note is at most %(n)d characters long.") % {"n": MAX_NOTE_LENGTH})
    return source_term, target_term, note


def _duplicate(source_term: str, exclude_pk: int | None = None) -> GlossaryTerm | None:
    qs = GlossaryTerm.objects.filter(source_term__iexact=source_term)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.first()


def _already(term: GlossaryTerm) -> GlossaryError:
    return GlossaryError(_("“%(term)s” is already in the glossary (as “%(target)s”).")
                         % {"term": term.source_term, "target": term.target_term})


def create_term(*, user, source_term: str, target_term: str, note: str = "",
                case_sensitive: bool = False) -> GlossaryTerm:
    _require_editor(user)
    source_term, target_term, note = _clean(source_term, target_term, note)
    try:
        with transaction.atomic():
            existing = _duplicate(source_term)
            if existing is not None:
                raise _already(existing)
            return GlossaryTerm.objects.create(
                source_term=source_term, target_term=target_term, note=note,
                case_sensitive=bool(case_sensitive), created_by=user,
            )
    except IntegrityError:  # added by someone else at the same moment
        raise _already(_duplicate(source_term) or GlossaryTerm(source_term=source_term)) from None


def update_term(*, term: GlossaryTerm, user, source_term: str, target_term: str, note: str = "",
                case_sensitive: bool = False) -> GlossaryTerm:
    _require_editor(user)
    source_term, target_term, note = _clean(source_term, target_term, note)
    try:
        with transaction.atomic():
            existing = _duplicate(source_term, exclude_pk=term.pk)
            if existing is not None:
                raise _already(existing)
            term.source_term, term.target_term, term.note = source_term, target_term, note
            term.case_sensitive = bool(case_sensitive)
            term.save()
    except IntegrityError:
        raise _already(_duplicate(source_term, exclude_pk=term.pk) or term) from None
    return term


def delete_term(*, term: GlossaryTerm, user) -> None:
    _require_editor(user)
    GlossaryTerm.objects.filter(pk=term.pk).delete()


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM) text of an uploaded CSV file, or GlossaryError."""
    if len(data) > MAX_CSV_BYTES:
        raise GlossaryError(_("The file is too large (at most %(n)d KB).") % {"n": MAX_CSV_BYTES // 1024})
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise GlossaryError(_("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again.")) from None


def import_csv(*, text: str, user) -> ImportResult:
    """Add or update the terms of ``english,chinese,note`` CSV text; all rows or none."""
    _require_editor(user)
    if len(text.encode("utf-8")) > MAX_CSV_BYTES:
        raise GlossaryError(_("The file is too large (at most %(n)d KB).") % {"n": MAX_CSV_BYTES // 1024})
    if "\x00" in text:
        raise GlossaryError(_("The file is not a CSV text file."))
    try:
        terms = parse_glossary_csv(text)
    except GlossaryCSVError as error:
        raise GlossaryError(_("Nothing was imported: %(n)d rows have problems.") % {"n": len(error.errors)},
                            errors=error.errors) from None
    if not terms:
        raise GlossaryError(_("The file holds no terms."))
    if len(terms) > MAX_CSV_ROWS:
        raise GlossaryError(_("At most %(n)d terms can be imported at once.") % {"n": MAX_CSV_ROWS})
    result = ImportResult()
    with transaction.atomic():
        existing = {t.source_term.casefold(): t for t in GlossaryTerm.objects.select_for_update()}
        for term in terms:
            found = existing.get(term.source.casefold())
            values = (term.target, term.note, term.case_sensitive)
            if found is None:
                GlossaryTerm.objects.create(source_term=term.source, target_term=term.target, note=term.note,
                                            case_sensitive=term.case_sensitive, created_by=user)
                result.created += 1
            elif (found.target_term, found.note, found.case_sensitive) != values:
                found.target_term, found.note, found.case_sensitive = values
                found.save(update_fields=["target_term", "note", "case_sensitive", "updated_at"])
                result.updated += 1
            else:
                result.unchanged += 1
            result.terms.append(term.source)
    return result
