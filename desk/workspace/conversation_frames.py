"""The conversation frames of the agent socket: open/leave (viewers), send, sync, typing, read.

Every conversation id goes through `chat.selectors.conversation_get_for_agent`: an unknown
conversation and one the agent may not see both get `not_found`. Frames are in docs/protocol.md.

A conversation checked once is remembered (`allowed_conversations`), so typing costs no database
statement. When one leaves the agent's scope (moved to another team or agent), the
`conversation.update` that tells the inbox it left also reaches this socket: the socket forgets it,
leaves its `conv.<id>.agents` group and says `conversation.removed`; its next frames about it are
`not_found`. Each heartbeat checks the remembered ones against the database again, for changes
whose push was lost and for the agent's own team changes.
"""

import json
from typing import Any

from chat import events, selectors, services
from chat.frames import frame_flag, message_send_fields, typing_state
from chat.models import Conversation
from desk.kernel import push_events, ratelimit, realtime
from desk.kernel.db import db_async
from desk.kernel.push_events import frame
from desk.kernel.socket import FrameError, frame_integer

MAX_OPEN_CONVERSATIONS = 20


class ConversationFrames:
    """Mixed into `AgentConsumer`, which sets `self.user`, `self.profile`, `self.viewers`."""

    def init_conversation_state(self) -> None:
        self.open_conversations: set[int] = set()
        self.allowed_conversations: set[int] = set()  # access already checked on this socket

    # ---- access -----------------------------------------------------------------------------

    def _conversation_sync(self, conversation_id: int) -> Conversation:
        conversation = selectors.conversation_get_for_agent(self.user, conversation_id)
        if conversation is None:
            raise FrameError("not_found", "No such conversation.")
        return conversation

    async def conversation(self, content: dict) -> Conversation:
        conversation_id = frame_integer(content, "conversation_id")
        conversation = await db_async(self._conversation_sync)(conversation_id)
        self.allowed_conversations.add(conversation.pk)
        return conversation

    async def allowed_conversation_id(self, content: dict) -> int:
        """A conversation id this socket has already been allowed to see (cheap, for typing)."""
        conversation_id = frame_integer(content, "conversation_id")
        if conversation_id not in self.allowed_conversations:
            await self.conversation(content)
        return conversation_id

    async def event_push(self, message: dict) -> None:
        await super().event_push(message)
        conversation_id = message.get("conversation_id")
        if message.get("kind") == push_events.CONVERSATION_UPDATE and (
            conversation_id in self.allowed_conversations
        ):
            summary = json.loads(message["text"])["conversation"]
            team, assignee = summary["team"], summary["assignee"]
            now_seen_by = events.scope_groups(
                team["id"] if team else None, assignee["id"] if assignee else None
            )
            if self.inbox_groups.isdisjoint(now_seen_by):
                await self.forget_conversations([conversation_id])

    async def recheck_scope(self) -> None:
        """The heartbeat's check: forget every remembered conversation the agent lost."""
        if not self.allowed_conversations:
            return
        remembered = sorted(self.allowed_conversations)
        kept = await db_async(self._reachable_sync)(remembered)
        await self.forget_conversations([pk for pk in remembered if pk not in kept])

    def _reachable_sync(self, conversation_ids: list[int]) -> set[int]:
        found = selectors.conversations_for_agent(self.user).filter(pk__in=conversation_ids)
        return set(found.values_list("pk", flat=True))

    async def forget_conversations(self, conversation_ids: list[int]) -> None:
        """Out of the agent's scope now: hear nothing more of them, and tell the client."""
        for conversation_id in conversation_ids:
            if conversation_id not in self.allowed_conversations:
                continue
            self.allowed_conversations.discard(conversation_id)
            if conversation_id in self.open_conversations:
                await self.leave_conversation(conversation_id)
            await self.send_json(
                frame(push_events.CONVERSATION_REMOVED, conversation_id=conversation_id)
            )

    # ---- viewers ----------------------------------------------------------------------------

    async def frame_conversation_open(self, content: dict) -> None:
        conversation = await self.conversation(content)
        if conversation.pk not in self.open_conversations:
            if len(self.open_conversations) >= MAX_OPEN_CONVERSATIONS:
                raise FrameError(
                    "too_many_open",
                    f"Leave a conversation first (at most {MAX_OPEN_CONVERSATIONS}).",
                )
            self.open_conversations.add(conversation.pk)
            await self.join(events.conversation_agents(conversation.pk))
        await self.viewers.add([conversation.pk])
        await self.broadcast_viewers(conversation.pk)

    async def frame_conversation_leave(self, content: dict) -> None:
        conversation_id = frame_integer(content, "conversation_id")
        if conversation_id in self.open_conversations:  # leaving twice is harmless
            await self.leave_conversation(conversation_id)

    async def leave_conversation(self, conversation_id: int) -> None:
        self.open_conversations.discard(conversation_id)
        await self.leave(events.conversation_agents(conversation_id))
        await self.viewers.remove(conversation_id)
        await self.broadcast_viewers(conversation_id)

    async def leave_all_conversations(self) -> None:
        for conversation_id in list(self.open_conversations):
            await self.leave_conversation(conversation_id)

    async def broadcast_viewers(self, conversation_id: int) -> None:
        viewers = await self.viewers.list(conversation_id)
        await realtime.send_ephemeral(
            [events.conversation_agents(conversation_id)],
            frame(push_events.VIEWERS, conversation_id=conversation_id, viewers=viewers),
        )

    async def refresh_viewing(self) -> None:
        await self.viewers.add(sorted(self.open_conversations))

    # ---- messages ---------------------------------------------------------------------------

    async def frame_message_send(self, content: dict) -> None:
        send = message_send_fields(content)  # the same checks as the widget's (chat/frames.py)
        is_internal = frame_flag(content, "is_internal", code="invalid_message")
        conversation_id = frame_integer(content, "conversation_id")
        await ratelimit.aenforce(("message.agent", self.user.pk))  # across all their sockets
        message = await db_async(self._send_sync)(
            conversation_id, send.body, send.client_msg_id, is_internal, send.attachment_ids
        )
        await self.send_json(
            frame(
                push_events.ACK,
                ref=content.get("ref"),
                client_msg_id=send.client_msg_id,
                message_id=message["id"],
                seq=message["seq"],
                conversation_id=conversation_id,
                message=message,
            )
        )

    def _send_sync(
        self,
        conversation_id: int,
        body: str,
        client_msg_id: str,
        is_internal: bool,
        attachment_ids: list[int],
    ) -> dict[str, Any]:
        conversation = self._conversation_sync(conversation_id)
        # Refusals (closed, attachment) are answered from the one error table (chat/errors.py).
        result = services.message_send_as_agent(
            actor=self.user,
            conversation=conversation,
            body=body,
            client_msg_id=client_msg_id,
            is_internal=is_internal,
            attachment_ids=attachment_ids,
        )
        # Returned after the service's transaction has committed: the ack never runs ahead.
        return events.message_json(result.message)

    async def frame_sync(self, content: dict) -> None:
        after_seq = frame_integer(content, "after_seq")
        conversation = await self.conversation(content)
        messages = await db_async(self._sync_sync)(conversation.pk, after_seq)
        answer = frame(
            push_events.MESSAGES,
            conversation_id=conversation.pk,
            messages=messages,
            last_seq=conversation.last_seq,  # as it was when the read began
            has_more=len(messages) == selectors.REPLAY_LIMIT,
        )
        if content.get("ref") is not None:
            answer["ref"] = content["ref"]
        await self.send_json(answer)

    @staticmethod
    def _sync_sync(conversation_id: int, after_seq: int) -> list[dict[str, Any]]:
        found = selectors.messages_after(
            conversation_id, after_seq=after_seq, include_internal=True
        )
        return [events.message_json(message) for message in found]

    # ---- typing and read --------------------------------------------------------------------

    async def frame_typing(self, content: dict) -> None:
        state = typing_state(content)
        is_internal = frame_flag(content, "is_internal", code="invalid_frame")
        conversation_id = await self.allowed_conversation_id(content)
        name = self.profile.display_name
        await realtime.send_ephemeral(
            [events.conversation_agents(conversation_id)],
            frame(
                push_events.TYPING,
                conversation_id=conversation_id,
                by="agent",
                agent_id=self.user.pk,
                name=name,
                state=state,
                is_internal=is_internal,
            ),
            skip_channel=self.channel_name,
        )
        if not is_internal:
            await realtime.send_ephemeral(
                [events.conversation_customer(conversation_id)],
                frame(
                    push_events.TYPING,
                    conversation_id=conversation_id,
                    by="agent",
                    name=name,
                    state=state,
                ),
            )

    async def frame_read(self, content: dict) -> None:
        seq = frame_integer(content, "seq")
        conversation = await self.conversation(content)
        await db_async(services.conversation_mark_read)(
            actor=self.user, conversation=conversation, seq=seq
        )
