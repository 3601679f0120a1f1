"""What the realtime layer says about tickets, and to whom (docs/protocol.md, `ticket.update`).

Services call `publish_ticket` inside their transaction; `desk.realtime` sends after commit. The
event goes to the agents who have the ticket's conversation open (`conv.<id>.agents`) and to the
assignee's tabs (`agent.<user id>`), so every workspace showing the ticket can refresh it. It is a
hint: clients read the ticket again through the API.
"""

from typing import Any

from chat import events as chat_events
from desk import realtime
from tickets.models import Ticket

TICKET_UPDATE = "ticket.update"


def _named(obj: Any, name: str) -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.pk, "name": name}


def _agent_name(user) -> str:
    profile = getattr(user, "agent_profile", None)
    return profile.display_name if profile else user.get_username()


def ticket_json(ticket: Ticket) -> dict[str, Any]:
    """The ticket's summary, as the API's lists and the `ticket.update` event show it."""
    assignee = ticket.assignee
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "assignee": _named(assignee, _agent_name(assignee)) if assignee else None,
        "team": _named(ticket.team, ticket.team.name) if ticket.team_id else None,
        "category": _named(ticket.category, ticket.category.name) if ticket.category_id else None,
        "conversation_id": ticket.conversation_id,
        "merged_into_id": ticket.merged_into_id,
        "created_at": ticket.created_at.isoformat(),
        "updated_at": ticket.updated_at.isoformat(),
    }


def ticket_groups(ticket: Ticket) -> list[str]:
    groups = []
    if ticket.conversation_id:
        groups.append(chat_events.conversation_agents(ticket.conversation_id))
    if ticket.assignee_id:
        groups.append(realtime.agent_group(ticket.assignee_id))
    return groups


def publish_ticket(ticket: Ticket, also_groups: list[str] | None = None) -> None:
    """The ticket was created, changed or replied to: tell the workspaces showing it."""
    groups = [*ticket_groups(ticket), *(also_groups or [])]
    if not groups:
        return
    realtime.publish(
        groups,
        {
            "type": TICKET_UPDATE,
            "ticket_id": ticket.pk,
            "conversation_id": ticket.conversation_id,
            "ticket": ticket_json(ticket),
        },
    )
