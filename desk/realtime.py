"""The one place that talks to the channel layer (house rule 5).

Services choose recipients and call `publish`; the event is sent only after the surrounding
transaction commits, so nobody hears of a row that might still roll back. A push is a hint: the
channel layer may drop it, and clients recover from the database (see docs/protocol.md).
"""

from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def agent_group(user_id: int) -> str:
    """Every workspace tab of one agent."""
    return f"agent.{user_id}"


def agents_group() -> str:
    """Every connected agent (presence of colleagues, new conversations)."""
    return "agents"


def publish(groups: Iterable[str], event: dict[str, Any]) -> None:
    """Send `event` to each group once the current transaction commits."""
    targets = list(dict.fromkeys(groups))
    transaction.on_commit(lambda: send_now(targets, event))


def send_now(groups: Iterable[str], event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for group in groups:
        async_to_sync(layer.group_send)(group, {"type": "event.push", "event": event})


async def send_ephemeral(
    groups: Iterable[str], event: dict[str, Any], *, skip_channel: str | None = None
) -> None:
    """From a consumer, now: events that change no row (typing, viewers). `skip_channel` (the
    sender's own socket) does not get its copy."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "event.push", "event": event}
    if skip_channel:
        message["skip_channel"] = skip_channel
    for group in dict.fromkeys(groups):
        await layer.group_send(group, message)
