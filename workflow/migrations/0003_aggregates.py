"""Counters kept by triggers on the articles table (workflow/aggregates.py).

The triggers are installed after the tables; the counters start from a full recount, so
a database that already holds articles (an LCTT import) gets correct numbers at once.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def install(apps, schema_editor):
    from workflow import aggregates

    aggregates.install_triggers(schema_editor)
    aggregates.recount(using=schema_editor.connection.alias)


def uninstall(apps, schema_editor):
    from workflow import aggregates

    aggregates.drop_triggers(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('articles', '0002_job_lease_token'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('workflow', '0002_roles_and_append_only'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AggregateVersion',
            fields=[
                ('name', models.CharField(max_length=40, primary_key=True, serialize=False)),
                ('version', models.BigIntegerField()),
            ],
        ),
        migrations.CreateModel(
            name='ContributorTotal',
            fields=[
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to=settings.AUTH_USER_MODEL)),
                ('collector', models.IntegerField(default=0)),
                ('translator', models.IntegerField(default=0)),
                ('reviewer', models.IntegerField(default=0)),
                ('publisher', models.IntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name='StateCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('state', models.CharField(max_length=20)),
                ('category', models.CharField(max_length=64)),
                ('count', models.BigIntegerField(default=0)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('state', 'category'), name='statecount_state_category')],
            },
        ),
        migrations.CreateModel(
            name='ContributionCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('role', models.CharField(max_length=10)),
                ('month', models.DateField()),
                ('count', models.IntegerField(default=0)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'indexes': [models.Index(fields=['month'], name='contribution_month')],
                'constraints': [models.UniqueConstraint(fields=('user', 'role', 'month'), name='contribution_user_role_month')],
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
