"""What the workspace shows of an SLA clock (a ticket's, or a waiting conversation's first
response): the target it runs for, when that target is due, when its warning fires, whether the
clock stands still, its risk, and the time left counted in the policy's business hours together
with the working spans of the near future, so the browser counts down in business time (standing
still outside working hours) without asking again. The sweep's pushes bring new values when the
clock changes."""

from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from chat.sla_clocks import sla_risk
from tickets.models import SlaPhase, SlaPolicy, SlaTarget, SlaTimer, Ticket
from tickets.sla.calendar import Calendar, NoWorkingTime, business_time_between, working_spans
from tickets.sla.calendars import calendar_of
from tickets.transitions import DONE_STATUSES

# How far ahead the working spans go (the browser stands still past the last one until the next
# push or reload brings more), and at most how many.
SPANS_AHEAD = timedelta(days=7)
SPANS_MAX = 40


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def warning_timers() -> Prefetch:
    """What `sla_json` reads of a ticket's timers (its warnings), to prefetch for many."""
    return Prefetch("sla_timers", queryset=SlaTimer.objects.filter(phase=SlaPhase.WARNING))


def open_spans(calendar: Calendar | None, since: datetime) -> list[list[str]] | None:
    """The working spans from `since` for the next SPANS_AHEAD (None: around the clock)."""
    if calendar is None:
        return None
    horizon = since + SPANS_AHEAD
    spans = []
    try:
        for begins, ends in islice(working_spans(calendar, since), SPANS_MAX):
            if begins >= horizon:
                break
            spans.append([begins.isoformat(), ends.isoformat()])
    except NoWorkingTime:
        pass
    return spans


def clock_json(
    *,
    policy: SlaPolicy | None,
    target: str,
    due_at: datetime,
    warn_at: datetime | None,
    paused_at: datetime | None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """One running clock as the workspace shows it (docs/api.md, "SLA clock")."""
    now = now or timezone.now()
    calendar = calendar_of(policy.business_hours) if policy is not None else None
    left = business_time_between(calendar, paused_at or now, due_at)
    return {
        "target": str(target),
        "due_at": _iso(due_at),
        "warn_at": _iso(warn_at),
        "paused_at": _iso(paused_at),
        "risk": sla_risk(due_at=due_at, warn_at=warn_at, paused_at=paused_at, now=now),
        "as_of": now.isoformat(),
        "left_seconds": int(left.total_seconds()),
        "open_spans": open_spans(calendar, now) if paused_at is None else [],
    }


def sla_json(ticket: Ticket, now: datetime | None = None) -> dict[str, Any] | None:
    """None without a policy, once the ticket is resolved or closed, or when every target it
    has is met. The warning time comes from the ticket's timers (prefetch `warning_timers()`
    for a list, or it costs one query); the calendar from its policy (select `sla_policy` and call
    `calendars_load` for a list)."""
    if ticket.sla_policy_id is None or ticket.status in DONE_STATUSES:
        return None
    running = []
    if ticket.first_responded_at is None and ticket.first_response_due_at is not None:
        running.append((ticket.first_response_due_at, SlaTarget.FIRST_RESPONSE))
    if ticket.next_response_due_at is not None:
        running.append((ticket.next_response_due_at, SlaTarget.NEXT_RESPONSE))
    if ticket.resolution_due_at is not None:
        running.append((ticket.resolution_due_at, SlaTarget.RESOLUTION))
    if not running:
        return None
    due, target = min(running)
    warn = next(
        (
            timer.fire_at
            for timer in ticket.sla_timers.all()
            if timer.target == target and timer.phase == SlaPhase.WARNING and timer.due_at == due
        ),
        None,
    )
    return clock_json(
        policy=ticket.sla_policy,
        target=target,
        due_at=due,
        warn_at=warn,
        paused_at=ticket.sla_paused_at,
        now=now,
    )
