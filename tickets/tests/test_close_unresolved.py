"""转工单 way 4, by hand: closing a chat as unresolved turns it into a ticket, once."""

import pytest

from chat.models import Conversation
from chat.services import message_create
from chat.tests.factories import ConversationFactory
from tickets.models import Ticket, TicketSource

pytestmark = pytest.mark.django_db(transaction=True)


def close(client, conversation, payload):
    return client.post(
        f"/api/v1/conversations/{conversation.pk}/close/", payload, content_type="application/json"
    )


def test_closing_as_unresolved_makes_a_ticket_with_the_transcript(agent_client):
    conversation = ConversationFactory(status="open")
    message_create(conversation=conversation, sender_type="customer", body="printer still broken")
    response = close(agent_client, conversation, {"unresolved": True})
    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    ticket = Ticket.objects.get()
    assert (ticket.conversation_id, ticket.source) == (conversation.pk, TicketSource.UNRESOLVED)
    assert "printer still broken" in ticket.description
    # Again (a double click): still closed, still one ticket.
    assert close(agent_client, conversation, {"unresolved": True}).status_code == 200
    assert Ticket.objects.count() == 1


def test_a_plain_close_makes_no_ticket_and_a_bad_flag_changes_nothing(agent_client):
    conversation = ConversationFactory(status="open")
    response = close(agent_client, conversation, {"unresolved": "maybe"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert Conversation.objects.get(pk=conversation.pk).status == "open"
    assert close(agent_client, conversation, {}).json()["status"] == "closed"
    assert not Ticket.objects.exists()
