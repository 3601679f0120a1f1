"""An agent's reply in a provider's conversation goes out to the provider, after commit; so do
the ticket cards the customer would see in the widget (转工单's number, status changes).

1. `message_create` stores the reply with `delivery_state=pending` (the conversation has a
   channel account) and records `message.created`.
2. `message_created_send` (a domain-event handler, desk/event_handlers.py) makes the reply's
   `OutboundDelivery` row and queues `chat.channels.tasks.delivery_send` after commit.
3. `delivery_send` claims the row (a conditional UPDATE: one sender at a time), sends through the
   account's adapter (`desk.kernel.http`: timeouts, in-call retries of network errors, 5xx and
   429), and records the outcome: `sent` with the provider's message id, or — when trying again
   may help — a next attempt after a doubling backoff (or the provider's `retry_after`), which the
   beat sweep (`deliveries_sweep`) takes; `failed` with the reason when the provider refused it
   or `CHANNEL_SEND_MAX_ATTEMPTS` ran out. The message's `delivery_state` follows and the
   workspace hears `message.update`.
4. `delivery_retry`: an agent's "Retry" on a failed reply queues it again.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from chat import events
from chat.adapters.provider import SendFailed
from chat.channels.models import DeliveryStatus, OutboundDelivery
from chat.models import Conversation, CustomerIdentity, DeliveryState, Message, SenderType
from desk.kernel import domain_events, push_events, realtime
from desk.kernel.errors import DomainError

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
BACKOFF_BASE_SECONDS = 10
BACKOFF_MAX_SECONDS = 1800


def _is_reply(event: domain_events.Event) -> bool:
    payload = event.payload
    return (
        payload.get("sender_type") in (SenderType.AGENT, SenderType.BOT, SenderType.SYSTEM)
        and not payload.get("is_internal")
        and payload.get("channel") in _sending_channels()
    )


def _sending_channels() -> set[str]:
    """The channels whose replies go out through `OutboundDelivery`: the providers'. The web
    widget's replies reach it by the realtime push after commit (`Outbound.PUSH`,
    chat/adapters/web.py), the app's not at all; neither is in the registry."""
    from chat.adapters.base import Outbound
    from chat.channels.registry import ADAPTERS

    return {channel for channel, a in ADAPTERS.items() if a.outbound == Outbound.PROVIDER}


@domain_events.takes(_is_reply)
def message_created_send(event: domain_events.Event) -> None:
    """A reply into a provider account's conversation: its delivery row, and its send queued."""
    from chat.channels import tasks

    message = Message.objects.filter(pk=event.message_id).select_related("conversation").first()
    if message is None or message.conversation.channel_account_id is None:
        return
    if message.delivery_state != DeliveryState.PENDING:
        return  # not one that goes out (a system event; only ticket cards do)
    delivery, created = OutboundDelivery.objects.get_or_create(
        message=message,
        defaults={
            "account_id": message.conversation.channel_account_id,
            "next_attempt_at": timezone.now() + LEASE,
        },
    )
    if created:
        transaction.on_commit(lambda: tasks.delivery_send.delay(delivery.pk))


def _claim(delivery_id: int, now: datetime, *, due_only: bool) -> bool:
    due = Q(next_attempt_at__lte=now) if due_only else Q()
    return bool(
        OutboundDelivery.objects.filter(due, pk=delivery_id, status=DeliveryStatus.PENDING).update(
            next_attempt_at=now + LEASE, attempts=F("attempts") + 1
        )
    )


def _recipient(conversation: Conversation, kind: str) -> str | None:
    return (
        CustomerIdentity.objects.filter(customer_id=conversation.customer_id, kind=kind)
        .values_list("external_id", flat=True)
        .first()
    )


def delivery_send(*, delivery_id: int, due_only: bool = False) -> str | None:
    """Try to send the reply now; the delivery's status afterwards (None: not ours to send)."""
    from chat.channels.registry import adapter_for

    if not _claim(delivery_id, timezone.now(), due_only=due_only):
        return None
    delivery = OutboundDelivery.objects.select_related(
        "account", "message", "message__conversation"
    ).get(pk=delivery_id)
    message, account = delivery.message, delivery.account
    try:
        if account is None or not account.is_active:
            raise SendFailed(
                "account_inactive", "The channel account is switched off or gone.", retryable=False
            )
        adapter = adapter_for(account.channel)
        recipient = _recipient(message.conversation, adapter.identity_kind)
        if not recipient:
            raise SendFailed(
                "no_recipient", "The customer has no address on this channel.", retryable=False
            )
        provider_id = adapter.send(account, message, recipient)
    except SendFailed as exc:
        return _failed_attempt(delivery, exc)
    except Exception as exc:
        log.exception("delivery %s: sending failed", delivery.pk)
        return _failed_attempt(delivery, SendFailed("error", str(exc)[:500], retryable=True))
    _settle(delivery, DeliveryStatus.SENT, provider_message_id=provider_id)
    return DeliveryStatus.SENT


