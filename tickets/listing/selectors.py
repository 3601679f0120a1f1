"""The agent's ticket list (filters, sorts, keyset pages) and saved views, scoped to the agent.

A page costs the same number of queries whatever its size: the rows come with their requester,
assignee (and profile), team, category, source conversation and SLA policy joined, their tags
and SLA timers in one prefetch each, and the business-hours calendars their countdowns count in
in three queries (none when no row has a calendar).
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Case, DateTimeField, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Least, NullIf
from django.utils import timezone

from chat.selectors import customers_matching
from desk.kernel.paging import search_page, search_wanted
from tickets.models import SlaPhase, SlaTimer, Ticket, TicketView
from tickets.search.selectors import ticket_hits
from tickets.selectors import tickets_for_agent
from tickets.sla.calendars import calendars_load
from tickets.transitions import DONE_STATUSES

# A clock's risk (chat.sla_clocks.sla_risk says it for one summary).
SLA_RISKS = ("breached", "at_risk", "on_track", "none")

# sort name -> (field, ascending); ties are broken by id in the same direction.
SORTS: dict[str, tuple[str, bool]] = {
    "updated_at": ("updated_at", False),  # newest first (the default)
    "created_at": ("created_at", False),  # newest first
    "priority": ("priority", True),  # P0 first
    "resolution_due_at": ("resolution_due_at", True),  # soonest first, none last
    "sla_due_at": ("sla_due_at", True),  # the running target due soonest first, no clock last
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
    sla_at_risk: bool = False  # at risk or breached
    sla_risk: list[str] = field(default_factory=list)  # any of SLA_RISKS
    q: str = ""
    sort: str = DEFAULT_SORT


# Stands for "no due time" inside `sla_due_expression` (LEAST ignores no NULL on SQLite).
NEVER = datetime(9999, 12, 31, tzinfo=UTC)


def sla_due_expression() -> Case:
    """When the clock's running target is due (what the countdown shows): the soonest of a
    first response still owed, a next response owed, and the resolution; none without a policy
    or once done (the rule of `tickets.sla.display.sla_json`)."""
    never = Value(NEVER, output_field=DateTimeField())
    owed = Q(first_responded_at__isnull=True, first_response_due_at__isnull=False)
    first = Case(When(owed, then=F("first_response_due_at")), default=never)
    soonest = Least(
        first,
        Coalesce(F("next_response_due_at"), never),
        Coalesce(F("resolution_due_at"), never),
        output_field=DateTimeField(),
    )
    return Case(
        When(Q(sla_policy__isnull=True) | Q(status__in=DONE_STATUSES), then=Value(None)),
        default=NullIf(soonest, never),
        output_field=DateTimeField(),
    )


def with_sla_risk(tickets: QuerySet[Ticket], risks: set[str], now: datetime) -> QuerySet[Ticket]:
    """The tickets (annotated with `sla_due_at`) whose clock is in one of `risks` as of `now`,
    or as of the moment it stopped for a paused clock: breached past the due time; at risk once
    a warning row for that due time is due (the warning fired, or the clock was already inside
    the policy's warning share when it was set: tickets/sla/timers.py); on track otherwise;
    none without a running clock. The rule of `chat.sla_clocks.sla_risk`."""
    tickets = tickets.alias(
        sla_risk_moment=Coalesce(F("sla_paused_at"), Value(now), output_field=DateTimeField())
    )
    running = Q(sla_due_at__isnull=False)
    breached = Q(sla_due_at__lte=F("sla_risk_moment"))
    warned = Q(
        Exists(
            SlaTimer.objects.filter(
                ticket=OuterRef("pk"),
                phase=SlaPhase.WARNING,
                due_at=OuterRef("sla_due_at"),
                fire_at__lte=OuterRef("sla_risk_moment"),
            )
        )
    )
    parts = {
        "breached": running & breached,
        "at_risk": running & ~breached & warned,
        "on_track": running & ~breached & ~warned,
        "none": ~running,
    }
    wanted = Q(pk__in=[])
    for risk in SLA_RISKS:
        if risk in risks:
            wanted |= parts[risk]
    return tickets.filter(wanted)


def _tickets_filtered(user: AbstractBaseUser, query: TicketListQuery) -> QuerySet[Ticket]:
    """The tickets the agent may see that match `query`'s filters (not its search text)."""
    tickets = (
        tickets_for_agent(user)
        .select_related("assignee__agent_profile", "conversation", "sla_policy__business_hours")
        .prefetch_related("tags", "sla_timers")
        .annotate(sla_due_at=sla_due_expression())
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
    risks = set(SLA_RISKS)
    if query.sla_risk:
        risks &= set(query.sla_risk)
    if query.sla_at_risk:
        risks &= {"breached", "at_risk"}
    if risks != set(SLA_RISKS):
        tickets = with_sla_risk(tickets, risks, timezone.now())
    return tickets


def _exact_match(q: str) -> Q:
    """The cheap lookups users rely on besides the text: the ticket's number, the requester's
    name or external id (an email, a phone number, an open id)."""
    return Q(number__icontains=q) | Q(requester__in=customers_matching(q).values("pk"))


def tickets_list(user: AbstractBaseUser, query: TicketListQuery) -> QuerySet[Ticket]:
    """The tickets the agent may see that match `query`, in the query's order (the search
    text only through the exact lookups: `tickets_search` ranks it)."""
    tickets = _tickets_filtered(user, query)
    if query.q:
        tickets = tickets.filter(_exact_match(query.q))
    return _in_order(tickets, query.sort)


def _in_order(tickets: QuerySet[Ticket], sort: str) -> QuerySet[Ticket]:
    name, ascending = SORTS[sort]
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
    more = len(rows) > limit
    rows = rows[:limit]
    # The rows' countdowns count in their policies' calendars: read once for the page.
    calendars_load(row.sla_policy.business_hours for row in rows if row.sla_policy_id)
    if not more:
        return rows, None
    last = rows[-1]
    return rows, (getattr(last, SORTS[sort][0]), last.pk)


def tickets_search(
    user: AbstractBaseUser, query: TicketListQuery, *, limit: int, offset: int = 0
) -> tuple[list[Ticket], int | None]:
    """A page of the tickets the agent may see that match the filters and the search text
    `query.q` (`limit` from `offset`), most relevant first: the exact lookups (number,
    requester's name or external id; in the query's sort), then the tickets whose subject,
    description, replies or notes match (tickets.search); and the offset of the next page (None
    on the last; a search pages through its best `SEARCH_DEPTH`). Each has `search_snippet`
    (None for an exact lookup only). A constant number of queries whatever the page."""
    filtered = _tickets_filtered(user, query)
    wanted = search_wanted(offset, limit)
    exact = _in_order(filtered.filter(_exact_match(query.q)), query.sort)
    exact = list(exact.values_list("pk", flat=True)[:wanted])
    hits = {hit.ticket_id: hit for hit in ticket_hits(filtered, query.q, limit=wanted)}
    order, next_offset = search_page(
        list(dict.fromkeys([*exact, *hits])), offset=offset, limit=limit
    )
    rows = filtered.in_bulk(order)
    found = []
    for pk in order:
        row = rows.get(pk)
        if row is not None:
            hit = hits.get(pk)
            row.search_snippet = hit.snippet_html if hit else None
            found.append(row)
    calendars_load(row.sla_policy.business_hours for row in found if row.sla_policy_id)
    return found, next_offset


# ---- saved views --------------------------------------------------------------------------


def ticket_views_for_agent(user: AbstractBaseUser) -> QuerySet[TicketView]:
    return TicketView.objects.filter(owner=user).order_by("position", "id")


def ticket_view_get_for_agent(user: AbstractBaseUser, pk: int) -> TicketView | None:
    """The agent's own saved view, or None (someone else's looks like a missing one)."""
    return ticket_views_for_agent(user).filter(pk=pk).first()
