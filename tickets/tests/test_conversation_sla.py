"""A waiting conversation's first-response clock (tickets/sla/conversations.py): set after the
customer's message commits from the first matching policy, in business time; stopped by an
agent's public reply and started again by the next wait; its warning and breach fired once by the
same sweep, heard by the assignee (and the supervisors) and the inboxes; shown in the inbox list
in business time."""

from datetime import UTC, datetime, time, timedelta
from unittest import mock

import pytest
from django.utils import timezone

from chat import services as chat_services
from chat.models import Channel, Conversation, SenderType
from chat.tests.factories import ConversationFactory, CustomerFactory
from desk.kernel.domain_events import dispatch
from desk.models import Notification, OutboxEvent
from routing.tests.factories import AgentProfileFactory, SupervisorProfileFactory
from tickets.models import BusinessHours, BusinessHoursInterval, SlaPhase, SlaTimer
from tickets.sla import timers
from tickets.tests.factories import SlaPolicyFactory

pytestmark = pytest.mark.django_db

FRIDAY_5PM = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai
MONDAY_10AM = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def at(moment):
    return mock.patch.object(timezone, "now", return_value=moment)


@pytest.fixture
def office(db):
    hours = BusinessHours.objects.create(name="Office", timezone="Asia/Shanghai")
    for weekday in range(5):
        BusinessHoursInterval.objects.create(
            calendar=hours, weekday=weekday, start=time(9), end=time(18)
        )
    # Only WeChat chats of VIPs: first response in 2 business hours, warning at 75% (90 min).
    return SlaPolicyFactory(
        name="VIP WeChat",
        priority=None,
        channel=Channel.WECHAT,
        min_vip_level=1,
        first_response_minutes=120,
        business_hours=hours,
    )


def say(conversation, sender_type, moment, capture, user=None):
    with at(moment), capture(execute=True):
        chat_services.message_create(
            conversation=conversation, sender_type=sender_type, body="hi", sender_user=user
        )
    conversation.refresh_from_db()
    return conversation


def vip_chat(**fields):
    return ConversationFactory(
        channel=Channel.WECHAT, customer=CustomerFactory(vip_level=2), **fields
    )


def pending(conversation):
    return sorted(
        (t.phase, t.fire_at)
        for t in SlaTimer.objects.filter(conversation=conversation, fired_at=None)
    )


def test_the_customers_first_message_starts_a_clock_in_business_time(
    office, django_capture_on_commit_callbacks
):
    chat = say(vip_chat(), SenderType.CUSTOMER, FRIDAY_5PM, django_capture_on_commit_callbacks)
    assert chat.sla_started_at == FRIDAY_5PM
    assert chat.sla_due_at == MONDAY_10AM  # Friday's last hour, then Monday 9-10
    assert chat.sla_warn_at == MONDAY_10AM - timedelta(minutes=30)
    assert pending(chat) == [
        (SlaPhase.BREACH, MONDAY_10AM),
        (SlaPhase.WARNING, MONDAY_10AM - timedelta(minutes=30)),
    ]
    # A second message of the same wait changes nothing.
    later = say(
        chat,
        SenderType.CUSTOMER,
        FRIDAY_5PM + timedelta(minutes=5),
        django_capture_on_commit_callbacks,
    )
    assert later.sla_started_at == FRIDAY_5PM


def test_no_matching_policy_no_clock(office, django_capture_on_commit_callbacks):
    web = ConversationFactory(customer=CustomerFactory(vip_level=2))  # web, not WeChat
    plain = ConversationFactory(channel=Channel.WECHAT)  # not a VIP
    for chat in (web, plain):
        chat = say(chat, SenderType.CUSTOMER, FRIDAY_5PM, django_capture_on_commit_callbacks)
        assert chat.sla_due_at is None
    assert not SlaTimer.objects.exists()


def test_an_agent_reply_stops_it_and_the_next_wait_starts_a_new_one(
    office, django_capture_on_commit_callbacks
):
    agent = AgentProfileFactory()
    capture = django_capture_on_commit_callbacks
    chat = say(vip_chat(assignee=agent.user), SenderType.CUSTOMER, FRIDAY_5PM, capture)
    chat = say(chat, SenderType.AGENT, FRIDAY_5PM + timedelta(minutes=10), capture, agent.user)
    assert (chat.sla_started_at, chat.sla_due_at, chat.sla_warn_at) == (None, None, None)
    assert pending(chat) == []
    monday_9 = MONDAY_10AM - timedelta(hours=1)
    chat = say(chat, SenderType.CUSTOMER, monday_9, capture)
    assert chat.sla_started_at == monday_9 and chat.sla_due_at == monday_9 + timedelta(hours=2)


def test_an_internal_note_does_not_stop_it(office, django_capture_on_commit_callbacks):
    agent = AgentProfileFactory()
    chat = say(vip_chat(), SenderType.CUSTOMER, FRIDAY_5PM, django_capture_on_commit_callbacks)
    with at(FRIDAY_5PM), django_capture_on_commit_callbacks(execute=True):
        chat_services.message_create(
            conversation=chat,
            sender_type=SenderType.AGENT,
            body="n",
            sender_user=agent.user,
            is_internal=True,
        )
    chat.refresh_from_db()
    assert chat.sla_due_at == MONDAY_10AM


