"""Socket clients for tests against a real daphne (docs/protocol.md), in plain python.

`ProtocolSocket` records every frame it hears, so a test can say exactly what a client saw: a
live `message.new` heard once, a `sync` answer, a duplicate. `messages_seen` is what a client that
applies messages idempotently by (conversation, seq) would show.
"""

import json
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.test import Client
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

TIMEOUT = 10.0  # seconds to wait for an answer that must come
QUIET = 0.7  # seconds without a frame after which a socket is taken to have said everything

Frame = dict[str, Any]


def session_cookie(user) -> str:
    """A Django session for `user`, as the workspace's socket would send it."""
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


class ProtocolSocket:
    def __init__(
        self,
        url: str,
        *,
        origin: str,
        headers: dict[str, str] | None = None,
        first: Frame | None = None,
    ):
        self.ws = connect(
            url, origin=origin, additional_headers=headers or {}, open_timeout=5, legacy=True
        )
        self.frames: list[Frame] = []
        self.refs = 0
        if first is not None:  # the widget socket's `auth` frame
            self.send(first)
        self.hello = self.next(lambda frame: frame["type"] == "hello")

    # ---- hearing ------------------------------------------------------------------------------

    def _recv(self, timeout: float) -> Frame | None:
        try:
            frame = json.loads(self.ws.recv(timeout=timeout))
        except TimeoutError:
            return None
        self.frames.append(frame)
        return frame

    def next(self, wanted: Callable[[Frame], bool], timeout: float = TIMEOUT) -> Frame:
        """The next frame `wanted` accepts (frames before it are kept in `frames`)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            frame = self._recv(left)
            if frame is not None and wanted(frame):
                return frame
        raise AssertionError(f"no such frame within {timeout} s; heard {self.frames}")

    def quiet(self, seconds: float = QUIET) -> list[Frame]:
        """Every frame until the socket has said nothing for `seconds`."""
        heard = []
        while (frame := self._recv(seconds)) is not None:
            heard.append(frame)
        return heard

    def closed(self, timeout: float = TIMEOUT) -> ConnectionClosed:
        """Wait until the server's side is gone; the frames on the way are kept."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self._recv(0.2)
        except ConnectionClosed as exc:
            return exc
        raise AssertionError(f"the socket is still open after {timeout} s")

    # ---- speaking -----------------------------------------------------------------------------

    def send(self, frame: Frame) -> None:
        self.ws.send(json.dumps(frame))

    def request(self, frame: Frame, timeout: float = TIMEOUT) -> Frame:
        """Send with a fresh `ref` and return the frame that answers it (ack, messages, error)."""
        self.refs += 1
        ref = f"t{self.refs}"
        self.send({**frame, "ref": ref})
        return self.next(lambda answer: answer.get("ref") == ref, timeout)

    def sync(self, conversation_id: int, after_seq: int) -> Frame:
        answer = self.request(
            {"type": "sync", "conversation_id": conversation_id, "after_seq": after_seq}
        )
        assert answer["type"] == "messages", answer
        return answer

    def close(self) -> None:
        self.ws.close()

    # ---- what the client knows ----------------------------------------------------------------

    def pushed(self, conversation_id: int) -> list[int]:
        """The seq of every live `message.new` heard for the conversation, in arrival order."""
        return [
            frame["seq"]
            for frame in self.frames
            if frame["type"] == "message.new" and frame["conversation_id"] == conversation_id
        ]

    def push_counts(self, conversation_id: int) -> Counter:
        return Counter(self.pushed(conversation_id))

    def messages_seen(self, conversation_id: int) -> dict[int, Frame]:
        """seq -> message from pushes, acks and sync answers, each seq once."""
        seen: dict[int, Frame] = {}
        for frame in self.frames:
            if frame.get("conversation_id") != conversation_id:
                continue
            if frame["type"] in ("message.new", "ack"):
                seen.setdefault(frame["message"]["seq"], frame["message"])
            elif frame["type"] == "messages":
                for message in frame["messages"]:
                    seen.setdefault(message["seq"], message)
        return dict(sorted(seen.items()))


def agent_socket(server, cookie: str) -> ProtocolSocket:
    """/ws/desk/ of `server` (a DaphneProcess) with an agent's session cookie."""
    return ProtocolSocket(
        f"{server.ws_url}/ws/desk/", origin=server.url, headers={"Cookie": cookie}
    )


def widget_socket(server, token: str) -> ProtocolSocket:
    """/ws/widget/ of `server`, signed in with a visitor token (the first frame)."""
    return ProtocolSocket(
        f"{server.ws_url}/ws/widget/", origin=server.url, first={"type": "auth", "token": token}
    )


def customer_says(widget: ProtocolSocket, client_msg_id: str, body: str) -> Frame:
    """`message.send` on a widget socket; returns the ack (fails on anything else)."""
    answer = widget.request({"type": "message.send", "client_msg_id": client_msg_id, "body": body})
    assert answer["type"] == "ack", answer
    return answer


def agent_says(
    agent: ProtocolSocket, conversation_id: int, client_msg_id: str, body: str, **extra
) -> Frame:
    """`message.send` on an agent socket; returns the ack (fails on anything else)."""
    frame = {
        "type": "message.send",
        "conversation_id": conversation_id,
        "client_msg_id": client_msg_id,
        "body": body,
        **extra,
    }
    answer = agent.request(frame)
    assert answer["type"] == "ack", answer
    return answer


def hears(socket: ProtocolSocket, conversation_id: int, seq: int) -> Frame:
    """Wait for the live `message.new` of (conversation, seq)."""
    return socket.next(
        lambda frame: (
            frame["type"] == "message.new"
            and frame["conversation_id"] == conversation_id
            and frame["seq"] == seq
        )
    )


def bodies(messages: dict[int, Frame] | list[Frame]) -> list[tuple[int, str]]:
    """(seq, body) of messages, from `messages_seen` or a `messages` frame's list."""
    found = [messages[seq] for seq in sorted(messages)] if isinstance(messages, dict) else messages
    return [(message["seq"], message["body"]) for message in found]
