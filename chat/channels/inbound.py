"""Provider webhooks store the raw event first; a task makes messages of it after commit.

`inbound_event_store` is all the webhook does once the request is verified and its body checked:
one INSERT (unique per account and provider event id, so a provider's retry stores nothing new),
then the provider hears 200. After commit `chat.channels.tasks.inbound_event_process` runs
`inbound_event_process`: it claims the event (a conditional UPDATE, so two workers never process
one event at once), has the adapter parse it (downloading media), stores each message through
`chat.inbound.inbound_message_receive` (deduplicated on the provider message id) and marks the
event processed. A failure is recorded on the event (`error`, `attempts`) and the beat sweep
(`inbound_events_sweep`) tries again with a doubling backoff; so does it for an event whose task
was lost (a crash between the insert and the task). After `CHANNEL_EVENT_MAX_ATTEMPTS` the event
stays unprocessed with its error, listed in the admin.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from chat.channels.models import ChannelAccount, InboundEvent
from chat.inbound import inbound_message_receive

log = logging.getLogger(__name__)

FIRST_SWEEP_AFTER = timedelta(seconds=30)  # the task after commit goes first
LEASE = timedelta(minutes=2)  # a claimed event is the claimer's for this long
BACKOFF_BASE_SECONDS = 15
BACKOFF_MAX_SECONDS = 3600


def inbound_event_store(
    *, account: ChannelAccount, provider_event_id: str, body: Any, headers: dict[str, str]
) -> tuple[InboundEvent, bool]:
    """Store a verified, checked provider event once; `(event, False)` for a redelivery. Its
    processing is queued after commit."""
    from chat.channels import tasks

    try:
        with transaction.atomic():
            event = InboundEvent.objects.create(
                account=account,
                provider_event_id=provider_event_id,
                body=body,
                headers=headers,
                next_attempt_at=timezone.now() + FIRST_SWEEP_AFTER,
            )
            transaction.on_commit(lambda: tasks.inbound_event_process.delay(event.pk))
    except IntegrityError:
        existing = InboundEvent.objects.get(account=account, provider_event_id=provider_event_id)
        return existing, False
    return event, True


def _claim(event_id: int, now: datetime, *, due_only: bool) -> bool:
    """Take the event for `LEASE`: one conditional UPDATE, so it is processed by one worker."""
    due = Q(next_attempt_at__lte=now) if due_only else Q(next_attempt_at__isnull=False)
    return bool(
        InboundEvent.objects.filter(due, pk=event_id, processed_at__isnull=True).update(
            next_attempt_at=now + LEASE, attempts=F("attempts") + 1
        )
    )


def _backoff(attempts: int) -> timedelta:
    return timedelta(
        seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    )


def inbound_event_process(*, event_id: int, due_only: bool = False) -> bool:
    """Make the event's messages (once); True when it is processed now."""
    from chat.channels.registry import adapter_for

    now = timezone.now()
    if not _claim(event_id, now, due_only=due_only):
        return False
    event = InboundEvent.objects.select_related("account").get(pk=event_id)
    try:
        adapter = adapter_for(event.account.channel)
        for message in adapter.parse_event(event.account, event.body):
            inbound_message_receive(message=message)
    except Exception as exc:
        last = event.attempts >= settings.CHANNEL_EVENT_MAX_ATTEMPTS
        log.warning("inbound event %s failed (attempt %s): %r", event.pk, event.attempts, exc)
        InboundEvent.objects.filter(pk=event.pk).update(
            error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=None if last else timezone.now() + _backoff(event.attempts),
        )
        return False
    InboundEvent.objects.filter(pk=event.pk).update(
        processed_at=timezone.now(), next_attempt_at=None, error=""
    )
    return True


def inbound_events_sweep(*, batch: int = 200) -> int:
    """Process the events whose time has come again (a failure's backoff, a lost task)."""
    due = InboundEvent.objects.filter(
        processed_at__isnull=True, next_attempt_at__lte=timezone.now()
    ).order_by("next_attempt_at")
    ids = list(due.values_list("pk", flat=True)[:batch])
    return sum(inbound_event_process(event_id=pk, due_only=True) for pk in ids)
