"""Channel-layer group membership for a socket, surviving a Redis outage.

A `group_add` that fails (Redis down or restarting) must not leave the socket deaf: the group is
kept as pending and retried in the background until it holds. Pushes sent to the group in between
were never heard, so once every pending group holds the client gets a `resync` frame and catches up
from the database (docs/protocol.md).
"""

import asyncio
import logging

logger = logging.getLogger(__name__)

RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0)  # then every 2 s until the socket closes


class GroupMembership:
    """Mixed into a consumer; call `init_groups()` in `connect()` and `leave_groups()` on
    disconnect."""

    def init_groups(self) -> None:
        self.joined: set[str] = set()
        self.pending_groups: set[str] = set()
        self.rejoin_task: asyncio.Task | None = None

    async def join(self, group: str) -> bool:
        """True once the socket hears `group`; False if the join is left to the retry task."""
        if group in self.joined:
            return True
        try:
            await self.channel_layer.group_add(group, self.channel_name)
        except Exception:
            logger.warning("could not join %s; retrying in the background", group)
            self.pending_groups.add(group)
            if self.rejoin_task is None or self.rejoin_task.done():
                self.rejoin_task = asyncio.get_running_loop().create_task(self._rejoin())
            return False
        self.pending_groups.discard(group)
        self.joined.add(group)
        return True

    async def leave(self, group: str) -> None:
        self.pending_groups.discard(group)
        if group in self.joined:
            self.joined.discard(group)
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:
                logger.warning("could not leave %s", group)

    async def leave_groups(self) -> None:
        if getattr(self, "rejoin_task", None) is not None:
            self.rejoin_task.cancel()
        for group in list(getattr(self, "joined", ())):
            await self.leave(group)

    async def _rejoin(self) -> None:
        attempt = 0
        while self.pending_groups:
            await asyncio.sleep(RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)])
            attempt += 1
            for group in sorted(self.pending_groups):
                try:
                    await self.channel_layer.group_add(group, self.channel_name)
                except Exception:
                    break  # still down; wait and try again
                if group in self.pending_groups:
                    self.pending_groups.discard(group)
                    self.joined.add(group)
                else:  # left while the join was on its way
                    await self.channel_layer.group_discard(group, self.channel_name)
        logger.info("groups rejoined; asking the client to resync")
        await self.send_json({"type": "resync"})
