"""Per-channel limits (issue 12): an agent may take at most so many chats of one channel (two
WeChat chats of their five); a full channel gets them no more of its chats, other channels still
do, and a slot comes back when one closes. Kept by conditional UPDATEs like the agent's count."""

import pytest

from chat import services
from chat.assignment import services as assignment
from chat.assignment import transfer
from chat.assignment.load import channel_load_reconcile
from chat.models import Channel, ConversationStatus
from chat.tests.factories import ConversationFactory
from chat.tests.test_assignment import load, new_chat, online
from desk.kernel import realtime
from routing import capacity
from routing.models import AgentChannelCapacity, AgentProfile
from routing.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def quiet(monkeypatch):
    monkeypatch.setattr(realtime, "send_many", lambda pushes: None)


@pytest.fixture
def team():
    return TeamFactory(name="Support")


def wechat_limit(agent, n: int = 1) -> AgentChannelCapacity:
    return AgentChannelCapacity.objects.create(agent=agent, channel=Channel.WECHAT, max_chats=n)


def channel_load(limit: AgentChannelCapacity) -> int:
    limit.refresh_from_db()
    return limit.active_chats


def test_a_full_channel_sends_its_chats_elsewhere_and_other_channels_still_come(team):
    limited = online(team, "wx1", last_assigned_at=None)
    limit = wechat_limit(limited, 1)
    first = new_chat(team, channel=Channel.WECHAT)
    assert first.assignee_id == limited.user_id
    assert (load(limited), channel_load(limit)) == (1, 1)

    other = online(team, "wx2", active_chats=3)  # busier, but WeChat has room with them
    second = new_chat(team, channel=Channel.WECHAT)
    web = new_chat(team, channel=Channel.WEB)

    assert second.assignee_id == other.user_id
    assert web.assignee_id == limited.user_id  # least busy, and the web has no limit
    assert (load(limited), channel_load(limit)) == (2, 1)


def test_nobody_with_room_on_the_channel_means_the_chat_waits_until_one_closes(team):
    agent = online(team, "wx3")
    limit = wechat_limit(agent, 1)
    first = new_chat(team, channel=Channel.WECHAT)
    waiting = new_chat(team, channel=Channel.WECHAT)
    assert (first.assignee_id, waiting.assignee_id) == (agent.user_id, None)

    services.conversation_update_fields(
        actor=agent.user, conversation=first, changes={"status": ConversationStatus.CLOSED}
    )

    waiting.refresh_from_db()
    assert waiting.assignee_id == agent.user_id  # the freed WeChat slot went to the queue's head
    assert (load(agent), channel_load(limit)) == (1, 1)


def test_a_hand_transfer_into_a_full_channel_is_refused_and_changes_nothing(team):
    boss = online(team, "boss1")
    agent = online(team, "wx4")
    limit = wechat_limit(agent, 1)
    held = ConversationFactory(team=team, channel=Channel.WECHAT)
    services.conversation_update_fields(
        actor=boss.user, conversation=held, changes={"assignee": agent.user}
    )
    assert channel_load(limit) == 1
    another = ConversationFactory(team=team, channel=Channel.WECHAT)

    with pytest.raises(transfer.AgentAtCapacity, match="已有 1 个进行中的微信会话"):
        transfer.conversation_transfer(
            actor=boss.user, conversation=another, assignee=agent.user, note="yours"
        )

    another.refresh_from_db()
    assert another.assignee_id is None
    assert (load(agent), channel_load(limit)) == (1, 1)


def test_a_claim_the_agent_cannot_take_gives_the_channel_slot_back(team):
    agent = online(team, "wx5", max_concurrent_chats=1, active_chats=1)  # full overall
    limit = wechat_limit(agent, 2)

    assert capacity._claim(agent.pk, Channel.WECHAT) is False

    assert (load(agent), channel_load(limit)) == (1, 0)


def test_the_sweep_mends_a_channel_count_no_conversation_backs(team):
    agent = online(team, "wx6")
    limit = wechat_limit(agent, 3)
    new_chat(team, channel=Channel.WECHAT)
    AgentChannelCapacity.objects.filter(pk=limit.pk).update(active_chats=3)

    assert channel_load_reconcile() == 1
    assert channel_load(limit) == 1
    assert channel_load_reconcile() == 0


def test_a_wechat_chat_nobody_can_take_does_not_hold_up_the_web_chats_behind_it(team):
    agent = online(team, "wx7")
    limit = wechat_limit(agent, 1)
    AgentChannelCapacity.objects.filter(pk=limit.pk).update(active_chats=1)  # WeChat full
    services.conversation_update_fields(  # and the agent full too, for now
        actor=None, conversation=ConversationFactory(team=team), changes={"assignee": agent.user}
    )
    AgentProfile.objects.filter(pk=agent.pk).update(max_concurrent_chats=1)
    wechat = new_chat(team, channel=Channel.WECHAT)  # the head of the queue
    web = new_chat(team, channel=Channel.WEB)
    assert (wechat.assignee_id, web.assignee_id) == (None, None)

    AgentProfile.objects.filter(pk=agent.pk).update(max_concurrent_chats=5)
    assignment.queue_drain()

    web.refresh_from_db()
    wechat.refresh_from_db()
    assert (wechat.assignee_id, web.assignee_id) == (None, agent.user_id)
