"""Automatic assignment and the waiting queue (issue 12), through the real services and the
domain-event handlers that run them after commit (transactional tests: the handlers run when
the change commits, as in production, with Celery eager)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chat import services
from chat.assignment import selectors as queue
from chat.assignment import services as assignment
from chat.models import Conversation, ConversationStatus, Message, SenderType
from chat.tests.factories import ConversationFactory, CustomerFactory
from desk.kernel import realtime
from routing.models import AgentProfile, AssignmentMode
from routing.services import agent_set_presence, agent_sign_in_presence, presence_sweep
from routing.tests.factories import AgentProfileFactory, TeamFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def pushes(monkeypatch):
    """Every frame published after commit, as (groups, frame)."""
    sent: list[tuple[list[str], dict]] = []
    monkeypatch.setattr(realtime, "send_many", sent.extend)  # send_now goes through it too
    return sent


@pytest.fixture
def team():
    return TeamFactory(name="Sales")


def online(team, name, **extra) -> AgentProfile:
    return AgentProfileFactory(
        user__username=name, presence="online", teams=[team] if team else [], **extra
    )


def customer_writes(conversation: Conversation, body: str = "hello") -> None:
    """A customer's message (its `message.created` event routes the conversation)."""
    services.message_create(conversation=conversation, sender_type=SenderType.CUSTOMER, body=body)


def new_chat(team, **extra) -> Conversation:
    conversation = ConversationFactory(team=team, **extra)
    customer_writes(conversation)
    conversation.refresh_from_db()
    return conversation


def load(profile: AgentProfile) -> int:
    profile.refresh_from_db()
    return profile.active_chats


def frames_of(pushes, kind: str) -> list[dict]:
    return [frame for _, frame in pushes if frame["type"] == kind]


# ---- assignment ---------------------------------------------------------------------------


def test_a_new_chat_goes_to_the_least_busy_online_agent_who_hears_it(team, pushes):
    busy = online(team, "busy1", active_chats=2)
    free = online(team, "free1")
    AgentProfileFactory(user__username="off1", teams=[team])  # offline: never

    conversation = new_chat(team)

    assert conversation.assignee_id == free.user_id
    assert (load(free), load(busy)) == (1, 2)
    (assigned,) = frames_of(pushes, "conversation.assigned")
    assert assigned["conversation_id"] == conversation.pk
    assert assigned["conversation"]["assignee"]["id"] == free.user_id
    groups = next(g for g, f in pushes if f["type"] == "conversation.assigned")
    assert groups == [realtime.agent_group(free.user_id)]
    # the assignment is on the timeline, and the inbox of the agent hears the summary
    assert Message.objects.filter(
        conversation=conversation, payload__event="conversation.assignee"
    ).exists()
    updates = [g for g, f in pushes if f["type"] == "conversation.update"]
    assert any(f"inbox.agent.{free.user_id}" in g for g in updates)


def test_busy_and_away_agents_get_no_new_chats(team):
    AgentProfileFactory(user__username="b", presence="busy", teams=[team])
    AgentProfileFactory(user__username="a", presence="away", teams=[team])

    conversation = new_chat(team)

    assert conversation.assignee_id is None
    assert queue.queue_place(conversation).position == 1


def test_round_robin_takes_turns(team):
    team.assignment_mode = AssignmentMode.ROUND_ROBIN
    team.save()
    first = online(team, "rr1", max_concurrent_chats=10)
    second = online(team, "rr2", max_concurrent_chats=10)

    owners = [new_chat(team).assignee_id for _ in range(4)]

    assert owners == [first.user_id, second.user_id, first.user_id, second.user_id]


def test_sticky_sends_a_returning_customer_to_their_last_agent(team):
    team.assignment_mode = AssignmentMode.STICKY
    team.save()
    customer = CustomerFactory()
    mine = online(team, "sticky1", active_chats=3)
    online(team, "idle1")
    ConversationFactory(
        team=team, customer=customer, assignee=mine.user, status=ConversationStatus.CLOSED
    )

    assert new_chat(team, customer=customer).assignee_id == mine.user_id


