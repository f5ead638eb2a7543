"""Fill an empty database with a large realistic data set: ``seed_bulk --articles 100000 --users 2000``.

See workflow/bulk_seed.py for what is generated and how (COPY on PostgreSQL).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from workflow.bulk_seed import SeedError, SeedOptions, seed_bulk


class Command(BaseCommand):
    help = "Fill an empty database with many articles, users, links and events (for benchmarks)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--articles", type=int, default=100_000)
        parser.add_argument("--users", type=int, default=2_000)
        parser.add_argument("--seed", type=int, default=1, help="Random seed (same seed, same data).")
        parser.add_argument("--body-min", type=int, default=5_000, help="Shortest English body, characters.")
        parser.add_argument("--body-max", type=int, default=30_000, help="Longest English body, characters.")
        parser.add_argument("--links", type=int, default=30, help="Links per article on average.")
        parser.add_argument("--password", default=None,
                            help="Give every seeded user this password (default: unusable passwords).")
        parser.add_argument("--vacuum", action="store_true", help="VACUUM ANALYZE the tables afterwards.")

    def handle(self, *args, **o) -> None:
        if o["articles"] < 1 or o["users"] < 1:
            raise CommandError("--articles and --users must be at least 1.")
        if o["body_min"] < 0 or o["body_max"] < o["body_min"]:
            raise CommandError("--body-min must be at least 0 and at most --body-max.")
        options = SeedOptions(
            articles=o["articles"], users=o["users"], seed=o["seed"], body_min=o["body_min"],
            body_max=o["body_max"], links_per_article=max(0, o["links"]), password=o["password"],
            vacuum=o["vacuum"],
        )
        try:
            report = seed_bulk(options)
        except SeedError as error:
            raise CommandError(str(error)) from error
        for table, rows in sorted(report.rows.items()):
            seconds = report.seconds.get(table, 0.0)
            self.stdout.write(f"{table:32} {rows:>10,} rows {seconds:8.1f} s")
        for step in ("recount", "analyze"):
            self.stdout.write(f"{step:32} {'':>10}      {report.seconds.get(step, 0.0):8.1f} s")
        self.stdout.write(self.style.SUCCESS(f"Seeded in {report.total_seconds:.1f} s."))
