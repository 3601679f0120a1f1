"""Every write to customers, conversations and messages.

`message_create` is the one way a message is stored: in one short transaction it takes the
conversation's row lock and the next `seq` (one conditional UPDATE), writes the message, records
the `message.created` domain event (desk/kernel/domain_events.py: tickets and whatever comes next
react after commit, never inside this transaction), and returns whether a new row was written; a
resend (`client_msg_id` or provider message id) returns the stored row.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from chat import events, message_store
from chat.context import ConversationContext  # built from the one list of context fields
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
from desk.kernel import domain_events
from routing import capacity
from routing import live as routing_live

if TYPE_CHECKING:
    from chat.widget.models import WidgetSite
    from routing.models import Team


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
    _identities_add(customer, identities or [])
    return customer


def customer_get_or_create_for_identity(
    *,
    identity: IdentityRef,
    data: CustomerData | None = None,
    linked: Sequence[IdentityRef] = (),
) -> tuple[Customer, bool]:
    """The customer behind a channel identity, created on first contact. Safe under races.

    `linked` are other identities of the same person (a WeChat UnionID, the same for every
    official account and mini program of one developer): an identity seen for the first time
    joins the customer one of them already names, so a person writing to two accounts is one
    customer, and every linked identity not yet known is added to the customer. An identity
    already naming another customer stays there (customers are not merged here)."""
    existing = CustomerIdentity.objects.select_related("customer").filter(
        kind=identity.kind, external_id=identity.external_id
    )
    found = existing.first()
    if found:
        customer, created = found.customer, False
    else:
        known = _customer_of_any(linked)
        try:
            with transaction.atomic():
                if known is not None:
                    _identities_add(known, [identity])
                    customer, created = known, False
                else:
                    customer, created = customer_create(data=data or CustomerData()), True
                    _identities_add(customer, [identity])
        except IntegrityError:
            customer, created = existing.get().customer, False
    for ref in linked:
        try:
            with transaction.atomic():
                _identities_add(customer, [ref])
        except IntegrityError:
            pass  # known already: this customer's, or another's (left as it is)
    return customer, created


def _customer_of_any(identities: Sequence[IdentityRef]) -> Customer | None:
    for ref in identities:
        found = (
            CustomerIdentity.objects.select_related("customer")
            .filter(kind=ref.kind, external_id=ref.external_id)
            .first()
        )
        if found is not None:
            return found.customer
    return None


def _identities_add(customer: Customer, identities: Sequence[IdentityRef]) -> None:
    for ref in identities:
        CustomerIdentity.objects.create(
            customer=customer, kind=ref.kind, external_id=ref.external_id, verified=ref.verified
        )


@transaction.atomic
def conversation_start(
    *,
    customer: Customer,
    channel: str,
    context: ConversationContext | None = None,
    subject: str = "",
    team: "Team | None" = None,
    widget_site: "WidgetSite | None" = None,
    channel_account_id: int | None = None,
) -> Conversation:
    """A new waiting conversation (one INSERT), routed to `team` and, for the widget, made on
    `widget_site`; a provider's (chat/channels) on its `channel_account_id`."""
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    ctx = context or ConversationContext()
    return Conversation.objects.create(
        customer=customer,
        channel=channel,
        subject=subject,
        status=ConversationStatus.WAITING,
        team=team,
        widget_site=widget_site,
        channel_account_id=channel_account_id,
        **ctx.__dict__,
    )


class ConversationClosed(ValueError):
    """A reply to a closed conversation (internal notes are still allowed)."""


class InvalidAttachment(ValueError):
    """A message names an attachment it may not use."""


@dataclass(frozen=True)
class MessageResult:
    message: Message
    created: bool


