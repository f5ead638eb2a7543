"""Django's ModelBackend, with what every signed-in page asks about the user read alongside.

Each signed-in page reads the user (the auth middleware), their groups (navigation and
permissions: ``workflow.permissions.role_names``) and their unread notifications (the bell in
the header). ``get_user`` here reads the groups and the unread count in one plain query right
after the user — two queries instead of three, and no ORM query building for the second —
and stores them where ``role_names`` and the notification context look first. Authentication
itself is ModelBackend's, unchanged.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.db import connection

from . import permissions

_GROUPS_AND_UNREAD = (
    "SELECT g.name, NULL FROM auth_user_groups ug JOIN auth_group g ON g.id = ug.group_id "
    "WHERE ug.user_id = %s "
    "UNION ALL SELECT NULL, COUNT(*) FROM workflow_notification WHERE user_id = %s AND read_at IS NULL"
)


class WorkflowModelBackend(ModelBackend):
    def get_user(self, user_id):
        user = super().get_user(user_id)
        if user is None:
            return None
        with connection.cursor() as cursor:
            cursor.execute(_GROUPS_AND_UNREAD, [user.pk, user.pk])
            rows = cursor.fetchall()
        setattr(user, permissions._CACHE_ATTR, frozenset(name for name, _n in rows if name is not None))
        user.unread_notifications_count = next((n for name, n in rows if name is None), 0)
        return user
