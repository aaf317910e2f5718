from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from pmloop.core.actor import Actor
from pmloop.core.errors import PermissionDenied
from pmloop.notifications.models import Notification


def inbox(*, actor: Actor, unread_only: bool = False) -> QuerySet[Notification]:
    if not actor.is_authenticated or actor.user is None:
        raise PermissionDenied(_("Log in first."), code="unauthenticated")
    qs = Notification.objects.filter(user_id=actor.user.pk)
    return qs.filter(read_at__isnull=True) if unread_only else qs


def unread_count(*, actor: Actor) -> int:
    if actor.user is None:
        return 0
    return Notification.objects.filter(user_id=actor.user.pk, read_at__isnull=True).count()
