"""Celery entry points for tickets; each one only calls a service."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from tickets import timeouts


@shared_task(name="tickets.tasks.waiting_conversations_sweep")
def waiting_conversations_sweep() -> int:
    minutes = settings.TICKET_AFTER_WAITING_MINUTES
    if minutes <= 0:
        return 0
    return len(timeouts.tickets_for_waiting_conversations(waited=timedelta(minutes=minutes)))
