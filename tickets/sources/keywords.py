"""Keyword triggers at message time (转工单 way 2). The rules live in `tickets/models/trigger.py`
and are checked there when a supervisor saves them, so a bad pattern is refused in the admin,
never here."""

import time

from django.db import transaction

from chat.models import Message, SenderType
from tickets.models import KeywordTrigger, Ticket, TicketEventKind, TicketSource, TicketSystemAction
from tickets.selectors import ticket_subject_from_text
from tickets.services import TicketData, ticket_create_from_conversation, ticket_event_add

CACHE_SECONDS = 15.0  # how long another process may keep using rules changed in the admin

_cache: tuple[float, list[KeywordTrigger]] | None = None


def active_triggers() -> list[KeywordTrigger]:
    """The active rules in order, read at most every CACHE_SECONDS per process (every customer
    message is checked against them)."""
    global _cache
    now = time.monotonic()
    if _cache is None or now - _cache[0] > CACHE_SECONDS:
        rules = list(
            KeywordTrigger.objects.filter(is_active=True)
            .select_related("category", "team")
            .prefetch_related("tags")
        )
        _cache = (now, rules)
    return _cache[1]


def active_triggers_forget() -> None:
    """Read the rules again on the next message (after a change in this process)."""
    global _cache
    _cache = None


def keyword_trigger_for(text: str) -> KeywordTrigger | None:
    if not text.strip():
        return None
    return next((rule for rule in active_triggers() if rule.matches(text)), None)


@transaction.atomic
def ticket_trigger_on_customer_message(*, message: Message) -> Ticket | None:
    """If a rule matches this new customer message, the conversation becomes a ticket with the
    rule's category, tags, priority and team; the customer sees the ticket card in the chat and
    the agents the ticket on the conversation. The subject is the message that matched (not the
    chat's first words, often just a greeting). A conversation that already has an open ticket
    gets no second one, however often a rule fires. Returns the ticket it created, else None."""
    if message.sender_type != SenderType.CUSTOMER or message.is_internal:
        return None
    rule = keyword_trigger_for(message.body)
    if rule is None:
        return None
    result = ticket_create_from_conversation(
        actor=None,
        conversation=message.conversation,
        data=TicketData(
            subject=ticket_subject_from_text(message.body),
            **rule.preset_fields(),
        ),
        source=TicketSource.KEYWORD,
    )
    if not result.created:
        return None
    ticket_event_add(
        ticket=result.ticket,
        kind=TicketEventKind.SYSTEM,
        action=TicketSystemAction.TRIGGERED,
        body=rule.name,
    )
    return result.ticket
