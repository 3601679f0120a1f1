"""Conversation frames of /ws/desk/ through the real ASGI stack, Redis channel layer and Redis.

Like test_agent_socket.py: coroutine bodies under `async_to_sync`, transactional database (the
pushes go out on commit). The customer's side is a bare channel in `conv.<id>.customer`.
"""

import asyncio
import json

import pytest
import redis
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.test import Client

from chat import services
from chat.models import Conversation, Message, SenderType
from chat.tests.factories import AttachmentFactory, ConversationFactory
from desk.tests.test_agent_socket import TIMEOUT, drain, open_agent_socket, session_headers
from desk.workspace.viewers import viewers_key
from routing.tests.factories import AgentProfileFactory, SupervisorProfileFactory, TeamFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("own_channel_prefix"),
]


def run(scenario, *args):
    return async_to_sync(scenario)(*args)


def customer_says(conversation, body="hello", **kwargs):
    return services.message_create(
        conversation=conversation, sender_type=SenderType.CUSTOMER, body=body, **kwargs
    ).message


class CustomerListener:
    """A bare channel in the customer's group, as the widget socket would be. It reads in a
    background task: cancelling a pub/sub layer's `receive` unsubscribes the channel."""

    def __init__(self, conversation_id: int):
        self.group = f"conv.{conversation_id}.customer"
        self.events: list[dict] = []
        self.taken = 0

    async def start(self):
        self.layer = get_channel_layer()
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(self.group, self.channel)
        self.task = asyncio.create_task(self._read())
        return self

    async def _read(self):
        while True:
            self.events.append(json.loads((await self.layer.receive(self.channel))["text"]))

    async def heard(self, quiet=0.7):
        """The events that arrived since the last call, once nothing came for `quiet` s."""
        while True:
            count = len(self.events)
            await asyncio.sleep(quiet)
            if len(self.events) == count:
                new, self.taken = self.events[self.taken :], len(self.events)
                return new

    async def stop(self):
        self.task.cancel()
        await self.layer.group_discard(self.group, self.channel)


def frames_of(frames, kind):
    return [frame for frame in frames if frame["type"] == kind]


# ---- message.send -------------------------------------------------------------------------


def test_send_acks_after_commit_and_a_resend_gets_the_same_ack(client, agent):
    conv = ConversationFactory()
    headers = session_headers(client, agent.user)
    send = {"type": "message.send", "conversation_id": conv.pk, "client_msg_id": "c-1",
            "body": "<b>Hello</b> 你好", "ref": "s1"}  # fmt: skip

    async def scenario():
        socket, _ = await open_agent_socket(headers)
        await socket.send_json_to(send)
        first = await drain(socket)
        stored = await database_sync_to_async(Message.objects.filter(client_msg_id="c-1").count)()
        await socket.send_json_to({**send, "ref": "s2"})
        second = await drain(socket)
        await socket.disconnect()
        return first, stored, second

    first, stored_at_ack, second = run(scenario)
    message = Message.objects.get()
    ack = frames_of(first, "ack")[0]
    assert stored_at_ack == 1
    assert ack == {"type": "ack", "ref": "s1", "client_msg_id": "c-1", "message_id": message.pk,
                   "seq": 1, "conversation_id": conv.pk, "message": ack["message"]}  # fmt: skip
    assert ack["message"]["body"] == "<b>Hello</b> 你好"  # raw: the client renders it as text
    assert ack["message"]["sender"]["id"] == agent.user_id
    pushed = frames_of(first, "message.new")
    assert [(f["conversation_id"], f["seq"]) for f in pushed] == [(conv.pk, 1)]
    assert pushed[0]["conversation"]["last_seq"] == 1
    assert second == [{**ack, "ref": "s2"}]  # no second push: nothing new was stored
    assert Message.objects.count() == 1
    assert (message.sender_type, message.sender_user, message.seq) == ("agent", agent.user, 1)
    assert Conversation.objects.get().status == "open"  # an agent answered


