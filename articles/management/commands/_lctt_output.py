"""Shared printing for import_lctt and export_lctt (counts, grouped warnings)."""

from __future__ import annotations

from collections import Counter

SHOWN_PER_CODE = 10


def _line(counter: Counter) -> str:
    return " · ".join(f"{key} {count}" for key, count in counter.most_common()) or "—"


def print_counts(stdout, by_state: Counter, by_category: Counter) -> None:
    stdout.write(f"By state:    {_line(by_state)}")
    stdout.write(f"By category: {_line(by_category)}")


def print_problems(stdout, style, warnings: dict, errors: list, *, verbosity: int, skipped_title: str) -> None:
    """Warnings grouped by code with their files; with -v 2 every file, else the first ten."""
    limit = None if verbosity >= 2 else SHOWN_PER_CODE
    if errors:
        stdout.write(style.ERROR(f"{skipped_title} ({len(errors)}):"))
        for path, code, message in errors:
            stdout.write(f"  [{code}] {path}: {message}")
    if warnings:
        total = sum(len(items) for items in warnings.values())
        files = len({path for items in warnings.values() for path, _ in items})
        stdout.write(style.WARNING(f"Warnings: {total} in {files} files"))
        for code, items in sorted(warnings.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            stdout.write(f"  {code} ({len(items)})")
            for path, message in items[:limit]:
                stdout.write(f"    {path}: {message}")
            if limit is not None and len(items) > limit:
                stdout.write(f"    … and {len(items) - limit} more (use -v 2 to list all)")
