"""A resend (`client_msg_id`) matches only the same sender: a visitor resending an id an agent used
gets a new row of its own, never the agent's (an internal note least of all); agents' ids never
reach the widget."""

import json

import pytest
from django.db import IntegrityError, transaction

from chat import services
from chat.models import Message, SenderType
from chat.tests.factories import (
    AttachmentFactory,
    ConversationFactory,
    MessageFactory,
    WidgetSiteFactory,
)
from chat.tests.test_widget_socket import connect, drain, run, send_frame, started
from chat.widget import services as widget_services
from desk.tests.test_agent_socket import open_agent_socket, session_headers
from routing.tests.factories import AgentProfileFactory, TeamFactory


@pytest.fixture
def site():
    return WidgetSiteFactory(key="shop", team=TeamFactory(name="Sales"))


async def answer(socket, ref):
    """Frames until the answer to `ref` (pushes may come before it); returns (answer, others)."""
    others = []
    while True:
        frame = await socket.receive_json_from(timeout=10)
        if frame.get("ref") == ref:
            return frame, others
        others.append(frame)


def agent_note(conversation, agent, client_msg_id, **extra):
    attachment = AttachmentFactory(
        conversation=conversation,
        uploader_type=SenderType.AGENT,
        uploader_user=agent.user,
        original_name="secret.txt",
    )
    return services.message_send_as_agent(
        actor=agent.user,
        conversation=conversation,
        body="internal: refund approved up to 500",
        client_msg_id=client_msg_id,
        is_internal=True,
        attachment_ids=[attachment.pk],
        **extra,
    ).message


# ---- the service --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_customer_resending_an_agents_id_gets_a_new_row_of_its_own(agent):
    conversation = ConversationFactory()
    note = agent_note(conversation, agent, "shared-1")

    first = services.message_create(
        conversation=conversation, sender_type=SenderType.CUSTOMER, body="mine",
        client_msg_id="shared-1",
    )  # fmt: skip
    again = services.message_create(
        conversation=conversation, sender_type=SenderType.CUSTOMER, body="mine again",
        client_msg_id="shared-1",
    )  # fmt: skip

    assert first.created and first.message.pk != note.pk
    assert (first.message.sender_type, first.message.body, first.message.is_internal) == (
        "customer",
        "mine",
        False,
    )
    assert list(first.message.attachments.all()) == []
    assert (again.created, again.message.pk) == (False, first.message.pk)
    assert Message.objects.filter(client_msg_id="shared-1").count() == 2


@pytest.mark.django_db
def test_an_agent_resend_matches_only_that_agents_own_row(agent):
    conversation = ConversationFactory()
    colleague = AgentProfileFactory()
    customers = services.message_create(
        conversation=conversation, sender_type=SenderType.CUSTOMER, body="hi", client_msg_id="x"
    ).message

    def send(who, body):
        return services.message_send_as_agent(
            actor=who.user, conversation=conversation, body=body, client_msg_id="x"
        )

    mine, theirs, mine_again = send(agent, "a"), send(colleague, "b"), send(agent, "a again")

    assert mine.created and mine.message.pk != customers.pk
    assert theirs.created and theirs.message.pk not in (customers.pk, mine.message.pk)
    assert (mine_again.created, mine_again.message.pk) == (False, mine.message.pk)
    assert list(Message.objects.order_by("seq").values_list("sender_user", "body")) == [
        (None, "hi"),
        (agent.user.pk, "a"),
        (colleague.user.pk, "b"),
    ]


