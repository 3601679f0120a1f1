"""What tickets do when the chat side stores a new customer message (one call for every
channel: the widget today, the channel adapters later)."""

from chat.models import Message, SenderType
from tickets.customer_services import ticket_on_customer_message
from tickets.models import Ticket
from tickets.sources.keywords import keyword_trigger_for, ticket_trigger_on_customer_message


def ticket_customer_message_stored(*, message: Message) -> None:
    """Call in the transaction that stored `message` (created, not a resend). The message
    continues the conversation's ticket if it has one (a resolved ticket reopens); otherwise a
    matching keyword trigger may turn the conversation into a ticket.

    This runs for every customer message, so the common case stays cheap: a conversation
    without tickets costs one `EXISTS`, and a message no rule matches costs nothing more (the
    rules are cached); the locks and savepoints are taken only when there is work to do."""
    if message.sender_type != SenderType.CUSTOMER or message.is_internal:
        return
    has_ticket = Ticket.objects.filter(conversation_id=message.conversation_id).exists()
    if has_ticket and ticket_on_customer_message(message=message) is not None:
        return
    if keyword_trigger_for(message.body) is not None:
        ticket_trigger_on_customer_message(message=message)
