"""Channel-layer group membership for a socket, surviving a Redis outage.

A `group_add` that fails (Redis down or restarting) must not leave the socket deaf: the group is
kept as pending and retried in the background until it holds. Pushes sent to the group in between
were never heard, so once every pending group holds the client gets a `resync` frame and catches up
from the database (docs/protocol.md).

The socket's own channel is made the same way (`socket_channel`), so a socket opened while Redis
is down still connects and works from the database, and starts hearing pushes once Redis is back.
"""

import asyncio
import logging
import uuid

from desk.kernel import push_events

logger = logging.getLogger(__name__)

RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0)  # then every 2 s until the socket closes

_subscribing: set[asyncio.Task] = set()  # background SUBSCRIBEs of sockets' own channels


async def socket_channel(layer, inbox: asyncio.Queue | None = None) -> str:
    """A new socket's own channel name, even while Redis is down.

    Channels makes it with `layer.new_channel()` before `connect()` runs. The pub/sub layer
    (`channels_redis.pubsub`) SUBSCRIBEs to it there, so during an outage a new socket could not
    even finish its handshake. Here the name is registered in-process first, as `new_channel()`
    does, and a SUBSCRIBE that fails is retried in the background until Redis answers or the
    socket has closed. Group pushes reach the socket through its groups' subscriptions, which
    `GroupMembership.join` retries (and then sends `resync`).

    `inbox` (pub/sub layer only) is the queue the layer's reader puts this channel's messages in,
    serialized (see `desk.kernel.socket`); the socket then frees the channel itself with
    `socket_channel_close`."""
    get_loop_layer = getattr(layer, "_get_layer", None)
    if get_loop_layer is None:  # not the pub/sub layer: making a channel needs no Redis
        return await layer.new_channel()
    loop_layer = get_loop_layer()
    name = f"{loop_layer.prefix}specific.{uuid.uuid4().hex}"
    loop_layer.channels[name] = inbox if inbox is not None else asyncio.Queue()
    try:
        await loop_layer._get_shard(name).subscribe(name)
    except Exception:
        logger.warning("could not subscribe to %s; retrying in the background", name)
        task = asyncio.get_running_loop().create_task(_subscribe_later(loop_layer, name))
        _subscribing.add(task)
        task.add_done_callback(_subscribing.discard)
    return name


def delivers_to_inbox(layer) -> bool:
    """Whether `socket_channel` can hand this layer a socket's own inbox (the pub/sub layer)."""
    return getattr(layer, "_get_layer", None) is not None


async def socket_channel_close(layer, name: str) -> None:
    """What the pub/sub layer's `receive()` does when its waiter is cancelled at the end of a
    socket: forget the channel and UNSUBSCRIBE from it."""
    loop_layer = layer._get_layer()
    if loop_layer.channels.pop(name, None) is None:
        return
    try:
        await loop_layer._get_shard(name).unsubscribe(name)
    except Exception:
        logger.warning("could not unsubscribe from %s", name)


async def _subscribe_later(loop_layer, name: str) -> None:
    attempt = 0
    while name in loop_layer.channels:  # the layer forgets it when the socket's receive ends
        await asyncio.sleep(RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)])
        attempt += 1
        shard = loop_layer._get_shard(name)
        try:
            await shard.subscribe(name)
        except Exception:
            logger.debug("still cannot subscribe to %s", name)
            continue
        if name not in loop_layer.channels:  # closed while the SUBSCRIBE was on its way
            await shard.unsubscribe(name)
        return


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
        await self.send_json(push_events.frame(push_events.RESYNC))
