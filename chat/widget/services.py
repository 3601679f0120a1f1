"""Every write a widget visitor makes: conversations, messages, uploads, read receipts.

Each write first locks the visitor's `WidgetVisitor` row, so two tabs of one visitor never start
two conversations at once and a resent `client_msg_id` is found even when the conversation it went
to has closed since (the resend returns the stored message; it never makes a second row).

A message to a closed conversation starts a new conversation (closed is final for the customer; the
new one is routed afresh, `conversation.new` tells every tab of the visitor).

Nothing else happens in the message's transaction. A newly stored message records the
`message.created` domain event (chat.services.message_create); after commit its handlers
(desk/event_handlers.py, tickets/handlers.py) continue the conversation's ticket or fire a keyword
trigger, and turn the first message of a conversation nobody can answer now into a leave-a-message
ticket when the site has `offline_tickets`. A resend records nothing.
"""

from collections.abc import Sequence
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from chat import events, services
from chat.attachments import attachment_upload
from chat.models import (
    Attachment,
    Channel,
    Conversation,
    ConversationStatus,
    DeliveryState,
    Message,
    SenderType,
    WidgetVisitor,
)
from desk.kernel import push_events, ratelimit, realtime

OPEN_STATUSES = (ConversationStatus.WAITING, ConversationStatus.OPEN)


class PrechatRequired(PermissionError):
    """The site's pre-chat form must be filled before the first conversation."""


def visitor_group(visitor: WidgetVisitor) -> str:
    """Every widget socket of one visitor (hears `conversation.new`)."""
    return events.visitor_group(visitor.site_id, visitor.customer_id)


def visitor_conversations(visitor: WidgetVisitor) -> QuerySet[Conversation]:
    """The only conversations a visitor token reaches."""
    return Conversation.objects.filter(
        customer_id=visitor.customer_id, widget_site_id=visitor.site_id, channel=Channel.WEB
    )


def visitor_has_conversation(visitor: WidgetVisitor) -> bool:
    return visitor_conversations(visitor).exists()


def visitor_conversation(visitor: WidgetVisitor) -> Conversation | None:
    """The one the widget shows: the open conversation, else the latest closed one."""
    conversations = visitor_conversations(visitor).select_related("assignee__agent_profile")
    found = conversations.filter(status__in=OPEN_STATUSES).order_by("-id").first()
    return found or conversations.order_by("-id").first()


def _lock(visitor: WidgetVisitor) -> WidgetVisitor:
    """The visitor's row only: `of=self`, or PostgreSQL would lock the joined site row too and
    every visitor of the site would start conversations one at a time. The site, its team and
    the customer come in the same statement (a new conversation needs them all)."""
    return (
        WidgetVisitor.objects.select_for_update(of=("self",))
        .select_related("site__team", "customer")
        .get(pk=visitor.pk)
    )


@transaction.atomic
def visitor_conversation_start(
    *, visitor: WidgetVisitor, subject: str = "", prechat_done: bool = False
) -> tuple[Conversation, bool]:
    """The visitor's open conversation, or a new one with the visitor's latest page context,
    routed to the site's team. Returns (conversation, created)."""
    return _conversation_start(_lock(visitor), subject=subject, prechat_done=prechat_done)


def _conversation_start(
    locked: WidgetVisitor, *, subject: str = "", prechat_done: bool = False
) -> tuple[Conversation, bool]:
    """`visitor_conversation_start` for a visitor locked by `_lock` in this transaction."""
    site = locked.site
    current = visitor_conversations(locked).filter(status__in=OPEN_STATUSES).order_by("-id")
    existing = current.first()
    if existing is not None:
        return existing, False
    if site.prechat_enabled and not prechat_done and not visitor_has_conversation(locked):
        raise PrechatRequired("Fill in the pre-chat form first.")
    # Refused (RateLimited) before anything is made: no flood of new chats into every inbox.
    ratelimit.enforce(
        ("conversation_new.ip", locked.ip_address), ("conversation_new.site", site.pk)
    )
    ctx = locked.context or {}
    conversation = services.conversation_start(
        customer=locked.customer,
        channel=Channel.WEB,
        subject=subject[:200],
        context=services.ConversationContext.from_mapping(ctx, ip_address=locked.ip_address),
        team=site.team,
        widget_site=site,
    )
    events.publish_conversation(conversation, current=True)
    realtime.publish(
        [visitor_group(locked)],
        push_events.frame(
            push_events.CONVERSATION_NEW,
            conversation_id=conversation.pk,
            conversation=events.customer_conversation_json(conversation),
        ),
    )
    return conversation, True