def test_auto_assignment_can_be_turned_off_per_team(team):
    team.auto_assign = False
    team.save()
    online(team, "manual1")

    conversation = new_chat(team)

    assert conversation.assignee_id is None
    assert queue.queue_place(conversation) is None  # not in the automatic queue either


def test_an_online_agent_of_another_team_takes_chats_nobody_of_the_team_can(team, pushes):
    other = online(TeamFactory(name="Support"), "helper1")

    conversation = new_chat(team)

    assert conversation.assignee_id == other.user_id


def test_a_team_can_keep_its_chats_to_itself(team):
    team.any_agent_when_none_online = False
    team.save()
    online(TeamFactory(name="Support"), "helper2")

    conversation = new_chat(team)

    assert conversation.assignee_id is None
    assert queue.queue_place(conversation).agents_online is False


# ---- capacity and the queue ---------------------------------------------------------------


def test_a_full_agent_gets_no_more_until_one_closes_then_the_head_of_the_queue(team, pushes):
    agent = online(team, "full1", max_concurrent_chats=1)
    first = new_chat(team)
    second = new_chat(team)
    third = new_chat(team)

    assert first.assignee_id == agent.user_id
    assert (second.assignee_id, third.assignee_id) == (None, None)
    assert load(agent) == 1
    assert (queue.queue_place(second).position, queue.queue_place(third).position) == (1, 2)
    told = {f["conversation_id"]: f for f in frames_of(pushes, "queue.update")}
    assert (told[second.pk]["position"], told[third.pk]["position"]) == (1, 2)
    assert told[third.pk]["wait_seconds"] > 0 and told[third.pk]["agents_online"] is True

    pushes.clear()
    services.conversation_update_fields(
        actor=agent.user, conversation=first, changes={"status": ConversationStatus.CLOSED}
    )

    second.refresh_from_db()
    third.refresh_from_db()
    assert (second.assignee_id, third.assignee_id) == (agent.user_id, None)
    assert load(agent) == 1
    told = {f["conversation_id"]: f for f in frames_of(pushes, "queue.update")}
    assert told[third.pk]["position"] == 1  # the customer hears they moved up


def test_the_queue_is_ordered_by_priority_then_arrival(team):
    normal = new_chat(team, priority=2)
    low = new_chat(team, priority=3)
    urgent = new_chat(team, priority=0)

    assert [queue.queue_place(c).position for c in (urgent, normal, low)] == [1, 2, 3]
    assert list(queue.queued_conversations().values_list("pk", flat=True)) == [
        urgent.pk,
        normal.pk,
        low.pk,
    ]

    agent = online(team, "late1", max_concurrent_chats=1)
    agent_set_presence(actor=agent.user, profile=agent, presence="offline")
    agent_set_presence(actor=agent.user, profile=agent, presence="online")  # comes online

    urgent.refresh_from_db()
    assert urgent.assignee_id == agent.user_id
    assert queue.queue_place(Conversation.objects.get(pk=normal.pk)).position == 1


def test_transfer_to_a_team_routes_the_chat_there(team):
    online(team, "sales1")
    support = TeamFactory(name="Support")
    helper = online(support, "support1")
    conversation = new_chat(team)
    previous = conversation.assignee

    services.conversation_update_fields(
        actor=previous, conversation=conversation, changes={"team": support, "assignee": None}
    )

    conversation.refresh_from_db()
    assert conversation.assignee_id == helper.user_id
    assert load(AgentProfile.objects.get(user=previous)) == 0
    assert load(helper) == 1


def test_a_manual_assignment_counts_against_capacity(team):
    agent = online(team, "hand1", max_concurrent_chats=1)
    waiting = ConversationFactory(team=team)
    services.conversation_update_fields(
        actor=agent.user, conversation=waiting, changes={"assignee": agent.user}
    )

    later = new_chat(team)

    assert load(agent) == 1
    assert later.assignee_id is None


# ---- presence -----------------------------------------------------------------------------


