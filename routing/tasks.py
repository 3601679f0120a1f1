"""Celery entry points for routing; each one only calls a service."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from routing import services


@shared_task(name="routing.tasks.presence_sweep")
def presence_sweep() -> int:
    return services.presence_sweep(stale_after=timedelta(seconds=settings.PRESENCE_STALE_SECONDS))