def _failed_attempt(delivery: OutboundDelivery, exc: SendFailed) -> str:
    if exc.retryable and delivery.attempts < settings.CHANNEL_SEND_MAX_ATTEMPTS:
        wait = exc.retry_after or min(
            BACKOFF_BASE_SECONDS * 2 ** (delivery.attempts - 1), BACKOFF_MAX_SECONDS
        )
        OutboundDelivery.objects.filter(pk=delivery.pk).update(
            next_attempt_at=timezone.now() + timedelta(seconds=wait),
            error_code=exc.code,
            error=exc.reason[:2000],
        )
        log.info(
            "delivery %s: attempt %s failed (%s), again in %s s",
            delivery.pk,
            delivery.attempts,
            exc.code,
            wait,
        )
        return DeliveryStatus.PENDING
    _settle(delivery, DeliveryStatus.FAILED, error_code=exc.code, error=exc.reason)
    return DeliveryStatus.FAILED


@transaction.atomic
def _settle(
    delivery: OutboundDelivery,
    status: str,
    *,
    provider_message_id: str = "",
    error_code: str = "",
    error: str = "",
) -> None:
    now = timezone.now()
    OutboundDelivery.objects.filter(pk=delivery.pk).update(
        status=status,
        next_attempt_at=None,
        provider_message_id=provider_message_id,
        sent_at=now if status == DeliveryStatus.SENT else None,
        error_code=error_code,
        error=error[:2000],
    )
    message = Message.objects.select_for_update().get(pk=delivery.message_id)
    payload = dict(message.payload)
    payload.pop("delivery_error", None)
    if status == DeliveryStatus.FAILED:
        payload["delivery_error"] = {"code": error_code, "reason": error[:500]}
    message.payload = payload
    message.delivery_state = (
        DeliveryState.SENT
        if status == DeliveryStatus.SENT
        else (DeliveryState.FAILED if status == DeliveryStatus.FAILED else DeliveryState.PENDING)
    )
    fields = ["payload", "delivery_state"]
    if provider_message_id:
        message.provider_message_id = provider_message_id
        fields.append("provider_message_id")
    message.save(update_fields=fields)
    if provider_message_id:  # statuses the provider sent before this answer reached us
        from chat.channels.receipts import early_receipts_apply

        early_receipts_apply(channel=message.channel, provider_message_id=provider_message_id)
    publish_message_update(message)


def publish_message_update(message: Message) -> None:
    """The agents who may see the conversation hear the message's new delivery state."""
    conversation = Conversation.objects.get(pk=message.conversation_id)
    message = Message.objects.select_related("sender_user__agent_profile").get(pk=message.pk)
    event = push_events.frame(
        push_events.MESSAGE_UPDATE,
        conversation_id=conversation.pk,
        seq=message.seq,
        message=events.message_json(message),
    )
    realtime.publish(
        [*events.inbox_groups(conversation), events.conversation_agents(conversation.pk)], event
    )


class NotRetryable(DomainError):
    """Only a failed reply of a provider's conversation can be sent again (409)."""

    code = "not_retryable"
    status = 409


@transaction.atomic
def delivery_retry(
    *, actor: AbstractBaseUser, conversation: Conversation, message_id: int
) -> Message:
    """An agent's "Retry" on a failed reply: pending again, sent by a task after commit. The
    delivery row keeps who retried and when (its audit)."""
    from chat.channels import tasks

    delivery = (
        OutboundDelivery.objects.select_for_update()
        .filter(message_id=message_id, message__conversation=conversation)
        .first()
    )
    if delivery is None or delivery.status != DeliveryStatus.FAILED:
        raise NotRetryable(_("Only a reply that failed to go out can be sent again."))
    now = timezone.now()
    OutboundDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=now + LEASE,
        retried_by=actor,
        retried_at=now,
    )
    message = Message.objects.get(pk=message_id)
    message.payload = {k: v for k, v in message.payload.items() if k != "delivery_error"}
    message.delivery_state = DeliveryState.PENDING
    message.save(update_fields=["payload", "delivery_state"])
    publish_message_update(message)
    transaction.on_commit(lambda: tasks.delivery_send.delay(delivery.pk))
    return message


def deliveries_sweep(*, batch: int = 200) -> int:
    """Send the replies whose next attempt is due (a backoff, a lost task)."""
    due = OutboundDelivery.objects.filter(
        status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now()
    ).order_by("next_attempt_at")
    ids = list(due.values_list("pk", flat=True)[:batch])
    return sum(delivery_send(delivery_id=pk, due_only=True) == DeliveryStatus.SENT for pk in ids)
