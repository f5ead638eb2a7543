"""Count an article's state change at COMMIT: the aggregates' UPDATE trigger becomes a
deferred constraint trigger (workflow/aggregates.py), so the two StateCount rows a claim or
release moves are held only while it commits, not for the rest of its transaction."""

from django.db import migrations


def reinstall(apps, schema_editor):
    from workflow import aggregates

    aggregates.install_triggers(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("workflow", "0006_links_version")]

    # Unapplied, the deferred trigger stays: it counts the same under the 0006 schema.
    operations = [migrations.RunPython(reinstall, migrations.RunPython.noop)]
