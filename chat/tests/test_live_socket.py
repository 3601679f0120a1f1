"""The Live view's hint over the real sockets (ASGI stack, Redis channel layer, issue 12): a
supervisor's workspace hears `routing.changed` when an agent's presence changes and when a
conversation joins the queue or is transferred; an agent who is not a supervisor hears none."""

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from chat.assignment.transfer import conversation_transfer
from chat.models import Conversation
from chat.tests.factories import WidgetSiteFactory
from chat.tests.test_widget_socket import connect, new_visitor, send_frame
from desk.tests.test_agent_socket import drain, open_agent_socket, run, session_headers
from routing.models import AgentProfile
from routing.services import agent_set_presence
from routing.tests.factories import AgentProfileFactory, SupervisorProfileFactory, TeamFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("own_channel_prefix"),
]


def hints(frames: list[dict]) -> list[list[str]]:
    return [frame["changes"] for frame in frames if frame["type"] == "routing.changed"]


def set_presence(user_id: int, presence: str) -> None:
    profile = AgentProfile.objects.get(user_id=user_id)
    agent_set_presence(actor=profile.user, profile=profile, presence=presence)


@pytest.fixture
def people(client):
    team = TeamFactory(name="Sales")
    boss = SupervisorProfileFactory(user__username="boss")
    agent = AgentProfileFactory(user__username="carol", teams=[team])  # offline: nobody has room
    return {
        "team": team,
        "agent": agent,
        "boss_headers": session_headers(client, boss.user),
        "agent_headers": session_headers(Client(), agent.user),  # a session of its own
    }


def test_supervisors_hear_presence_changes_and_agents_do_not(people):
    agent = people["agent"]
    change = database_sync_to_async(set_presence)

    async def scenario():
        boss, _ = await open_agent_socket(people["boss_headers"])
        desk, _ = await open_agent_socket(people["agent_headers"])
        await change(agent.user_id, "away")
        boss_frames = await drain(boss, quiet=0.5)
        desk_frames = await drain(desk, quiet=0.5)
        await boss.disconnect()
        await desk.disconnect()
        return boss_frames, desk_frames

    boss_frames, desk_frames = run(scenario)
    assert hints(boss_frames) == [["presence"]]
    assert [f["type"] for f in desk_frames] == ["agent.presence"]  # colleagues' presence only


def test_supervisors_hear_a_conversation_queued_and_transferred(people):
    site = WidgetSiteFactory(key="shop", team=people["team"])
    visitor = new_visitor(site)
    agent = people["agent"]

    def transfer_to_agent():
        conversation = Conversation.objects.get()
        conversation_transfer(actor=agent.user, conversation=conversation, assignee=agent.user)

    async def scenario():
        boss, _ = await open_agent_socket(people["boss_headers"])
        desk, _ = await open_agent_socket(people["agent_headers"])
        widget, _ = await connect(visitor.token)
        await widget.send_json_to(send_frame("c-1", "anyone?"))
        queued = await drain(boss, quiet=1.0)
        await database_sync_to_async(transfer_to_agent)()
        assigned = await drain(boss, quiet=0.5)
        desk_frames = await drain(desk, quiet=0.5, expect=False)
        for socket in (boss, desk, widget):
            await socket.disconnect()
        return queued, assigned, desk_frames

    queued, assigned, desk_frames = run(scenario)
    assert Conversation.objects.get().assignee_id == agent.user_id
    assert hints(queued) == [["queue"]]
    assert hints(assigned) == [["queue", "load"]]
    assert hints(desk_frames) == []
