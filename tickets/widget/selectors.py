"""Reads of a visitor's tickets for the widget: only tickets of the token's own conversations."""

from typing import Any

from chat.models import WidgetVisitor
from chat.widget.services import visitor_conversations
from tickets.models import Ticket


def visitor_ticket(visitor: WidgetVisitor, ticket_id: int) -> Ticket | None:
    """A ticket made from one of the visitor's conversations with the visitor as its requester;
    None otherwise (unknown and foreign alike)."""
    return Ticket.objects.filter(
        pk=ticket_id,
        conversation__in=visitor_conversations(visitor),
        requester_id=visitor.customer_id,
    ).first()


def visitor_ticket_json(ticket: Ticket) -> dict[str, Any]:
    """What the widget may know of a ticket: enough to draw its card and offer the rating."""
    return {
        "ticket_id": ticket.pk,
        "number": ticket.number,
        "status": ticket.status,
        "rated": ticket.csat_score is not None,
        "score": ticket.csat_score,
    }
