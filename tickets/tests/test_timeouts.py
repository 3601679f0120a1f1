"""转工单 way 4: a conversation nobody answered in time becomes a ticket, once."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from chat.models import Channel, Conversation
from chat.services import message_create
from chat.tests.factories import ConversationFactory
from desk.kernel.choices import Priority
from desk.tests.admin_helpers import admin_form_data
from tickets import tasks
from tickets.models import (
    AutomationRule,
    RuleTrigger,
    Ticket,
    TicketEventKind,
    TicketSource,
    TicketStatus,
)
from tickets.services import ticket_update_fields
from tickets.sources.timeout import tickets_for_waiting_conversations
from tickets.tests.helpers import ticket_cards

pytestmark = pytest.mark.django_db
WAIT = timedelta(minutes=30)


@pytest.fixture(autouse=True)
def waiting_rule(db) -> AutomationRule:
    """What migration 0011 makes of a desk whose "Ticket automation" was never saved: one
    active "conversation waiting" rule following TICKET_AFTER_WAITING_MINUTES (made again here
    since a transactional test elsewhere may have emptied the tables)."""
    rule = AutomationRule.objects.filter(trigger=RuleTrigger.CONVERSATION_WAITING).first()
    if rule is None:
        rule = AutomationRule.objects.create(
            name="等待超时转工单 Ticket after waiting", trigger=RuleTrigger.CONVERSATION_WAITING
        )
    return rule


def waiting_since(minutes: int) -> Conversation:
    conversation = ConversationFactory(status="waiting")
    message_create(conversation=conversation, sender_type="customer", body="anyone there?")
    at = timezone.now() - timedelta(minutes=minutes)
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=at)
    return Conversation.objects.get(pk=conversation.pk)


def test_only_conversations_waiting_longer_than_the_limit_become_tickets():
    late = waiting_since(31)
    waiting_since(5)
    answered = waiting_since(60)
    message_create(conversation=answered, sender_type="agent", body="Hi!")  # now open
    Conversation.objects.filter(pk=answered.pk).update(
        last_message_at=timezone.now() - timedelta(minutes=60)
    )

    made = tickets_for_waiting_conversations(waited=WAIT)
    ticket = Ticket.objects.get()
    assert made == [ticket.pk]
    assert (ticket.conversation_id, ticket.source) == (late.pk, TicketSource.TIMEOUT)
    assert "anyone there?" in ticket.description
    assert len(ticket_cards(late)) == 1  # the customer is told the ticket number

    assert tickets_for_waiting_conversations(waited=WAIT) == []  # the next sweep: nothing new
    assert Ticket.objects.count() == 1


def test_a_closed_timeout_ticket_is_not_made_again_until_the_customer_writes_again():
    conversation = waiting_since(45)
    (first,) = tickets_for_waiting_conversations(waited=WAIT)
    ticket_update_fields(
        actor=None, ticket=Ticket.objects.get(pk=first), changes={"status": TicketStatus.CLOSED}
    )
    assert tickets_for_waiting_conversations(waited=WAIT) == []

    message_create(conversation=conversation, sender_type="customer", body="still waiting")
    later = timezone.now() + timedelta(minutes=31)
    assert len(tickets_for_waiting_conversations(waited=WAIT, now=later)) == 1
    assert Ticket.objects.count() == 2


def test_the_beat_task_uses_the_setting_and_zero_turns_it_off():
    waiting_since(20)
    with override_settings(TICKET_AFTER_WAITING_MINUTES=0):
        assert tasks.waiting_conversations_sweep() == 0
    with override_settings(TICKET_AFTER_WAITING_MINUTES=30):
        assert tasks.waiting_conversations_sweep() == 0
    with override_settings(TICKET_AFTER_WAITING_MINUTES=15):
        assert tasks.waiting_conversations_sweep() == 1


def test_the_rules_minutes_win_over_the_variable_and_an_inactive_rule_is_off(
    supervisor_client, waiting_rule
):
    waiting_since(20)
    change = reverse("admin:tickets_automationrule_change", args=[waiting_rule.pk])
    data = admin_form_data(supervisor_client.get(change))
    bad = supervisor_client.post(change, {**data, "minutes": "-1"})
    assert bad.status_code == 200
    assert AutomationRule.objects.get(pk=waiting_rule.pk).minutes is None
    assert supervisor_client.post(change, {**data, "minutes": "10"}).status_code == 302
    with override_settings(TICKET_AFTER_WAITING_MINUTES=0):
        assert tasks.waiting_conversations_sweep() == 1

    waiting_since(20)
    off = {key: value for key, value in data.items() if key != "is_active"}
    assert supervisor_client.post(change, {**off, "minutes": "10"}).status_code == 302
    assert tasks.waiting_conversations_sweep() == 0


def test_the_ticket_names_the_rule_and_the_rules_actions_act_on_it(waiting_rule):
    waiting_rule.set_priority = Priority.P1
    waiting_rule.save()
    conversation = waiting_since(45)

    assert tasks.waiting_conversations_sweep() == 1

    ticket = Ticket.objects.get(conversation=conversation)
    assert (ticket.source, ticket.priority) == (TicketSource.TIMEOUT, Priority.P1)
    created = ticket.events.get(kind=TicketEventKind.CREATED)
    assert created.rule_name == waiting_rule.name
    assert ticket.events.get(kind=TicketEventKind.PRIORITY).rule_name == waiting_rule.name


def test_a_waiting_rule_takes_only_the_conversations_meeting_its_conditions(waiting_rule):
    waiting_rule.if_channel = Channel.APP
    waiting_rule.save()
    waiting_since(45)  # a web chat
    assert tasks.waiting_conversations_sweep() == 0

    waiting_rule.if_channel = Channel.WEB
    waiting_rule.save()
    assert tasks.waiting_conversations_sweep() == 1