def test_an_internal_note_never_reaches_the_customer(client, agent):
    conv = ConversationFactory()
    headers = session_headers(client, agent.user)

    async def scenario():
        customer = await CustomerListener(conv.pk).start()
        socket, _ = await open_agent_socket(headers)
        note = {"type": "message.send", "conversation_id": conv.pk, "client_msg_id": "n-1",
                "body": "VIP, be gentle", "is_internal": True}  # fmt: skip
        await socket.send_json_to(note)
        agent_frames = await drain(socket)
        customer_events = await customer.heard()
        await socket.send_json_to({**note, "client_msg_id": "r-1", "is_internal": False,
                                   "body": "Hello!"})  # fmt: skip
        await drain(socket)
        customer_events += await customer.heard()
        await customer.stop()
        await socket.disconnect()
        return agent_frames, customer_events

    agent_frames, customer_events = run(scenario)
    pushed = frames_of(agent_frames, "message.new")
    assert [f["message"]["is_internal"] for f in pushed] == [True]
    assert [(e["type"], e["seq"], e["message"]["body"]) for e in customer_events] == [
        ("message.new", 2, "Hello!")
    ]
    assert "is_internal" not in customer_events[0]["message"]
    assert "id" not in customer_events[0]["message"]["sender"]
    conv.refresh_from_db()
    assert conv.unread_by_customer == 1  # the note counts for nobody


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"client_msg_id": ""}, "invalid_message"),
        ({"client_msg_id": "x" * 65}, "invalid_message"),
        ({"client_msg_id": "has space"}, "invalid_message"),
        ({"client_msg_id": 7}, "invalid_message"),
        ({"body": "   "}, "invalid_message"),
        ({"body": "x" * 5001}, "invalid_message"),
        ({"body": ["list"]}, "invalid_message"),
        ({"is_internal": "yes"}, "invalid_message"),
        ({"attachment_ids": "1"}, "invalid_attachment"),
        ({"attachment_ids": [True]}, "invalid_attachment"),
        ({"attachment_ids": [999999]}, "invalid_attachment"),
        ({"conversation_id": "1"}, "invalid_frame"),
        ({"conversation_id": 999999}, "not_found"),
    ],
)
def test_bad_sends_get_an_error_and_store_nothing(client, agent, changes, code):
    conv = ConversationFactory()
    headers = session_headers(client, agent.user)
    frame = {"type": "message.send", "conversation_id": conv.pk, "client_msg_id": "ok-1",
             "body": "hello", "ref": 4, **changes}  # fmt: skip

    async def scenario():
        socket, _ = await open_agent_socket(headers)
        await socket.send_json_to(frame)
        frames = await drain(socket)
        await socket.disconnect()
        return frames

    (error,) = run(scenario)
    assert (error["type"], error["code"], error["ref"]) == ("error", code, 4)
    assert error["message"]
    assert not Message.objects.exists()


def test_closed_conversation_takes_notes_but_no_replies_and_resends_still_ack(client, agent):
    conv = ConversationFactory()
    headers = session_headers(client, agent.user)
    base = {"type": "message.send", "conversation_id": conv.pk}

    async def scenario():
        socket, _ = await open_agent_socket(headers)
        await socket.send_json_to({**base, "client_msg_id": "before", "body": "bye"})
        await drain(socket)
        await database_sync_to_async(Conversation.objects.filter(pk=conv.pk).update)(
            status="closed"
        )
        results = []
        for client_msg_id, internal in (("before", False), ("after", False), ("note", True)):
            await socket.send_json_to({**base, "client_msg_id": client_msg_id, "body": "x",
                                       "is_internal": internal})  # fmt: skip
            results.append((await drain(socket))[0])
        await socket.disconnect()
        return results

    resend, refused, note = run(scenario)
    assert (resend["type"], resend["seq"]) == ("ack", 1)
    assert (refused["type"], refused["code"]) == ("error", "conversation_closed")
    assert (note["type"], note["seq"]) == ("ack", 2)
    assert list(Message.objects.values_list("client_msg_id", flat=True)) == ["before", "note"]


