"""Ticket progress in the customer's chat window (the live half of 转工单's two-way link).

A ticket made from a conversation keeps talking to it: its creation and every status change become
a customer-visible message there (`sender_type: "system"`, `content_type: "ticket"`), and public
replies become agent messages. Messages go through `chat.services.message_create`, so they take the
conversation's next `seq`, are replayed to a client that missed the push, and are announced only
after commit by `chat.events`. Internal notes never come here.

The `ticket` message's `body` is a sentence in the customer's language (for channels that show only
text); `payload` is what a widget renders as a card:

    {"event": "ticket.created" | "ticket.status", "ticket_id": 12, "number": "T-20260301-0001",
     "subject": "…", "status": "resolved", "old_status": "in_progress", "assignee_name": "Carol",
     "merged_into": "T-20260301-0002"}          # merged_into only when closed by a merge

Callers hold the conversation row lock before the ticket's (lock order: conversation → ticket).
"""

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils import translation
from django.utils.translation import gettext as _

from chat.models import ContentType, Conversation, Message, SenderType
from chat.services import message_create
from routing.selectors import agent_display_name
from tickets.models import Ticket, TicketStatus
from tickets.transitions import DONE_STATUSES

TICKET_CREATED = "ticket.created"
TICKET_STATUS = "ticket.status"


def ticket_card_payload(
    ticket: Ticket, *, event: str, old_status: str = "", merged_into: Ticket | None = None
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "event": event,
        "ticket_id": ticket.pk,
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.status,
        "old_status": old_status,
        "assignee_name": agent_display_name(ticket.assignee),
    }
    if merged_into is not None:
        payload["merged_into"] = merged_into.number
    return payload


def customer_language(conversation: Conversation) -> str:
    """The customer's language if the site speaks it, else the site's default."""
    wanted = conversation.customer.language or settings.LANGUAGE_CODE
    try:
        return translation.get_supported_language_variant(wanted)
    except LookupError:
        return settings.LANGUAGE_CODE


def _status_sentence(ticket: Ticket, old_status: str, merged_into: Ticket | None) -> str:
    number = ticket.number
    if merged_into is not None:
        return _("Ticket %(number)s has been merged into ticket %(target)s.") % {
            "number": number,
            "target": merged_into.number,
        }
    status = ticket.status
    if status == TicketStatus.OPEN and old_status in DONE_STATUSES:
        return _("Ticket %(number)s has been reopened.") % {"number": number}
    if status == TicketStatus.OPEN and old_status == TicketStatus.PENDING:
        return _("Thank you for your reply. Ticket %(number)s is back with our team.") % {
            "number": number
        }
    sentences = {
        TicketStatus.NEW: _("Ticket %(number)s has been received."),
        TicketStatus.OPEN: _("Ticket %(number)s has been accepted."),
        TicketStatus.IN_PROGRESS: _("Ticket %(number)s is being worked on."),
        TicketStatus.PENDING: _("Ticket %(number)s is waiting for your reply."),
        TicketStatus.RESOLVED: _("Ticket %(number)s has been resolved."),
        TicketStatus.CLOSED: _("Ticket %(number)s has been closed."),
    }
    return sentences[status] % {"number": number}


def _conversation(ticket: Ticket) -> Conversation | None:
    if ticket.conversation_id is None:
        return None
    return Conversation.objects.select_related("customer").get(pk=ticket.conversation_id)


def conversation_post_ticket_created(*, ticket: Ticket) -> Message | None:
    """Tell the customer, in their chat, that a ticket now carries their request."""
    conversation = _conversation(ticket)
    if conversation is None:
        return None
    with translation.override(customer_language(conversation)):
        body = _(
            "We have created ticket %(number)s for your request. Its progress will appear here."
        ) % {"number": ticket.number}
    return _post(conversation, body, ticket_card_payload(ticket, event=TICKET_CREATED))


def conversation_post_ticket_status(
    *, ticket: Ticket, old_status: str, merged_into: Ticket | None = None
) -> Message | None:
    """Tell the customer the ticket's new status (已受理/处理中/待反馈/已解决/已关闭)."""
    conversation = _conversation(ticket)
    if conversation is None:
        return None
    with translation.override(customer_language(conversation)):
        body = _status_sentence(ticket, old_status, merged_into)
    payload = ticket_card_payload(
        ticket, event=TICKET_STATUS, old_status=old_status, merged_into=merged_into
    )
    return _post(conversation, body, payload)


def conversation_post_ticket_reply(
    *, ticket: Ticket, actor: AbstractBaseUser | None, body: str
) -> Message | None:
    """An agent's public reply on the ticket, delivered as an agent message in the chat.

    It is delivered even when the conversation has been closed since: the ticket is how the
    conversation continues, and the customer's history shows it."""
    if ticket.conversation_id is None:
        return None
    return message_create(
        conversation=Conversation(pk=ticket.conversation_id),
        sender_type=SenderType.AGENT,
        sender_user=actor,
        body=body,
        payload={"ticket_id": ticket.pk, "number": ticket.number},
    ).message


def _post(conversation: Conversation, body: str, payload: dict[str, Any]) -> Message:
    return message_create(
        conversation=conversation,
        sender_type=SenderType.SYSTEM,
        content_type=ContentType.TICKET,
        body=body,
        payload=payload,
        is_internal=False,
    ).message
