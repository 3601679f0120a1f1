"""One event catalogue (desk/kernel/push_events.py): docs/protocol.md lists exactly its types,
the code builds exactly its types, and nothing else leaves a socket."""

import ast
import re
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import transaction

from desk.kernel import push_events, realtime
from desk.kernel.push_events import CATALOGUE, UndeclaredFrame, frame
from desk.kernel.socket import JsonFrameConsumer

BASE = Path(settings.BASE_DIR)
CODE_ROOTS = ("chat", "tickets", "routing", "desk")
# Dicts with a "type" key that are not frames: the channel-layer envelope (its handler name).
# Files whose dicts with a "type" are not frames: the catalogue itself, settings, and the
# payloads a provider's API defines (WhatsApp's message types, WeChat's media types).
NOT_FRAMES = {
    "desk/kernel/realtime.py",
    "desk/kernel/push_events.py",
    "desk/settings.py",
    "chat/adapters/whatsapp.py",
    "chat/adapters/wechat.py",
}


def documented() -> dict[str, tuple[str, tuple[str, ...], frozenset[str]]]:
    """docs/protocol.md's "Event catalogue" table: type -> (route, sockets, fields)."""
    text = (BASE / "docs/protocol.md").read_text()
    section = text.split("\n## Event catalogue\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].startswith("`"):
            continue
        type_ = cells[0].strip("`")
        sockets = tuple(name for name in ("agent", "widget") if name in cells[2])
        fields = frozenset(re.findall(r"`([a-z_]+)`", cells[3]))
        assert type_ not in rows, f"{type_} is documented twice"
        rows[type_] = (cells[1], sockets, fields)
    return rows


def test_docs_list_exactly_the_catalogue_with_its_sockets_and_fields():
    docs = documented()
    assert sorted(set(CATALOGUE) - set(docs)) == [], "in the catalogue, not in docs/protocol.md"
    assert sorted(set(docs) - set(CATALOGUE)) == [], "in docs/protocol.md, not in the catalogue"
    for type_, spec in CATALOGUE.items():
        assert docs[type_] == (spec.route, spec.sockets, spec.fields), type_


def test_the_doc_parser_sees_every_row():
    """Guards the test above against a table it cannot read (it would compare two empty sets)."""
    assert len(documented()) == len(CATALOGUE) >= 17


# ---- the code builds exactly the catalogue's types ------------------------------------------


def _source_files():
    for root in CODE_ROOTS:
        for path in sorted((BASE / root).rglob("*.py")):
            relative = path.relative_to(BASE).as_posix()
            if "/tests/" in relative or "/migrations/" in relative or relative in NOT_FRAMES:
                continue
            yield relative, path.read_text()


def _constants(tree: ast.Module) -> dict[str, str]:
    found = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value.value
    return found


def _resolve(node: ast.expr, local: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return local.get(node.id) or getattr(push_events, node.id, None)
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "push_events"
    ):
        return getattr(push_events, node.attr, None)
    return None


def built_types() -> dict[str, list[str]]:
    """Every frame type the code builds: `frame(TYPE, …)` calls and dict literals with a "type"
    key; type -> where. A type that cannot be read statically fails the test."""
    built: dict[str, list[str]] = {}
    unreadable = []
    for relative, source in _source_files():
        tree = ast.parse(source)
        local = _constants(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = (
                    node.func.attr
                    if isinstance(node.func, ast.Attribute)
                    else getattr(node.func, "id", None)
                )
                if name == "frame" and node.args:
                    candidates = [node.args[0]]
                else:
                    continue
            elif isinstance(node, ast.Dict):
                candidates = [
                    value
                    for key, value in zip(node.keys, node.values, strict=True)
                    if isinstance(key, ast.Constant) and key.value == "type"
                ]
            else:
                continue
            for candidate in candidates:
                where = f"{relative}:{candidate.lineno}"
                type_ = _resolve(candidate, local)
                if type_ is None:
                    unreadable.append(where)
                else:
                    built.setdefault(type_, []).append(where)
    assert unreadable == [], "name frame types with a constant (push_events.X)"
    return built


def test_the_code_builds_every_catalogued_type_and_no_other():
    built = built_types()
    assert {t: w for t, w in built.items() if t not in CATALOGUE} == {}, "declare and document it"
    assert sorted(set(CATALOGUE) - set(built)) == [], "catalogued, documented, never sent"


# ---- the choke points refuse what the catalogue does not declare -----------------------------


def test_frame_refuses_an_undeclared_type_or_field():
    assert frame(push_events.READ, conversation_id=1, by="agent", seq=3) == {
        "type": "read",
        "conversation_id": 1,
        "by": "agent",
        "seq": 3,
    }
    with pytest.raises(UndeclaredFrame):
        frame("message.deleted", conversation_id=1)
    with pytest.raises(UndeclaredFrame):
        frame(push_events.READ, conversation_id=1, secret=True)


@pytest.mark.django_db
def test_publish_refuses_an_undeclared_push_before_anything_is_sent():
    with pytest.raises(UndeclaredFrame), transaction.atomic():
        realtime.publish(["agents"], {"type": "message.deleted", "conversation_id": 1})
    with pytest.raises(UndeclaredFrame):  # a direct frame is not a push
        realtime.publish(["agents"], {"type": "pong", "ref": 1})
    with pytest.raises(UndeclaredFrame):
        async_to_sync(realtime.send_ephemeral)(["agents"], {"type": "typing", "mood": "happy"})


def test_a_socket_sends_only_declared_direct_frames():
    sent = []

    async def base_send(message):
        sent.append(message["text"])

    socket = JsonFrameConsumer()
    socket.base_send = base_send
    async_to_sync(socket.send_json)({"type": "pong", "ref": 1})
    with pytest.raises(UndeclaredFrame):
        async_to_sync(socket.send_json)({"type": "surprise"})
    with pytest.raises(UndeclaredFrame):  # a push type is not answered directly
        async_to_sync(socket.send_json)({"type": "ticket.update", "ticket_id": 1})
    assert sent == ['{"type": "pong", "ref": 1}']
