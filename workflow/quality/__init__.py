"""Translation quality engine: blocks, alignment, checks, typography autofix, glossary.

Pure functions (no database access): callers pass texts, glossary terms and severities.
See docs/quality-checks.md for every check, its default severity and its calibration.
"""

from __future__ import annotations

from .alignment import Alignment, Pair, Progress, align, is_translated, paragraph_progress
from .blocks import Block, Document, Footer, Header, parse_markdown
from .checks import Fix, Issue, Location, apply_fixes, run_checks, summarize
from .glossary import GlossaryCSVError, Term, TermHit, find_terms, parse_glossary_csv
from .registry import REGISTRY, STAGES, CheckSpec, all_checks, severity_for
from .typography import autofix


def clear_caches() -> None:
    """Forget every memoised parse and result (benchmarks measure cold runs with it)."""
    from . import alignment, blocks, glossary, typography

    for fn in (blocks.parse_markdown, typography.check_block_text, alignment._align_segment,
               alignment._align_units, glossary._block_hits, glossary._matcher, glossary._folded_targets):
        fn.cache_clear()
    alignment._UNITS.clear()


__all__ = [
    "REGISTRY", "STAGES", "Alignment", "Block", "CheckSpec", "Document", "Fix", "Footer",
    "GlossaryCSVError", "Header", "Issue", "Location", "Pair", "Progress", "Term", "TermHit",
    "align", "all_checks", "apply_fixes", "autofix", "clear_caches", "find_terms", "is_translated",
    "paragraph_progress", "parse_glossary_csv", "parse_markdown", "run_checks", "severity_for",
    "summarize",
]