def test_the_sweep_fires_the_warning_and_the_breach_once_and_they_are_heard(
    office, django_capture_on_commit_callbacks, published
):
    agent = AgentProfileFactory()
    supervisor = SupervisorProfileFactory()
    capture = django_capture_on_commit_callbacks
    chat = say(vip_chat(assignee=agent.user), SenderType.CUSTOMER, FRIDAY_5PM, capture)
    published.clear()
    with capture(execute=True):
        assert timers.sweep(now=MONDAY_10AM - timedelta(minutes=29)) == 1  # the warning
        assert timers.sweep(now=MONDAY_10AM - timedelta(minutes=28)) == 0
    warning = Notification.objects.get(kind="sla_warning")
    assert (warning.recipient, warning.conversation_id, warning.ticket) == (
        agent.user,
        chat.pk,
        None,
    )
    updates = [
        event
        for groups, event in published
        if event["type"] == "conversation.update" and any(g.startswith("inbox") for g in groups)
    ]
    assert updates and updates[-1]["conversation"]["sla"]["risk"] == "at_risk"

    with capture(execute=True):
        assert timers.sweep(now=MONDAY_10AM + timedelta(minutes=1)) == 1  # the breach
        assert timers.sweep(now=MONDAY_10AM + timedelta(minutes=2)) == 0  # never twice
    breached = Notification.objects.filter(kind="sla_breached")
    assert {n.recipient for n in breached} == {agent.user, supervisor.user}
    assert OutboxEvent.objects.filter(type="conversation.sla_breached").count() == 1


def test_a_wait_that_ended_fires_nothing(office, django_capture_on_commit_callbacks):
    agent = AgentProfileFactory()
    capture = django_capture_on_commit_callbacks
    chat = say(vip_chat(assignee=agent.user), SenderType.CUSTOMER, FRIDAY_5PM, capture)
    Conversation.objects.filter(pk=chat.pk).update(status="closed")
    with capture(execute=True):
        assert timers.sweep(now=MONDAY_10AM + timedelta(minutes=1)) == 2  # taken, silent
    assert not Notification.objects.exists()
    assert not OutboxEvent.objects.filter(type__startswith="conversation.sla").exists()


def test_the_inbox_shows_the_countdown_in_business_time(
    office, agent, agent_client, django_capture_on_commit_callbacks
):
    chat = say(vip_chat(), SenderType.CUSTOMER, FRIDAY_5PM, django_capture_on_commit_callbacks)
    with at(FRIDAY_5PM + timedelta(minutes=30)):
        body = agent_client.get("/api/v1/conversations/", {"filter": "all"}).json()
    (row,) = [row for row in body["results"] if row["id"] == chat.pk]
    sla = row["sla"]
    assert (sla["target"], sla["risk"]) == ("first_response", "on_track")
    assert sla["due_at"] == MONDAY_10AM.isoformat()
    assert sla["left_seconds"] == 90 * 60
    assert sla["open_spans"][0][0] == (FRIDAY_5PM + timedelta(minutes=30)).isoformat()


def test_closing_the_conversation_stops_its_clock(office, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    chat = say(vip_chat(), SenderType.CUSTOMER, FRIDAY_5PM, capture)
    with at(FRIDAY_5PM + timedelta(minutes=1)), capture(execute=True):
        chat_services.conversation_update_fields(
            actor=None, conversation=chat, changes={"status": "closed"}
        )
    chat.refresh_from_db()
    assert (chat.sla_started_at, chat.sla_due_at) == (None, None)
    assert pending(chat) == []
    # Reopened, the customer's next message starts a new wait.
    monday_9 = MONDAY_10AM - timedelta(hours=1)
    with at(monday_9), capture(execute=True):
        chat_services.conversation_update_fields(
            actor=None, conversation=chat, changes={"status": "waiting"}
        )
    chat = say(chat, SenderType.CUSTOMER, monday_9, capture)
    assert chat.sla_due_at == monday_9 + timedelta(hours=2)


def test_a_reply_handled_after_the_next_customer_message_leaves_that_message_waiting(office):
    """Two workers may handle a reply and the customer's next message in either order: the
    message's handler sees the old wait and does nothing, so the reply's handler, which ends
    that wait, starts the next one from the customer's first unanswered message."""
    agent = AgentProfileFactory()
    chat = vip_chat(assignee=agent.user)

    def store(sender, moment, user=None) -> int:
        with at(moment):  # the test's transaction never commits: nothing is handled yet
            chat_services.message_create(
                conversation=chat, sender_type=sender, body="hi", sender_user=user
            )
        return OutboxEvent.objects.filter(type="message.created").latest("pk").pk

    dispatch.dispatch([store(SenderType.CUSTOMER, FRIDAY_5PM)])
    reply = store(SenderType.AGENT, FRIDAY_5PM + timedelta(minutes=10), agent.user)
    second = store(SenderType.CUSTOMER, MONDAY_10AM)
    dispatch.dispatch([second])  # before the reply: the conversation still waits from Friday
    dispatch.dispatch([reply])

    chat.refresh_from_db()
    assert chat.sla_started_at == MONDAY_10AM
    assert chat.sla_due_at == MONDAY_10AM + timedelta(hours=2)
    assert pending(chat) == [
        (SlaPhase.BREACH, MONDAY_10AM + timedelta(hours=2)),
        (SlaPhase.WARNING, MONDAY_10AM + timedelta(minutes=90)),
    ]
