"""The links version: a token every write to what an article's link report shows replaces
(workflow/aggregates.py), so the article page's cached report is never served after a change."""

from django.db import migrations


def install(apps, schema_editor):
    from workflow import aggregates

    aggregates.install_links_triggers(schema_editor)


def uninstall(apps, schema_editor):
    from workflow import aggregates

    aggregates.drop_links_triggers(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('workflow', '0005_work_version'),
        ('articles', '0004_search_trigram_indexes'),
    ]

    operations = [
        migrations.RunPython(install, uninstall),
    ]
