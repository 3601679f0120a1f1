"""转工单 way 4, the timer: a conversation nobody has answered in time becomes a ticket, so a
customer who waited is never forgotten. Swept by Celery beat (`tickets.tasks`)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from chat.models import Conversation, ConversationStatus
from tickets.models import TicketAutomation, TicketSource
from tickets.services import TicketData, ticket_create_from_conversation
from tickets.transitions import ACTIVE_STATUSES

SWEEP_BATCH = 200


def waiting_timeout() -> timedelta | None:
    """How long a conversation may wait for an agent before it becomes a ticket: the admin's
    ticket automation, else TICKET_AFTER_WAITING_MINUTES; None when it is 0 (never)."""
    saved = TicketAutomation.objects.values_list("waiting_minutes", flat=True).first()
    minutes = settings.TICKET_AFTER_WAITING_MINUTES if saved is None else saved
    return timedelta(minutes=minutes) if minutes > 0 else None


def conversations_waiting_too_long(*, waited: timedelta, now: datetime | None = None):
    """Still `waiting` (no agent has replied) with the customer's last word older than `waited`,
    and no ticket that already covers it: none open, none made since that last word."""
    cutoff = (now or timezone.now()) - waited
    return (
        Conversation.objects.filter(status=ConversationStatus.WAITING, last_message_at__lte=cutoff)
        .exclude(tickets__status__in=ACTIVE_STATUSES)
        .exclude(tickets__created_at__gte=F("last_message_at"))
        .order_by("last_message_at")
    )


def tickets_for_waiting_conversations(
    *, waited: timedelta, now: datetime | None = None, limit: int = SWEEP_BATCH
) -> list[int]:
    """Make the tickets; returns their ids. Each conversation is locked by the service, so a
    sweep racing an agent's 转工单 (or another sweep) still yields one ticket."""
    made = []
    for conversation in conversations_waiting_too_long(waited=waited, now=now)[:limit]:
        result = ticket_create_from_conversation(
            actor=None,
            conversation=conversation,
            data=TicketData(subject=""),
            source=TicketSource.TIMEOUT,
        )
        if result.created:
            made.append(result.ticket.pk)
    return made
