"""Celery entry points for tickets; each one only calls a service."""

from celery import shared_task

from tickets.sla import recompute as sla_recompute
from tickets.sla import timers as sla_timers
from tickets.sources import timeout as timeouts


@shared_task(name="tickets.tasks.waiting_conversations_sweep")
def waiting_conversations_sweep() -> int:
    waited = timeouts.waiting_timeout()
    if waited is None:
        return 0
    return len(timeouts.tickets_for_waiting_conversations(waited=waited))


@shared_task(name="tickets.tasks.sla_sweep")
def sla_sweep() -> int:
    """SLA warnings and breaches that are due (every SLA_SWEEP_SECONDS)."""
    return sla_timers.sweep()


@shared_task(name="tickets.tasks.sla_recompute_open")
def sla_recompute_open(old_targets: dict | None = None, old_calendars: dict | None = None) -> int:
    """Open tickets' clocks after a supervisor changed the SLA policies or calendars."""
    return sla_recompute.sla_recompute_open(old_targets=old_targets, old_calendars=old_calendars)
