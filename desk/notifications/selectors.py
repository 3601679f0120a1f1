"""Reads of an agent's own notifications (the bell)."""

from django.contrib.auth.models import AbstractBaseUser

from desk.kernel.paging import PageKey, newest_first_page
from desk.notifications.models import Notification


def notifications_page(
    user: AbstractBaseUser,
    *,
    after: PageKey | None = None,
    limit: int,
    unread_only: bool = False,
) -> tuple[list[Notification], PageKey | None]:
    """The user's notifications, newest first, `limit` of them after the keyset `after`; and the
    key to continue from (None on the last page)."""
    rows = Notification.objects.filter(recipient=user).select_related("ticket")
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    rows = rows.order_by("-created_at", "-id")
    return newest_first_page(rows, field="created_at", after=after, limit=limit)
