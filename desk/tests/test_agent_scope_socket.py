"""A conversation that leaves an agent's scope leaves their sockets at once (docs/protocol.md,
`conversation.removed`): no more typing or viewers heard, and typing/read/send are `not_found`.

Through the real ASGI stack, Redis channel layer and Redis, like test_agent_socket.py.
"""

import pytest
import redis
from channels.db import database_sync_to_async
from django.conf import settings
from django.test import Client

from chat import events, services
from chat.models import Message
from chat.tests.factories import ConversationFactory
from desk.kernel import realtime
from desk.tests.test_agent_conversations_socket import frames_of, run
from desk.tests.test_agent_socket import TIMEOUT, drain, open_agent_socket, session_headers
from desk.workspace.viewers import viewers_key
from routing.tests.factories import AgentProfileFactory, SupervisorProfileFactory, TeamFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("own_channel_prefix"),
]


def customer_typing(conversation_id):
    """What the widget socket sends when the customer types (to the agents of the chat)."""
    return realtime.send_ephemeral(
        [events.conversation_agents(conversation_id)],
        {"type": "typing", "conversation_id": conversation_id, "by": "customer",
         "name": "Ann", "state": "start"},
    )  # fmt: skip


async def refusals(socket, conversation_id):
    """Typing, read, open, sync and send about the conversation: the codes of the answers."""
    codes = []
    for frame in (
        {"type": "typing", "conversation_id": conversation_id, "state": "start"},
        {"type": "read", "conversation_id": conversation_id, "seq": 1},
        {"type": "conversation.open", "conversation_id": conversation_id},
        {"type": "sync", "conversation_id": conversation_id, "after_seq": 0},
        {"type": "message.send", "conversation_id": conversation_id,
         "client_msg_id": "late", "body": "still here?"},
    ):  # fmt: skip
        await socket.send_json_to(frame)
        answer = await socket.receive_json_from(timeout=TIMEOUT)
        codes.append((answer["type"], answer.get("code")))
    return codes


def viewer_count(conversation_id):
    return redis.Redis.from_url(settings.REDIS_URL).hlen(viewers_key(conversation_id))


def test_a_transfer_to_another_team_takes_the_conversation_off_every_tab(client):
    sales, support = TeamFactory(name="Sales"), TeamFactory(name="Support")
    seller = AgentProfileFactory(teams=[sales], display_name="Sam")
    boss = SupervisorProfileFactory()
    conv = ConversationFactory(team=sales)
    services.message_create(conversation=conv, sender_type="customer", body="hi")
    headers = session_headers(client, seller.user)

    async def scenario():
        viewing, _ = await open_agent_socket(headers)  # has the conversation open
        typing_tab, _ = await open_agent_socket(headers)  # only typed in it
        await viewing.send_json_to({"type": "conversation.open", "conversation_id": conv.pk})
        await drain(viewing)
        await typing_tab.send_json_to(
            {"type": "typing", "conversation_id": conv.pk, "state": "start"}
        )
        await drain(viewing)  # the other tab's typing
        await drain(typing_tab, expect=False)
        viewers_before = await database_sync_to_async(viewer_count)(conv.pk)

        await database_sync_to_async(services.conversation_update_fields)(
            actor=boss.user, conversation=conv, changes={"team": support}
        )
        told = [await drain(viewing), await drain(typing_tab)]
        viewers_after = await database_sync_to_async(viewer_count)(conv.pk)
        await customer_typing(conv.pk)
        heard_after = [await drain(s, expect=False) for s in (viewing, typing_tab)]
        refused = [await refusals(s, conv.pk) for s in (viewing, typing_tab)]
        for socket in (viewing, typing_tab):
            await socket.disconnect()
        return viewers_before, told, viewers_after, heard_after, refused

    viewers_before, told, viewers_after, heard_after, refused = run(scenario)
    for frames in told:
        update = frames_of(frames, "conversation.update")[-1]
        assert update["conversation"]["team"]["name"] == "Support"
        assert frames[-1] == {"type": "conversation.removed", "conversation_id": conv.pk}
        assert frames.index(update) < len(frames) - 1
    assert (viewers_before, viewers_after) == (1, 0)
    assert heard_after == [[], []]  # the customer's typing no longer reaches them
    assert refused == [[("error", "not_found")] * 5] * 2
    assert list(Message.objects.filter(conversation=conv, sender_type="agent")) == []


def test_reassigned_away_from_its_only_reader_and_a_colleague_keeps_it(client):
    elsewhere, sales = TeamFactory(name="Elsewhere"), TeamFactory(name="Sales")
    owner = AgentProfileFactory(teams=[sales])
    colleague = AgentProfileFactory(teams=[elsewhere])
    conv = ConversationFactory(team=elsewhere, assignee=owner.user)
    headers = [session_headers(Client(), p.user) for p in (owner, colleague)]
    opened = {"type": "conversation.open", "conversation_id": conv.pk}

    async def scenario():
        sockets = [(await open_agent_socket(h))[0] for h in headers]
        for socket in sockets:
            await socket.send_json_to(opened)
            await drain(socket)
        await drain(sockets[0], expect=False)
        await database_sync_to_async(services.conversation_update_fields)(
            actor=owner.user, conversation=conv, changes={"assignee": colleague.user}
        )
        told = [await drain(socket) for socket in sockets]
        typed = {"type": "typing", "conversation_id": conv.pk, "state": "stop", "ref": "t"}
        answers = []
        for socket in sockets:
            await socket.send_json_to(typed)
            answers.append(await drain(socket, expect=False))
        for socket in sockets:
            await socket.disconnect()
        return told, answers

    told, answers = run(scenario)
    removed = {"type": "conversation.removed", "conversation_id": conv.pk}
    assert removed in told[0]
    assert removed not in told[1]  # its team still owns the conversation
    assert [(f["type"], f.get("code")) for f in answers[0]] == [("error", "not_found")]
    assert frames_of(answers[1], "error") == []


def test_the_heartbeat_drops_conversations_of_a_team_the_agent_has_left(client):
    sales = TeamFactory(name="Sales")
    seller = AgentProfileFactory(teams=[sales])
    conv = ConversationFactory(team=sales)
    headers = session_headers(client, seller.user)

    async def scenario():
        socket, _ = await open_agent_socket(headers)
        await socket.send_json_to({"type": "conversation.open", "conversation_id": conv.pk})
        await drain(socket)
        await socket.send_json_to({"type": "ping", "ref": "1"})
        kept = await drain(socket)
        await database_sync_to_async(seller.teams.set)([])  # no push tells the socket
        await socket.send_json_to({"type": "ping", "ref": "2"})
        dropped = await drain(socket)
        await customer_typing(conv.pk)
        heard = await drain(socket, expect=False)
        await socket.disconnect()
        return kept, dropped, heard

    kept, dropped, heard = run(scenario)
    assert kept == [{"type": "pong", "ref": "1"}]
    assert dropped == [
        {"type": "conversation.removed", "conversation_id": conv.pk},
        {"type": "pong", "ref": "2"},
    ]
    assert heard == []