def message_create(
    *,
    conversation: Conversation,
    sender_type: str,
    body: str = "",
    content_type: str | None = None,
    sender_user: AbstractBaseUser | None = None,
    payload: dict | None = None,
    is_internal: bool = False,
    client_msg_id: str = "",
    provider_message_id: str = "",
    attachment_ids: Sequence[int] = (),
    refuse_closed: bool = False,
    within: QuerySet[Conversation] | None = None,
) -> MessageResult:
    """Store one message exactly once, give it the conversation's next `seq`, record the
    `message.created` domain event and announce it after commit. `attachment_ids` must be
    uploads of this conversation not yet in a message, made by this sender (the customer, or
    the agent `sender_user`); without a `content_type`, a message of only attachments takes the
    first one's kind (image, video, file …). A resend is the same sender's `client_msg_id`
    (another sender's row is never returned) or the channel's provider message id.
    `refuse_closed` raises ConversationClosed for a new message to a closed conversation (a
    resend still returns the stored row). `within` scopes the conversation (say, to one
    visitor's conversations): one outside it raises Conversation.DoesNotExist, and a customer's
    resend is found in any conversation of `within`.

    This is the hot path of every chat, and it writes before it reads. A new message costs three
    statements whatever reacts to it: the conversation's conditional UPDATE … RETURNING
    (chat/message_store.py: row lock, `seq`, counters, the scope/closed/resend conditions, and
    what the announcement needs), the message's INSERT and the domain event's INSERT; linking
    uploads adds their SELECT (the uploader check) and UPDATE. Handlers (tickets, and whatever
    comes next) run after commit. A resend is found by the unique constraints (the INSERT fails)
    or by the UPDATE's condition; only then, after rolling back, is the stored row read."""
    for _ in range(2):  # a second round only if the row that stopped the first one vanished
        try:
            with transaction.atomic():
                return _message_store(
                    conversation_id=conversation.pk,
                    sender_type=sender_type,
                    body=body,
                    content_type=content_type,
                    sender_user=sender_user,
                    payload=payload,
                    is_internal=is_internal,
                    client_msg_id=client_msg_id,
                    provider_message_id=provider_message_id,
                    attachment_ids=attachment_ids,
                    refuse_closed=refuse_closed,
                    within=within,
                )
        except (_NotTaken, IntegrityError, InvalidAttachment) as exc:
            refused = exc
        # The rare path, after the rollback: why was nothing stored?
        conv = (Conversation.objects.all() if within is None else within).get(pk=conversation.pk)
        duplicate = _existing_message(
            conv, sender_type, sender_user, client_msg_id, provider_message_id, within
        )
        if duplicate is not None:
            return MessageResult(duplicate, False)
        if refuse_closed and conv.status == ConversationStatus.CLOSED:
            raise ConversationClosed("The conversation is closed.")
        if not isinstance(refused, _NotTaken):
            raise refused
    raise RuntimeError(f"conversation {conversation.pk}: the message could not be stored")


class _NotTaken(Exception):
    """The conversation's UPDATE matched no row (out of scope, closed, or a resend)."""


def _message_store(
    *,
    conversation_id: int,
    sender_type: str,
    body: str,
    content_type: str | None,
    sender_user: AbstractBaseUser | None,
    payload: dict | None,
    is_internal: bool,
    client_msg_id: str,
    provider_message_id: str,
    attachment_ids: Sequence[int],
    refuse_closed: bool,
    within: QuerySet[Conversation] | None,
) -> MessageResult:
    """The new message's statements (call inside a transaction; raises _NotTaken, an
    IntegrityError for a resend, or InvalidAttachment)."""
    taken = message_store.conversation_next_seq(
        conversation_id=conversation_id,
        sender_type=sender_type,
        is_internal=is_internal,
        now=timezone.now(),
        within=within,
        refuse_closed=refuse_closed,
        client_msg_id=client_msg_id,
        sender_user=sender_user,
    )
    if taken is None:
        raise _NotTaken
    conv = taken.conversation
    wanted = set(attachment_ids)
    linked: list[Attachment] = []
    if wanted:  # the conversation's row lock is held: no upload is deleted meanwhile
        linked = sorted(
            Attachment.objects.filter(
                pk__in=wanted,
                conversation_id=conv.pk,
                message=None,
                uploader_type=sender_type,
                uploader_user=sender_user if sender_type == SenderType.AGENT else None,
            ),
            key=lambda a: a.pk,
        )
        if len(linked) != len(wanted):
            raise InvalidAttachment(
                "An attachment is unknown, of another conversation or sender, or used."
            )
    if content_type is None:
        content_type = ContentType.TEXT
        if linked and not body.strip():
            from chat.attachments import attachment_kind

            content_type = attachment_kind(linked[0])
    message = Message.objects.create(
        conversation=conv,
        seq=conv.last_seq,
        delivery_state=_first_delivery_state(conv, sender_type, is_internal, content_type),
        channel=conv.channel,
        sender_type=sender_type,
        sender_user=taken.sender,
        content_type=content_type,
        body=body,
        payload=payload or {},
        is_internal=is_internal,
        client_msg_id=client_msg_id,
        provider_message_id=provider_message_id,
    )
    if linked:
        Attachment.objects.filter(pk__in=wanted).update(message=message)
        for attachment in linked:
            attachment.message = message
    message.attachment_list = linked
    domain_events.record(
        "message.created",
        conversation_id=conv.pk,
        message_id=message.pk,
        payload={
            "sender_type": sender_type,
            "is_internal": is_internal,
            "seq": message.seq,
            "channel": message.channel,
            "assigned": conv.assignee_id is not None,  # routing takes only unassigned ones
        },
    )
    events.publish_message(message)
    return MessageResult(message, True)


