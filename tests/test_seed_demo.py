"""`make run` seeds demo data through the real services, quality gate included."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from articles.models import Article, ArticleState
from workflow.models import Event

pytestmark = [pytest.mark.django_db, pytest.mark.quality_gate]


def test_seed_demo_creates_every_state_and_is_idempotent():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Demo articles created: 9" in out.getvalue()
    states = set(Article.objects.values_list("state", flat=True))
    assert {ArticleState.AVAILABLE, ArticleState.CLAIMED, ArticleState.SUBMITTED,
            ArticleState.IN_REVIEW, ArticleState.APPROVED, ArticleState.PUBLISHED} <= states
    counts = (Article.objects.count(), Event.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (Article.objects.count(), Event.objects.count()) == counts
