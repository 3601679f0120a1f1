"""Load counts that no conversation backs are mended by the queue's sweep (chat/assignment/load.py):
an open conversation deleted in the admin must not cost its agent a slot for good."""

import pytest

from chat import tasks
from chat.assignment.load import agent_load_reconcile
from chat.models import ConversationStatus
from chat.tests.factories import ConversationFactory
from chat.tests.test_assignment import load, new_chat, online
from desk.kernel import realtime
from routing.models import AgentProfile
from routing.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def quiet(monkeypatch):
    monkeypatch.setattr(realtime, "send_many", lambda pushes: None)


def test_a_deleted_open_conversation_gives_its_slot_back_and_the_queue_moves():
    team = TeamFactory(name="Sales")
    agent = online(team, "solo", max_concurrent_chats=1)
    first = new_chat(team)
    waiting = new_chat(team)
    assert (first.assignee_id, waiting.assignee_id, load(agent)) == (agent.user_id, None, 1)

    first.messages.all().delete()
    first.delete()  # the admin's delete: no service saw it
    assert load(agent) == 1

    tasks.queue_sweep()

    waiting.refresh_from_db()
    assert waiting.assignee_id == agent.user_id  # the slot came back and the head took it
    assert load(agent) == 1


def test_counts_the_conversations_back_are_left_alone():
    team = TeamFactory(name="Sales")
    agent = online(team, "two")
    new_chat(team)
    ConversationFactory(team=team, assignee=agent.user, status=ConversationStatus.CLOSED)
    AgentProfile.objects.filter(pk=agent.pk).update(active_chats=7)  # drifted up

    assert agent_load_reconcile() == [(agent.user_id, 7, 1)]
    assert load(agent) == 1
    assert agent_load_reconcile() == []