def _first_delivery_state(
    conv: Conversation, sender_type: str, is_internal: bool, content_type: str
) -> str:
    """A reply (or a ticket card) into a provider account's conversation is on its way
    (chat/channels/outbound.py sends it after commit and sets `sent` or `failed`); every other
    message is there at once."""
    outgoing = sender_type in (SenderType.AGENT, SenderType.BOT) or (
        sender_type == SenderType.SYSTEM and content_type == ContentType.TICKET
    )
    if conv.channel_account_id is not None and not is_internal and outgoing:
        return DeliveryState.PENDING
    return DeliveryState.SENT


def _existing_message(
    conv: Conversation,
    sender_type: str,
    sender_user: AbstractBaseUser | None,
    client_msg_id: str,
    provider_message_id: str,
    within: QuerySet[Conversation] | None = None,
) -> Message | None:
    """A resend: the same sender's `client_msg_id` (the customer side — in any conversation of
    `within` when given —, or that one agent; the unique constraints on Message draw the same
    lines), or the channel's provider id."""
    if client_msg_id:
        same_sender = Q(sender_type=sender_type)
        if sender_type != SenderType.CUSTOMER:
            same_sender &= Q(sender_user=sender_user)
        where = (
            Q(conversation__in=within.order_by().values("pk"))
            if within is not None and sender_type == SenderType.CUSTOMER
            else Q(conversation=conv)
        )
        found = Message.objects.filter(same_sender, where, client_msg_id=client_msg_id).first()
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


def _holder(conversation: Conversation) -> int | None:
    """The agent whose capacity the conversation takes: its assignee while it is not closed."""
    return conversation.assignee_id if conversation.status != ConversationStatus.CLOSED else None


@transaction.atomic
def conversation_update_fields(
    *,
    actor: AbstractBaseUser | None,
    conversation: Conversation,
    changes: Mapping[str, Any],
    slot_claimed: bool = False,
) -> Conversation:
    """Change status, assignee, team or priority; each real change adds an activity message.

    The activity message (system sender, `event` content, internal) is the conversation's audit
    row and takes the next `seq`, so every open workspace sees the change in the timeline.

    The agents' load follows (routing.capacity): the agent who no longer holds it gets a slot
    back, the new assignee's count grows (`slot_claimed`: auto-assignment has already claimed it
    within the limit), and `conversation.released` is recorded so routing gives the freed slot
    to the queue, or routes the conversation again when it is left open with nobody on it.
    """
    unknown = set(changes) - set(CONVERSATION_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"fields not editable: {sorted(unknown)}")
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    held_by = _holder(locked)
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
    _load_follow(locked, held_by, slot_claimed=slot_claimed, changed=set(fields))
    if locked.offered_to_id is not None and (
        locked.assignee_id is not None
        or locked.status == ConversationStatus.CLOSED
        or "team" in fields
    ):
        _offer_cancel(locked)
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


def conversation_event_record(
    *,
    actor: AbstractBaseUser | None,
    conversation: Conversation,
    event: str,
    body: str,
    payload: Mapping[str, Any] | None = None,
) -> Message:
    """Write one event on the conversation's timeline (an internal `event` message, the audit row
    of a change made elsewhere: routing's overflow and offers). `event` names it in the payload
    (`conversation.overflow`, …), which the workspace renders in the reader's language; `body`
    is the text for everything else."""
    return message_create(
        conversation=conversation,
        sender_type=SenderType.SYSTEM,
        sender_user=actor,
        content_type=ContentType.EVENT,
        is_internal=True,
        body=body,
        payload={**(payload or {}), "event": event},
    ).message


