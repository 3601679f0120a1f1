"""The widget socket /ws/widget/ (docs/protocol.md, "Widget socket").

The first frame is `{"type": "auth", "token": <visitor token>}` (never the URL, which proxies
log); the token names one visitor (site + customer). The socket hears that visitor's group (new
conversations from any tab) and the customer group of each of the visitor's conversations it
knows; it never joins anything else, so it never hears internal notes or other customers.
"""

import asyncio
import json
import time
from typing import Any

from chat import events
from chat.frames import message_send_fields, typing_state
from chat.models import WidgetVisitor
from chat.widget import selectors as widget_selectors
from chat.widget import services as widget_services
from chat.widget import sessions as widget_sessions
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
        visitor = await db_async(widget_sessions.visitor_from_token)(content.get("token"))
        if visitor is None:
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
        send = message_send_fields(content)
        await ratelimit.aenforce(("message.visitor", self.visitor.pk))
        result = await db_async(self._send)(send.client_msg_id, send.body, send.attachment_ids)
        # The service's transaction has committed: the ack never runs ahead of the row. It goes
        # out before we subscribe to a new conversation's pushes, so a Redis outage (pushes are
        # only hints) never withholds the ack of a stored message.
        await self.send_json(
            frame(
                push_events.ACK,
                ref=content.get("ref"),
                client_msg_id=send.client_msg_id,
                message_id=result["id"],
                seq=result["seq"],
                conversation_id=result["conversation_id"],
                message=result,
            )
        )
        await self.follow(result["conversation_id"])

    def _send(self, client_msg_id: str, body: str, attachment_ids: list[int]) -> dict[str, Any]:
        # Refusals (closed, attachment, pre-chat form) are answered from the one error table
        # (desk/kernel/errors.py, chat/errors.py).
        result = widget_services.widget_message_send(
            visitor=self.visitor,
            client_msg_id=client_msg_id,
            body=body,
            attachment_ids=attachment_ids,
            conversation_id=self.current_id,
        )
        return events.customer_message_json(result.message)

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
        done = await db_async(widget_services.widget_mark_read)(
            visitor=self.visitor, conversation_id=conversation_id, seq=seq
        )
        if done is None:
            raise FrameError("not_found", "No such conversation.")
