"""Celery entry points for tickets; each one only calls a service."""

from celery import shared_task

from tickets.automation import sweep as automation_sweep
from tickets.sla import recompute as sla_recompute
from tickets.sla import timers as sla_timers
from tickets.sources import timeout as timeouts


@shared_task(name="tickets.tasks.waiting_conversations_sweep")
def waiting_conversations_sweep() -> int:
    """Conversations waiting longer than their "conversation waiting" rule allows (every 60 s)."""
    return timeouts.waiting_conversations_sweep()


@shared_task(name="tickets.tasks.sla_sweep")
def sla_sweep() -> int:
    """SLA warnings and breaches that are due (every SLA_SWEEP_SECONDS)."""
    return sla_timers.sweep()


@shared_task(name="tickets.tasks.sla_recompute_open")
def sla_recompute_open(old_targets: dict | None = None, old_calendars: dict | None = None) -> int:
    """Open tickets' clocks after a supervisor changed the SLA policies or calendars."""
    return sla_recompute.sla_recompute_open(old_targets=old_targets, old_calendars=old_calendars)


@shared_task(name="tickets.tasks.automation_sweep")
def automation_rules_sweep() -> int:
    """Time rules whose hours have passed, and held notices whose team has opened (every
    AUTOMATION_SWEEP_SECONDS)."""
    return automation_sweep.sweep()


@shared_task(name="tickets.tasks.category_classifier_train")
def category_classifier_train() -> int | None:
    """A new version of the category classifier from the resolved tickets (a supervisor asked
    in the admin); its version, or None when there were too few examples."""
    from tickets.assist.classifier import classifier_train

    trained = classifier_train()
    return trained.version if trained else None
