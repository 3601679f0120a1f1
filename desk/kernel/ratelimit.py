"""Rate limits and socket caps shared by every server process, kept in Redis.

A limit is `count` events per `seconds` (settings.RATE_LIMITS, from the environment; a count of 0
turns it off) counted per subject: a visitor, an agent, an IP address, a site. Each subject has a
sorted set `<RATE_LIMIT_PREFIX>:<limit>:<subject>` of its recent events scored by Redis' own clock
(a sliding window, exact). One Lua script checks every limit a request is subject to and records
the event in all of them only when all allow it, in one round trip; a refused event is not
counted, so a client that waits `retry_after` seconds gets through.

Socket caps: a sorted set per visitor or agent of its open sockets' channel names, scored by their
last heartbeat. A socket claims a slot on connect, refreshes it on every ping and frees it on
disconnect; a process that dies without freeing its slots leaves entries that stop counting after
`SOCKET_STALE_SECONDS` and are pruned by the next claim, so nothing leaks.

Redis down: every check allows (logged). The limits protect the service, they are never a reason
for it to stop (see the Redis outage notes in docs/deployment.md).
"""

import asyncio
import logging
import math
import uuid
from dataclasses import dataclass

import redis
from django.conf import settings
from django.utils.translation import gettext as _

from desk.kernel import redis_sync
from desk.kernel.errors import DomainError, ErrorAnswer

log = logging.getLogger(__name__)

SOCKET_STALE_SECONDS = 75  # three missed heartbeats (both sockets ping every 25 s)
CLOSE_TOO_MANY_SOCKETS = 4429  # a socket over its cap (docs/protocol.md)

# KEYS: one sorted set per limit. ARGV: a unique member, then (count, window ms) per key.
# Returns 0 when allowed (and recorded), else the ms until the oldest blocking event expires.
_HIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wait = 0
for i, key in ipairs(KEYS) do
  local count = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local used = redis.call('ZCARD', key)
  if used >= count then
    local oldest = redis.call('ZRANGE', key, used - count, used - count, 'WITHSCORES')
    local blocked = tonumber(oldest[2]) + window - now
    if blocked > wait then wait = blocked end
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[1])
  redis.call('PEXPIRE', key, tonumber(ARGV[2 * i + 1]))
end
return 0
"""

# KEYS[1]: the subject's sockets. ARGV: channel name, cap, stale ms, mode (claim/refresh).
# Returns 1 when the socket holds a slot, 0 when the cap is reached.
_SOCKET = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local key = KEYS[1]
local stale = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - stale)
if ARGV[4] == 'claim' and not redis.call('ZSCORE', key, ARGV[1]) then
  if redis.call('ZCARD', key) >= tonumber(ARGV[2]) then return 0 end
end
redis.call('ZADD', key, now, ARGV[1])
redis.call('PEXPIRE', key, stale)
return 1
"""


class RateLimited(DomainError):
    """Over a limit: the API answers 429 with `Retry-After`, a socket an `error` frame; both
    say `retry_after` (desk/kernel/errors.py)."""

    code = "rate_limited"
    status = 429

    def __init__(self, retry_after: int):
        super().__init__(
            _("Too many requests; try again in %(seconds)d s.") % {"seconds": retry_after}
        )
        self.retry_after = retry_after

    def answer(self) -> ErrorAnswer:
        return ErrorAnswer(
            self.status, self.code, str(self.message), extra={"retry_after": self.retry_after}
        )


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # whole seconds to wait when not allowed


def _key(name: str, subject: object) -> str:
    return f"{settings.RATE_LIMIT_PREFIX}:{name}:{subject}"


def hit(*checks: tuple[str, object]) -> Verdict:
    """Count one event against each `(limit name, subject)` if every one allows it. A subject
    of None (an unknown IP address) or a limit turned off is skipped."""
    keys, argv = [], [uuid.uuid4().hex]
    for name, subject in checks:
        count, seconds = settings.RATE_LIMITS[name]
        if subject is None or subject == "" or count <= 0:
            continue
        keys.append(_key(name, subject))
        argv += [count, seconds * 1000]
    if not keys:
        return Verdict(True)
    try:
        wait_ms = int(redis_sync.client().eval(_HIT, len(keys), *keys, *argv))
    except redis.RedisError as exc:
        log.warning("rate limits skipped, Redis failed: %s", exc)
        return Verdict(True)
    if wait_ms <= 0:
        return Verdict(True)
    return Verdict(False, max(1, math.ceil(wait_ms / 1000)))


def enforce(*checks: tuple[str, object]) -> None:
    """`hit`, raising RateLimited when refused."""
    verdict = hit(*checks)
    if not verdict.allowed:
        raise RateLimited(verdict.retry_after)


async def ahit(*checks: tuple[str, object]) -> Verdict:
    """`hit` for the event loop: the Redis call runs in a worker thread, never on the loop
    (and not on the sockets' database threads either)."""
    return await asyncio.get_running_loop().run_in_executor(None, hit, *checks)


async def aenforce(*checks: tuple[str, object]) -> None:
    verdict = await ahit(*checks)
    if not verdict.allowed:
        raise RateLimited(verdict.retry_after)


# ---- socket caps ------------------------------------------------------------------------------


def _socket(kind: str, subject: object, channel_name: str, mode: str) -> bool:
    cap = settings.SOCKET_CAPS[kind]
    if cap <= 0:
        return True
    try:
        held = redis_sync.client().eval(
            _SOCKET,
            1,
            _key(f"sockets.{kind}", subject),
            channel_name,
            cap,
            SOCKET_STALE_SECONDS * 1000,
            mode,
        )
    except redis.RedisError as exc:
        log.warning("socket cap skipped, Redis failed: %s", exc)
        return True
    return bool(held)


def _socket_release(kind: str, subject: object, channel_name: str) -> None:
    try:
        redis_sync.client().zrem(_key(f"sockets.{kind}", subject), channel_name)
    except redis.RedisError as exc:
        log.warning("socket slot not freed (it expires by itself): %s", exc)


async def socket_claim(kind: str, subject: object, channel_name: str) -> bool:
    """Take a slot among the `kind` ("visitor", "agent") sockets of `subject`; False when
    `settings.SOCKET_CAPS[kind]` sockets already hold one."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, _socket, kind, subject, channel_name, "claim")


async def socket_refresh(kind: str, subject: object, channel_name: str) -> None:
    """The socket is alive (called on every heartbeat)."""
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, _socket, kind, subject, channel_name, "refresh")


async def socket_release(kind: str, subject: object, channel_name: str) -> None:
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, _socket_release, kind, subject, channel_name)
