"""The agent workspace socket: one per browser tab, at /ws/desk/."""

from channels.db import database_sync_to_async

from desk import realtime
from desk.socket import FrameError, JsonFrameConsumer
from routing import selectors as routing_selectors
from routing import services as routing_services
from routing.models import Presence

CLOSE_FORBIDDEN = 4403


class AgentConsumer(JsonFrameConsumer):
    async def connect(self):
        user = self.scope.get("user")
        self.profile = await database_sync_to_async(routing_selectors.agent_profile_for_user)(user)
        if self.profile is None:
            # Accept, then close with 4403: a refused handshake reaches the browser as a bare
            # 1006, which a client cannot tell from a network failure, so it would retry forever.
            await self.accept()
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.groups_joined = [realtime.agent_group(user.pk), realtime.agents_group()]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await database_sync_to_async(routing_services.agent_touch)(profile_id=self.profile.pk)
        await self.send_json(
            {
                "type": "hello",
                "agent": {
                    "id": user.pk,
                    "display_name": self.profile.display_name,
                    "presence": self.profile.presence,
                },
            }
        )

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def frame_ping(self, content):
        await database_sync_to_async(routing_services.agent_touch)(profile_id=self.profile.pk)
        await self.send_json({"type": "pong", "ref": content.get("ref")})

    async def frame_presence_set(self, content):
        presence = content.get("presence")
        if presence not in Presence.values:
            raise FrameError("invalid_presence", f"presence must be one of {Presence.values}.")
        self.profile = await database_sync_to_async(routing_services.agent_set_presence)(
            actor=self.scope["user"], profile=self.profile, presence=presence
        )
        await self.send_json(
            {"type": "ack", "ref": content.get("ref"), "presence": self.profile.presence}
        )