def test_attachments_are_sent_once(client, agent):
    conv = ConversationFactory()
    image = AttachmentFactory(conversation=conv, content_type="image/png", original_name="a.png",
                              uploader_type="agent", uploader_user=agent.user)  # fmt: skip
    headers = session_headers(client, agent.user)
    frame = {"type": "message.send", "conversation_id": conv.pk, "body": "",
             "attachment_ids": [image.pk]}  # fmt: skip

    async def scenario():
        socket, _ = await open_agent_socket(headers)
        await socket.send_json_to({**frame, "client_msg_id": "img-1"})
        sent = await drain(socket)
        await socket.send_json_to({**frame, "client_msg_id": "img-2"})
        again = await drain(socket)
        await socket.disconnect()
        return frames_of(sent, "ack")[0], again

    ack, again = run(scenario)
    assert ack["message"]["content_type"] == "image"
    assert [a["id"] for a in ack["message"]["attachments"]] == [image.pk]
    assert [(f["type"], f["code"]) for f in again] == [("error", "invalid_attachment")]
    assert Message.objects.count() == 1


# ---- scope --------------------------------------------------------------------------------


def test_scope_decides_who_hears_and_who_may_touch_a_conversation(client):
    sales, support = TeamFactory(name="Sales"), TeamFactory(name="Support")
    seller = AgentProfileFactory(teams=[sales])
    helper = AgentProfileFactory(teams=[support])
    boss = SupervisorProfileFactory()
    sales_conv = ConversationFactory(team=sales)
    support_conv = ConversationFactory(team=support)
    unowned = ConversationFactory()
    headers = [session_headers(Client(), profile.user) for profile in (seller, helper, boss)]

    async def scenario():
        sockets = [(await open_agent_socket(h))[0] for h in headers]
        for conv, body in ((sales_conv, "buy"), (support_conv, "fix"), (unowned, "hi")):
            await database_sync_to_async(customer_says)(conv, body)
        heard_by = [await drain(socket) for socket in sockets]
        seller_socket = sockets[0]
        refused = []
        for frame in (
            {"type": "conversation.open", "conversation_id": support_conv.pk},
            {"type": "sync", "conversation_id": support_conv.pk, "after_seq": 0},
            {"type": "typing", "conversation_id": support_conv.pk, "state": "start"},
            {"type": "read", "conversation_id": support_conv.pk, "seq": 1},
            {"type": "message.send", "conversation_id": support_conv.pk,
             "client_msg_id": "sneaky", "body": "hi"},
        ):  # fmt: skip
            await seller_socket.send_json_to(frame)
            refused.append(await seller_socket.receive_json_from(timeout=TIMEOUT))
        for socket in sockets:
            await socket.disconnect()
        return heard_by, refused

    heard_by, refused = run(scenario)

    def bodies(frames):
        return sorted(f["message"]["body"] for f in frames_of(frames, "message.new"))

    assert bodies(heard_by[0]) == ["buy", "hi"]
    assert bodies(heard_by[1]) == ["fix", "hi"]
    assert bodies(heard_by[2]) == ["buy", "fix", "hi"]
    assert [(f["type"], f["code"]) for f in refused] == [("error", "not_found")] * 5
    assert Message.objects.filter(conversation=support_conv).count() == 1
    support_conv.refresh_from_db()
    assert support_conv.unread_by_agent == 1


def test_an_assignee_outside_the_team_hears_their_conversation(client, agent):
    conv = ConversationFactory(team=TeamFactory(name="Elsewhere"), assignee=agent.user)
    headers = session_headers(client, agent.user)

    async def scenario():
        socket, _ = await open_agent_socket(headers)
        await database_sync_to_async(customer_says)(conv, "are you there?")
        frames = await drain(socket)
        await socket.disconnect()
        return frames

    assert [f["seq"] for f in frames_of(run(scenario), "message.new")] == [1]


def test_conversation_update_reaches_the_inbox_it_leaves(client, agent):
    sales = TeamFactory(name="Sales")
    agent.teams.set([sales])
    conv = ConversationFactory(team=sales)
    other = TeamFactory(name="Other")
    headers = session_headers(client, agent.user)

    async def scenario():
        socket, _ = await open_agent_socket(headers)
        await database_sync_to_async(services.conversation_update_fields)(
            actor=agent.user, conversation=conv, changes={"team": other}
        )
        frames = await drain(socket)
        await socket.disconnect()
        return frames

    updates = frames_of(run(scenario), "conversation.update")
    assert updates[-1]["conversation"]["team"]["name"] == "Other"


# ---- sync ---------------------------------------------------------------------------------