def _offer_cancel(conversation: Conversation) -> None:
    """A conversation on offer (chat/assignment/offers.py) was assigned, closed or moved by
    hand: the offer ends and the offered agent's reserved slot comes back at once (its
    `conversation.released` lets the queue use it)."""
    user_id = conversation.offered_to_id
    Conversation.objects.filter(pk=conversation.pk).update(offered_to=None, offer_expires_at=None)
    conversation.offered_to_id, conversation.offer_expires_at = None, None
    capacity.agent_load_release(user_id=user_id, channel=conversation.channel)
    domain_events.record(
        "conversation.released",
        conversation_id=conversation.pk,
        payload={"agent_id": user_id, "requeue": False},
    )


def _load_follow(
    conversation: Conversation, held_by: int | None, *, slot_claimed: bool, changed: set[str]
) -> None:
    """Move the conversation's slot from the agent who held it to the one who holds it now
    (the conversation's row lock is held; agents' rows are updated in id order)."""
    holds = _holder(conversation)
    if held_by != holds:
        for user_id in sorted(filter(None, {held_by, holds})):
            if user_id == held_by:
                capacity.agent_load_release(user_id=user_id, channel=conversation.channel)
            elif not slot_claimed:
                capacity.agent_load_add(user_id=user_id, channel=conversation.channel)
    requeue = (
        conversation.status != ConversationStatus.CLOSED
        and conversation.assignee_id is None
        and bool(changed & {"assignee", "team", "status"})
    )
    _live_hint(held_by=held_by, holds=holds, changed=changed)
    if (held_by is not None and held_by != holds) or requeue:
        domain_events.record(
            "conversation.released",
            conversation_id=conversation.pk,
            payload={"agent_id": held_by if held_by != holds else None, "requeue": requeue},
        )


def _live_hint(*, held_by: int | None, holds: int | None, changed: set[str]) -> None:
    """The supervisors' Live view (routing.live): an agent's load moved, or the conversation may
    have joined, left or moved in the waiting queue (nobody held it before or after)."""
    changes = []
    if held_by != holds:
        changes.append(routing_live.LOAD)
    if (held_by is None or holds is None) and changed & {"assignee", "team", "status", "priority"}:
        changes.append(routing_live.QUEUE)
    routing_live.routing_changed_publish(*changes)


def attachment_delete(*, attachment: Attachment) -> None:
    """Remove the row, and the stored file once the deletion has committed."""
    storage, name = attachment.file.storage, attachment.file.name
    with transaction.atomic():
        attachment.delete()
        transaction.on_commit(lambda: storage.delete(name) if name else None)


def attachment_discard(
    *,
    actor: AbstractBaseUser | None,
    conversations: QuerySet[Conversation],
    attachment_id: int,
) -> bool:
    """The uploader removed an upload from the composer: delete it (file too) if it is in
    `conversations`, was made by `actor` (None: the customer side) and no message has it yet.
    False otherwise, which callers answer like an unknown id. An unsent upload is a draft, so
    this writes no audit row."""
    uploader = {
        "uploader_type": SenderType.CUSTOMER if actor is None else SenderType.AGENT,
        "uploader_user": actor,
    }
    found = Attachment.objects.filter(
        pk=attachment_id, conversation__in=conversations, **uploader
    ).first()
    return found is not None and _unsent_delete(found)


def attachments_sweep_unsent(*, older_than: timedelta, batch: int = 500) -> int:
    """Delete uploads no message took within `older_than` (files too); returns how many. Beat
    runs it (house rule 7: `attachment_unsent_created` indexes exactly these rows)."""
    cutoff = timezone.now() - older_than
    stale = Attachment.objects.filter(message=None, created_at__lt=cutoff).order_by("created_at")
    return sum(_unsent_delete(attachment) for attachment in stale[:batch])


@transaction.atomic
def _unsent_delete(attachment: Attachment) -> bool:
    """Delete the upload if it is still unsent, holding its conversation's row lock, the lock
    message_create holds while it takes uploads: a send and a delete never both have it."""
    Conversation.objects.select_for_update().filter(pk=attachment.conversation_id).first()
    if not Attachment.objects.filter(pk=attachment.pk, message=None).exists():
        return False
    attachment_delete(attachment=attachment)
    return True


# ---- agent workspace writes ---------------------------------------------------------------


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
    return message_create(
        conversation=conversation,
        sender_type=SenderType.AGENT,
        sender_user=actor,
        body=body,
        is_internal=is_internal,
        client_msg_id=client_msg_id,
        attachment_ids=attachment_ids,
        refuse_closed=not is_internal,
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
