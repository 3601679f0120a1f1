"""The client frames both sockets take alike: one validation of `message.send` and of `typing`.

The widget socket (chat/widget/consumers.py) and the agent socket
(desk/workspace/conversation_frames.py) check a message the same way, with the same limits and
the same error code per mistake (docs/protocol.md, "message.send"); each adds only its own fields
(the agent's `conversation_id` and `is_internal`). Checked in this order, the first mistake wins:

| mistake | code |
|---|---|
| `client_msg_id` not 1–64 of `A-Za-z0-9_.:-` | `invalid_message` |
| `body` not text, or over 5000 characters | `invalid_message` |
| `attachment_ids` not a list of at most 10 ids | `invalid_attachment` |
| neither text (besides spaces) nor an attachment | `invalid_message` |
"""

import re
from dataclasses import dataclass
from typing import Any

from desk.kernel.ids import is_db_int
from desk.kernel.socket import FrameError

MAX_BODY_CHARS = 5000
MAX_ATTACHMENTS = 10
CLIENT_MSG_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
TYPING_STATES = ("start", "stop")


@dataclass(frozen=True)
class MessageSend:
    client_msg_id: str
    body: str
    attachment_ids: list[int]


def message_send_fields(content: dict[str, Any]) -> MessageSend:
    """The common fields of a `message.send` frame, or FrameError for the first mistake."""
    client_msg_id = content.get("client_msg_id")
    if not isinstance(client_msg_id, str) or not CLIENT_MSG_ID.fullmatch(client_msg_id):
        raise FrameError("invalid_message", "`client_msg_id` must be 1-64 letters, digits or ._:-")
    body = content.get("body", "")
    if not isinstance(body, str) or len(body) > MAX_BODY_CHARS:
        raise FrameError("invalid_message", f"`body` is text of at most {MAX_BODY_CHARS}.")
    attachment_ids = content.get("attachment_ids", [])
    if (
        not isinstance(attachment_ids, list)
        or len(attachment_ids) > MAX_ATTACHMENTS
        or not all(is_db_int(i, min_value=1) for i in attachment_ids)
    ):
        raise FrameError(
            "invalid_attachment", f"`attachment_ids` is a list of at most {MAX_ATTACHMENTS} ids."
        )
    if not body.strip() and not attachment_ids:
        raise FrameError("invalid_message", "A message needs text or an attachment.")
    return MessageSend(client_msg_id, body, attachment_ids)


def frame_flag(content: dict[str, Any], key: str, *, code: str) -> bool:
    """An optional true/false field (default false), else FrameError(`code`)."""
    value = content.get(key, False)
    if not isinstance(value, bool):
        raise FrameError(code, f"`{key}` must be true or false.")
    return value


def typing_state(content: dict[str, Any]) -> str:
    """The `state` of a `typing` frame: start or stop."""
    state = content.get("state")
    if state not in TYPING_STATES:
        raise FrameError("invalid_frame", "`state` must be 'start' or 'stop'.")
    return state
