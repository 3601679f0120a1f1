"""The widget socket /ws/widget/ through the real ASGI stack and the real Redis channel layer.

Test bodies are coroutines run with `async_to_sync`; database work inside them goes through
`database_sync_to_async`. Pushes go out on commit, hence transactional tests.
"""

import json

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from chat import events, services
from chat.models import Conversation, Message, SenderType
from chat.tests.factories import WidgetSiteFactory
from chat.widget import sessions as widget_sessions
from desk.asgi import application
from desk.kernel.socket import MAX_FRAME_BYTES
from routing.tests.factories import AgentProfileFactory, TeamFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("own_channel_prefix"),
]

ORIGIN = (b"origin", b"http://127.0.0.1")
TIMEOUT = 3


@pytest.fixture
def site():
    return WidgetSiteFactory(key="shop", team=TeamFactory(name="Sales"))


def new_visitor(site) -> widget_sessions.Session:
    return widget_sessions.widget_session_open(site=site, context={"page_url": "https://s.test/"})


def started(site):
    """A visitor with an open conversation: (token, conversation)."""
    from chat.widget.services import visitor_conversation_start

    session = new_visitor(site)
    conversation, _ = visitor_conversation_start(visitor=session.visitor)
    return session.token, conversation


async def connect(token):
    socket = WebsocketCommunicator(application, "/ws/widget/", headers=[ORIGIN])
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected
    await socket.send_json_to({"type": "auth", "token": token})
    hello = await socket.receive_json_from(timeout=TIMEOUT)
    assert hello["type"] == "hello", hello
    return socket, hello


async def drain(socket, quiet=0.5):
    """Every frame the socket sends until it has been quiet for `quiet` seconds."""
    frames = []
    while not await socket.receive_nothing(timeout=quiet):
        frames.append(await socket.receive_json_from(timeout=TIMEOUT))
    return frames


async def ping_pong(socket):
    await socket.send_json_to({"type": "ping", "ref": "p"})
    assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "pong", "ref": "p"}


def send_frame(client_msg_id="c-1", body="hello", **extra):
    return {"type": "message.send", "client_msg_id": client_msg_id, "body": body, **extra}


def run(coroutine_function):
    return async_to_sync(coroutine_function)()


say = database_sync_to_async(services.message_create)


# ---- connecting ---------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "forged", "WzEsMV0:1x:bad", 7, ["x"]])
def test_a_bad_token_is_closed_with_4403(site, token):
    async def scenario():
        socket = WebsocketCommunicator(application, "/ws/widget/", headers=[ORIGIN])
        connected, _ = await socket.connect(timeout=TIMEOUT)
        assert connected  # accepted only to hear the token, and to say why it is closed
        await socket.send_json_to({"type": "auth", "token": token})
        assert await socket.receive_output(timeout=TIMEOUT) == {
            "type": "websocket.close",
            "code": 4403,
        }

    run(scenario)


def test_a_token_of_a_deactivated_site_is_closed_with_4403(site):
    token = new_visitor(site).token
    site.is_active = False
    site.save()

    async def scenario():
        socket = WebsocketCommunicator(application, "/ws/widget/", headers=[ORIGIN])
        await socket.connect(timeout=TIMEOUT)
        await socket.send_json_to({"type": "auth", "token": token})
        return await socket.receive_output(timeout=TIMEOUT)

    assert run(scenario) == {"type": "websocket.close", "code": 4403}


def test_hello_names_the_customer_and_the_conversation(site):
    fresh = new_visitor(site)
    token, conversation = started(site)

    async def scenario():
        first, hello_fresh = await connect(fresh.token)
        second, hello_started = await connect(token)
        await first.disconnect()
        await second.disconnect()
        return hello_fresh, hello_started

    hello_fresh, hello_started = run(scenario)
    assert hello_fresh == {
        "type": "hello",
        "customer": {"name": fresh.visitor.customer.display_name},
        "conversation": None,
        "agents_online": False,  # leave-a-message mode (no agent of the team is online)
    }
    assert hello_started["conversation"]["id"] == conversation.pk
    assert hello_started["conversation"]["status"] == "waiting"
    assert hello_started["conversation"]["assignee"] is None


# ---- sending ------------------------------------------------------------------------------