def widget_message_send(
    *,
    visitor: WidgetVisitor,
    client_msg_id: str,
    body: str,
    attachment_ids: Sequence[int] = (),
    conversation_id: int | None = None,
) -> services.MessageResult:
    """A visitor's message, stored once: a resend returns the first row wherever it went.

    `conversation_id` is the socket's current conversation. The fast path stores straight into
    it: `message_create` with `within` = the visitor's conversations is three statements (the
    conversation's conditional UPDATE, the message and the domain event), and that UPDATE's
    WHERE also asks that no conversation of the visitor holds a customer message with this
    `client_msg_id`. That is the resend after the conversation changed (stored in a conversation
    that has closed since, resent into the open one a new socket now follows); a resend into the
    same conversation is refused by the unique constraint (conversation, client_msg_id) as well,
    which also settles two concurrent sends of one id there. Either way nothing is written and
    the stored row is read on message_create's rare path.

    Why the condition is enough without a lock on the visitor: a visitor has one open
    conversation at a time (started under the visitor's lock), so the earlier conversation A
    was closed before the current one B existed. Closing A updates A's row, which waits for the
    row lock a send into A holds until its commit; so any message stored in A committed before
    B was created, hence before a send into B begins, and that send's UPDATE sees it.

    Closed, or not this visitor's: the slow path locks the visitor, looks the id up across its
    conversations and finds or starts the open conversation."""
    if conversation_id is not None:
        try:
            return _send_into(
                Conversation(pk=conversation_id),
                client_msg_id,
                body,
                attachment_ids,
                within=visitor_conversations(visitor),
            )
        except (services.ConversationClosed, Conversation.DoesNotExist):
            pass  # closed (or not this visitor's): find or start the open one below
    return _widget_message_send_slow(visitor, client_msg_id, body, attachment_ids)


def _earlier_send(visitor: WidgetVisitor, client_msg_id: str) -> Message | None:
    """The visitor's message with this `client_msg_id` in any of its conversations, even one
    that has closed since (a resend after the conversation changed)."""
    return Message.objects.filter(
        conversation__in=visitor_conversations(visitor),
        sender_type=SenderType.CUSTOMER,
        client_msg_id=client_msg_id,
    ).first()


def _send_into(
    conversation: Conversation,
    client_msg_id: str,
    body: str,
    attachment_ids: Sequence[int],
    within: QuerySet[Conversation] | None = None,
) -> services.MessageResult:
    return services.message_create(
        within=within,
        conversation=conversation,
        sender_type=SenderType.CUSTOMER,
        body=body,
        client_msg_id=client_msg_id,
        attachment_ids=attachment_ids,
        refuse_closed=True,
    )


@transaction.atomic
def _widget_message_send_slow(
    visitor: WidgetVisitor, client_msg_id: str, body: str, attachment_ids: Sequence[int]
) -> services.MessageResult:
    locked = _lock(visitor)
    earlier = _earlier_send(locked, client_msg_id)
    if earlier is not None:
        return services.MessageResult(earlier, False)
    conversation, _ = _conversation_start(locked)
    return _send_into(conversation, client_msg_id, body, attachment_ids)


@transaction.atomic
def widget_attachment_upload(*, visitor: WidgetVisitor, upload: UploadedFile) -> Attachment:
    """Store an upload in the visitor's open conversation (started if there is none). A
    refused file rolls everything back, the new conversation included."""
    conversation, _ = visitor_conversation_start(visitor=visitor)
    return attachment_upload(conversation=conversation, upload=upload, actor=None)


def widget_attachment_discard(*, visitor: WidgetVisitor, attachment_id: int) -> bool:
    """The visitor no longer wants an upload it has not sent: deleted, file too. False when it
    is not the visitor's own unsent upload (an agent's, another visitor's, sent, unknown)."""
    return services.attachment_discard(
        actor=None, conversations=visitor_conversations(visitor), attachment_id=attachment_id
    )


@transaction.atomic
def widget_mark_read(*, visitor: WidgetVisitor, conversation_id: int, seq: int) -> int | None:
    """The visitor has read up to `seq`: agent messages up to it become `read`, the unread
    counter keeps what came after, and the agents viewing it hear `read`. Returns the seq, or
    None when the conversation is not the visitor's."""
    locked = visitor_conversations(visitor).select_for_update().filter(pk=conversation_id).first()
    if locked is None:
        return None
    seq = max(0, min(seq, locked.last_seq))
    replies = Message.objects.filter(
        conversation=locked,
        sender_type__in=[SenderType.AGENT, SenderType.BOT],
        is_internal=False,
    )
    replies.filter(seq__lte=seq).exclude(delivery_state=DeliveryState.READ).update(
        delivery_state=DeliveryState.READ, read_at=timezone.now()
    )
    unread = replies.filter(seq__gt=seq).count()
    if unread != locked.unread_by_customer:
        locked.unread_by_customer = unread
        locked.save(update_fields=["unread_by_customer"])
    events.publish_read(locked.pk, by=SenderType.CUSTOMER, seq=seq)
    return seq


def conversation_queue_place(visitor: WidgetVisitor) -> dict[str, Any] | None:
    """The visitor's open conversation's place in the waiting queue (position, estimated wait,
    whether an agent is online), or None when it is not waiting for an agent."""
    from chat.assignment.selectors import queue_place

    conversation = visitor_conversation(visitor)
    place = queue_place(conversation) if conversation is not None else None
    return place.as_json() if place is not None else None


def conversation_state(visitor: WidgetVisitor) -> dict[str, Any] | None:
    conversation = visitor_conversation(visitor)
    return events.customer_conversation_json(conversation) if conversation else None
