"""`ticket.update` reaches the agent sockets viewing the ticket's conversation (real ASGI stack,
Redis channel layer; transactional database, since pushes go out on commit)."""

import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.test import Client

from chat.tests.factories import ConversationFactory
from desk.tests.test_agent_socket import drain, open_agent_socket, session_headers
from routing.tests.factories import AgentProfileFactory
from tickets.services import TicketData, ticket_create_from_conversation, ticket_update_fields

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _own_prefixes(settings):
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    layer = dict(settings.CHANNEL_LAYERS["default"])
    layer["CONFIG"] = {**layer["CONFIG"], "prefix": prefix}
    settings.CHANNEL_LAYERS = {"default": layer}
    settings.REDIS_PREFIX = prefix


def ticket_frames(frames):
    return [frame for frame in frames if frame["type"] == "ticket.update"]


def test_agents_viewing_the_conversation_hear_ticket_updates(client):
    viewer, bystander = AgentProfileFactory(), AgentProfileFactory()
    conversation = ConversationFactory()
    headers = session_headers(client, viewer.user)
    other_headers = session_headers(Client(), bystander.user)

    def make_ticket():
        return ticket_create_from_conversation(
            actor=viewer.user,
            conversation=conversation,
            data=TicketData(subject="Broken"),
            source="button",
        ).ticket

    async def scenario():
        socket, _ = await open_agent_socket(headers)
        other, _ = await open_agent_socket(other_headers)
        await socket.send_json_to({"type": "conversation.open", "conversation_id": conversation.pk})
        await drain(socket)  # viewers
        ticket = await database_sync_to_async(make_ticket)()
        created = await drain(socket)
        await database_sync_to_async(ticket_update_fields)(
            actor=viewer.user, ticket=ticket, changes={"status": "in_progress"}
        )
        changed = await drain(socket)
        heard_by_other = await drain(other)
        await socket.disconnect()
        await other.disconnect()
        return ticket, created, changed, heard_by_other

    ticket, created, changed, heard_by_other = async_to_sync(scenario)()
    (first,) = ticket_frames(created)
    assert first["ticket_id"] == ticket.pk
    assert first["conversation_id"] == conversation.pk
    assert (first["ticket"]["number"], first["ticket"]["status"]) == (ticket.number, "new")
    (second,) = ticket_frames(changed)
    assert second["ticket"]["status"] == "in_progress"
    # Not viewing the conversation, not the assignee: the inbox hears the chat cards only.
    assert ticket_frames(heard_by_other) == []
