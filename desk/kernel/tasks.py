"""Celery entry points of the kernel (domain events); each one only calls the dispatcher."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from desk.kernel.domain_events import dispatch


@shared_task(name="desk.kernel.tasks.domain_events_drain")
def domain_events_drain() -> int:
    """Every new event, right after a commit (one task however many commits queued it)."""
    return dispatch.drain()


@shared_task(name="desk.kernel.tasks.domain_events_sweep")
def domain_events_sweep() -> int:
    return dispatch.sweep()


@shared_task(name="desk.kernel.tasks.domain_events_prune")
def domain_events_prune() -> int:
    return dispatch.prune(older_than=timedelta(days=settings.DOMAIN_EVENT_KEEP_DAYS))
