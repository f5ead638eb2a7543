"""Indexes in the order of the list pages (workflow/selectors.py, tests/test_explain_indexes.py)."""

import datetime
import django.db.models.functions.comparison
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('articles', '0002_job_lease_token'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='article',
            index=models.Index(models.OrderBy(django.db.models.functions.comparison.Coalesce('available_at', 'created_at'), descending=True), models.OrderBy(models.F('id'), descending=True), condition=models.Q(('state', 'available')), name='article_available_new'),
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(models.F('word_count'), models.F('id'), condition=models.Q(('state', 'available')), name='article_available_length'),
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(models.OrderBy(django.db.models.functions.comparison.Coalesce('source_date', models.Value(datetime.date(1970, 1, 1))), descending=True), models.OrderBy(models.F('id'), descending=True), condition=models.Q(('state', 'available')), name='article_available_date'),
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(django.db.models.functions.comparison.Coalesce('submitted_at', 'updated_at'), models.F('id'), condition=models.Q(('state', 'submitted')), name='article_submitted_queue'),
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(models.F('review_started_at'), models.F('id'), condition=models.Q(('state', 'in_review')), name='article_in_review'),
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(condition=models.Q(('state', 'published')), fields=['collector', '-published_at', '-id'], name='article_collector_published'),
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(condition=models.Q(('state', 'published')), fields=['translator', '-published_at', '-id'], name='article_translator_published'),
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(condition=models.Q(('state', 'published')), fields=['reviewer', '-published_at', '-id'], name='article_reviewer_published'),
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(condition=models.Q(('state', 'published')), fields=['publisher', '-published_at', '-id'], name='article_publisher_published'),
        ),
        migrations.AddIndex(
            model_name='feedentry',
            index=models.Index(fields=['status', '-created_at', '-id'], name='feedentry_status_created'),
        ),
    ]
