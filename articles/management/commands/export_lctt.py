"""python manage.py export_lctt OUT: write the articles as a TranslateProject tree."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from articles.lctt_repo import export_checkout
from articles.management.commands._lctt_output import print_counts, print_problems


class Command(BaseCommand):
    help = (
        "Write articles in the TranslateProject layout: sources/<category>/ (available, claimed), "
        "translated/<category>/ (submitted, in review, approved), published/YYYYMM/ (published). "
        "Unchanged imported articles are written back byte for byte."
    )

    def add_arguments(self, parser):
        parser.add_argument("out", help="the folder to write to (created if missing)")

    def handle(self, *args, out: str, verbosity: int, **options):
        try:
            report = export_checkout(out)
        except OSError as exc:
            raise CommandError(f"cannot write to {out}: {exc}") from exc
        self.stdout.write(
            f"Exported {report.written} files to {report.out} in {report.seconds:.1f} s — "
            f"{report.identical} identical to the imported file, {report.edited} edited, "
            f"{report.moved} moved to another folder, {report.created} new."
        )
        if report.not_exported:
            states = ", ".join(f"{state} {count}" for state, count in sorted(report.not_exported.items()))
            self.stdout.write(f"Not exported (no folder for their state): {states}.")
        print_counts(self.stdout, report.by_state, report.by_category)
        print_problems(self.stdout, self.style, report.warnings, report.errors, verbosity=verbosity, skipped_title="Failed articles")
