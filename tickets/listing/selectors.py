"""The agent's ticket list (filters, sorts, keyset pages) and saved views, scoped to the agent.

A page costs the same number of queries whatever its size: the rows come with their requester,
assignee (and profile), team, category and source conversation joined, and their tags in one
prefetch.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from tickets.models import Ticket, TicketView
from tickets.selectors import tickets_for_agent
from tickets.transitions import DONE_STATUSES

SLA_RISK_WINDOW = timedelta(hours=1)

# sort name -> (field, ascending); ties are broken by id in the same direction.
SORTS: dict[str, tuple[str, bool]] = {
    "updated_at": ("updated_at", False),  # newest first (the default)
    "created_at": ("created_at", False),  # newest first
    "priority": ("priority", True),  # P0 first
    "resolution_due_at": ("resolution_due_at", True),  # soonest first, none last
}
DEFAULT_SORT = "updated_at"

CursorKey = tuple[Any, int]  # (the sort field's value, id)


@dataclass(frozen=True)
class TicketListQuery:
    statuses: list[str] = field(default_factory=list)
    priority: int | None = None
    team_id: int | None = None
    assignee: int | str | None = None  # a user id, "me" or "none"
    category_id: int | None = None
    tag: str = ""
    channel: str = ""
    sla_at_risk: bool = False
    q: str = ""
    sort: str = DEFAULT_SORT


def sla_at_risk_q(now: datetime | None = None) -> Q:
    """Not done, and the resolution (or a first response still owed) is due within the hour or
    overdue."""
    limit = (now or timezone.now()) + SLA_RISK_WINDOW
    due = Q(resolution_due_at__lte=limit) | Q(
        first_response_due_at__lte=limit, first_responded_at__isnull=True
    )
    return due & ~Q(status__in=DONE_STATUSES)


def tickets_list(user: AbstractBaseUser, query: TicketListQuery) -> QuerySet[Ticket]:
    """The tickets the agent may see that match `query`, in the query's order."""
    tickets = (
        tickets_for_agent(user)
        .select_related("assignee__agent_profile", "conversation")
        .prefetch_related("tags", "sla_timers")
    )
    if query.statuses:
        tickets = tickets.filter(status__in=query.statuses)
    if query.priority is not None:
        tickets = tickets.filter(priority=query.priority)
    if query.team_id is not None:
        tickets = tickets.filter(team_id=query.team_id)
    if query.assignee == "me":
        tickets = tickets.filter(assignee=user)
    elif query.assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif query.assignee is not None:
        tickets = tickets.filter(assignee_id=query.assignee)
    if query.category_id is not None:
        tickets = tickets.filter(category_id=query.category_id)
    if query.tag:
        tickets = tickets.filter(tags__name=query.tag)
    if query.channel:
        tickets = tickets.filter(conversation__channel=query.channel)
    if query.sla_at_risk:
        tickets = tickets.filter(sla_at_risk_q())
    if query.q:
        tickets = tickets.filter(
            Q(number__icontains=query.q)
            | Q(subject__icontains=query.q)
            | Q(requester__display_name__icontains=query.q)
        )
    name, ascending = SORTS[query.sort]
    if ascending:
        order = [F(name).asc(nulls_last=True), "id"]
    else:
        order = [F(name).desc(nulls_last=True), "-id"]
    return tickets.order_by(*order)


def _after(sort: str, key: CursorKey) -> Q:
    """Rows that come after `key` in `sort`'s order (nulls last, ties by id)."""
    name, ascending = SORTS[sort]
    value, pk = key
    beyond = "gt" if ascending else "lt"
    if value is None:
        return Q(**{f"{name}__isnull": True, f"id__{beyond}": pk})
    return (
        Q(**{f"{name}__{beyond}": value})
        | Q(**{name: value, f"id__{beyond}": pk})
        | Q(**{f"{name}__isnull": True})
    )


def tickets_page(
    tickets: QuerySet[Ticket], *, sort: str, after: CursorKey | None, limit: int
) -> tuple[list[Ticket], CursorKey | None]:
    """One keyset page of `tickets_list` and the key the next page starts after (None: last)."""
    if after is not None:
        tickets = tickets.filter(_after(sort, after))
    rows = list(tickets[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, (getattr(last, SORTS[sort][0]), last.pk)


# ---- saved views --------------------------------------------------------------------------


def ticket_views_for_agent(user: AbstractBaseUser) -> QuerySet[TicketView]:
    return TicketView.objects.filter(owner=user).order_by("position", "id")


def ticket_view_get_for_agent(user: AbstractBaseUser, pk: int) -> TicketView | None:
    """The agent's own saved view, or None (someone else's looks like a missing one)."""
    return ticket_views_for_agent(user).filter(pk=pk).first()
