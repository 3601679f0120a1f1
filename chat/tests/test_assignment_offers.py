"""Offer mode (issue 12): the chat is offered to the best agent with their slot reserved; accept
assigns it, decline or expiry offers it to the next agent and frees the slot, and when everyone
has passed it waits in the queue (transactional tests: handlers run after commit, Celery eager)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from chat import services as chat_services
from chat.assignment import offers
from chat.assignment import selectors as queue
from chat.assignment import services as assignment
from chat.models import Conversation, ConversationStatus, Message, OfferDecline
from chat.tests.test_assignment import customer_writes, frames_of, load, new_chat, online
from desk.kernel import realtime
from routing.models import AgentProfile
from routing.services import agent_set_presence
from routing.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def pushes(monkeypatch):
    sent: list[tuple[list[str], dict]] = []
    monkeypatch.setattr(realtime, "send_now", lambda groups, event: sent.append((groups, event)))
    return sent


@pytest.fixture
def team():
    return TeamFactory(name="Sales", offer_seconds=30)


def fresh(conversation: Conversation) -> Conversation:
    return Conversation.objects.get(pk=conversation.pk)


def accept(client, agent: AgentProfile, conversation: Conversation):
    client.force_login(agent.user)
    return client.post(reverse("api:conversation-offer-accept", args=[conversation.pk]))


def decline(client, agent: AgentProfile, conversation: Conversation):
    client.force_login(agent.user)
    return client.post(reverse("api:conversation-offer-decline", args=[conversation.pk]))


def test_the_chat_is_offered_with_the_slot_reserved_and_still_waits(team, pushes):
    carol = online(team, "carol")

    conversation = new_chat(team, subject="")

    assert conversation.assignee_id is None
    assert conversation.offered_to_id == carol.user_id
    assert conversation.offer_expires_at > timezone.now() + timedelta(seconds=25)
    assert load(carol) == 1
    (offered,) = frames_of(pushes, "conversation.offered")
    groups = next(g for g, f in pushes if f["type"] == "conversation.offered")
    assert groups == [realtime.agent_group(carol.user_id)]
    assert offered["conversation_id"] == conversation.pk
    assert offered["first_message"] == "hello"
    assert offered["seconds"] == 30
    assert not frames_of(pushes, "conversation.assigned")
    # the customer keeps a place in the queue meanwhile, and hears it
    assert queue.queue_place(conversation).position == 1
    assert frames_of(pushes, "queue.update")[-1]["position"] == 1
    # further messages and drains give it to nobody else
    online(team, "dave")
    customer_writes(conversation, "anyone?")
    assignment.queue_drain()
    assert (fresh(conversation).offered_to_id, fresh(conversation).assignee_id) == (
        carol.user_id,
        None,
    )


def test_accepting_assigns_it_with_the_reserved_slot(client, team, pushes):
    carol = online(team, "carol")
    conversation = new_chat(team)
    pushes.clear()

    response = accept(client, carol, conversation)

    assert response.status_code == 200
    assert response.json()["assignee"]["id"] == carol.user_id
    conversation = fresh(conversation)
    assert (conversation.assignee_id, conversation.offered_to_id) == (carol.user_id, None)
    assert conversation.offer_expires_at is None
    assert load(carol) == 1
    (assigned,) = frames_of(pushes, "conversation.assigned")
    assert assigned["conversation_id"] == conversation.pk
    assert Message.objects.filter(
        conversation=conversation, payload__event="conversation.assignee", sender_user=carol.user
    ).exists()
    assert queue.queue_place(conversation) is None


def test_declining_offers_it_to_the_next_agent_and_frees_the_slot(client, team, pushes):
    carol = online(team, "carol")
    dave = online(team, "dave", active_chats=1)  # busier: second choice
    conversation = new_chat(team)
    assert fresh(conversation).offered_to_id == carol.user_id
    pushes.clear()

    response = decline(client, carol, conversation)

    assert response.status_code == 204
    assert fresh(conversation).offered_to_id == dave.user_id
    assert (load(carol), load(dave)) == (0, 2)
    (offered,) = frames_of(pushes, "conversation.offered")
    assert next(g for g, f in pushes if f is offered) == [realtime.agent_group(dave.user_id)]
    assert OfferDecline.objects.filter(conversation=conversation, user=carol.user).get().reason == (
        "declined"
    )
    events = list(
        Message.objects.filter(
            conversation=conversation, payload__event__startswith="conversation.offer"
        )
        .order_by("seq")
        .values_list("payload__event", flat=True)
    )
    assert events == ["conversation.offer", "conversation.offer_passed", "conversation.offer"]


def test_an_unanswered_offer_expires_by_the_sweep_and_moves_on(team):
    carol = online(team, "carol")
    dave = online(team, "dave", active_chats=1)
    conversation = new_chat(team)
    assert offers.offers_expire() == 0  # not yet due

    Conversation.objects.filter(pk=conversation.pk).update(
        offer_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert offers.offers_expire() == 1

    assert fresh(conversation).offered_to_id == dave.user_id
    assert (load(carol), load(dave)) == (0, 2)
    assert OfferDecline.objects.get(conversation=conversation, user=carol.user).reason == "expired"


def test_when_everyone_passes_it_waits_in_the_queue_and_no_slot_leaks(client, team):
    carol = online(team, "carol")
    dave = online(team, "dave")
    conversation = new_chat(team)
    first = fresh(conversation).offered_to_id
    assert (
        decline(client, carol if first == carol.user_id else dave, conversation).status_code == 204
    )
    second = fresh(conversation).offered_to_id
    assert {first, second} == {carol.user_id, dave.user_id}
    assert (
        decline(client, carol if second == carol.user_id else dave, conversation).status_code == 204
    )

    conversation = fresh(conversation)
    assert (conversation.offered_to_id, conversation.assignee_id) == (None, None)
    assert (load(carol), load(dave)) == (0, 0)
    assert queue.queue_place(conversation).position == 1
    # drains never offer it again to those who passed; a newcomer gets it
    assignment.queue_drain()
    assert fresh(conversation).offered_to_id is None
    erin = online(team, "erin")
    agent_set_presence(actor=erin.user, profile=erin, presence="offline")
    agent_set_presence(actor=erin.user, profile=erin, presence="online")
    assert fresh(conversation).offered_to_id == erin.user_id


def test_accepting_an_expired_offer_is_refused_and_changes_nothing(client, team):
    carol = online(team, "carol")
    conversation = new_chat(team)
    Conversation.objects.filter(pk=conversation.pk).update(
        offer_expires_at=timezone.now() - timedelta(seconds=1)
    )

    response = accept(client, carol, conversation)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "offer_expired"
    conversation = fresh(conversation)
    assert (conversation.assignee_id, conversation.offered_to_id) == (None, carol.user_id)
    assert load(carol) == 1  # still reserved until the sweep withdraws it

    offers.offers_expire()
    assert load(carol) == 0
    late = accept(client, carol, conversation)
    assert (late.status_code, late.json()["error"]["code"]) == (409, "offer_expired")


def test_someone_elses_offer_cannot_be_taken(client, team):
    carol = online(team, "carol")
    dave = online(team, "dave", active_chats=1)
    conversation = new_chat(team)

    response = accept(client, dave, conversation)

    assert (response.status_code, response.json()["error"]["code"]) == (409, "offer_not_yours")
    assert fresh(conversation).offered_to_id == carol.user_id
    assert (load(carol), load(dave)) == (1, 1)


def test_an_agent_going_offline_passes_their_pending_offer_on(team):
    carol = online(team, "carol")
    dave = online(team, "dave", active_chats=1)
    conversation = new_chat(team)

    agent_set_presence(actor=carol.user, profile=carol, presence="offline")

    assert fresh(conversation).offered_to_id == dave.user_id
    assert (load(carol), load(dave)) == (0, 2)
    assert OfferDecline.objects.get(conversation=conversation, user=carol.user).reason == "offline"


def test_a_team_without_offer_mode_assigns_at_once(team):
    team.offer_seconds = 0
    team.save()
    carol = online(team, "carol")

    conversation = new_chat(team)

    assert (conversation.assignee_id, conversation.offered_to_id) == (carol.user_id, None)


def test_closing_or_assigning_by_hand_ends_the_offer_and_frees_the_slot_at_once(client, team):
    carol = online(team, "carol")
    dave = online(team, "dave", active_chats=1)
    first = new_chat(team)
    assert fresh(first).offered_to_id == carol.user_id

    chat_services.conversation_update_fields(
        actor=dave.user, conversation=first, changes={"assignee": dave.user}
    )

    first = fresh(first)
    assert (first.assignee_id, first.offered_to_id, first.offer_expires_at) == (
        dave.user_id,
        None,
        None,
    )
    assert (load(carol), load(dave)) == (0, 2)
    late = accept(client, carol, first)
    assert (late.status_code, late.json()["error"]["code"]) == (409, "offer_not_yours")

    second = new_chat(team)
    assert fresh(second).offered_to_id == carol.user_id
    chat_services.conversation_update_fields(
        actor=None, conversation=second, changes={"status": ConversationStatus.CLOSED}
    )
    assert fresh(second).offered_to_id is None
    assert load(carol) == 0