@pytest.mark.django_db
def test_the_widget_path_never_returns_an_agents_row(agent):
    from chat.widget.sessions import widget_session_open

    session = widget_session_open(site=WidgetSiteFactory(), context={})
    conversation, _ = widget_services.visitor_conversation_start(visitor=session.visitor)
    note = agent_note(conversation, agent, "n-1")

    for conversation_id in (conversation.pk, None):  # the fast path and the slow path
        result = widget_services.widget_message_send(
            visitor=session.visitor,
            client_msg_id="n-1",
            body="hello",
            conversation_id=conversation_id,
        )
        assert result.message.pk != note.pk
        assert (result.message.sender_type, result.message.body) == ("customer", "hello")
    assert Message.objects.filter(client_msg_id="n-1", sender_type="customer").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_database_still_refuses_a_second_customer_row_with_one_id(agent):
    conversation = ConversationFactory()
    MessageFactory(conversation=conversation, client_msg_id="c-1")
    MessageFactory(
        conversation=conversation, client_msg_id="c-1", sender_type="agent", sender_user=agent.user
    )

    for duplicate in (
        {"sender_type": "customer"},
        {"sender_type": "agent", "sender_user": agent.user},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            MessageFactory(conversation=conversation, client_msg_id="c-1", **duplicate)
    assert Message.objects.count() == 2


# ---- the sockets --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("own_channel_prefix")
def test_a_visitor_resending_an_agents_note_id_gets_a_row_of_its_own_over_the_socket(site):
    token, conversation = started(site)
    agent = AgentProfileFactory(teams=[site.team])
    note = agent_note(conversation, agent, "shared-1")
    reply = services.message_send_as_agent(
        actor=agent.user, conversation=conversation, body="Hello!", client_msg_id="agent-2"
    ).message

    async def scenario():
        socket, _ = await connect(token)
        await socket.send_json_to(send_frame("shared-1", "my own words", ref="a"))
        ack, _ = await answer(socket, "a")
        pushed = await drain(socket)
        await socket.send_json_to(send_frame("shared-1", "my own words", ref="b"))
        again, before = await answer(socket, "b")
        after = await drain(socket)
        await socket.send_json_to(
            {"type": "sync", "conversation_id": conversation.pk, "after_seq": 0, "ref": "s"}
        )
        synced, _ = await answer(socket, "s")
        await socket.disconnect()
        return ack, pushed, again, before + after, synced

    ack, pushed, again, around_again, synced = run(scenario)
    own = Message.objects.get(client_msg_id="shared-1", sender_type="customer")
    assert own.pk != note.pk
    assert (ack["message_id"], ack["seq"], ack["client_msg_id"]) == (own.pk, 3, "shared-1")
    assert (ack["message"]["sender_type"], ack["message"]["body"]) == ("customer", "my own words")
    assert ack["message"]["attachments"] == []
    text = json.dumps([ack, pushed, again, around_again, synced], ensure_ascii=False)
    assert "refund approved" not in text and "secret.txt" not in text
    assert again["message_id"] == own.pk  # the same customer's resend: the first row
    assert around_again == []  # and nothing new was stored or pushed
    assert Message.objects.count() == 3
    # The agent's reply reaches the widget without the agent's client_msg_id.
    assert [(m["seq"], m["client_msg_id"]) for m in synced["messages"]] == [
        (2, ""),
        (3, "shared-1"),
    ]
    assert reply.client_msg_id == "agent-2"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("own_channel_prefix")
def test_an_agent_resending_the_customers_id_gets_a_new_agent_row_over_the_socket(client, agent):
    conversation = ConversationFactory()
    customers = services.message_create(
        conversation=conversation, sender_type=SenderType.CUSTOMER, body="hi", client_msg_id="c-1"
    ).message
    headers = session_headers(client, agent.user)
    frame = {"type": "message.send", "conversation_id": conversation.pk, "client_msg_id": "c-1",
             "body": "Hello, how can I help?"}  # fmt: skip

    async def scenario():
        socket, _ = await open_agent_socket(headers)
        await socket.send_json_to({**frame, "ref": "1"})
        first, _ = await answer(socket, "1")
        await socket.send_json_to({**frame, "ref": "2"})
        second, _ = await answer(socket, "2")
        await socket.disconnect()
        return first, second

    ack, again = run(scenario)
    assert (ack["type"], again["type"]) == ("ack", "ack")
    mine = Message.objects.get(client_msg_id="c-1", sender_type="agent")
    assert mine.pk != customers.pk
    assert (ack["message_id"], ack["message"]["body"]) == (mine.pk, "Hello, how can I help?")
    assert again["message_id"] == mine.pk
    assert Message.objects.count() == 2
