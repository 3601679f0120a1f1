"""Overflow (issue 12): a chat that has waited past its team's overflow time may go to the
fallback team's agents too; it keeps its team, and its timeline says so."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from chat.assignment import overflow
from chat.assignment.services import queue_drain
from chat.models import Conversation, Message
from chat.tests.test_assignment import load, new_chat, online
from desk.kernel import realtime
from desk.tests.admin_helpers import admin_form_data
from routing.models import Team
from routing.tests.factories import TeamFactory


@pytest.fixture(autouse=True)
def pushes(monkeypatch):
    sent: list[tuple[list[str], dict]] = []
    monkeypatch.setattr(realtime, "send_now", lambda groups, event: sent.append((groups, event)))
    return sent


@pytest.fixture
def after_sales():
    return TeamFactory(name="售后组")


@pytest.fixture
def team(after_sales):
    return TeamFactory(name="Sales", fallback_team=after_sales, overflow_after_seconds=300)


def waited(conversation: Conversation, seconds: int) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(
        queued_at=timezone.now() - timedelta(seconds=seconds)
    )


@pytest.fixture
def queued(team, after_sales):
    """A chat of Sales waiting (its only agent is full), and an idle agent of 售后组."""
    online(team, "busy", max_concurrent_chats=1, active_chats=1)
    helper = online(after_sales, "helper")
    conversation = new_chat(team)
    assert (conversation.assignee_id, conversation.queued_at is not None) == (None, True)
    return conversation, helper


@pytest.mark.django_db(transaction=True)
def test_after_the_wait_a_fallback_team_agent_takes_it_and_the_timeline_says_so(queued, team):
    conversation, helper = queued
    waited(conversation, 301)

    assert overflow.overflow_sweep() == 1

    conversation.refresh_from_db()
    assert conversation.assignee_id == helper.user_id
    assert conversation.team_id == team.pk  # it keeps its team
    assert conversation.overflowed_at is not None
    assert load(helper) == 1
    event = Message.objects.get(conversation=conversation, payload__event="conversation.overflow")
    assert event.is_internal and event.payload["team"] == "售后组"
    assert event.body == "Waited 5 min: widened to 售后组"
    assert overflow.overflow_sweep() == 0  # once


@pytest.mark.django_db(transaction=True)
def test_not_before_the_wait(queued):
    conversation, helper = queued
    waited(conversation, 290)

    assert overflow.overflow_sweep() == 0

    conversation.refresh_from_db()
    assert (conversation.assignee_id, conversation.overflowed_at) == (None, None)
    assert load(helper) == 0


@pytest.mark.django_db(transaction=True)
def test_an_overflowed_chat_waits_for_either_team_in_later_drains(queued):
    conversation, helper = queued
    helper.max_concurrent_chats = 1
    helper.active_chats = 1
    helper.save()
    waited(conversation, 400)

    assert overflow.overflow_sweep() == 1
    conversation.refresh_from_db()
    assert (conversation.assignee_id, conversation.overflowed_at is not None) == (None, True)

    helper.active_chats = 0
    helper.save()
    queue_drain()
    conversation.refresh_from_db()
    assert conversation.assignee_id == helper.user_id


@pytest.mark.django_db(transaction=True)
def test_overflow_off_or_an_inactive_fallback_never_widens(queued, team, after_sales):
    conversation, _ = queued
    waited(conversation, 10_000)
    Team.objects.filter(pk=after_sales.pk).update(is_active=False)
    assert overflow.overflow_sweep() == 0
    Team.objects.filter(pk=after_sales.pk).update(is_active=True)
    Team.objects.filter(pk=team.pk).update(overflow_after_seconds=0)
    assert overflow.overflow_sweep() == 0


# ---- the admin ------------------------------------------------------------------------------


def _edit(client, team: Team, **changes):
    url = reverse("admin:routing_team_change", args=[team.pk])
    data = admin_form_data(client.get(url))
    data.update(changes)
    return client.post(url, data)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes,field",
    [
        ({"overflow_after_seconds": "5"}, "overflow_after_seconds"),
        ({"overflow_after_seconds": "86401"}, "overflow_after_seconds"),
        ({"offer_seconds": "3"}, "offer_seconds"),
        ({"offer_seconds": "301"}, "offer_seconds"),
        ({"fallback_team": "", "overflow_after_seconds": "60"}, "fallback_team"),
        ({"fallback_team": "self", "overflow_after_seconds": "60"}, "fallback_team"),
        ({"fallback_team": "inactive", "overflow_after_seconds": "60"}, "fallback_team"),
    ],
)
def test_bad_overflow_or_offer_settings_are_refused_with_a_message(
    supervisor_client, changes, field
):
    team = TeamFactory(name="Sales")
    inactive = TeamFactory(name="Old", is_active=False)
    chosen = {"self": str(team.pk), "inactive": str(inactive.pk)}
    changes = {k: chosen.get(v, v) for k, v in changes.items()}

    response = _edit(supervisor_client, team, **changes)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field]
    team.refresh_from_db()
    assert (team.fallback_team_id, team.overflow_after_seconds, team.offer_seconds) == (
        None,
        None,
        0,
    )


@pytest.mark.django_db
def test_good_overflow_and_offer_settings_are_saved(supervisor_client):
    team = TeamFactory(name="Sales")
    after_sales = TeamFactory(name="售后组")

    response = _edit(
        supervisor_client,
        team,
        fallback_team=str(after_sales.pk),
        overflow_after_seconds="120",
        offer_seconds="20",
    )

    assert response.status_code == 302
    team.refresh_from_db()
    assert (team.fallback_team_id, team.overflow_after_seconds, team.offer_seconds) == (
        after_sales.pk,
        120,
        20,
    )
