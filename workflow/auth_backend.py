"""Django's ModelBackend, with what every signed-in page asks about the user read alongside.

Each signed-in page reads the user (the auth middleware), their role groups (navigation and
permissions: ``workflow.permissions.role_names``) and their unread notifications (the bell in
the header): three queries. ``get_user`` here reads all three in one: the roles as EXISTS
subqueries and the unread count as a COUNT subquery on the user's notifications index, stored
where ``role_names`` and ``notifications.unread_count`` look first. Authentication itself is
ModelBackend's, unchanged.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from .models import Notification, Role


class WorkflowModelBackend(ModelBackend):
    def get_user(self, user_id):
        User = get_user_model()
        membership = User.groups.through.objects.filter(user_id=OuterRef("pk"))
        roles = {f"_has_role_{role}": Exists(membership.filter(group__name=role)) for role in Role.values}
        unread = (Notification.objects.filter(user_id=OuterRef("pk"), read_at__isnull=True)
                  .order_by().values("user_id").annotate(n=Count("id")).values("n"))
        try:
            user = User._default_manager.annotate(
                **roles, _unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)),
            ).get(pk=user_id)
        except User.DoesNotExist:
            return None
        if not self.user_can_authenticate(user):
            return None
        from . import permissions

        setattr(user, permissions._CACHE_ATTR,
                frozenset(role for role in Role.values if getattr(user, f"_has_role_{role}")))
        user.unread_notifications_count = user._unread
        return user
