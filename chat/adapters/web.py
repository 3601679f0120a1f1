"""The web widget as a channel adapter: the four parts of `chat.adapters.base.AdapterShape` for
its socket (/ws/widget/, chat/widget/consumers.py) and its REST API (chat/widget/api.py).

- `verify(token)`: the visitor token → its `WidgetVisitor`, or `InvalidToken` (403
  `invalid_token` in the API; the socket closes with 4403). The token is the widget's
  signature: it names one visitor (site + customer) and nothing else (chat/widget/sessions.py).
- `parse(visitor, fields)`: a `message.send` frame, checked by `chat.frames.message_send_fields`,
  as the common envelope `chat.inbound.InboundMessage`: channel `web`, the visitor's identity,
  body, content type, `provider_message_id` = the frame's `client_msg_id`, the time the socket
  got it, the visitor's page context and the uploads' `attachment_ids`. No database work.
- `receive(visitor, message, conversation_id)`: stores the envelope through
  `chat.widget.services.widget_message_send`. The widget's dedupe key is the `client_msg_id`
  per visitor, kept in `Message.client_msg_id` (never `provider_message_id`): a resend returns
  the stored row, wherever it went; the fast path stores straight into the socket's current
  conversation (three statements, chat/tests/test_message_path.py). `ack(...)` is the frame the
  socket answers with once it has committed.
- `send(message)`: a reply reaches the widget by the realtime push after commit to the
  conversation's customer group (`chat.events.publish_message_to_customer`), which
  `chat.services.message_create` already does for every public message: nothing calls `send`
  on the message path, no delivery row, no task (`outbound` PUSH; the web is not in
  chat/channels/registry.py, whose channels' replies go through `OutboundDelivery`). Calling it
  pushes the message again (clients draw messages by `seq`: a repeat shows nothing twice).
- `delivery_status(visitor, conversation_id, seq)`: the widget's `read` frame, the customer
  has read up to `seq` (`chat.widget.services.widget_mark_read`: agent messages up to it
  become `read`, the agents hear `read`). The other status the widget knows is its own
  message's: the `ack`, sent only after commit.
"""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chat import events
from chat.adapters.base import AdapterShape, Outbound, WebhookRejected
from chat.context import ConversationContext
from chat.frames import MessageSend
from chat.inbound import InboundMessage
from chat.models import Channel, ContentType, IdentityKind, Message, WidgetVisitor
from chat.services import MessageResult
from chat.widget import services as widget_services
from chat.widget import sessions as widget_sessions
from desk.kernel import push_events


class InvalidToken(WebhookRejected):
    """A missing, bad, expired or revoked visitor token (or one of a switched-off site)."""

    status = 403
    code = "invalid_token"
    default_message = _("The visitor token is missing or not valid.")


class WebAdapter(AdapterShape):
    channel = Channel.WEB
    identity_kind = IdentityKind.WEB_VISITOR  # a signed-in user of the site: `site_user`
    outbound = Outbound.PUSH

    def verify(
        self, token: object, *, max_age: int = widget_sessions.TOKEN_MAX_AGE
    ) -> WidgetVisitor:
        """The visitor the token names (one query), or `InvalidToken`. `max_age`: how old a
        token may be (sign-out takes one up to `RESUME_MAX_AGE`)."""
        visitor = widget_sessions.visitor_from_token(token, max_age=max_age)
        if visitor is None:
            raise InvalidToken()
        return visitor

    def parse(self, visitor: WidgetVisitor, fields: MessageSend) -> InboundMessage:
        """A checked `message.send` as the envelope (no database work for a visitor from
        `verify`)."""
        return InboundMessage(
            channel=self.channel,
            provider_message_id=fields.client_msg_id,
            identity=widget_sessions.visitor_identity(visitor),
            display_name=visitor.customer.display_name,
            body=fields.body,
            # A message of only attachments is of the first one's kind (message_create).
            content_type=ContentType.TEXT if fields.body.strip() else None,
            sent_at=timezone.now(),  # a frame carries no time of its own
            context=ConversationContext.from_mapping(
                visitor.context or {}, ip_address=visitor.ip_address
            ),
            attachment_ids=tuple(fields.attachment_ids),
        )

    def receive(
        self, visitor: WidgetVisitor, message: InboundMessage, *, conversation_id: int | None
    ) -> MessageResult:
        """Store the visitor's message once (`created` False for a resend: the stored row).
        `conversation_id` is the socket's current conversation, the fast path. A conversation
        this message starts takes the visitor's latest page context and the site's team;
        `sent_at` and `display_name` are not stored (the row's time is the store's)."""
        if message.channel != self.channel:
            raise ValueError(f"not a web message: {message.channel!r}")
        return widget_services.widget_message_send(
            visitor=visitor,
            client_msg_id=message.provider_message_id,
            body=message.body,
            attachment_ids=message.attachment_ids,
            conversation_id=conversation_id,
        )

    def ack(self, message: InboundMessage, result: MessageResult, *, ref: Any) -> dict[str, Any]:
        """The `ack` of the `message.send` that gave `message` (docs/protocol.md): sent after
        commit, the same for a resend."""
        stored = result.message
        return push_events.frame(
            push_events.ACK,
            ref=ref,
            client_msg_id=message.provider_message_id,
            message_id=stored.pk,
            seq=stored.seq,
            conversation_id=stored.conversation_id,
            message=events.customer_message_json(stored),
        )

    def send(self, message: Message) -> None:
        """Push a public message to the customer's sockets of its conversation, after commit
        (`message_create` already does it for each one it stores)."""
        if message.is_internal:
            raise ValueError("an internal note never goes to the customer")
        events.publish_message_to_customer(message)

    def delivery_status(
        self, visitor: WidgetVisitor, *, conversation_id: int, seq: int
    ) -> int | None:
        """The visitor has read up to `seq`: the seq kept, or None when the conversation is
        not the visitor's."""
        return widget_services.widget_mark_read(
            visitor=visitor, conversation_id=conversation_id, seq=seq
        )


web_adapter = WebAdapter()
