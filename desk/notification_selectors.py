"""Reads of an agent's own notifications (the bell)."""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q

from desk.notification_models import Notification


def notifications_page(
    user: AbstractBaseUser,
    *,
    after: tuple[datetime, int] | None = None,
    limit: int,
    unread_only: bool = False,
) -> tuple[list[Notification], tuple[datetime, int] | None]:
    """The user's notifications, newest first, `limit` of them after the keyset `after`; and the
    key to continue from (None on the last page)."""
    rows = Notification.objects.filter(recipient=user).select_related("ticket")
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    if after is not None:
        at, pk = after
        rows = rows.filter(Q(created_at__lt=at) | Q(created_at=at, pk__lt=pk))
    found = list(rows.order_by("-created_at", "-id")[: limit + 1])
    if len(found) <= limit:
        return found, None
    last = found[limit - 1]
    return found[:limit], (last.created_at, last.pk)
