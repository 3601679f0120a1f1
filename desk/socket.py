"""The JSON frame handling every Unidesk socket shares: parse, dispatch by `type`, error frames."""

import json
from typing import Any

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer

MAX_FRAME_BYTES = 64 * 1024


class FrameError(Exception):
    """A client frame that cannot be handled; becomes an `error` frame, the socket stays open."""

    def __init__(self, code: str, message: str, ref: Any = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.ref = ref


class JsonFrameConsumer(AsyncJsonWebsocketConsumer):
    """Dispatches `{"type": "a.b", ...}` to `frame_a_b(content)`; else an `error` frame."""

    async def dispatch(self, message):
        """Channels' dispatch, without its `aclose_old_connections()` before every message: that
        hops to the one thread-sensitive thread for each frame and each group event, so every
        push to every socket queued behind whatever database work that thread was doing. Our
        sockets never touch the ORM on the event loop; their database calls go through
        `desk.db.db_async`, which closes stale connections around each call itself."""
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
            content = json.loads(text_data)
        except ValueError:
            await self.send_error("invalid_json", "The frame is not valid JSON.")
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
        except FrameError as exc:
            await self.send_error(
                exc.code, exc.message, exc.ref if exc.ref is not None else content.get("ref")
            )

    async def send_error(self, code: str, message: str, ref: Any = None) -> None:
        frame = {"type": "error", "code": code, "message": message}
        if ref is not None:
            frame["ref"] = ref
        await self.send_json(frame)

    async def event_push(self, message: dict) -> None:
        """Channel-layer events published through `desk.realtime` (already JSON text)."""
        if message.get("skip_channel") == self.channel_name:
            return
        await self.send(text_data=message["text"])
