"""The seam between transitions and notifications.

Transitions call :func:`notify`; it writes a ``Notification`` row once the transition's
transaction commits, so a rolled-back transition notifies nobody. Delivery (email, digest,
muting) is a later task and builds on these rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from .models import Notification

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from articles.models import Article


def notify(
    *,
    user: AbstractBaseUser | None,
    kind: str,
    article: Article | None,
    message: str,
    url: str = "",
    dedupe_key: str = "",
) -> None:
    """Queue one notification for ``user``, written after the current transaction commits."""
    if user is None or user.pk is None:
        return
    user_id = user.pk
    article_id = article.pk if article is not None else None
    text = str(message)

    def write() -> None:
        if dedupe_key:
            Notification.objects.get_or_create(
                user_id=user_id, dedupe_key=dedupe_key,
                defaults={"kind": kind, "article_id": article_id, "message": text, "url": url},
            )
        else:
            Notification.objects.create(
                user_id=user_id, kind=kind, article_id=article_id, message=text, url=url
            )

    transaction.on_commit(write)
