"""Who has a conversation open right now, shared by every server process.

One Redis hash per conversation, `<prefix>:viewers:<conversation id>`, maps a socket's channel
name to `{"id", "name", "at"}`. A socket refreshes its entries on every heartbeat; entries older
than `VIEWER_TTL_SECONDS` (a process that died without saying goodbye) are ignored and pruned,
and the whole key expires when nobody refreshes it.

While Redis is down the registry knows nobody and remembers nothing (the next heartbeat after it
is back writes the entries again): a socket keeps working without it.
"""

import functools
import json
import logging
import time

from django.conf import settings
from redis import asyncio as aioredis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

VIEWER_TTL_SECONDS = 75  # three missed heartbeats (the workspace pings every 25 s)


def viewers_key(conversation_id: int) -> str:
    return f"{settings.REDIS_PREFIX}:viewers:{conversation_id}"


def _without_redis(default):
    """A registry call that fails on Redis answers `default` instead (viewers are only a hint)."""

    def wrap(method):
        @functools.wraps(method)
        async def call(self, *args, **kwargs):
            try:
                return await method(self, *args, **kwargs)
            except (RedisError, OSError):
                logger.warning("viewers unavailable (Redis): %s skipped", method.__name__)
                return default

        return call

    return wrap


class ViewerRegistry:
    """The viewer entries of one socket. Holds its own Redis connection; call `close()`."""

    def __init__(self, channel_name: str, *, user_id: int, name: str):
        self.channel_name = channel_name
        self.entry = {"id": user_id, "name": name}
        self._redis: aioredis.Redis | None = None

    @property
    def redis(self) -> aioredis.Redis:
        if self._redis is None:
            self._redis = aioredis.from_url(settings.REDIS_URL)
        return self._redis

    @_without_redis(None)
    async def add(self, conversation_ids: list[int]) -> None:
        """Add (or refresh) this socket as a viewer of each conversation."""
        if not conversation_ids:
            return
        value = json.dumps({**self.entry, "at": time.time()})
        async with self.redis.pipeline(transaction=False) as pipe:
            for conversation_id in conversation_ids:
                key = viewers_key(conversation_id)
                pipe.hset(key, self.channel_name, value)
                pipe.expire(key, VIEWER_TTL_SECONDS)
            await pipe.execute()

    @_without_redis(None)
    async def remove(self, conversation_id: int) -> None:
        await self.redis.hdel(viewers_key(conversation_id), self.channel_name)

    @_without_redis([])
    async def list(self, conversation_id: int) -> list[dict]:
        """The agents viewing the conversation, once each (an agent may have several tabs)."""
        key = viewers_key(conversation_id)
        raw = await self.redis.hgetall(key)
        cutoff = time.time() - VIEWER_TTL_SECONDS
        viewers: dict[int, dict] = {}
        stale = []
        for channel, value in raw.items():
            try:
                entry = json.loads(value)
            except ValueError:
                stale.append(channel)
                continue
            if entry.get("at", 0) < cutoff:
                stale.append(channel)
                continue
            viewers.setdefault(entry["id"], {"id": entry["id"], "name": entry["name"]})
        if stale:
            await self.redis.hdel(key, *stale)
        return sorted(viewers.values(), key=lambda viewer: (viewer["name"], viewer["id"]))

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None
