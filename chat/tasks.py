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
