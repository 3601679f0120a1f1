"""The one place that talks to the channel layer (house rule 5).

Services choose recipients and call `publish`; the event is sent only after the surrounding
transaction commits, so nobody hears of a row that might still roll back. A push is a hint: the
channel layer may drop it, and clients recover from the database (see docs/protocol.md).
"""

import asyncio
import json
import logging
import os
import threading
import weakref
from collections.abc import Iterable
from typing import Any

from asgiref.sync import SyncToAsync
from channels.layers import get_channel_layer
from django.db import transaction

from desk.kernel import push_events

logger = logging.getLogger(__name__)


def agent_group(user_id: int) -> str:
    """Every workspace tab of one agent."""
    return f"agent.{user_id}"


def agents_group() -> str:
    """Every connected agent (presence of colleagues, new conversations)."""
    return "agents"


def supervisors_group() -> str:
    """Every workspace tab of a supervisor (the Live view's `routing.changed` hints)."""
    return "supervisors"


def publish(groups: Iterable[str], event: dict[str, Any]) -> None:
    """Send `event` to each group once the current transaction commits. The event must be
    one the catalogue declares (desk/kernel/push_events.py)."""
    push_events.check(event, push_events.PUSH)
    targets = list(dict.fromkeys(groups))
    transaction.on_commit(lambda: send_now(targets, event))


def publish_many(pushes: Iterable[tuple[Iterable[str], dict[str, Any]]]) -> None:
    """`publish` for many events at once (a sweep's batch): sent together after the commit,
    in one trip to the event loop rather than one per event."""
    batch = []
    for groups, event in pushes:
        push_events.check(event, push_events.PUSH)
        batch.append((list(dict.fromkeys(groups)), event))
    if batch:
        transaction.on_commit(lambda: send_many(batch))


def send_now(groups: Iterable[str], event: dict[str, Any]) -> None:
    """Send one event from sync code (`send_many`)."""
    send_many([(list(groups), event)])


def send_many(pushes: list[tuple[list[str], dict[str, Any]]]) -> None:
    """Send from sync code, in order. Inside a server's sync_to_async thread the sends are
    handed to the server's event loop (without making the caller wait on Redis); elsewhere
    (Celery, commands, plain sync tests) they are sent before returning, on the process's sender
    loop."""
    loop = _server_loop()
    if loop is not None:
        for targets, event in pushes:
            loop.call_soon_threadsafe(_enqueue, loop, targets, event)
        return
    future = asyncio.run_coroutine_threadsafe(_send_each(pushes), _sender_loop())
    try:
        future.result(timeout=SEND_TIMEOUT_SECONDS)
    except TimeoutError:
        future.cancel()
        logger.warning(
            "realtime pushes not sent within %s s; clients will resync", SEND_TIMEOUT_SECONDS
        )


async def _send_each(pushes: list[tuple[list[str], dict[str, Any]]]) -> None:
    for targets, event in pushes:
        await _send(targets, event)


SEND_TIMEOUT_SECONDS = 10

# Sync code outside a server (a Celery worker, a command) sends on one event loop per process,
# kept in a daemon thread: the channel layer's Redis connection lives as long as the loop, so a
# push costs a hand-over and a round trip. (`async_to_sync` per push started a thread, a loop and
# a Redis connection each time: ~3 ms, most of what a Celery routing decision cost.)
_sender: tuple[int, asyncio.AbstractEventLoop] | None = None
_sender_lock = threading.Lock()


def _sender_loop() -> asyncio.AbstractEventLoop:
    global _sender
    with _sender_lock:
        if _sender is None or _sender[0] != os.getpid() or _sender[1].is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="realtime-sender", daemon=True).start()
            _sender = (os.getpid(), loop)  # a forked child makes its own
        return _sender[1]


def _server_loop() -> asyncio.AbstractEventLoop | None:
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    pid = getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None)
    if loop is not None and pid == os.getpid() and loop.is_running() and not loop.is_closed():
        return loop
    return None


# One ordered outbox per event loop: events leave in the order their transactions committed.
_outboxes: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Queue]" = (
    weakref.WeakKeyDictionary()
)
_drainers: set[asyncio.Task] = set()


def _enqueue(loop: asyncio.AbstractEventLoop, groups: list[str], event: dict[str, Any]) -> None:
    queue = _outboxes.get(loop)
    if queue is None:
        queue = _outboxes[loop] = asyncio.Queue()
        task = loop.create_task(_drain(queue))
        _drainers.add(task)
        task.add_done_callback(_drainers.discard)
    queue.put_nowait((groups, event))


async def _drain(queue: asyncio.Queue) -> None:
    while True:
        groups, event = await queue.get()
        try:
            await _send(groups, event)
        except Exception:  # the drainer must outlive any one event
            logger.exception("realtime push to %s failed; clients will resync", groups)


def push_message(event: dict[str, Any]) -> dict[str, Any]:
    """The channel-layer message for an event: its JSON text, made once here rather than once
    per receiving socket, plus the two fields a consumer may act on without parsing it."""
    return {
        "type": "event.push",
        "kind": event["type"],
        "conversation_id": event.get("conversation_id"),
        "text": json.dumps(event),
    }


async def _send(groups: Iterable[str], event: dict[str, Any]) -> None:
    """Each group on its own: one that fails (Redis gone) does not cost the others their push."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = push_message(event)
    for group in groups:
        try:
            await layer.group_send(group, message)
        except Exception:
            logger.warning("realtime push to %s failed; its clients will resync", group)


async def send_ephemeral(
    groups: Iterable[str], event: dict[str, Any], *, skip_channel: str | None = None
) -> None:
    """From a consumer, now: events that change no row (typing, viewers). `skip_channel` (the
    sender's own socket) does not get its copy. Lost while Redis is down, like any push."""
    push_events.check(event, push_events.PUSH)
    layer = get_channel_layer()
    if layer is None:
        return
    message = push_message(event)
    if skip_channel:
        message["skip_channel"] = skip_channel
    for group in dict.fromkeys(groups):
        try:
            await layer.group_send(group, message)
        except Exception:
            logger.warning("ephemeral push to %s failed", group)
