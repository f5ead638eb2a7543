"""People behind imported credits: every GitHub handle in an LCTT file becomes a user.

An imported handle becomes an inactive user with no usable password and a
``workflow.Profile(github=handle, imported=True)``, so credits and statistics always point
at a person. When that person signs up later, an administrator can activate the account
(or merge it) instead of creating a second one.

Handles are matched case-insensitively against usernames and ``Profile.github``;
``HandleCache`` keeps the answers for one import run so 8,000 files cost a few hundred
queries, not tens of thousands.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction

from articles.lctt import normalize_handle

__all__ = ["UNKNOWN_USERNAME", "HandleCache", "handle_of", "handles_by_user_id", "normalize_handle", "unknown_translator", "user_for_handle"]

# Stands in for the translator of a translated/ file that names nobody: the workflow
# requires a translator from "submitted" on. It is exported as an empty value.
UNKNOWN_USERNAME = "lctt-unknown"
USERNAME_MAX = 150


def _create_user(handle: str):
    User = get_user_model()
    from workflow.models import Profile

    user = User(username=handle[:USERNAME_MAX], is_active=False)
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Another import created it meanwhile.
        user = User.objects.get(username__iexact=handle[:USERNAME_MAX])
    profile, created = Profile.objects.get_or_create(
        user=user, defaults={"github": handle[:100], "imported": True}
    )
    if not created and not profile.github:
        profile.github = handle[:100]
        profile.imported = True
        profile.save(update_fields=["github", "imported"])
    return user


def _find_user(handle: str):
    User = get_user_model()
    from workflow.models import Profile

    user = User.objects.filter(username__iexact=handle).order_by("pk").first()
    if user is not None:
        return user
    profile = Profile.objects.filter(github__iexact=handle).select_related("user").order_by("pk").first()
    return profile.user if profile else None


class HandleCache:
    """``user(handle)`` for one import run; ``preload()`` answers known handles without queries."""

    def __init__(self) -> None:
        self._users: dict[str, AbstractBaseUser] = {}
        self.created = 0

    def preload(self) -> None:
        User = get_user_model()
        from workflow.models import Profile

        for user in User.objects.only("pk", "username").order_by("-pk"):
            self._users[user.username.lower()] = user
        for profile in Profile.objects.exclude(github="").select_related("user").only("github", "user__username").order_by("-pk"):
            # a username match wins over a profile match, as in _find_user
            self._users.setdefault(profile.github.lower(), profile.user)

    def user(self, handle: str | None):
        normalized = normalize_handle(handle)
        if normalized is None:
            return None
        key = normalized.lower()
        user = self._users.get(key)
        if user is None:
            user = _find_user(normalized)
            if user is None:
                user = _create_user(normalized)
                self.created += 1
            self._users[key] = user
        return user


def user_for_handle(handle: str, *, cache: HandleCache | None = None):
    """The user for a GitHub handle, created (inactive, imported) when unknown.

    ``@alice``, ``alice``, ``https://github.com/alice`` and ``Alice`` are one person.
    ``译者ID`` / ``校对者ID`` / empty mean nobody: ``None``.
    """
    return (cache or HandleCache()).user(handle)


def unknown_translator():
    User = get_user_model()
    from workflow.models import Profile

    user = User.objects.filter(username=UNKNOWN_USERNAME).first()
    if user is None:
        user = User(username=UNKNOWN_USERNAME, is_active=False)
        user.set_unusable_password()
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            user = User.objects.get(username=UNKNOWN_USERNAME)
    Profile.objects.get_or_create(
        user=user, defaults={"github": "", "imported": True, "display_name": "Unknown translator (LCTT import)"}
    )
    return user


def handle_of(user) -> str:
    """The handle written into LCTT files for a user: the GitHub handle, else the username."""
    if user is None or user.get_username() == UNKNOWN_USERNAME:
        return ""
    profile = getattr(user, "profile", None)
    return (profile.github if profile and profile.github else "") or user.get_username()


def handles_by_user_id() -> dict[int, str]:
    """Every user's handle in one query, for exporting thousands of articles."""
    User = get_user_model()
    handles: dict[int, str] = {}
    for pk, username, github in User.objects.values_list("pk", "username", "profile__github"):
        handles[pk] = "" if username == UNKNOWN_USERNAME else (github or username)
    return handles
