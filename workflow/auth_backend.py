# SQL here is assembled from the user model's metadata and this module's constants, never
# from input: S608 does not apply.
# ruff: noqa: S608
"""Django's ModelBackend, with what every signed-in page asks about the user read alongside.

Each signed-in page reads the user (the auth middleware), their groups (navigation and
permissions: ``workflow.permissions.role_names``), their unread notifications (the bell in
the header), their open claims (the work pages) and the work version (the key of the work
lists' cached blocks, ``workflow.aggregates.work_version``). ``get_user`` here reads all of it
in one plain query — one round trip instead of five, and no ORM query building — and stores
the extras where ``role_names``, the notification context, ``selectors.open_claims_of`` and
the ``{% worklist %}`` tag look first. Authentication itself is ModelBackend's, unchanged.
"""

from __future__ import annotations

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import connection

from . import aggregates, permissions

# Group names joined with the ASCII unit separator, which no name typed in the admin carries.
_SEPARATOR = "\x1f"


@cache
def _user_query(vendor: str) -> str:
    """The user's row with the extras as named columns (``raw()`` sets them as attributes)."""
    User = get_user_model()
    table = User._meta.db_table
    pk = User._meta.pk.column
    join = (f"string_agg(g.name, '{_SEPARATOR}')" if vendor == "postgresql"
            else f"group_concat(g.name, '{_SEPARATOR}')")
    return (
        "SELECT u.*, "
        f"(SELECT {join} FROM auth_user_groups ug JOIN auth_group g ON g.id = ug.group_id "
        f'WHERE ug.user_id = u."{pk}") AS th_groups, '
        f'(SELECT COUNT(*) FROM workflow_notification n WHERE n.user_id = u."{pk}" AND n.read_at IS NULL) '
        "AS th_unread, "
        f'(SELECT COUNT(*) FROM workflow_claim c WHERE c.user_id = u."{pk}" AND c.ended_at IS NULL) '
        "AS th_claims, "
        f"{aggregates.work_version_columns(vendor, 'th_work_version')} "
        f'FROM "{table}" u WHERE u."{pk}" = %s'
    )


class WorkflowModelBackend(ModelBackend):
    def get_user(self, user_id):
        User = get_user_model()
        try:
            user_id = User._meta.pk.to_python(user_id)
        except ValidationError:  # a mangled session: signed out, as ModelBackend leaves it
            return None
        # raw() applies the database's converters (SQLite's dates and booleans) like .get().
        user = next(iter(User._default_manager.raw(_user_query(connection.vendor), [user_id])), None)
        if user is None or not self.user_can_authenticate(user):
            return None
        groups = user.th_groups
        setattr(user, permissions._CACHE_ATTR, frozenset(groups.split(_SEPARATOR)) if groups else frozenset())
        user.unread_notifications_count = user.th_unread
        user.open_claims_count = user.th_claims
        user.work_version = user.th_work_version or 0
        return user
