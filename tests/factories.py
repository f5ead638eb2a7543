"""factory_boy factories (in the style of Pontoon's pontoon/test/factories.py)."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from articles.models import Article, ArticleState, Category

DEFAULT_PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            # get_or_create: a transactional test's flush empties the groups the migration made
            self.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in extracted))
        if create:
            self.save()


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    subject = factory.Sequence(lambda n: f"How to use tool number {n} on Linux")
    via = factory.Sequence(lambda n: f"https://example.org/posts/{n}/")
    via_normalized = factory.LazyAttribute(lambda a: a.via.rstrip("/").replace("https://", "https://"))
    author_name = "Jane Doe"
    author_url = "https://example.org/author/jane/"
    category = Category.TECH
    source_date = factory.LazyFunction(lambda: dt.date(2024, 1, 15))
    source_markdown = (
        "Linux is a family of open source operating systems.\n\n"
        "### Install it\n\nRun this command:\n\n```bash\nsudo apt install tool\n```\n\n"
        "Read [the manual][1] for more.\n\n[1]: https://example.org/manual\n"
    )
    word_count = 28
    state = ArticleState.AVAILABLE
    available_at = factory.LazyFunction(timezone.now)


def make_user(username: str, *roles: str, **extra) -> object:
    """A user with the given role groups (collector, translator, reviewer, publisher)."""
    return UserFactory(username=username, roles=list(roles) or ["translator"], **extra)


def set_translation(article: Article, text: str, title: str = "一篇测试译文") -> None:
    """Put a draft on an article without going through the workflow (test set-up only)."""
    Article.objects.filter(pk=article.pk).update(translation_markdown=text, title=title)
    article.refresh_from_db()