def test_sync_replays_the_gap_with_internal_notes(client, agent):
    conv = ConversationFactory()
    customer_says(conv, "one")
    customer_says(conv, "two")
    services.message_create(conversation=conv, sender_type=SenderType.AGENT, body="note",
                            sender_user=agent.user, is_internal=True)  # fmt: skip
    headers = session_headers(client, agent.user)

    async def scenario():
        socket, _ = await open_agent_socket(headers)
        await socket.send_json_to(
            {"type": "sync", "conversation_id": conv.pk, "after_seq": 1, "ref": "g"}
        )
        replay = await socket.receive_json_from(timeout=TIMEOUT)
        await socket.send_json_to({"type": "sync", "conversation_id": conv.pk, "after_seq": -1})
        bad = await socket.receive_json_from(timeout=TIMEOUT)
        await socket.disconnect()
        return replay, bad

    replay, bad = run(scenario)
    assert (replay["type"], replay["conversation_id"], replay["last_seq"], replay["ref"]) == (
        "messages", conv.pk, 3, "g"
    )  # fmt: skip
    assert replay["has_more"] is False
    assert [(m["seq"], m["body"], m["is_internal"]) for m in replay["messages"]] == [
        (2, "two", False), (3, "note", True)
    ]  # fmt: skip
    assert (bad["type"], bad["code"]) == ("error", "invalid_frame")


# ---- viewers, typing, read ----------------------------------------------------------------


def test_viewers_and_typing_between_two_agents(client):
    lina = AgentProfileFactory(display_name="Lina")
    mark = AgentProfileFactory(display_name="Mark")
    conv = ConversationFactory()
    headers = [session_headers(Client(), p.user) for p in (lina, mark)]
    viewers_both = [{"id": lina.user_id, "name": "Lina"}, {"id": mark.user_id, "name": "Mark"}]
    opened = {"type": "conversation.open", "conversation_id": conv.pk}

    async def scenario():
        customer = await CustomerListener(conv.pk).start()
        first, _ = await open_agent_socket(headers[0])
        second, _ = await open_agent_socket(headers[1])
        await first.send_json_to(opened)
        alone = await drain(first)
        await second.send_json_to(opened)
        together = await drain(first), await drain(second)
        stored = redis.Redis.from_url(settings.REDIS_URL).hlen(viewers_key(conv.pk))
        typing = {"type": "typing", "conversation_id": conv.pk, "state": "start"}
        await second.send_json_to(typing)
        typed = await drain(first)
        mark_heard_self = not await second.receive_nothing(timeout=0.5)
        await second.send_json_to({**typing, "state": "stop", "is_internal": True})
        await drain(first)
        customer_heard = await customer.heard()
        await customer.stop()
        await second.disconnect()
        after_leave = await drain(first)
        await first.send_json_to({"type": "conversation.leave", "conversation_id": conv.pk})
        await first.send_json_to({"type": "conversation.leave", "conversation_id": conv.pk})
        await first.disconnect()
        return alone, together, stored, typed, mark_heard_self, customer_heard, after_leave

    alone, together, stored, typed, mark_heard_self, customer_heard, after_leave = run(scenario)
    viewers = {"type": "viewers", "conversation_id": conv.pk}
    assert alone == [{**viewers, "viewers": [{"id": lina.user_id, "name": "Lina"}]}]
    assert together == ([{**viewers, "viewers": viewers_both}],) * 2
    assert stored == 2
    assert typed == [{"type": "typing", "conversation_id": conv.pk, "by": "agent",
                      "agent_id": mark.user_id, "name": "Mark", "state": "start",
                      "is_internal": False}]  # fmt: skip
    assert mark_heard_self is False
    assert customer_heard == [{"type": "typing", "conversation_id": conv.pk, "by": "agent",
                               "name": "Mark", "state": "start"}]  # fmt: skip
    assert after_leave == [{**viewers, "viewers": [{"id": lina.user_id, "name": "Lina"}]}]
    assert redis.Redis.from_url(settings.REDIS_URL).hlen(viewers_key(conv.pk)) == 0


