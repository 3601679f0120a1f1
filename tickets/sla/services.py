"""A ticket's SLA clock: which policy applies and when its first response and resolution are due,
in the policy's business time from the moment the ticket was made. Set when the ticket is made,
and again when a change of priority, category or team changes the policy or the due times
(recorded on the timeline)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from tickets.models import SlaPolicy, Ticket, TicketStatus
from tickets.sla.calendar import NoWorkingTime, add_business_time, business_time_between
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

    def fields(self) -> dict[str, object]:
        return {
            "sla_policy": self.policy,
            "first_response_due_at": self.first_response_due_at,
            "resolution_due_at": self.resolution_due_at,
        }


def sla_clock(ticket: Ticket) -> Clock:
    """The clock the ticket should have now (a policy with no working time in its calendar for
    years gives no due times rather than a wrong one)."""
    policy = policy_for(subject_of(ticket))
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
    return Clock(policy, first, resolution)


def sla_apply(ticket: Ticket) -> list[str]:
    """Give the ticket the clock it should have (not saved). Returns the names of the fields
    that changed, for `save(update_fields=…)`."""
    changed = []
    for name, value in sla_clock(ticket).fields().items():
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
        for name in ("first_response_due_at", "resolution_due_at"):
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
