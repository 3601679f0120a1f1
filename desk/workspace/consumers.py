"""The agent workspace socket: one per browser tab, at /ws/desk/.

On connect the socket joins the inbox groups of the agent's scope (desk/kernel/access.py draws the
same lines): supervisors hear every conversation, agents those of their teams, of no team, and those
assigned to them. Conversation frames live in `desk.workspace.conversation_frames`.
"""

from chat import events
from chat.assignment import offers
from desk.kernel import access, push_events, ratelimit, realtime
from desk.kernel.db import db_async
from desk.kernel.groups import GroupMembership
from desk.kernel.push_events import frame
from desk.kernel.socket import FrameError, JsonFrameConsumer
from desk.workspace.conversation_frames import ConversationFrames
from desk.workspace.viewers import ViewerRegistry
from routing import selectors as routing_selectors
from routing import services as routing_services
from routing.models import AgentProfile, Presence

CLOSE_FORBIDDEN = 4403


def inbox_groups_for(profile: AgentProfile) -> list[str]:
    """The inbox groups whose conversations this agent may see."""
    if access.is_supervisor(profile.user):
        return [events.INBOX_ALL]
    teams = [events.inbox_team(team.pk) for team in profile.teams.all()]
    return [*teams, events.INBOX_UNOWNED, events.inbox_agent(profile.user_id)]


class AgentConsumer(GroupMembership, ConversationFrames, JsonFrameConsumer):
    async def connect(self):
        self.user = self.scope.get("user")
        self.profile = await db_async(routing_selectors.agent_profile_for_user)(self.user)
        if self.profile is None:
            # Accept, then close with 4403: a refused handshake reaches the browser as a bare
            # 1006, which a client cannot tell from a network failure, so it would retry forever.
            await self.accept()
            await self.close(code=CLOSE_FORBIDDEN)
            return
        if not await ratelimit.socket_claim("agent", self.user.pk, self.channel_name):
            await self.accept()
            await self.send_error("too_many_sockets", "Close another workspace tab first.")
            await self.close(code=ratelimit.CLOSE_TOO_MANY_SOCKETS, reason="too_many_sockets")
            return
        self.socket_slot = True  # disconnect frees it
        self.init_conversation_state()
        self.viewers = ViewerRegistry(
            self.channel_name, user_id=self.user.pk, name=self.profile.display_name
        )
        inboxes = await db_async(inbox_groups_for)(self.profile)
        self.inbox_groups = set(inboxes)
        self.init_groups()
        groups = [realtime.agent_group(self.user.pk), realtime.agents_group(), *inboxes]
        if events.INBOX_ALL in inboxes:  # a supervisor: the Live view's `routing.changed` too
            groups.append(realtime.supervisors_group())
        for group in groups:
            await self.join(group)
        await self.accept()
        await db_async(routing_services.agent_touch)(profile_id=self.profile.pk)
        # Signed in again (or back after the heartbeat sweep): the presence they chose last,
        # or their team's sign-in presence, instead of starting every login offline.
        self.profile = await db_async(routing_services.agent_sign_in_presence)(profile=self.profile)
        pending = await db_async(offers.offers_pending_json)(self.user.pk)
        await self.send_json(
            frame(
                push_events.HELLO,
                agent={
                    "id": self.user.pk,
                    "display_name": self.profile.display_name,
                    "presence": self.profile.presence,
                },
                **({"offers": pending} if pending else {}),
            )
        )

    async def disconnect(self, code):
        await self.leave_groups()
        if getattr(self, "socket_slot", False):
            await ratelimit.socket_release("agent", self.user.pk, self.channel_name)
        if getattr(self, "viewers", None) is not None:
            try:
                await self.leave_all_conversations()
            finally:
                await self.viewers.close()

    async def frame_ping(self, content):
        await db_async(routing_services.agent_touch)(profile_id=self.profile.pk)
        await ratelimit.socket_refresh("agent", self.user.pk, self.channel_name)
        await self.recheck_scope()
        await self.refresh_viewing()
        await self.send_json(frame(push_events.PONG, ref=content.get("ref")))

    async def frame_presence_set(self, content):
        presence = content.get("presence")
        if presence not in Presence.values:
            raise FrameError("invalid_presence", f"presence must be one of {Presence.values}.")
        self.profile = await db_async(routing_services.agent_set_presence)(
            actor=self.user, profile=self.profile, presence=presence
        )
        await self.send_json(
            frame(push_events.ACK, ref=content.get("ref"), presence=self.profile.presence)
        )
