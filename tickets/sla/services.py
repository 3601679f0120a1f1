"""A ticket's SLA clock: which policy applies and when its first response and resolution are due,
in the policy's business time from the moment the ticket was made. Set when the ticket is made,
and again when a change of priority, category or team changes the policy or the due times
(recorded on the timeline)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from tickets.models import SlaPolicy, Ticket
from tickets.sla.calendar import NoWorkingTime, add_business_time
from tickets.sla.calendars import calendar_of
from tickets.sla.policies import policy_for, subject_of

# What a policy depends on: a change to one of these may change the clock.
CLOCK_FIELDS = frozenset({"priority", "category", "team"})


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
