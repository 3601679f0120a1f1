"""Every write to customers, conversations and messages.

`message_create` is the one way a message is stored: it takes the conversation's row lock, drops
resends by `client_msg_id` or provider message id, hands out the next `seq`, and returns whether a
new row was written, all in one transaction.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from chat import events
from chat.models import (
    Attachment,
    Channel,
    ContentType,
    Conversation,
    ConversationStatus,
    Customer,
    CustomerIdentity,
    DeliveryState,
    Message,
    SenderType,
)


@dataclass(frozen=True)
class ConversationContext:
    """What the client tells about itself when a conversation starts."""

    device: str = ""
    os: str = ""
    browser: str = ""
    app_version: str = ""
    network_type: str = ""
    page_url: str = ""
    page_title: str = ""
    referrer: str = ""
    ip_address: str | None = None


@dataclass(frozen=True)
class IdentityRef:
    kind: str
    external_id: str
    verified: bool = False


@dataclass
class CustomerData:
    display_name: str = ""
    language: str = ""
    vip_level: int = 0
    attributes: dict = field(default_factory=dict)


@transaction.atomic
def customer_create(*, data: CustomerData, identities: list[IdentityRef] | None = None) -> Customer:
    customer = Customer.objects.create(
        display_name=data.display_name,
        language=data.language,
        vip_level=data.vip_level,
        attributes=data.attributes,
    )
    for ref in identities or []:
        CustomerIdentity.objects.create(
            customer=customer, kind=ref.kind, external_id=ref.external_id, verified=ref.verified
        )
    return customer


def customer_get_or_create_for_identity(
    *, identity: IdentityRef, data: CustomerData | None = None
) -> tuple[Customer, bool]:
    """The customer behind a channel identity, created on first contact. Safe under races."""
    existing = CustomerIdentity.objects.select_related("customer").filter(
        kind=identity.kind, external_id=identity.external_id
    )
    found = existing.first()
    if found:
        return found.customer, False
    try:
        with transaction.atomic():
            return customer_create(data=data or CustomerData(), identities=[identity]), True
    except IntegrityError:
        return existing.get().customer, False


@transaction.atomic
def conversation_start(
    *,
    customer: Customer,
    channel: str,
    context: ConversationContext | None = None,
    subject: str = "",
) -> Conversation:
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    ctx = context or ConversationContext()
    return Conversation.objects.create(
        customer=customer,
        channel=channel,
        subject=subject,
        status=ConversationStatus.WAITING,
        **ctx.__dict__,
    )


class InvalidAttachment(ValueError):
    """A message names an attachment it may not use."""


@dataclass(frozen=True)
class MessageResult:
    message: Message
    created: bool


@transaction.atomic
def message_create(
    *,
    conversation: Conversation,
    sender_type: str,
    body: str = "",
    content_type: str = ContentType.TEXT,
    sender_user: AbstractBaseUser | None = None,
    payload: dict | None = None,
    is_internal: bool = False,
    client_msg_id: str = "",
    provider_message_id: str = "",
    attachments: Sequence[Attachment] = (),
) -> MessageResult:
    """Store one message exactly once, give it the conversation's next `seq`, and announce it
    after commit. `attachments` must be uploads of this conversation not yet in a message."""
    conv = Conversation.objects.select_for_update().get(pk=conversation.pk)
    duplicate = _existing_message(conv, client_msg_id, provider_message_id)
    if duplicate is not None:
        return MessageResult(duplicate, False)
    attachment_ids = [a.pk for a in attachments]
    free = Attachment.objects.filter(pk__in=attachment_ids, conversation=conv, message=None)
    if free.count() != len(set(attachment_ids)):
        raise InvalidAttachment("An attachment is unknown, of another conversation, or used.")
    now = timezone.now()
    seq = conv.last_seq + 1
    message = Message.objects.create(
        conversation=conv,
        seq=seq,
        channel=conv.channel,
        sender_type=sender_type,
        sender_user=sender_user,
        content_type=content_type,
        body=body,
        payload=payload or {},
        is_internal=is_internal,
        client_msg_id=client_msg_id,
        provider_message_id=provider_message_id,
    )
    counters: dict = {"last_seq": seq}
    if not is_internal:
        counters["last_message_at"] = now
        if sender_type == SenderType.CUSTOMER:
            counters["unread_by_agent"] = F("unread_by_agent") + 1
        elif sender_type in (SenderType.AGENT, SenderType.BOT):
            counters["unread_by_customer"] = F("unread_by_customer") + 1
            if conv.status == ConversationStatus.WAITING:
                counters["status"] = ConversationStatus.OPEN  # an agent has answered
    Conversation.objects.filter(pk=conv.pk).update(**counters)
    if attachment_ids:
        free.update(message=message)
    events.publish_message(message)
    return MessageResult(message, True)


def _existing_message(
    conv: Conversation, client_msg_id: str, provider_message_id: str
) -> Message | None:
    if client_msg_id:
        found = Message.objects.filter(conversation=conv, client_msg_id=client_msg_id).first()
        if found:
            return found
    if provider_message_id:
        return Message.objects.filter(
            channel=conv.channel, provider_message_id=provider_message_id
        ).first()
    return None


CONVERSATION_EDITABLE_FIELDS = ("status", "assignee", "team", "priority")


def _display(value: object) -> str:
    if value is None:
        return ""
    return str(getattr(value, "username", value))


@transaction.atomic
def conversation_update_fields(
    *, actor: AbstractBaseUser | None, conversation: Conversation, changes: Mapping[str, Any]
) -> Conversation:
    """Change status, assignee, team or priority; each real change adds an activity message.

    The activity message (system sender, `event` content, internal) is the conversation's audit
    row and takes the next `seq`, so every open workspace sees the change in the timeline.
    """
    unknown = set(changes) - set(CONVERSATION_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"fields not editable: {sorted(unknown)}")
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    changed: list[tuple[str, object, object]] = []
    for name, value in changes.items():
        old = getattr(locked, name)
        if old != value:
            setattr(locked, name, value)
            changed.append((name, old, value))
    if not changed:
        return locked
    fields = [name for name, _, _ in changed]
    if "status" in fields:
        locked.closed_at = timezone.now() if locked.status == ConversationStatus.CLOSED else None
        fields.append("closed_at")
    left = events.inbox_groups(Conversation.objects.get(pk=locked.pk))
    locked.save(update_fields=fields)
    for name, old, new in changed:
        message_create(
            conversation=locked,
            sender_type=SenderType.SYSTEM,
            sender_user=actor,
            content_type=ContentType.EVENT,
            is_internal=True,
            body=f"{name}: {_display(old) or '-'} → {_display(new) or '-'}",
            payload={"event": f"conversation.{name}", "old": _display(old), "new": _display(new)},
        )
    locked.refresh_from_db()
    events.publish_conversation(locked, also_groups=left)
    return locked


def attachment_delete(*, attachment: Attachment) -> None:
    """Remove the row, and the stored file once the deletion has committed."""
    storage, name = attachment.file.storage, attachment.file.name
    with transaction.atomic():
        attachment.delete()
        transaction.on_commit(lambda: storage.delete(name) if name else None)


# ---- agent workspace writes ---------------------------------------------------------------


class ConversationClosed(ValueError):
    """A reply to a closed conversation (internal notes are still allowed)."""


@transaction.atomic
def message_send_as_agent(
    *,
    actor: AbstractBaseUser,
    conversation: Conversation,
    body: str,
    client_msg_id: str,
    is_internal: bool = False,
    attachment_ids: Sequence[int] = (),
) -> MessageResult:
    """An agent's reply or internal note. A resend (same `client_msg_id`) returns the stored
    row, even after the conversation has closed; a new reply to a closed one is refused."""
    from chat.attachments import attachment_kind

    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    duplicate = _existing_message(locked, client_msg_id, "")
    if duplicate is not None:
        return MessageResult(duplicate, False)
    if locked.status == ConversationStatus.CLOSED and not is_internal:
        raise ConversationClosed("The conversation is closed; reopen it to reply.")
    wanted = set(attachment_ids)
    attachments = list(
        Attachment.objects.filter(pk__in=wanted, conversation=locked, message=None).order_by("pk")
    )
    if len(attachments) != len(wanted):
        raise InvalidAttachment("An attachment is unknown, of another conversation, or used.")
    content_type = ContentType.TEXT
    if attachments and not body.strip():
        content_type = attachment_kind(attachments[0])
    return message_create(
        conversation=locked,
        sender_type=SenderType.AGENT,
        sender_user=actor,
        body=body,
        content_type=content_type,
        is_internal=is_internal,
        client_msg_id=client_msg_id,
        attachments=attachments,
    )


@transaction.atomic
def conversation_mark_read(
    *, actor: AbstractBaseUser, conversation: Conversation, seq: int
) -> Conversation:
    """The agent has read the conversation up to `seq`: customer messages up to it become
    `read`, the unread counter keeps only what came after, the customer hears `read` and the
    agents' other tabs get the new counter. A read receipt is not audited (like a heartbeat)."""
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    seq = max(0, min(seq, locked.last_seq))
    from_customer = Message.objects.filter(
        conversation=locked, sender_type=SenderType.CUSTOMER, is_internal=False
    )
    from_customer.filter(seq__lte=seq).exclude(delivery_state=DeliveryState.READ).update(
        delivery_state=DeliveryState.READ, read_at=timezone.now()
    )
    unread = from_customer.filter(seq__gt=seq).count()
    if unread != locked.unread_by_agent:
        locked.unread_by_agent = unread
        locked.save(update_fields=["unread_by_agent"])
        events.publish_conversation(locked)
    events.publish_read(locked.pk, by=SenderType.AGENT, seq=seq)
    return locked
