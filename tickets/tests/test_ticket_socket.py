"""`ticket.update` reaches the agent sockets whose scope covers the ticket, as it is and, after a
move, as it was (real ASGI stack, Redis channel layer; transactional database, since pushes go out
on commit)."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.test import Client

from chat.tests.factories import ConversationFactory
from desk.tests.test_agent_socket import drain, open_agent_socket, session_headers
from routing.tests.factories import AgentProfileFactory, SupervisorProfileFactory, TeamFactory
from tickets.services import TicketData, ticket_create_from_conversation, ticket_update_fields

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("own_channel_prefix"),
]


def ticket_frames(frames):
    return [frame for frame in frames if frame["type"] == "ticket.update"]


def test_agents_whose_scope_covers_the_ticket_hear_it_created_and_changed(client):
    sales, support = TeamFactory(name="Sales"), TeamFactory(name="Support")
    seller, helper = AgentProfileFactory(), AgentProfileFactory()
    seller.teams.add(sales)
    helper.teams.add(support)
    boss = SupervisorProfileFactory()
    conversation = ConversationFactory(team=sales)
    sockets_of = [seller, helper, boss]
    headers = [session_headers(Client(), profile.user) for profile in sockets_of]

    def make_ticket():
        return ticket_create_from_conversation(
            actor=seller.user,
            conversation=conversation,
            data=TicketData(subject="Broken"),
            source="button",
        ).ticket

    def move(ticket, changes):
        return ticket_update_fields(actor=boss.user, ticket=ticket, changes=changes)

    async def heard(sockets):
        return [ticket_frames(await drain(socket, expect=False)) for socket in sockets]

    async def scenario():
        sockets = [(await open_agent_socket(h))[0] for h in headers]
        await heard(sockets)
        ticket = await database_sync_to_async(make_ticket)()
        created = await heard(sockets)
        await database_sync_to_async(move)(ticket, {"status": "in_progress"})
        changed = await heard(sockets)
        await database_sync_to_async(move)(ticket, {"team": support})
        moved = await heard(sockets)
        await database_sync_to_async(move)(ticket, {"priority": 0})
        after_move = await heard(sockets)
        for socket in sockets:
            await socket.disconnect()
        return ticket, created, changed, moved, after_move

    ticket, created, changed, moved, after_move = async_to_sync(scenario)()
    seller_heard, helper_heard, boss_heard = created
    (first,) = seller_heard
    assert (first["ticket_id"], first["conversation_id"], first["created"]) == (
        ticket.pk,
        conversation.pk,
        True,
    )
    assert (first["ticket"]["number"], first["ticket"]["status"]) == (ticket.number, "new")
    assert boss_heard == [first]
    assert helper_heard == []  # another team's agent may not see it
    assert [[f["ticket"]["status"] for f in frames] for frames in changed] == [
        ["in_progress"],
        [],
        ["in_progress"],
    ]
    assert changed[0][0]["created"] is False
    # Moved to Support: the sales agent hears it leave, the support agent hears it arrive.
    assert [[f["ticket"]["team"]["name"] for f in frames] for frames in moved] == [
        ["Support"],
        ["Support"],
        ["Support"],
    ]
    assert [len(frames) for frames in after_move] == [0, 1, 1]
