"""Delivery receipts from providers (WhatsApp `statuses`): a reply's `delivery_state` moves
forward only (sent → delivered → read; failed with the provider's reason), and the agents hear
`message.update` (docs/protocol.md). A status for an id no reply has yet is kept
(`EarlyReceipt`) and applied when the send records the id (`early_receipts_apply`, called by
chat/channels/outbound.py): the provider's webhook can overtake its own answer to the send."""

from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from chat.channels.models import EarlyReceipt
from chat.channels.outbound import publish_message_update
from chat.models import DeliveryState, Message

EARLY_RECEIPT_KEEP = timedelta(hours=1)  # then a status nobody claimed is dropped
SWEEP_BATCH = 200

RANK = {DeliveryState.PENDING: 0, DeliveryState.SENT: 1, DeliveryState.DELIVERED: 2,
        DeliveryState.READ: 3, DeliveryState.FAILED: 1}  # fmt: skip


@transaction.atomic
def delivery_receipt_apply(
    *, channel: str, provider_message_id: str, state: str, code: str = "", reason: str = ""
) -> Message | None:
    """The reply with this provider id takes `state` unless it is already further along (a
    late `delivered` after `read` changes nothing); None when no reply has this id yet (the
    status is kept for it)."""
    message = (
        Message.objects.select_for_update()
        .filter(channel=channel, provider_message_id=provider_message_id)
        .first()
    )
    if message is None:
        EarlyReceipt.objects.bulk_create(
            [
                EarlyReceipt(
                    channel=channel,
                    provider_message_id=provider_message_id,
                    state=state,
                    code=code[:40],
                    reason=reason[:500],
                )
            ],
            ignore_conflicts=True,
        )
        return None
    if state == DeliveryState.FAILED:
        if message.delivery_state == DeliveryState.READ:
            return message
        message.payload = {
            **message.payload,
            "delivery_error": {"code": code or "bad_request", "reason": reason[:500]},
        }
    elif RANK.get(state, 0) <= RANK.get(message.delivery_state, 0) and (
        message.delivery_state != DeliveryState.FAILED
    ):
        return message
    message.delivery_state = state
    fields = ["delivery_state", "payload"]
    if state == DeliveryState.DELIVERED and message.delivered_at is None:
        message.delivered_at = timezone.now()
        fields.append("delivered_at")
    if state == DeliveryState.READ and message.read_at is None:
        message.read_at = timezone.now()
        fields.append("read_at")
    message.save(update_fields=fields)
    transaction.on_commit(lambda: publish_message_update(message))
    return message


def early_receipts_apply(*, channel: str, provider_message_id: str) -> int:
    """Apply the statuses kept for this id (the send has just recorded it, in this
    transaction), in their order, and forget them; returns how many."""
    early = list(
        EarlyReceipt.objects.filter(channel=channel, provider_message_id=provider_message_id)
    )
    early.sort(key=lambda receipt: (RANK.get(receipt.state, 0), receipt.pk))
    for receipt in early:
        delivery_receipt_apply(
            channel=channel,
            provider_message_id=provider_message_id,
            state=receipt.state,
            code=receipt.code,
            reason=receipt.reason,
        )
    EarlyReceipt.objects.filter(pk__in=[receipt.pk for receipt in early]).delete()
    return len(early)


def early_receipts_sweep() -> int:
    """The beat's pass: statuses whose reply has its id by now (one kept in the moment between
    the send reading the kept statuses and its commit) are applied; those no reply claimed
    within EARLY_RECEIPT_KEEP are dropped. Returns how many went."""
    claimed = (
        EarlyReceipt.objects.filter(
            Exists(
                Message.objects.filter(
                    channel=OuterRef("channel"), provider_message_id=OuterRef("provider_message_id")
                ).exclude(provider_message_id="")  # the partial unique index's condition
            )
        )
        .values_list("channel", "provider_message_id")
        .distinct()
    )
    applied = 0
    for channel, provider_message_id in list(claimed[:SWEEP_BATCH]):
        with transaction.atomic():
            applied += early_receipts_apply(
                channel=channel, provider_message_id=provider_message_id
            )
    cutoff = timezone.now() - EARLY_RECEIPT_KEEP
    return applied + EarlyReceipt.objects.filter(received_at__lte=cutoff).delete()[0]
