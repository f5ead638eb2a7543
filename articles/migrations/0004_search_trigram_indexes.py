"""Trigram indexes for the lists' search box (PostgreSQL only).

``subject__icontains`` becomes ``UPPER(subject::text) LIKE UPPER('%…%')``: no b-tree helps a
pattern with a leading wildcard, so a search for a rare word read the whole table. GIN
trigram indexes on the same expressions answer it from the index. pg_trgm is a trusted
extension (PostgreSQL 13+): the database owner may create it. Where it cannot be created,
searches still work, only without these indexes.
"""

from django.db import DatabaseError, migrations, transaction

COLUMNS = ("subject", "title", "author_name")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic():
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError:
        return
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS article_{column}_trgm ON articles_article "
            f"USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS article_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("articles", "0003_list_indexes")]

    operations = [migrations.RunPython(create, drop)]
