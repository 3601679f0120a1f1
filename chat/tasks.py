"""Celery entry points for chat; each one only calls a service."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from chat import services


@shared_task(name="chat.tasks.unsent_uploads_sweep")
def unsent_uploads_sweep() -> int:
    return services.attachments_sweep_unsent(
        older_than=timedelta(hours=settings.UNSENT_UPLOAD_MAX_AGE_HOURS)
    )


@shared_task(name="chat.tasks.queue_sweep")
def queue_sweep() -> int:
    """Every QUEUE_SWEEP_SECONDS: the queue's heads to agents with room (what an event may have
    missed) and fresh places and waits for every waiting customer."""
    from chat.assignment.services import queue_drain

    return queue_drain()