def test_send_is_acked_after_commit_and_a_resend_makes_no_second_row(site):
    session = new_visitor(site)

    async def scenario():
        socket, _ = await connect(session.token)
        await socket.send_json_to(send_frame("c-1", "你好 👋", ref=1))
        first = await socket.receive_json_from(timeout=TIMEOUT)
        stored = await database_sync_to_async(
            lambda: list(Message.objects.values_list("seq", "body", "client_msg_id"))
        )()
        await drain(socket)
        await socket.send_json_to(send_frame("c-1", "你好 👋", ref=2))
        again = await socket.receive_json_from(timeout=TIMEOUT)
        await socket.disconnect()
        return first, stored, again

    first, stored, again = run(scenario)
    conversation = Conversation.objects.get()
    assert first["type"] == "ack"
    assert first["ref"] == 1
    assert (first["client_msg_id"], first["seq"], first["conversation_id"]) == (
        "c-1",
        1,
        conversation.pk,
    )
    assert first["message"]["body"] == "你好 👋"
    assert "is_internal" not in first["message"]
    assert stored == [(1, "你好 👋", "c-1")]  # the row was there when the ack arrived
    assert {k: v for k, v in again.items() if k != "ref"} == {
        k: v for k, v in first.items() if k != "ref"
    }
    assert Message.objects.count() == 1
    assert (conversation.team, conversation.widget_site) == (site.team, site)
    assert conversation.page_url == "https://s.test/"
    assert conversation.unread_by_agent == 1


def test_a_message_to_a_closed_conversation_starts_a_new_one(site):
    token, old = started(site)
    services.message_create(conversation=old, sender_type="customer", body="x", client_msg_id="a")
    services.conversation_update_fields(actor=None, conversation=old, changes={"status": "closed"})

    async def scenario():
        socket, hello = await connect(token)
        await socket.send_json_to(send_frame("b", "again"))
        frames = await drain(socket)
        await socket.send_json_to(send_frame("a", "x"))  # a resend of the old one
        resend = await socket.receive_json_from(timeout=TIMEOUT)
        await socket.disconnect()
        return hello, frames, resend

    hello, frames, resend = run(scenario)
    new = Conversation.objects.exclude(pk=old.pk).get()
    assert hello["conversation"]["id"] == old.pk
    assert hello["conversation"]["status"] == "closed"
    ack = next(f for f in frames if f["type"] == "ack")
    assert (ack["conversation_id"], ack["seq"]) == (new.pk, 1)
    assert new.status == "waiting"
    assert new.team == site.team
    assert "conversation.new" in [f["type"] for f in frames]
    assert (resend["conversation_id"], resend["seq"]) == (old.pk, 1)
    assert Message.objects.filter(client_msg_id="a").count() == 1


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", "invalid_json"),
        ("[" * 60000, "invalid_json"),  # json.loads raises RecursionError: was 1011
        ('{"type": "ping", "x": ' + "[" * 40 + "]" * 40 + "}", "invalid_json"),
        ('["message.send"]', "invalid_frame"),
        ('{"type": "teleport"}', "unknown_type"),
        ('{"type": "event.push", "event": {"type": "message.new"}}', "unknown_type"),
        (json.dumps(send_frame(body="x" * 5001)), "invalid_message"),
        (json.dumps(send_frame(body="")), "invalid_message"),
        (json.dumps(send_frame(body="   \n ")), "invalid_message"),
        (json.dumps(send_frame(client_msg_id="")), "invalid_message"),
        (json.dumps(send_frame(client_msg_id="x" * 65)), "invalid_message"),
        (json.dumps(send_frame(client_msg_id="has space")), "invalid_message"),
        (json.dumps(send_frame(body=7)), "invalid_message"),
        (json.dumps(send_frame(attachment_ids="1")), "invalid_attachment"),
        (json.dumps(send_frame(attachment_ids=[True])), "invalid_attachment"),
        (json.dumps(send_frame(attachment_ids=[424242])), "invalid_attachment"),
        (json.dumps({"type": "sync", "conversation_id": "1", "after_seq": 0}), "invalid_frame"),
        (json.dumps({"type": "sync", "conversation_id": 1, "after_seq": -1}), "invalid_frame"),
        (json.dumps({"type": "sync", "conversation_id": 10**20, "after_seq": 0}), "invalid_frame"),
        (json.dumps({"type": "sync", "conversation_id": 1, "after_seq": 10**20}), "invalid_frame"),
        (json.dumps({"type": "read", "seq": 10**20}), "invalid_frame"),
        (json.dumps(send_frame(attachment_ids=[10**20])), "invalid_attachment"),
        (json.dumps({"type": "typing", "state": "dancing"}), "invalid_frame"),
        (json.dumps({"type": "read", "seq": "all"}), "invalid_frame"),
        (json.dumps({"type": "ping", "pad": "x" * MAX_FRAME_BYTES}), "frame_too_large"),
    ],
)
def test_bad_frames_get_an_error_store_nothing_and_the_socket_keeps_working(site, frame, code):
    session = new_visitor(site)

    async def scenario():
        socket, _ = await connect(session.token)
        await socket.send_to(text_data=frame)
        error = await socket.receive_json_from(timeout=TIMEOUT)
        await ping_pong(socket)
        await socket.disconnect()
        return error

    error = run(scenario)
    assert error["type"] == "error"
    assert error["code"] == code
    assert error["message"]
    assert not Message.objects.exists()
    assert not Conversation.objects.exists()


