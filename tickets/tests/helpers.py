"""Reading what a ticket said in its conversation."""

from chat.models import ContentType, Message


def customer_events(published: list, conversation_id: int) -> list[dict]:
    """The events the customer's widget heard for one conversation, in order."""
    group = f"conv.{conversation_id}.customer"
    return [event for groups, event in published if group in groups]


def ticket_cards(conversation) -> list[Message]:
    """The conversation's ticket messages (creation and status cards), in `seq` order."""
    return list(
        Message.objects.filter(conversation=conversation, content_type=ContentType.TICKET).order_by(
            "seq"
        )
    )
