"""What the realtime layer says about tickets, and to whom (docs/protocol.md, `ticket.update`).

Services call `publish_ticket` inside their transaction; `desk.kernel.realtime` sends after commit
(the type is in the catalogue, desk/kernel/push_events.py). The event goes to every agent whose
scope covers the ticket (the inbox groups of its team and assignee, as for conversations,
`desk.kernel.access.team_scope`), so every workspace that may show the ticket, in a
conversation's chip, the ticket panel or the Tickets list, can refresh it, and new tickets show up
in lists. An agent in several of those groups hears it once (their socket drops the copies,
`desk.kernel.socket`); it is a hint, clients read the ticket again through the API.
"""

from typing import Any

from chat import events as chat_events
from desk.kernel import push_events, realtime
from routing.selectors import agent_display_name
from tickets.models import Ticket
from tickets.sla.display import sla_json

TICKET_UPDATE = push_events.TICKET_UPDATE


def _named(obj: Any, name: str) -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.pk, "name": name}


def ticket_json(ticket: Ticket) -> dict[str, Any]:
    """The ticket's summary, as the API's lists and the `ticket.update` event show it."""
    assignee = ticket.assignee
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "assignee": _named(assignee, agent_display_name(assignee)) if assignee else None,
        "team": _named(ticket.team, ticket.team.name) if ticket.team_id else None,
        "category": _named(ticket.category, ticket.category.name) if ticket.category_id else None,
        "conversation_id": ticket.conversation_id,
        "merged_into_id": ticket.merged_into_id,
        "created_at": ticket.created_at.isoformat(),
        "updated_at": ticket.updated_at.isoformat(),
        "sla": sla_json(ticket),
    }


def ticket_groups(ticket: Ticket) -> list[str]:
    return chat_events.scope_groups(ticket.team_id, ticket.assignee_id)


def publish_ticket(
    ticket: Ticket, *, created: bool = False, also_groups: list[str] | None = None
) -> None:
    """The ticket was created, changed or replied to: tell the workspaces that may show it.
    `also_groups`: who could see it before a change of team or assignee."""
    realtime.publish(
        [*ticket_groups(ticket), *(also_groups or [])], _update_frame(ticket, created=created)
    )


def publish_tickets(tickets: list[Ticket]) -> None:
    """`publish_ticket` for many changed tickets (the SLA sweep's batch), sent together."""
    realtime.publish_many((ticket_groups(ticket), _update_frame(ticket)) for ticket in tickets)


def _update_frame(ticket: Ticket, *, created: bool = False) -> dict[str, Any]:
    return push_events.frame(
        TICKET_UPDATE,
        ticket_id=ticket.pk,
        conversation_id=ticket.conversation_id,
        created=created,
        ticket=ticket_json(ticket),
    )
