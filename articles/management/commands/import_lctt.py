"""python manage.py import_lctt PATH: import a TranslateProject checkout (idempotent)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from articles.lctt_repo import NotACheckout, import_checkout
from articles.management.commands._lctt_output import print_counts, print_problems


class Command(BaseCommand):
    help = (
        "Import a TranslateProject checkout (sources/, translated/, published/). Running it "
        "again changes nothing; files changed since the last import update their articles."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the root of the checkout")
        parser.add_argument("--batch-size", type=int, default=500, help="files per transaction (default 500)")

    def handle(self, *args, path: str, batch_size: int, verbosity: int, **options):
        try:
            report = import_checkout(path, batch_size=max(1, batch_size))
        except NotACheckout as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Imported {report.root}: {report.files} files in {report.seconds:.1f} s — "
            f"{report.created} new, {report.updated} updated ({report.moved} moved), {report.unchanged} unchanged, "
            f"{report.conflicts} kept as changed in the app, {report.skipped} skipped."
        )
        if report.users_created:
            self.stdout.write(f"Created {report.users_created} inactive users for GitHub handles.")
        if report.missing:
            self.stdout.write(f"{report.missing} files imported earlier are not in this checkout (their articles are kept).")
        print_counts(self.stdout, report.by_state, report.by_category)
        print_problems(self.stdout, self.style, report.warnings, report.errors, verbosity=verbosity, skipped_title="Skipped files")
