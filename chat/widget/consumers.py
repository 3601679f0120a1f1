"""The widget socket /ws/widget/ (docs/protocol.md, "Widget socket").

The first frame is `{"type": "auth", "token": <visitor token>}` (never the URL, which proxies
log); the token names one visitor (site + customer). The socket hears that visitor's group (new
conversations from any tab) and the customer group of each of the visitor's conversations it
knows; it never joins anything else, so it never hears internal notes or other customers.

The socket is the web channel's adapter at work (chat/adapters/web.py): the token is verified by
its `verify`, a `message.send` becomes the common envelope by its `parse` and is stored by its
`receive`, `read` is its `delivery_status`; replies come as the customer group's pushes (its
`send`).
"""

import asyncio
import json
import time
from typing import Any

from chat import events
from chat.adapters.web import InvalidToken, web_adapter
from chat.frames import MessageSend, message_send_fields, typing_state
from chat.models import WidgetVisitor
from chat.widget import selectors as widget_selectors
from chat.widget import services as widget_services
from desk.kernel import push_events, ratelimit, realtime
from desk.kernel.db import db_async
from desk.kernel.groups import GroupMembership
from desk.kernel.push_events import frame
from desk.kernel.socket import FrameError, JsonFrameConsumer, frame_integer
from routing.selectors import team_has_agent_online

CLOSE_FORBIDDEN = 4403  # bad, expired or revoked token: the widget renews its session
CLOSE_UNAUTHENTICATED = 4401  # no `auth` frame first, or none within AUTH_TIMEOUT
AUTH_TIMEOUT = 5.0  # seconds
CUSTOMER_TYPING_FIELDS = ("type", "conversation_id", "by", "name", "state")
# message.send is limited per visitor across all its sockets (desk/kernel/ratelimit.py).
# typing frames beyond this are dropped without a word (they are only hints)
TYPING_BURST = 5
TYPING_PER_SECOND = 1.0


