"""The work version: a token every write to what the signed-in lists show replaces
(workflow/aggregates.py), so their cached blocks are never served after a change."""

from django.db import migrations


def install(apps, schema_editor):
    from workflow import aggregates

    aggregates.install_work_triggers(schema_editor)


def uninstall(apps, schema_editor):
    from workflow import aggregates

    aggregates.drop_work_triggers(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('workflow', '0004_notification_list_index'),
    ]

    operations = [
        migrations.RunPython(install, uninstall),
    ]
