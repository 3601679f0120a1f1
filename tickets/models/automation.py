"""转工单 way 4, the timer: how long a conversation may wait. The one-row "Ticket automation" it
once was is now an automation rule of the "conversation waiting" kind (tickets/models/rules.py,
migration 0011); these stay for it and for migration 0007."""

from django.conf import settings

WAITING_MINUTES_MAX = 7 * 24 * 60  # a week


def default_waiting_minutes() -> int:
    """A waiting rule with no minutes of its own: the TICKET_AFTER_WAITING_MINUTES variable."""
    return settings.TICKET_AFTER_WAITING_MINUTES
