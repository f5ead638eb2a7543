"""Django's ModelBackend, with what every signed-in page asks about the user read alongside.

Each signed-in page reads the user (the auth middleware), their groups (navigation and
permissions: ``workflow.permissions.role_names``) and their unread notifications (the bell in
the header), and the work pages show their open claims. ``get_user`` here reads the groups and
both counts in one plain query right after the user — two queries instead of four, and no ORM
query building for the second — and stores them where ``role_names``, the notification context
and ``selectors.open_claims_of`` look first. Authentication itself is ModelBackend's, unchanged.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.db import connection

from . import permissions

_GROUPS_AND_COUNTS = (
    "SELECT 'group', g.name, 0 FROM auth_user_groups ug JOIN auth_group g ON g.id = ug.group_id "
    "WHERE ug.user_id = %s "
    "UNION ALL SELECT 'unread', NULL, COUNT(*) FROM workflow_notification WHERE user_id = %s AND read_at IS NULL "
    "UNION ALL SELECT 'claims', NULL, COUNT(*) FROM workflow_claim WHERE user_id = %s AND ended_at IS NULL"
)


class WorkflowModelBackend(ModelBackend):
    def get_user(self, user_id):
        user = super().get_user(user_id)
        if user is None:
            return None
        with connection.cursor() as cursor:
            cursor.execute(_GROUPS_AND_COUNTS, [user.pk, user.pk, user.pk])
            rows = cursor.fetchall()
        setattr(user, permissions._CACHE_ATTR, frozenset(name for kind, name, _n in rows if kind == "group"))
        counts = {kind: n for kind, _name, n in rows if kind != "group"}
        user.unread_notifications_count = counts.get("unread", 0)
        user.open_claims_count = counts.get("claims", 0)
        return user