def test_a_silent_agent_goes_offline_and_their_chats_go_to_a_colleague(team):
    silent = online(team, "laptop1", last_seen_at=timezone.now() - timedelta(minutes=5))
    conversation = new_chat(team)
    assert conversation.assignee_id == silent.user_id
    colleague = online(team, "col1", last_seen_at=timezone.now())

    assert presence_sweep(stale_after=timedelta(seconds=75)) == 1

    conversation.refresh_from_db()
    assert conversation.assignee_id == colleague.user_id
    assert (load(silent), load(colleague)) == (0, 1)
    silent.refresh_from_db()
    assert silent.presence == "offline"
    assert silent.chosen_presence == "online"  # the sweep is not the agent's choice


def test_with_nobody_left_the_chat_waits_in_the_queue_unassigned(team):
    agent = online(team, "last1")
    conversation = new_chat(team)

    agent_set_presence(actor=agent.user, profile=agent, presence="offline")

    conversation.refresh_from_db()
    assert conversation.assignee_id is None
    assert queue.queue_place(conversation).agents_online is False
    assert load(agent) == 0


def test_sign_in_restores_the_presence_the_agent_chose(team):
    agent = online(team, "back1")
    agent_set_presence(actor=agent.user, profile=agent, presence="busy")  # chosen
    agent_set_presence(actor=None, profile=agent, presence="offline", reason="heartbeat timeout")

    agent.refresh_from_db()
    assert agent_sign_in_presence(profile=agent).presence == "busy"


def test_a_team_can_set_the_presence_on_sign_in(team):
    team.login_presence = "away"
    team.save()
    agent = AgentProfileFactory(user__username="shift1", teams=[team], chosen_presence="online")

    assert agent_sign_in_presence(profile=agent).presence == "away"


def test_a_reconnect_after_choosing_offline_is_not_a_sign_in_whatever_the_team_sets(team):
    team.login_presence = "online"
    team.save()
    agent = AgentProfileFactory(user__username="done1", teams=[team])
    agent.user.last_login = timezone.now() - timedelta(hours=1)
    agent.user.save(update_fields=["last_login"])
    assert agent_sign_in_presence(profile=agent).presence == "online"  # signed in: the team's
    agent_set_presence(actor=agent.user, profile=agent, presence="offline")  # end of shift

    agent.refresh_from_db()
    assert agent_sign_in_presence(profile=agent).presence == "offline"  # a tab reconnects

    agent.user.last_login = timezone.now() + timedelta(seconds=1)  # tomorrow's sign-in
    agent.user.save(update_fields=["last_login"])
    agent.refresh_from_db()
    assert agent_sign_in_presence(profile=agent).presence == "online"


def test_an_agent_who_chose_offline_stays_offline_on_sign_in(team):
    agent = AgentProfileFactory(user__username="gone1", teams=[team])

    assert agent_sign_in_presence(profile=agent).presence == "offline"


def test_routing_twice_assigns_once(team):
    agent = online(team, "once1")
    conversation = ConversationFactory(team=team)

    assert assignment.conversation_route(conversation_id=conversation.pk) == agent.user_id
    assert assignment.conversation_route(conversation_id=conversation.pk) is None
    assert load(agent) == 1


def test_the_widget_counts_an_online_agent_of_another_team_unless_the_team_says_no(team):
    from routing.selectors import team_has_agent_online, team_has_agent_online_forget

    online(TeamFactory(name="Support"), "helper3")
    assert team_has_agent_online(team_id=team.pk) is True

    team.any_agent_when_none_online = False
    team.save()
    team_has_agent_online_forget()
    assert team_has_agent_online(team_id=team.pk) is False


def test_a_queued_customers_further_messages_leave_routing_to_the_queue(team, pushes):
    conversation = new_chat(team)  # nobody online: queued
    assert conversation.queued_at is not None
    pushes.clear()

    customer_writes(conversation, "still there?")

    assert frames_of(pushes, "queue.update") == []  # no second route attempt
    agent = online(team, "late2")
    agent_set_presence(actor=None, profile=agent, presence="offline")
    agent_set_presence(actor=None, profile=agent, presence="online")
    conversation.refresh_from_db()
    assert conversation.assignee_id == agent.user_id
