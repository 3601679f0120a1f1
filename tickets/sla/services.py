"""A ticket's SLA clock: which policy applies and when its first response and resolution are due,
in the policy's business time from the moment the ticket was made, and when its next response
is due after a customer's reply that no agent has answered (`customer_waiting_since`). Set when
the ticket is made, and again when a change of priority, category or team changes the policy or
the due times (recorded on the timeline)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from tickets.models import SlaPolicy, Ticket, TicketStatus
from tickets.sla.calendar import (
    Calendar,
    NoWorkingTime,
    add_business_time,
    business_time_between,
    subtract_business_time,
)
from tickets.sla.calendars import calendar_of
from tickets.sla.policies import policy_for, subject_of

# What a policy depends on: a change to one of these may change the clock.
CLOCK_FIELDS = frozenset({"priority", "category", "team"})
# The clock stands still while the ticket waits for the customer (待反馈) or is done; it runs on,
# from where it stood, when the ticket comes back.
STOPPED_STATUSES = frozenset({TicketStatus.PENDING, TicketStatus.RESOLVED, TicketStatus.CLOSED})


@dataclass(frozen=True)
class Clock:
    policy: SlaPolicy | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    next_response_due_at: datetime | None = None

    def fields(self) -> dict[str, object]:
        return {
            "sla_policy": self.policy,
            "first_response_due_at": self.first_response_due_at,
            "resolution_due_at": self.resolution_due_at,
            "next_response_due_at": self.next_response_due_at,
        }


# The due times a pause moves on when the clock runs again.
DUE_FIELDS = ("first_response_due_at", "resolution_due_at", "next_response_due_at")


# Each due time and the policy field of its target.
TARGET_MINUTES = {
    "first_response_due_at": "first_response_minutes",
    "resolution_due_at": "resolution_minutes",
    "next_response_due_at": "next_response_minutes",
}


def sla_clock(
    ticket: Ticket, *, now: datetime | None = None, policies: list[SlaPolicy] | None = None
) -> Clock:
    """The clock the ticket should have now (a policy with no working time in its calendar for
    years gives no due times rather than a wrong one).

    Without `now` (a new ticket) each target counts from when the ticket was made. With `now`
    (a change of priority, team or category) a target still running keeps the working time it
    has used: under the new policy it has the new target minus what the old one had used by
    `now` (or by when the clock stopped, if it stands still), so time the ticket spent waiting
    for the customer is never counted against it. `policies`: the active ones, read once for
    many tickets."""
    policy = policy_for(subject_of(ticket), policies)
    if policy is None:
        return Clock(None, None, None)
    calendar = calendar_of(policy.business_hours)
    start = ticket.created_at
    try:
        first = add_business_time(calendar, start, timedelta(minutes=policy.first_response_minutes))
        resolution = add_business_time(
            calendar, start, timedelta(minutes=policy.resolution_minutes)
        )
    except NoWorkingTime:
        return Clock(policy, None, None)
    fresh = Clock(policy, first, resolution, next_response_due(ticket, policy))
    old = ticket.sla_policy if ticket.sla_policy_id is not None else None
    if now is None or old is None:
        return fresh
    moment = ticket.sla_paused_at or now
    calendars = (_old_calendar(old, policy, calendar), calendar)
    return Clock(
        policy,
        *(
            _carried_over(ticket, name, (old, policy), calendars, moment, getattr(fresh, name))
            for name in DUE_FIELDS
        ),
    )


def _old_calendar(old: SlaPolicy, new: SlaPolicy, calendar: Calendar | None) -> Calendar | None:
    """The calendar the old policy counted in: the new one's when they share it (read once),
    unless the old policy carries the calendar as it was before an edit (recompute.py)."""
    hours = old.business_hours
    if old.business_hours_id == new.business_hours_id and not hasattr(hours, "_sla_calendar"):
        return calendar
    return calendar_of(hours)


def _running(ticket: Ticket, name: str) -> bool:
    if name == "first_response_due_at":
        return ticket.first_responded_at is None
    if name == "next_response_due_at":
        return ticket.customer_waiting_since is not None
    return True


def _carried_over(
    ticket: Ticket,
    name: str,
    policies: tuple[SlaPolicy, SlaPolicy],
    calendars: tuple[Calendar | None, Calendar | None],
    moment: datetime,
    fresh: datetime | None,
) -> datetime | None:
    """The due time of one target moved from the old policy to the new (`sla_clock`)."""
    old, new = policies
    due = getattr(ticket, name)
    old_minutes = getattr(old, TARGET_MINUTES[name])
    new_minutes = getattr(new, TARGET_MINUTES[name])
    if due is None or old_minutes is None or new_minutes is None or not _running(ticket, name):
        return fresh
    left = business_time_between(calendars[0], moment, due)
    remaining = timedelta(minutes=new_minutes) - (timedelta(minutes=old_minutes) - left)
    try:
        if remaining <= timedelta(0):  # over the new target already: when it was crossed
            return subtract_business_time(calendars[1], moment, -remaining)
        return add_business_time(calendars[1], moment, remaining)
    except NoWorkingTime:
        return None


def next_response_due(ticket: Ticket, policy: SlaPolicy | None) -> datetime | None:
    """When the next response is due: the policy's next-response target from the customer's
    oldest unanswered reply, once the first response has been given (before it, the
    first-response target is the one that runs). None without such a reply or target."""
    if (
        policy is None
        or policy.next_response_minutes is None
        or ticket.customer_waiting_since is None
        or ticket.first_responded_at is None
    ):
        return None
    try:
        return add_business_time(
            calendar_of(policy.business_hours),
            ticket.customer_waiting_since,
            timedelta(minutes=policy.next_response_minutes),
        )
    except NoWorkingTime:
        return None


def sla_on_customer_reply(ticket: Ticket, *, now: datetime) -> list[str]:
    """The customer has written: the next-response clock starts, unless an earlier reply of
    theirs is still unanswered (not saved). Returns the fields that changed."""
    if ticket.customer_waiting_since is not None:
        return []
    ticket.customer_waiting_since = now
    changed = ["customer_waiting_since"]
    due = next_response_due(ticket, ticket.sla_policy)
    if due != ticket.next_response_due_at:
        ticket.next_response_due_at = due
        changed.append("next_response_due_at")
    return changed


def sla_on_agent_reply(ticket: Ticket) -> list[str]:
    """An agent has answered the customer in public: the next-response clock stops (not
    saved). Returns the fields that changed."""
    changed = []
    for name in ("customer_waiting_since", "next_response_due_at"):
        if getattr(ticket, name) is not None:
            setattr(ticket, name, None)
            changed.append(name)
    return changed


def sla_apply(
    ticket: Ticket, *, now: datetime | None = None, policies: list[SlaPolicy] | None = None
) -> list[str]:
    """Give the ticket the clock it should have (not saved; `now`, `policies`: see
    `sla_clock`). Returns the names of the fields that changed, for `save(update_fields=…)`."""
    changed = []
    for name, value in sla_clock(ticket, now=now, policies=policies).fields().items():
        current = ticket.sla_policy_id if name == "sla_policy" else getattr(ticket, name)
        wanted = value.pk if isinstance(value, SlaPolicy) else value
        if current != wanted:
            setattr(ticket, name, value)
            changed.append(name)
    return changed


def sla_on_status(ticket: Ticket, old_status: str, *, now: datetime) -> list[str]:
    """Stop or restart the clock for a status change (not saved). Restarting moves each due
    time on by the working time the clock stood still: what was left when it stopped is what is
    left now. Returns the fields that changed."""
    stops, stopped = ticket.status in STOPPED_STATUSES, old_status in STOPPED_STATUSES
    if stops and not stopped and ticket.sla_policy_id is not None:
        ticket.sla_paused_at = now
        return ["sla_paused_at"]
    if stopped and not stops and ticket.sla_paused_at is not None:
        calendar = calendar_of(ticket.sla_policy.business_hours) if ticket.sla_policy else None
        changed = ["sla_paused_at"]
        for name in DUE_FIELDS:
            due = getattr(ticket, name)
            if due is None:
                continue
            left = business_time_between(calendar, ticket.sla_paused_at, due)
            if left > timedelta(0):
                try:
                    setattr(ticket, name, add_business_time(calendar, now, left))
                except NoWorkingTime:
                    continue
                changed.append(name)
        ticket.sla_paused_at = None
        return changed
    return []