class TokenBucket:
    def __init__(self, burst: int, per_second: float):
        self.burst = burst
        self.per_second = per_second
        self.tokens = float(burst)
        self.at = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.per_second)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class WidgetConsumer(GroupMembership, JsonFrameConsumer):
    visitor: WidgetVisitor | None = None

    async def connect(self):
        # Accepted before anything is known: the token comes in the first frame. A socket that
        # says nothing is closed with 4401 after AUTH_TIMEOUT.
        await self.accept()
        self.auth_timer = asyncio.get_running_loop().create_task(self._auth_deadline())

    async def _auth_deadline(self) -> None:
        await asyncio.sleep(AUTH_TIMEOUT)
        if self.visitor is None:
            await self.close(code=CLOSE_UNAUTHENTICATED)

    async def receive_json(self, content, **kwargs):
        if self.visitor is None:
            await self.authenticate(content)
        else:
            await super().receive_json(content, **kwargs)

    async def authenticate(self, content: dict) -> None:
        """The first frame: `auth` with a token that opens the socket, else the socket closes
        (4401 for anything but `auth`; 4403, which the widget answers by renewing its session,
        for a bad, expired or revoked token)."""
        self.auth_timer.cancel()
        if content.get("type") != "auth":
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        try:
            visitor = await db_async(web_adapter.verify)(content.get("token"))
        except InvalidToken:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        if not await ratelimit.socket_claim("visitor", visitor.pk, self.channel_name):
            await self.send_error("too_many_sockets", "Close another tab of this chat first.")
            await self.close(code=ratelimit.CLOSE_TOO_MANY_SOCKETS, reason="too_many_sockets")
            return
        self.visitor = visitor  # from here on, disconnect frees the socket's slot
        self.init_groups()
        self.conversation_ids: set[int] = set()
        self.current_id: int | None = None
        self.typings = TokenBucket(TYPING_BURST, TYPING_PER_SECOND)
        await self.join(widget_services.visitor_group(self.visitor))
        hello = await db_async(self._hello)()
        if hello["conversation"]:
            await self.follow(hello["conversation"]["id"])
        await self.send_json(hello)

    def _hello(self) -> dict[str, Any]:
        hello = frame(
            push_events.HELLO,
            customer={"name": self.visitor.customer.display_name},
            conversation=widget_services.conversation_state(self.visitor),
            agents_online=team_has_agent_online(team_id=self.visitor.site.team_id),
        )
        queue = widget_services.conversation_queue_place(self.visitor)
        if queue is not None:  # the open conversation waits for an agent
            hello["queue"] = queue
        return hello

    async def disconnect(self, code):
        if getattr(self, "auth_timer", None) is not None:
            self.auth_timer.cancel()
        await self.leave_groups()
        if self.visitor is not None:
            await ratelimit.socket_release("visitor", self.visitor.pk, self.channel_name)

    async def follow(self, conversation_id: int) -> None:
        """Hear this conversation (of this visitor: callers got the id from the visitor's own
        state) and make it the current one when it is the newest."""
        self.conversation_ids.add(conversation_id)
        if self.current_id is None or conversation_id > self.current_id:
            self.current_id = conversation_id
        await self.join(events.conversation_customer(conversation_id))

    async def event_push(self, message: dict) -> None:
        kind = message.get("kind")
        if kind == push_events.SESSION_REVOKED:  # signed out: every socket of theirs ends
            await self.close(code=CLOSE_FORBIDDEN)
            return
        if kind == push_events.CONVERSATION_NEW:
            await self.follow(message["conversation_id"])
        elif kind == push_events.TYPING:  # only what a customer may know of who types
            event = json.loads(message["text"])
            shown = {key: event.get(key) for key in CUSTOMER_TYPING_FIELDS}
            message = {**message, "text": json.dumps(shown)}
        await super().event_push(message)

    # ---- frames -------------------------------------------------------------------------------

    async def frame_ping(self, content):
        await ratelimit.socket_refresh("visitor", self.visitor.pk, self.channel_name)
        await self.send_json(frame(push_events.PONG, ref=content.get("ref")))

    async def frame_message_send(self, content):
        fields = message_send_fields(content)
        await ratelimit.aenforce(("message.visitor", self.visitor.pk))
        ack = await db_async(self._send)(fields, content.get("ref"))
        # The service's transaction has committed: the ack never runs ahead of the row. It goes
        # out before we subscribe to a new conversation's pushes, so a Redis outage (pushes are
        # only hints) never withholds the ack of a stored message.
        await self.send_json(ack)
        await self.follow(ack["conversation_id"])

    def _send(self, fields: MessageSend, ref: Any) -> dict[str, Any]:
        # Refusals (closed, attachment, pre-chat form) are answered from the one error table
        # (desk/kernel/errors.py, chat/errors.py).
        message = web_adapter.parse(self.visitor, fields)
        result = web_adapter.receive(self.visitor, message, conversation_id=self.current_id)
        return web_adapter.ack(message, result, ref=ref)

    async def frame_sync(self, content):
        conversation_id = frame_integer(content, "conversation_id")
        after_seq = frame_integer(content, "after_seq")
        page = await db_async(widget_selectors.visitor_messages_after)(
            self.visitor, conversation_id, after_seq=after_seq
        )
        if page is None:
            raise FrameError("not_found", "No such conversation.")
        await self.follow(page.conversation_id)
        answer = frame(
            push_events.MESSAGES,
            conversation_id=page.conversation_id,
            messages=page.messages,
            last_seq=page.last_seq,
            has_more=page.has_more,
        )
        if content.get("ref") is not None:
            answer["ref"] = content["ref"]
        await self.send_json(answer)

    async def frame_typing(self, content):
        state = typing_state(content)
        if self.current_id is None or not self.typings.take():
            return  # nobody to tell yet, or too chatty: typing is only a hint
        await realtime.send_ephemeral(
            [events.conversation_agents(self.current_id)],
            frame(
                push_events.TYPING,
                conversation_id=self.current_id,
                by="customer",
                name=self.visitor.customer.display_name,
                state=state,
            ),
        )

    async def frame_read(self, content):
        seq = frame_integer(content, "seq")
        conversation_id = content.get("conversation_id", self.current_id)
        if conversation_id is None:
            raise FrameError("not_found", "No conversation yet.")
        conversation_id = frame_integer({"conversation_id": conversation_id}, "conversation_id")
        done = await db_async(web_adapter.delivery_status)(
            self.visitor, conversation_id=conversation_id, seq=seq
        )
        if done is None:
            raise FrameError("not_found", "No such conversation.")
