"""What tickets do when the chat side stores a message: handlers of the `message.created` domain
event (registered in desk/event_handlers.py), for every channel — the widget today, the channel
adapters as they come.

They run after the message's transaction has committed, each in its own transaction with an
idempotency marker (desk/kernel/domain_events), and read what they need by id. The ticket
services they call are idempotent as well (one timeline row per message, no second open ticket),
and their pushes and notifications go out only when their transaction commits, so a re-dispatch
shows the customer and the agents nothing twice.
"""

from chat.models import Channel, Conversation, Message, SenderType
from desk.kernel import domain_events
from routing.selectors import team_has_agent_online
from tickets.customer_services import ticket_on_customer_message
from tickets.models import Ticket
from tickets.sla.conversations import conversation_sla_on_message
from tickets.sources.keywords import keyword_trigger_for, ticket_trigger_on_customer_message
from tickets.sources.offline import ticket_for_offline_conversation


def _public_customer_message(event: domain_events.Event) -> bool:
    return event.payload.get("sender_type") == SenderType.CUSTOMER and not event.payload.get(
        "is_internal"
    )


@domain_events.takes(_public_customer_message)
def message_created_continue_ticket(event: domain_events.Event) -> None:
    """A customer's message continues the ticket the conversation had when it arrived (a
    resolved ticket reopens); otherwise a matching keyword trigger may turn the conversation
    into a ticket. A ticket made after the message (the agent's 转工单 a moment later, the widget
    menu's ticket made with its answers) does not take the message as a reply: it already has it.

    The common case stays cheap: a conversation without tickets costs one `EXISTS`, and a message
    no rule matches costs nothing more (the rules are cached). Agents' messages and notes are
    not its events (`takes`): they cost the worker no transaction."""
    message = (
        Message.objects.select_related("conversation__customer").filter(pk=event.message_id).first()
    )
    if message is None:
        return
    had_ticket = Ticket.objects.filter(
        conversation_id=message.conversation_id, created_at__lt=message.created_at
    ).exists()
    if had_ticket and ticket_on_customer_message(message=message) is not None:
        return
    if keyword_trigger_for(message.body) is not None:
        ticket_trigger_on_customer_message(message=message)


def _first_widget_message(event: domain_events.Event) -> bool:
    return (
        _public_customer_message(event)
        and event.payload.get("seq") == 1
        and event.payload.get("channel") == Channel.WEB
    )


@domain_events.takes(_first_widget_message)
def message_created_offline_ticket(event: domain_events.Event) -> None:
    """Leave-a-message mode: the first customer message of a widget conversation whose site has
    `offline_tickets`, while no agent of the conversation's team is online, makes the
    conversation a ticket (unless it has an open one already, say from a keyword). Later messages
    are not its events (`takes`)."""
    conversation = (
        Conversation.objects.select_related("widget_site").filter(pk=event.conversation_id).first()
    )
    if conversation is None or conversation.widget_site is None:
        return
    if not conversation.widget_site.offline_tickets:
        return
    if team_has_agent_online(team_id=conversation.team_id):
        return
    ticket_for_offline_conversation(conversation=conversation)


def _may_move_the_wait_clock(event: domain_events.Event) -> bool:
    sender = event.payload.get("sender_type")
    if sender == SenderType.SYSTEM:
        return True  # an activity row: the conversation may have been closed
    return sender in (SenderType.CUSTOMER, SenderType.AGENT) and not event.payload.get(
        "is_internal"
    )


@domain_events.takes(_may_move_the_wait_clock)
def message_created_conversation_sla(event: domain_events.Event) -> None:
    """A customer's message starts the conversation's first-response clock when nobody waited
    yet; an agent's public reply, or closing the conversation (its activity row), stops it
    (tickets/sla/conversations.py). Bots' messages and internal notes are not its events."""
    if event.message_id is not None:
        conversation_sla_on_message(message_id=event.message_id)
