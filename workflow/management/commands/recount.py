"""Rebuild the counters (workflow/aggregates.py) from the articles, or check them.

``python manage.py recount`` repairs them in one transaction (writers wait meanwhile);
``--check`` only compares and fails, listing the differences, when they drifted.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from workflow import aggregates


class Command(BaseCommand):
    help = "Rebuild (or with --check, verify) the article counters from the articles."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--check", action="store_true",
                            help="Compare the counters with a recount and fail if they differ.")

    def handle(self, *args, check: bool = False, **options) -> None:
        if check:
            problems = aggregates.differences(aggregates.stored_counts(), aggregates.expected_counts())
            if problems:
                shown = "\n".join(problems[:50])
                more = f"\n… and {len(problems) - 50} more" if len(problems) > 50 else ""
                raise CommandError(f"{len(problems)} counter(s) differ from a recount:\n{shown}{more}")
            self.stdout.write("The counters agree with a recount.")
            return
        aggregates.recount()
        self.stdout.write(self.style.SUCCESS("Counters rebuilt from the articles."))
