"""What tickets do when the chat side stores a new customer message (one call for every
channel: the widget today, the channel adapters later)."""

from chat.models import Message
from tickets.customer_services import ticket_on_customer_message
from tickets.triggers import ticket_trigger_on_customer_message


def ticket_customer_message_stored(*, message: Message) -> None:
    """Call in the transaction that stored `message` (created, not a resend). The message
    continues the conversation's ticket if it has one (a resolved ticket reopens); otherwise a
    matching keyword trigger may turn the conversation into a ticket."""
    if ticket_on_customer_message(message=message) is None:
        ticket_trigger_on_customer_message(message=message)
