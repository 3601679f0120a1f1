"""What agents and customers see of routing over the real sockets (ASGI stack, Redis channel
layer): the agent hears the chat routed to them at once, a waiting customer hears their place in
the queue change live and then who answers, and an agent's sign-in restores their presence."""

import pytest
from channels.db import database_sync_to_async

from chat import services
from chat.models import Conversation, ConversationStatus
from chat.tests.factories import ConversationFactory, WidgetSiteFactory
from chat.tests.test_widget_socket import connect, drain, new_visitor, run, send_frame
from desk.tests.test_agent_socket import open_agent_socket, session_headers
from routing.models import AgentProfile
from routing.tests.factories import AgentProfileFactory, TeamFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("own_channel_prefix"),
]


@pytest.fixture
def team():
    return TeamFactory(name="Sales")


@pytest.fixture
def site(team):
    return WidgetSiteFactory(key="shop", team=team)


def test_the_online_agent_hears_the_new_chat_routed_to_them(client, site, team):
    agent = AgentProfileFactory(user__username="carol", presence="online", teams=[team])
    headers = session_headers(client, agent.user)
    visitor = new_visitor(site)

    async def scenario():
        desk, hello = await open_agent_socket(headers)
        widget, _ = await connect(visitor.token)
        await widget.send_json_to(send_frame("c-1", "我要退款"))
        agent_frames = await drain(desk, quiet=1.0)
        widget_frames = await drain(widget, quiet=0.5)
        await desk.disconnect()
        await widget.disconnect()
        return hello, agent_frames, widget_frames

    hello, agent_frames, widget_frames = run(scenario)
    conversation = Conversation.objects.get()
    assert conversation.assignee_id == agent.user_id
    assert hello["agent"]["presence"] == "online"
    (assigned,) = [f for f in agent_frames if f["type"] == "conversation.assigned"]
    assert assigned["conversation_id"] == conversation.pk
    assert assigned["conversation"]["assignee"]["id"] == agent.user_id
    updates = [f for f in widget_frames if f["type"] == "conversation.update"]
    assert updates and updates[-1]["assignee_name"] == agent.display_name
    assert not [f for f in widget_frames if f["type"] == "queue.update"]


def test_a_waiting_customer_hears_their_place_then_who_answers(client, site, team):
    agent = AgentProfileFactory(
        user__username="full", presence="online", teams=[team], max_concurrent_chats=1
    )
    busy_with = ConversationFactory(team=team)
    services.conversation_update_fields(
        actor=agent.user, conversation=busy_with, changes={"assignee": agent.user}
    )
    visitor = new_visitor(site)
    close = database_sync_to_async(services.conversation_update_fields)

    async def scenario():
        widget, _ = await connect(visitor.token)
        await widget.send_json_to(send_frame("c-1", "hello?"))
        waiting = await drain(widget, quiet=1.0)
        await widget.disconnect()
        again, hello = await connect(visitor.token)  # a reload: hello says it too
        await close(
            actor=agent.user,
            conversation=busy_with,
            changes={"status": ConversationStatus.CLOSED},
        )
        answered = await drain(again, quiet=1.0)
        await again.disconnect()
        return waiting, hello, answered

    waiting, hello, answered = run(scenario)
    conversation = Conversation.objects.exclude(pk=busy_with.pk).get()
    places = [f for f in waiting if f["type"] == "queue.update"]
    assert places
    assert places[-1]["conversation_id"] == conversation.pk
    assert (places[-1]["position"], places[-1]["agents_online"]) == (1, True)
    assert places[-1]["wait_seconds"] > 0
    assert hello["queue"]["position"] == 1
    updates = [f for f in answered if f["type"] == "conversation.update"]
    assert updates[-1]["assignee_name"] == agent.display_name
    conversation.refresh_from_db()
    assert conversation.assignee_id == agent.user_id
    assert AgentProfile.objects.get(pk=agent.pk).active_chats == 1


def test_signing_in_after_a_timeout_restores_the_chosen_presence(client, team):
    agent = AgentProfileFactory(user__username="back", teams=[team], chosen_presence="away")
    headers = session_headers(client, agent.user)

    async def scenario():
        desk, hello = await open_agent_socket(headers)
        await desk.disconnect()
        return hello

    assert run(scenario)["agent"]["presence"] == "away"
    assert AgentProfile.objects.get(pk=agent.pk).presence == "away"


def test_in_offer_mode_the_agent_hears_the_offer_and_the_customer_keeps_their_place(
    client, site, team
):
    team.offer_seconds = 30
    team.save()
    agent = AgentProfileFactory(user__username="olga", presence="online", teams=[team])
    headers = session_headers(client, agent.user)
    visitor = new_visitor(site)

    async def scenario():
        desk, _ = await open_agent_socket(headers)
        widget, _ = await connect(visitor.token)
        await widget.send_json_to(send_frame("c-1", "我要退款"))
        agent_frames = await drain(desk, quiet=1.0)
        widget_frames = await drain(widget, quiet=0.5)
        reloaded, hello = await open_agent_socket(headers)  # a tab opened meanwhile
        await reloaded.disconnect()
        await desk.disconnect()
        await widget.disconnect()
        return agent_frames, widget_frames, hello

    agent_frames, widget_frames, hello = run(scenario)
    conversation = Conversation.objects.get()
    assert (conversation.assignee_id, conversation.offered_to_id) == (None, agent.user_id)
    (offered,) = [f for f in agent_frames if f["type"] == "conversation.offered"]
    assert offered["conversation_id"] == conversation.pk
    assert offered["first_message"] == "我要退款"
    assert offered["seconds"] == 30
    assert offered["conversation"]["customer"]["id"] == conversation.customer_id
    assert not [f for f in agent_frames if f["type"] == "conversation.assigned"]
    places = [f for f in widget_frames if f["type"] == "queue.update"]
    assert places and places[-1]["position"] == 1
    (pending,) = hello["offers"]
    assert pending["conversation_id"] == conversation.pk
    assert pending["first_message"] == "我要退款"
    assert 0 < pending["seconds"] <= 30
