"""The `notification` frame reaches every tab of the mentioned agent, after commit, and nobody
else (real ASGI stack, Redis channel layer; transactional database)."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.test import Client

from desk.models import Notification
from desk.tests.test_agent_socket import drain, open_agent_socket, session_headers
from routing.tests.factories import AgentProfileFactory
from tickets.services import ticket_reply
from tickets.tests.factories import TicketFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("own_channel_prefix"),
]


def notifications(frames):
    return [frame for frame in frames if frame["type"] == "notification"]


def test_the_mentioned_agents_socket_hears_the_notification(client):
    author = AgentProfileFactory(user__username="carol", display_name="Carol")
    mentioned = AgentProfileFactory(user__username="lina")
    ticket = TicketFactory()
    headers = session_headers(client, mentioned.user)
    author_headers = session_headers(Client(), author.user)

    async def scenario():
        socket, _ = await open_agent_socket(headers)
        other, _ = await open_agent_socket(author_headers)
        await database_sync_to_async(ticket_reply)(
            actor=author.user, ticket=ticket, body="@lina can you call them?", internal=True
        )
        heard = await drain(socket)
        heard_by_author = []
        while not await other.receive_nothing(timeout=0.5):
            heard_by_author.append(await other.receive_json_from())
        await socket.disconnect()
        await other.disconnect()
        return heard, heard_by_author

    heard, heard_by_author = async_to_sync(scenario)()
    (frame,) = notifications(heard)
    notification = Notification.objects.get()
    assert frame == {
        "type": "notification",
        "op": "new",
        "unread": 1,
        "notification": {
            "id": notification.pk,
            "kind": "mention",
            "ticket": {
                "id": ticket.pk,
                "number": ticket.number,
                "subject": ticket.subject,
                "source": "manual",
            },
            "conversation_id": None,
            "actor": {"id": author.user_id, "name": "Carol"},
            "excerpt": "@lina can you call them?",
            "created_at": notification.created_at.isoformat(),
            "read_at": None,
        },
    }
    assert notifications(heard_by_author) == []
