"""Leave-a-message mode (转工单 way 4, offline): when nobody can answer, a chat becomes a ticket so
the customer is answered by ticket later instead of waiting in an empty chat."""

from django.db import transaction

from chat.models import Conversation
from tickets.models import Ticket, TicketSource
from tickets.services import TicketData, ticket_create_from_conversation


@transaction.atomic
def ticket_for_offline_conversation(*, conversation: Conversation) -> Ticket | None:
    """The conversation becomes a ticket (source `offline`) unless it already has an open one
    (a keyword trigger may have been first): returns the new ticket, else None. The caller has
    checked that no agent is online; the customer sees the ticket card in the chat."""
    result = ticket_create_from_conversation(
        actor=None,
        conversation=conversation,
        data=TicketData(subject=""),
        source=TicketSource.OFFLINE,
    )
    return result.ticket if result.created else None