def test_an_attachment_of_another_conversation_is_refused(site):
    _, theirs = started(site)
    token, _ = started(site)
    from chat.tests.factories import AttachmentFactory

    foreign = AttachmentFactory(conversation=theirs)

    async def scenario():
        socket, _ = await connect(token)
        await socket.send_json_to(send_frame(attachment_ids=[foreign.pk], ref="x"))
        error = await socket.receive_json_from(timeout=TIMEOUT)
        await socket.disconnect()
        return error

    error = run(scenario)
    assert (error["type"], error["code"], error["ref"]) == ("error", "invalid_attachment", "x")
    assert not Message.objects.exists()
    foreign.refresh_from_db()
    assert foreign.message is None


def test_sends_are_rate_limited_per_socket(site):
    session = new_visitor(site)

    async def scenario():
        socket, _ = await connect(session.token)
        for n in range(14):
            await socket.send_json_to(send_frame(f"c-{n}", f"m{n}"))
        frames = await drain(socket)
        await socket.disconnect()
        return frames

    frames = run(scenario)
    acks = [f for f in frames if f["type"] == "ack"]
    limited = [f for f in frames if f["type"] == "error"]
    assert len(acks) >= 10
    assert limited
    assert {f["code"] for f in limited} == {"rate_limited"}
    assert Message.objects.count() == len(acks)


def test_sending_before_the_prechat_form_is_refused(site):
    site.prechat_enabled = True
    site.prechat_name = "required"
    site.save()
    session = new_visitor(site)

    async def scenario():
        socket, _ = await connect(session.token)
        await socket.send_json_to(send_frame())
        error = await socket.receive_json_from(timeout=TIMEOUT)
        await socket.disconnect()
        return error

    assert run(scenario)["code"] == "prechat_required"
    assert not Conversation.objects.exists()


# ---- hearing ------------------------------------------------------------------------------


def test_sync_replays_the_gap_without_internal_notes(site):
    token, conversation = started(site)
    agent = AgentProfileFactory(display_name="Carol")
    for n, (sender, internal) in enumerate(
        [("customer", False), ("agent", False), ("agent", True), ("agent", False)]
    ):
        services.message_create(
            conversation=conversation,
            sender_type=sender,
            sender_user=agent.user if sender == "agent" else None,
            body=f"m{n}",
            is_internal=internal,
        )

    async def scenario():
        socket, _ = await connect(token)
        await socket.send_json_to(
            {"type": "sync", "conversation_id": conversation.pk, "after_seq": 1, "ref": "s"}
        )
        frame = await socket.receive_json_from(timeout=TIMEOUT)
        await socket.disconnect()
        return frame

    frame = run(scenario)
    assert frame["type"] == "messages"
    assert frame["ref"] == "s"
    assert frame["conversation_id"] == conversation.pk
    assert [(m["seq"], m["body"]) for m in frame["messages"]] == [(2, "m1"), (4, "m3")]
    assert frame["last_seq"] == 4
    assert frame["has_more"] is False
    assert frame["messages"][0]["sender"] == {"name": "Carol", "avatar_url": ""}


def test_agent_replies_and_assignment_reach_the_widget_but_internal_notes_never(site):
    token, conversation = started(site)
    agent = AgentProfileFactory(display_name="Carol")

    async def scenario():
        socket, _ = await connect(token)
        await say(
            conversation=conversation,
            sender_type=SenderType.AGENT,
            sender_user=agent.user,
            body="secret note",
            is_internal=True,
        )
        await database_sync_to_async(services.conversation_update_fields)(
            actor=agent.user, conversation=conversation, changes={"assignee": agent.user}
        )
        await say(
            conversation=conversation,
            sender_type=SenderType.AGENT,
            sender_user=agent.user,
            body="Hello, I am Carol",
        )
        frames = await drain(socket)
        await socket.disconnect()
        return frames

    frames = run(scenario)
    text = json.dumps(frames, ensure_ascii=False)
    assert "secret note" not in text
    assert "assignee:" not in text  # the activity row is internal too
    news = [f for f in frames if f["type"] == "message.new"]
    assert [(f["seq"], f["message"]["body"]) for f in news] == [(3, "Hello, I am Carol")]
    assert news[0]["message"]["sender"] == {"name": "Carol", "avatar_url": ""}
    updates = [f for f in frames if f["type"] == "conversation.update"]
    assert updates
    assert updates[-1]["assignee_name"] == "Carol"
    assert updates[-1]["conversation"]["assignee"] == {"name": "Carol", "avatar_url": ""}
    assert "customer" not in updates[-1]["conversation"]


