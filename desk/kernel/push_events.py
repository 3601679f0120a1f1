"""Every frame the server sends on a socket: the one catalogue of their types and fields.

Two routes:

- PUSH: an event published to channel-layer groups through `desk.kernel.realtime` (`publish`
  after commit, `send_ephemeral` for typing and viewers); every socket in the group hears it.
- DIRECT: a frame one socket sends to its own client (answers such as `ack`, `error`, `pong`,
  `messages`, and `hello`, `resync`, `conversation.removed`).

Each type is declared once here with the fields it may carry and the sockets that hear it; frames
are built with `frame(TYPE, **fields)`, which refuses a type or a field not declared. The choke
points check too: `realtime.publish`/`send_ephemeral` and `JsonFrameConsumer.send_json` refuse an
undeclared frame, so nothing reaches a socket that is not in this catalogue. `docs/protocol.md`
("Event catalogue") lists exactly these types and fields; desk/tests/test_push_events.py compares
the two both ways and checks that every type is built somewhere in the code.

The payloads themselves (a message's or a conversation's JSON) are built by the app that owns
them (chat/events.py, tickets/events.py, …); the kernel knows their names only.
"""

from dataclasses import dataclass
from typing import Any

PUSH = "push"
DIRECT = "direct"
AGENT = "agent"
WIDGET = "widget"

# ---- the type names -------------------------------------------------------------------------
# pushed (channel layer)
MESSAGE_NEW = "message.new"
MESSAGE_UPDATE = "message.update"
CONVERSATION_UPDATE = "conversation.update"
CONVERSATION_NEW = "conversation.new"
READ = "read"
TYPING = "typing"
VIEWERS = "viewers"
TICKET_UPDATE = "ticket.update"
NOTIFICATION = "notification"
AGENT_PRESENCE = "agent.presence"
SESSION_REVOKED = "session.revoked"
CONVERSATION_ASSIGNED = "conversation.assigned"
QUEUE_UPDATE = "queue.update"
ROUTING_CHANGED = "routing.changed"
CONVERSATION_OFFERED = "conversation.offered"
# direct (one socket to its client)
HELLO = "hello"
PONG = "pong"
ACK = "ack"
ERROR = "error"
MESSAGES = "messages"
CONVERSATION_REMOVED = "conversation.removed"
RESYNC = "resync"


@dataclass(frozen=True)
class FrameType:
    type: str
    route: str  # PUSH or DIRECT
    sockets: tuple[str, ...]  # who hears it: AGENT, WIDGET; () = no client (a socket's own signal)
    fields: frozenset[str]  # the fields it may carry besides `type`


def _declare(type_: str, route: str, sockets: tuple[str, ...], fields: str = "") -> FrameType:
    return FrameType(type_, route, sockets, frozenset(fields.split()))


CATALOGUE: dict[str, FrameType] = {
    spec.type: spec
    for spec in (
        _declare(MESSAGE_NEW, PUSH, (AGENT, WIDGET), "conversation_id seq message conversation"),
        _declare(MESSAGE_UPDATE, PUSH, (AGENT,), "conversation_id seq message"),
        _declare(
            CONVERSATION_UPDATE,
            PUSH,
            (AGENT, WIDGET),
            "conversation_id conversation status assignee_name",
        ),
        _declare(CONVERSATION_NEW, PUSH, (WIDGET,), "conversation_id conversation"),
        _declare(READ, PUSH, (AGENT, WIDGET), "conversation_id by seq"),
        _declare(
            TYPING, PUSH, (AGENT, WIDGET), "conversation_id by agent_id name state is_internal"
        ),
        _declare(VIEWERS, PUSH, (AGENT,), "conversation_id viewers"),
        _declare(TICKET_UPDATE, PUSH, (AGENT,), "ticket_id conversation_id created ticket"),
        _declare(NOTIFICATION, PUSH, (AGENT,), "op notification unread ids all"),
        _declare(AGENT_PRESENCE, PUSH, (AGENT,), "op agent_id presence changed_at"),
        _declare(SESSION_REVOKED, PUSH, ()),
        _declare(CONVERSATION_ASSIGNED, PUSH, (AGENT,), "conversation_id conversation"),
        _declare(
            CONVERSATION_OFFERED,
            PUSH,
            (AGENT,),
            "conversation_id conversation first_message expires_at seconds",
        ),
        _declare(
            QUEUE_UPDATE, PUSH, (WIDGET,), "conversation_id position wait_seconds agents_online"
        ),
        _declare(ROUTING_CHANGED, PUSH, (AGENT,), "changes"),
        _declare(
            HELLO, DIRECT, (AGENT, WIDGET), "agent offers customer conversation agents_online queue"
        ),
        _declare(PONG, DIRECT, (AGENT, WIDGET), "ref"),
        _declare(
            ACK,
            DIRECT,
            (AGENT, WIDGET),
            "ref client_msg_id message_id seq conversation_id message presence",
        ),
        _declare(ERROR, DIRECT, (AGENT, WIDGET), "code message ref retry_after fields"),
        _declare(
            MESSAGES, DIRECT, (AGENT, WIDGET), "conversation_id messages last_seq has_more ref"
        ),
        _declare(CONVERSATION_REMOVED, DIRECT, (AGENT,), "conversation_id"),
        _declare(RESYNC, DIRECT, (AGENT, WIDGET)),
    )
}


class UndeclaredFrame(ValueError):
    """A frame whose type or a field is not in the catalogue (a bug: declare it, document it)."""


def check(event: dict[str, Any], route: str | None = None) -> None:
    """Refuse a frame not declared here (by type, fields and, when given, route)."""
    spec = CATALOGUE.get(event.get("type"))  # type: ignore[arg-type]
    if spec is None:
        raise UndeclaredFrame(f"frame type {event.get('type')!r} is not in the catalogue")
    if route is not None and spec.route != route:
        raise UndeclaredFrame(f"{spec.type!r} is a {spec.route} frame, not {route}")
    extra = event.keys() - spec.fields - {"type"}
    if extra:
        raise UndeclaredFrame(f"{spec.type!r} declares no field {sorted(extra)}")


def frame(type_: str, /, **fields: Any) -> dict[str, Any]:
    """`{"type": type_, **fields}`, checked against the catalogue."""
    event = {"type": type_, **fields}
    check(event)
    return event
