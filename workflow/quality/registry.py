"""Every quality check: its code, default severity, stages and description.

The admin's ``workflow.CheckRule`` rows override the default severity per code; the
caller reads them and passes ``severities={code: severity}`` to ``run_checks`` (the
engine never touches the database).

Stages: ``translate`` (draft saves and submission), ``review`` (the reviewer's view) and
``publish`` (before publishing). A check runs only in the stages it lists.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ERROR = "error"
WARNING = "warning"
OFF = "off"
SEVERITIES = (ERROR, WARNING, OFF)

TRANSLATE = "translate"
REVIEW = "review"
PUBLISH = "publish"
STAGES = (TRANSLATE, REVIEW, PUBLISH)
_ALL = frozenset(STAGES)


@dataclass(frozen=True, slots=True)
class CheckSpec:
    code: str
    category: str
    default_severity: str
    description: Promise
    needs_source: bool = False
    stages: frozenset[str] = _ALL
    fixable: bool = False


_SPECS = (
    # Structure against the source.
    CheckSpec("structure.headings", "structure", ERROR,
              _("Headings differ from the source: one is missing, added or at another level."), True),
    CheckSpec("structure.code_block", "structure", ERROR,
              _("A code block is not byte-identical to the source (content or language), or is missing or added."), True),
    CheckSpec("structure.code_comment", "structure", WARNING,
              _("A code block differs from the source only in comment lines translated into Chinese."), True),
    CheckSpec("structure.inline_code", "structure", WARNING,
              _("An inline code span of the source paragraph is missing from its translation."), True),
    CheckSpec("structure.images", "structure", ERROR,
              _("An image of the source is missing from the translation (compared by URL)."), True),
    CheckSpec("structure.tables", "structure", ERROR,
              _("A table is missing or has a different number of rows or columns than in the source."), True),
    CheckSpec("structure.list_items", "structure", ERROR,
              _("A list has a different number of items than in the source."), True),
    CheckSpec("structure.blockquotes", "structure", WARNING,
              _("A block quote of the source is not a block quote in the translation."), True),
    # Links.
    CheckSpec("links.missing", "links", ERROR,
              _("A link URL of the source body appears nowhere in the translation."), True),
    CheckSpec("links.reference_missing", "links", ERROR,
              _("A reference definition ([n]: url) of the source is missing from the translation."), True),
    CheckSpec("links.reference_changed", "links", ERROR,
              _("A reference definition points to another URL than in the source."), True),
    CheckSpec("links.added", "links", WARNING,
              _("The translation links to a URL that the source does not have."), True),
    # Completeness.
    CheckSpec("content.untranslated", "content", ERROR,
              _("A prose paragraph, heading, list or table is still (mostly) in English.")),
    CheckSpec("content.untranslated_quote", "content", WARNING,
              _("A block quote is still in English (quoted lyrics or citations are sometimes kept on purpose).")),
    CheckSpec("alignment.missing", "content", ERROR,
              _("A source paragraph has no translation."), True),
    CheckSpec("alignment.extra", "content", WARNING,
              _("A translated paragraph has no source paragraph (mark translator's notes with 译注)."), True),
    CheckSpec("alignment.merged", "content", WARNING,
              _("Two source paragraphs were merged into one translated paragraph."), True),
    CheckSpec("alignment.split", "content", WARNING,
              _("One source paragraph was split into two translated paragraphs."), True),
    CheckSpec("content.length_ratio", "content", WARNING,
              _("A translated paragraph is much shorter or longer than its source."), True),
    # LCTT template.
    CheckSpec("template.header_missing", "template", WARNING,
              _("The article has no [#]: header.")),
    CheckSpec("template.header_field", "template", ERROR,
              _("A header field is missing or its key is misspelt.")),
    CheckSpec("template.translator_missing", "template", ERROR,
              _("The translator is not filled in the header.")),
    CheckSpec("template.translator_placeholder", "template", ERROR,
              _("The footer's translator line still holds the 译者ID placeholder or is empty.")),
    CheckSpec("template.reviewer_placeholder", "template", ERROR,
              _("The reviewer line still holds the 校对者ID placeholder, or the header has no reviewer."),
              stages=frozenset({PUBLISH})),
    CheckSpec("template.footer_missing", "template", ERROR,
              _("The LCTT footer (via / 作者 / 译者 / 校对) is missing.")),
    CheckSpec("template.footer_incomplete", "template", WARNING,
              _("A line of the LCTT footer is missing (via, 作者, 选题, 译者, 校对 or 本文由 LCTT …).")),
    CheckSpec("template.footer_mismatch", "template", ERROR,
              _("The footer credits or via URL differ from the header.")),
    # Chinese typography.
    CheckSpec("typography.space_han_latin", "typography", WARNING,
              _("No space between Chinese and Latin letters or digits."), fixable=True),
    CheckSpec("typography.space_fullwidth", "typography", WARNING,
              _("A space next to full-width punctuation."), fixable=True),
    CheckSpec("typography.fullwidth_punctuation", "typography", WARNING,
              _("Half-width punctuation in a Chinese sentence."), fixable=True),
    CheckSpec("typography.repeated_punctuation", "typography", WARNING,
              _("Repeated punctuation (！！, ，，, 。。)."), fixable=True),
    CheckSpec("typography.proper_noun_case", "typography", WARNING,
              _("A proper noun is spelt with the wrong case (GitHub, JavaScript, macOS …)."), fixable=True),
    CheckSpec("typography.number_unit", "typography", WARNING,
              _("No space between a number and its unit (10 GB, 2.4 GHz).")),
    # Glossary.
    CheckSpec("glossary.term_not_used", "glossary", WARNING,
              _("A glossary term of the source paragraph is not translated with the agreed term."), True),
)

REGISTRY: dict[str, CheckSpec] = {spec.code: spec for spec in _SPECS}


def all_checks() -> list[CheckSpec]:
    """Every check, in a stable order (for the admin's CheckRule choices and the docs)."""
    return list(_SPECS)


def severity_for(code: str, severities: dict[str, str] | None = None) -> str:
    """The admin's choice when it is a valid severity, else the default."""
    if severities:
        chosen = severities.get(code)
        if chosen in SEVERITIES:
            return chosen
    return REGISTRY[code].default_severity