def test_another_visitor_hears_nothing_and_cannot_sync_my_conversation(site):
    mine = new_visitor(site)
    theirs, their_conversation = started(site)

    async def scenario():
        me, _ = await connect(mine.token)
        other, _ = await connect(theirs)
        await me.send_json_to(send_frame("c-1", "my private words"))
        my_frames = await drain(me)
        their_frames = await drain(other)
        my_conversation = my_frames[0]["conversation_id"]
        await other.send_json_to(
            {"type": "sync", "conversation_id": my_conversation, "after_seq": 0}
        )
        refused = await other.receive_json_from(timeout=TIMEOUT)
        await other.send_json_to({"type": "read", "conversation_id": my_conversation, "seq": 1})
        refused_read = await other.receive_json_from(timeout=TIMEOUT)
        await me.disconnect()
        await other.disconnect()
        return their_frames, refused, refused_read

    their_frames, refused, refused_read = run(scenario)
    assert their_frames == []
    assert (refused["type"], refused["code"]) == ("error", "not_found")
    assert (refused_read["type"], refused_read["code"]) == ("error", "not_found")
    assert their_conversation.messages.count() == 0


def test_a_second_tab_follows_the_conversation_the_first_tab_starts(site):
    session = new_visitor(site)
    agent = AgentProfileFactory(display_name="Carol")

    async def scenario():
        first, _ = await connect(session.token)
        second, _ = await connect(session.token)
        await first.send_json_to(send_frame("c-1", "from tab one"))
        await drain(first)
        heard = await drain(second)
        conversation = await database_sync_to_async(Conversation.objects.get)()
        await say(
            conversation=conversation,
            sender_type=SenderType.AGENT,
            sender_user=agent.user,
            body="reply",
        )
        reply = await drain(second)
        await first.disconnect()
        await second.disconnect()
        return heard, reply

    heard, reply = run(scenario)
    assert "conversation.new" in [f["type"] for f in heard]
    assert [f["message"]["body"] for f in reply if f["type"] == "message.new"] == ["reply"]


def test_typing_and_read_reach_the_agents_viewing_the_conversation(site):
    token, conversation = started(site)
    agent = AgentProfileFactory()
    for n in range(2):
        services.message_create(
            conversation=conversation,
            sender_type=SenderType.AGENT,
            sender_user=agent.user,
            body=f"a{n}",
        )

    async def scenario():
        layer = get_channel_layer()
        listener = await layer.new_channel()
        await layer.group_add(events.conversation_agents(conversation.pk), listener)
        socket, _ = await connect(token)
        await socket.send_json_to({"type": "typing", "state": "start"})
        typing = await layer.receive(listener)
        await socket.send_json_to({"type": "read", "seq": 1})
        read = await layer.receive(listener)
        await ping_pong(socket)
        await socket.disconnect()
        return json.loads(typing["text"]), json.loads(read["text"])

    typing, read = run(scenario)
    assert typing == {
        "type": "typing",
        "conversation_id": conversation.pk,
        "by": "customer",
        "name": conversation.customer.display_name,
        "state": "start",
    }
    assert read == {"type": "read", "conversation_id": conversation.pk, "by": "customer", "seq": 1}
    states = dict(conversation.messages.values_list("seq", "delivery_state"))
    assert states == {1: "read", 2: "sent"}
    conversation.refresh_from_db()
    assert conversation.unread_by_customer == 1


def test_a_reply_through_the_socket_reopens_the_resolved_ticket_and_shows_its_card(site):
    from tickets.models import TicketEvent, TicketSource
    from tickets.services import TicketData, ticket_create_from_conversation, ticket_update_fields

    token, conversation = started(site)
    ticket = ticket_create_from_conversation(
        actor=None,
        conversation=conversation,
        data=TicketData(subject="Refund"),
        source=TicketSource.BUTTON,
    ).ticket
    ticket_update_fields(actor=None, ticket=ticket, changes={"status": "resolved"})

    async def scenario():
        socket, _ = await connect(token)
        await drain(socket)
        await socket.send_json_to(send_frame("c-1", "Still not refunded", ref=1))
        frames = await drain(socket)
        await socket.disconnect()
        return frames

    frames = run(scenario)
    ack = next(f for f in frames if f["type"] == "ack")
    cards = [
        f["message"]["payload"]
        for f in frames
        if f["type"] == "message.new" and f["message"]["content_type"] == "ticket"
    ]
    assert ack["message"]["body"] == "Still not refunded"
    assert [(c["event"], c["status"], c["old_status"]) for c in cards] == [
        ("ticket.status", "open", "resolved")
    ]
    ticket.refresh_from_db()
    assert ticket.status == "open"
    event = TicketEvent.objects.get(ticket=ticket, kind="comment")
    assert (event.body, event.message_id, event.actor_customer_id) == (
        "Still not refunded",
        ack["message"]["id"],
        conversation.customer_id,
    )
