"""Celery entry points of the kernel (domain events); each one only calls the dispatcher."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from desk.kernel.domain_events import dispatch


@shared_task(name="desk.kernel.tasks.domain_events_dispatch")
def domain_events_dispatch(event_ids: list[int]) -> int:
    """The events one transaction recorded, right after its commit."""
    return dispatch.dispatch(event_ids)


@shared_task(name="desk.kernel.tasks.domain_events_sweep")
def domain_events_sweep() -> int:
    return dispatch.sweep()


@shared_task(name="desk.kernel.tasks.domain_events_prune")
def domain_events_prune() -> int:
    return dispatch.prune(older_than=timedelta(days=settings.DOMAIN_EVENT_KEEP_DAYS))
