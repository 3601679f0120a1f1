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
    """Every QUEUE_SWEEP_SECONDS: load counts (agents' and their channel limits') that no
    conversation backs are mended, then the
    queue's heads go to agents with room (what an event may have missed) and every waiting
    customer hears a fresh place and wait."""
    from chat.assignment.load import agent_load_reconcile, channel_load_reconcile
    from chat.assignment.services import queue_drain

    agent_load_reconcile()
    channel_load_reconcile()
    return queue_drain()


@shared_task(name="chat.tasks.offer_sweep")
def offer_sweep() -> int:
    """Every OFFER_SWEEP_SECONDS: offers nobody answered in time move on to the next agent."""
    from chat.assignment.offers import offers_expire

    return offers_expire()


@shared_task(name="chat.tasks.overflow_sweep")
def overflow_sweep() -> int:
    """Every OVERFLOW_SWEEP_SECONDS: chats that have waited past their team's overflow time may
    go to the fallback team's agents too, and are routed at once."""
    from chat.assignment.overflow import overflow_sweep as sweep

    return sweep()
