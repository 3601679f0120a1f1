"""The JSON frame handling every Unidesk socket shares: parse, dispatch by `type`, error frames.

A frame handler that raises a domain error (desk/kernel/errors.py: `FrameError`, a service's
refusal, `RateLimited` …) is answered with the `error` frame of the one error table; the socket
stays open. Every frame sent is one the catalogue declares (desk/kernel/push_events.py).
"""

import asyncio
import contextlib
import functools
import time
from collections import deque
from typing import Any

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch

from desk.kernel import push_events
from desk.kernel.errors import DomainError, error_answer
from desk.kernel.groups import delivers_to_inbox, socket_channel, socket_channel_close
from desk.kernel.ids import is_db_int
from desk.kernel.json_input import MAX_JSON_DEPTH, json_loads

MAX_FRAME_BYTES = 64 * 1024
# The same push arriving again this soon, among the last few, is a copy from another of the
# socket's groups (`event_push`); a repeat sent on purpose (typing every few seconds) is not.
PUSH_ECHO_WINDOW = 8
PUSH_ECHO_SECONDS = 0.5


class FrameError(DomainError):
    """A client frame that cannot be handled; becomes an `error` frame, the socket stays open."""

    def __init__(self, code: str, message: str, ref: Any = None):
        super().__init__(message, code=code)
        self.ref = ref


def frame_integer(content: dict, key: str, *, code: str = "invalid_frame") -> int:
    """The frame's `key` as a non-negative 64-bit integer, else FrameError(`code`)."""
    value = content.get(key)
    if not is_db_int(value, min_value=0):
        raise FrameError(code, f"`{key}` must be a non-negative integer (64-bit).")
    return value


_PUMP_ENDED = object()
_last_decoded: tuple[bytes, Any] = (b"", None)


async def _pump(receive, inbox: asyncio.Queue) -> None:
    while True:
        inbox.put_nowait(await receive())


def _decoded(deserialize, data: bytes) -> Any:
    """The layer's message from its bytes. The reader puts the very same bytes object into every
    socket of a group one after the other, so the last one decoded is kept: a push to N sockets
    is decoded once, not N times. Handlers never change the message they get (they copy)."""
    global _last_decoded
    if _last_decoded[0] is data:
        return _last_decoded[1]
    message = deserialize(data)
    _last_decoded = (data, message)
    return message


class JsonFrameConsumer(AsyncJsonWebsocketConsumer):
    """Dispatches `{"type": "a.b", ...}` to `frame_a_b(content)`; else an `error` frame."""

    async def __call__(self, scope, receive, send):
        """Channels' `AsyncConsumer.__call__`, with two differences. The socket's own channel
        comes from `desk.kernel.groups.socket_channel`, so a socket opened while Redis is down
        still connects. And on the pub/sub layer the layer's reader puts this socket's channel
        messages straight into the socket's one inbox, where the client's frames also arrive:
        one queue and one loop per socket, instead of Channels' `await_many_dispatch`, which
        makes a new task, an `asyncio.wait` and a msgpack decoding for every message of every
        socket (a push to 20 agents is 20 of each)."""
        self.scope = scope
        self.base_send = send
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        if self.channel_layer is None or not delivers_to_inbox(self.channel_layer):
            sources = [receive]
            if self.channel_layer is not None:
                self.channel_name = await socket_channel(self.channel_layer)
                self.channel_receive = functools.partial(
                    self.channel_layer.receive, self.channel_name
                )
                sources.append(self.channel_receive)
            with contextlib.suppress(StopConsumer):
                await await_many_dispatch(sources, self.dispatch)
            return
        inbox: asyncio.Queue = asyncio.Queue()
        self.channel_name = await socket_channel(self.channel_layer, inbox)
        try:
            await self._serve(receive, inbox)
        finally:
            await socket_channel_close(self.channel_layer, self.channel_name)

    async def _serve(self, receive, inbox: asyncio.Queue) -> None:
        """Dispatch, one at a time in arrival order, the client's frames (moved into the inbox
        by a pump task) and the channel layer's messages (bytes, put there by its reader)."""
        pump = asyncio.ensure_future(_pump(receive, inbox))
        pump.add_done_callback(lambda _: inbox.put_nowait(_PUMP_ENDED))
        deserialize = self.channel_layer.deserialize
        try:
            while True:
                item = await inbox.get()
                if item is _PUMP_ENDED:
                    pump.result()  # raises whatever ended the client's side
                    return
                await self.dispatch(_decoded(deserialize, item) if type(item) is bytes else item)
        except StopConsumer:
            return
        finally:
            pump.cancel()

    async def dispatch(self, message):
        """Channels' dispatch, without its `aclose_old_connections()` before every message: that
        hops to the one thread-sensitive thread for each frame and each group event, so every
        push to every socket queued behind whatever database work that thread was doing. Our
        sockets never touch the ORM on the event loop; their database calls go through
        `desk.kernel.db.db_async`, which closes stale connections around each call itself."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if text_data is None:
            await self.send_error("binary_not_supported", "Send JSON text frames.")
            return
        if len(text_data.encode()) > MAX_FRAME_BYTES:
            await self.send_error(
                "frame_too_large", f"Frames are limited to {MAX_FRAME_BYTES} bytes."
            )
            return
        try:
            content = json_loads(text_data)
        except ValueError:  # json_input.InvalidJson: bad, or nested too deeply
            await self.send_error(
                "invalid_json", f"The frame is not valid JSON nested at most {MAX_JSON_DEPTH} deep."
            )
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.send_error("invalid_frame", "A frame is a JSON object with a string `type`.")
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs):
        frame_type = content["type"]
        handler = getattr(self, "frame_" + frame_type.replace(".", "_"), None)
        if handler is None or "__" in frame_type:
            await self.send_error(
                "unknown_type", f"Unknown frame type {frame_type!r}.", content.get("ref")
            )
            return
        try:
            await handler(content)
        except Exception as exc:
            answer = error_answer(exc)
            if answer is None:
                raise
            ref = exc.ref if isinstance(exc, FrameError) else None
            extra = {**answer.extra, **({"fields": answer.fields} if answer.fields else {})}
            await self.send_error(
                answer.code,
                answer.message,
                ref if ref is not None else content.get("ref"),
                **extra,
            )

    async def send_error(self, code: str, message: str, ref: Any = None, **extra: Any) -> None:
        frame = push_events.frame(push_events.ERROR, code=code, message=message, **extra)
        if ref is not None:
            frame["ref"] = ref
        await self.send_json(frame)

    async def send_json(self, content, close=False):
        """Only frames the catalogue declares (desk/kernel/push_events.py) leave a socket."""
        push_events.check(content, push_events.DIRECT)
        await super().send_json(content, close=close)

    async def event_push(self, message: dict) -> None:
        """Channel-layer events published through `desk.kernel.realtime` (already JSON text).
        One event sent to several groups this socket is in (a conversation's team inbox and its
        assignee's) arrives once per group, back to back: the copies go no further."""
        if message.get("skip_channel") == self.channel_name:
            return
        text = message["text"]
        now = time.monotonic()
        recent = self.__dict__.setdefault("_pushed_recently", deque(maxlen=PUSH_ECHO_WINDOW))
        if any(seen == text and now - at < PUSH_ECHO_SECONDS for seen, at in recent):
            return
        recent.append((text, now))
        await self.send(text_data=text)
