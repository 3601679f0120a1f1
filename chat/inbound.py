"""The common envelope of a customer's message from any channel (`InboundMessage`), and the one way
a message from a provider (the app backend; WeChat, WhatsApp, Telegram, email next) enters a
conversation. The web widget's envelope (chat/adapters/web.py) is stored by the widget's own
service instead, `chat.widget.services.widget_message_send`: its customer is the token's visitor
and its dedupe key the `client_msg_id` per visitor.

A channel adapter (`chat/adapters/<name>.py`) verifies the request and normalises each message
into an `InboundMessage`; `inbound_message_receive` finds the customer behind the channel identity
(created on first contact), that customer's open conversation on the channel (started if there is
none), and stores the message through `chat.services.message_create` with the provider's message id.

Exactly once: the provider id is unique per channel (`Message` constraint
`message_channel_provider_id`), so a redelivered webhook gets the stored row back, never a second
one, even when the conversation it went to has closed since (the lookup before a new conversation
is started finds it, so a redelivery starts no empty conversation either).

The steady state (a known customer writing into an open conversation) costs one SELECT before the
store (identity → that customer's open conversation, the identity a subquery), then
`message_create`'s own short transaction (conditional UPDATE, message INSERT, domain event INSERT;
pinned by chat/tests/test_inbound.py). A first contact, a closed conversation or a race with a
close takes the slow path: one transaction that locks the customer row, so two deliveries for
one customer never start two conversations.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from chat import services
from chat.context import ConversationContext
from chat.frames import MAX_ATTACHMENTS
from chat.models import (
    Attachment,
    Channel,
    ContentType,
    Conversation,
    ConversationStatus,
    Customer,
    CustomerIdentity,
    Message,
    SenderType,
)
from chat.services import IdentityRef, MessageResult
from desk.kernel.ids import is_db_int
from routing.models import Team

OPEN_STATUSES = (ConversationStatus.WAITING, ConversationStatus.OPEN)
PROVIDER_ID_MAX_LENGTH = Message._meta.get_field("provider_message_id").max_length
EXTERNAL_ID_MAX_LENGTH = CustomerIdentity._meta.get_field("external_id").max_length


@dataclass(frozen=True)
class InboundFile:
    """A file that came with a provider's message (a Telegram photo or document), already
    downloaded and checked by its adapter: stored as an attachment of the message."""

    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class InboundMessage:
    """One provider message, normalised by its adapter (which has validated the request).

    `identity` is who sent it on that channel (`IdentityKind` + the provider's user id);
    `display_name` names a customer seen for the first time (an existing one keeps theirs);
    `payload` is stored on the message as is, plus `sent_at` (the provider's time, ISO 8601) when
    given; `context` (device, app version …) is kept on a conversation this message starts.
    `account_id` is the provider account it came through (chat/channels: a Telegram bot): the
    customer's conversation is the one on that account, and a new one is given the account's
    `team_id`. `linked` are the sender's other identities (a WeChat UnionID): a sender new to
    this account who is known through one of them is that customer. `files` come with the
    message (stored as its attachments); `attachment_ids` were uploaded before it, into the
    conversation by this customer (the widget's `attachment_ids`, at most `MAX_ATTACHMENTS`).
    `content_type` None: a message of only attachments, of the first one's kind (decided when
    it is stored, `chat.services.message_create`)."""

    channel: str
    provider_message_id: str
    identity: IdentityRef
    display_name: str = ""
    body: str = ""
    content_type: str | None = ContentType.TEXT
    payload: Mapping[str, Any] = field(default_factory=dict)
    sent_at: datetime | None = None
    context: ConversationContext | None = None
    account_id: int | None = None
    team_id: int | None = None
    files: tuple[InboundFile, ...] = ()
    linked: tuple[IdentityRef, ...] = ()  # the same person's other ids (a WeChat UnionID)
    attachment_ids: tuple[int, ...] = ()  # uploads already stored (the widget's)

    def __post_init__(self) -> None:
        if self.channel not in Channel.values:
            raise ValueError(f"unknown channel {self.channel!r}")
        if not 0 < len(self.provider_message_id) <= PROVIDER_ID_MAX_LENGTH:
            raise ValueError("provider_message_id must be 1 to 191 characters")
        if (
            not self.identity.kind
            or not 0 < len(self.identity.external_id) <= EXTERNAL_ID_MAX_LENGTH
        ):
            raise ValueError("identity needs a kind and an external id of 1 to 255 characters")
        if not isinstance(self.attachment_ids, tuple) or len(self.attachment_ids) > (
            MAX_ATTACHMENTS
        ):
            raise ValueError(f"attachment_ids must be a tuple of at most {MAX_ATTACHMENTS} ids")
        if not all(is_db_int(pk, min_value=1) for pk in self.attachment_ids):
            raise ValueError("attachment_ids must be ids (whole numbers from 1)")
        if self.content_type is None:
            if not (self.files or self.attachment_ids) or self.body.strip():
                raise ValueError("content_type None is for a message of only attachments")
        elif self.content_type not in ContentType.values:
            raise ValueError(f"unknown content type {self.content_type!r}")


def inbound_message_receive(*, message: InboundMessage) -> MessageResult:
    """Store a provider's message once; `created` is False for a redelivery (the stored row)."""
    conversation_id = _open_conversation_id(message.channel, message.identity, message.account_id)
    if conversation_id is not None:
        try:
            # Not in an outer transaction: message_create's own is the one (no savepoints).
            return _store(conversation_id, message)
        except services.ConversationClosed:
            pass  # an agent closed it a moment ago: the slow path starts a new one
    return _receive_first_or_after_close(message)


def _open_conversation_id(
    channel: str, identity: IdentityRef, account_id: int | None
) -> int | None:
    """The customer's open conversation on `channel` (the latest) in one query: identity
    (unique kind + external id) → its customer's conversations. Only its id: message_create's
    UPDATE … RETURNING reads the row (and what its announcement needs) anyway."""
    return (
        Conversation.objects.filter(
            channel=channel,
            channel_account_id=account_id,
            status__in=OPEN_STATUSES,
            customer_id__in=CustomerIdentity.objects.filter(
                kind=identity.kind, external_id=identity.external_id
            ).values("customer_id"),
        )
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )


@transaction.atomic
def _receive_first_or_after_close(message: InboundMessage) -> MessageResult:
    customer, _ = services.customer_get_or_create_for_identity(
        identity=message.identity,
        data=services.CustomerData(display_name=message.display_name),
        linked=message.linked,
    )
    # One delivery at a time per customer from here on: no two new conversations at once.
    # FOR NO KEY UPDATE: it excludes the other deliveries, but not the FOR KEY SHARE that
    # PostgreSQL's foreign-key checks take at commit. A routing handler that updates the
    # customer's conversation twice in one transaction (its routing rule, then its place in the
    # queue) checks the row's foreign keys again, the customer's among them, while holding the
    # conversation; under FOR UPDATE that check waited for a delivery that waited for the
    # conversation: a deadlock (chat/tests/test_inbound.py's concurrent deliveries found it).
    list(Customer.objects.select_for_update(no_key=True).filter(pk=customer.pk).values_list("pk"))
    conversation_id = (
        Conversation.objects.filter(
            customer=customer,
            channel=message.channel,
            channel_account_id=message.account_id,
            status__in=OPEN_STATUSES,
        )
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    if conversation_id is not None:
        try:
            return _store(conversation_id, message)
        except services.ConversationClosed:
            pass  # closed between the lookup and the store: start a new one below
    stored = (
        Message.objects.filter(
            channel=message.channel, provider_message_id=message.provider_message_id
        )
        .select_related("conversation")
        .first()
    )
    if stored is not None:
        return MessageResult(stored, False)  # redelivered after its conversation closed
    conversation = services.conversation_start(
        customer=customer,
        channel=message.channel,
        context=message.context,
        team=Team(pk=message.team_id) if message.team_id else None,
        channel_account_id=message.account_id,
    )
    return _store(conversation.pk, message)


def _store(conversation_id: int, message: InboundMessage) -> MessageResult:
    payload = dict(message.payload)
    if message.sent_at is not None:
        payload["sent_at"] = message.sent_at.isoformat()
    attachment_ids = [
        Attachment.objects.create(
            conversation_id=conversation_id,
            uploader_type=SenderType.CUSTOMER,
            file=ContentFile(file.data, name=file.name),
            content_type=file.content_type,
            size=len(file.data),
            original_name=file.name,
        ).pk
        for file in message.files
    ]  # a redelivery leaves its copies unsent: the unsent-uploads sweep deletes them
    attachment_ids.extend(message.attachment_ids)
    return services.message_create(
        conversation=Conversation(pk=conversation_id),
        sender_type=SenderType.CUSTOMER,
        body=message.body,
        content_type=message.content_type,
        payload=payload,
        provider_message_id=message.provider_message_id,
        attachment_ids=attachment_ids,
        refuse_closed=True,
    )
