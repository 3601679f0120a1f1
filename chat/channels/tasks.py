"""Celery entry points of the provider channels; each one only calls a service."""

from celery import shared_task


@shared_task(name="chat.channels.tasks.inbound_event_process")
def inbound_event_process(event_id: int) -> bool:
    from chat.channels.inbound import inbound_event_process as process

    return process(event_id=event_id)


@shared_task(name="chat.channels.tasks.delivery_send")
def delivery_send(delivery_id: int) -> str | None:
    from chat.channels.outbound import delivery_send as send

    return send(delivery_id=delivery_id)


@shared_task(name="chat.channels.tasks.channel_sweep")
def channel_sweep() -> int:
    """Every CHANNEL_EVENT_SWEEP_SECONDS: raw events not processed yet (a failure's backoff, a
    lost task), replies whose next attempt is due, and delivery statuses kept for a reply
    (applied once it has its id, dropped when none claimed them)."""
    from chat.channels.inbound import inbound_events_sweep
    from chat.channels.outbound import deliveries_sweep
    from chat.channels.receipts import early_receipts_sweep

    return inbound_events_sweep() + deliveries_sweep() + early_receipts_sweep()