def test_two_tabs_of_one_agent_are_one_viewer(client, agent):
    conv = ConversationFactory()
    headers = session_headers(client, agent.user)

    async def scenario():
        first, _ = await open_agent_socket(headers)
        second, _ = await open_agent_socket(headers)
        for socket in (first, second):
            await socket.send_json_to({"type": "conversation.open", "conversation_id": conv.pk})
        await drain(first)
        frames = await drain(second)
        await first.disconnect()
        await second.disconnect()
        return frames

    assert run(scenario)[-1]["viewers"] == [{"id": agent.user_id, "name": agent.display_name}]


def test_read_resets_unread_and_tells_the_customer_and_the_other_tab(client, agent):
    conv = ConversationFactory()
    customer_says(conv, "one")
    customer_says(conv, "two")
    headers = session_headers(client, agent.user)

    async def scenario():
        customer = await CustomerListener(conv.pk).start()
        first, _ = await open_agent_socket(headers)
        other_tab, _ = await open_agent_socket(headers)
        await first.send_json_to({"type": "read", "conversation_id": conv.pk, "seq": 2})
        mine, theirs = await drain(first), await drain(other_tab)
        customer_heard = await customer.heard()
        await customer.stop()
        await first.disconnect()
        await other_tab.disconnect()
        return mine, theirs, customer_heard

    mine, theirs, customer_heard = run(scenario)
    conv.refresh_from_db()
    assert conv.unread_by_agent == 0
    assert set(Message.objects.values_list("delivery_state", flat=True)) == {"read"}
    for frames in (mine, theirs):
        (update,) = frames_of(frames, "conversation.update")
        assert update["conversation"]["unread_by_agent"] == 0
    assert [e for e in customer_heard if e["type"] == "read"] == [
        {"type": "read", "conversation_id": conv.pk, "by": "agent", "seq": 2}
    ]


def test_read_up_to_an_earlier_seq_keeps_the_later_messages_unread(client, agent):
    conv = ConversationFactory()
    for body in ("one", "two", "three"):
        customer_says(conv, body)
    headers = session_headers(client, agent.user)

    async def scenario():
        socket, _ = await open_agent_socket(headers)
        await socket.send_json_to({"type": "read", "conversation_id": conv.pk, "seq": 1})
        await drain(socket)
        await socket.send_json_to({"type": "read", "conversation_id": conv.pk, "seq": 99})
        await drain(socket)
        await socket.disconnect()

    conv.refresh_from_db()
    assert conv.unread_by_agent == 3
    run(scenario)
    conv.refresh_from_db()
    assert conv.unread_by_agent == 0


def test_sending_too_fast_is_rate_limited(client, agent):
    conv = ConversationFactory()
    headers = session_headers(client, agent.user)

    async def scenario():
        socket, _ = await open_agent_socket(headers)
        answers = []
        for index in range(21):
            await socket.send_json_to({"type": "message.send", "conversation_id": conv.pk,
                                       "client_msg_id": f"m{index}", "body": "x",
                                       "ref": index})  # fmt: skip
        while len(answers) < 21:  # one answer per frame, however slow the machine is
            frame = await socket.receive_json_from(timeout=TIMEOUT)
            if frame["type"] in ("ack", "error"):
                answers.append((frame["type"], frame.get("code")))
        await socket.disconnect()
        return answers

    answers = run(scenario)
    assert answers.count(("ack", None)) == 20
    assert answers[-1] == ("error", "rate_limited")
    assert Message.objects.count() == 20


def test_viewers_of_a_dead_process_are_ignored_and_pruned(client, agent):
    conv = ConversationFactory()
    key = viewers_key(conv.pk)
    store = redis.Redis.from_url(settings.REDIS_URL)
    store.hset(key, "gone-channel", json.dumps({"id": 999, "name": "Ghost", "at": 0}))
    store.hset(key, "garbage", "not json")
    headers = session_headers(client, agent.user)

    async def scenario():
        socket, _ = await open_agent_socket(headers)
        await socket.send_json_to({"type": "conversation.open", "conversation_id": conv.pk})
        frames = await drain(socket)
        await socket.send_json_to({"type": "ping", "ref": 1})
        await drain(socket)
        await socket.disconnect()
        return frames

    frames = run(scenario)
    assert frames == [{"type": "viewers", "conversation_id": conv.pk,
                       "viewers": [{"id": agent.user_id, "name": agent.display_name}]}]  # fmt: skip
    assert store.hlen(key) == 0  # the ghost and the garbage were pruned, and we left
