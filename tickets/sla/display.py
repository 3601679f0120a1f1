"""What the workspace shows of a ticket's SLA clock: the next target it runs for, when that
target is due, when its warning fires, and whether the clock stands still. The browser counts
down from these and colours the countdown (ok, at risk, breached, paused) as time passes; the
sweep's `ticket.update` pushes bring the new values when the clock changes."""

from typing import Any

from django.db.models import Prefetch

from tickets.models import SlaPhase, SlaTarget, SlaTimer, Ticket
from tickets.transitions import DONE_STATUSES


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def warning_timers() -> Prefetch:
    """What `sla_json` reads of a ticket's timers (its warnings), to prefetch for many."""
    return Prefetch("sla_timers", queryset=SlaTimer.objects.filter(phase=SlaPhase.WARNING))


def sla_json(ticket: Ticket) -> dict[str, Any] | None:
    """None without a policy, once the ticket is resolved or closed, or when every target it
    has is met. The warning time comes from the ticket's timers (prefetch `warning_timers()`
    for a list, or it costs one query)."""
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
    return {
        "target": str(target),
        "due_at": _iso(due),
        "warn_at": _iso(warn),
        "paused_at": _iso(ticket.sla_paused_at),
    }
