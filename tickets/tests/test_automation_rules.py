"""Automation rules (tickets/automation/): event rules after commit, time rules swept once per
occurrence, each action through the services with the rule's name on the timeline, and no
loops."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from chat.models import Message, SenderType
from chat.services import message_create
from chat.tests.factories import ConversationFactory, CustomerFactory
from desk.kernel import domain_events
from desk.kernel.choices import Priority
from desk.models import Notification, OutboxEvent
from routing.tests.factories import AgentProfileFactory, SupervisorProfileFactory, TeamFactory
from tickets.automation import engine
from tickets.automation.sweep import sweep
from tickets.customer_services import ticket_customer_reply
from tickets.models import (
    NotifyWhom,
    RuleExecution,
    RuleTrigger,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
    TicketSystemAction,
)
from tickets.services import (
    TicketData,
    ticket_create,
    ticket_create_from_conversation,
    ticket_update_fields,
)
from tickets.tests.factories import AutomationRuleFactory, TagFactory
from tickets.tests.helpers import run_together

pytestmark = pytest.mark.django_db
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def at(moment):
    return mock.patch.object(timezone, "now", return_value=moment)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run the block and then every after-commit reaction (domain-event handlers included)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def make_ticket(**data) -> Ticket:
    return ticket_create(
        actor=None, requester=CustomerFactory(), data=TicketData(subject="Help", **data)
    )


def chat_ticket() -> Ticket:
    conversation = ConversationFactory()
    message_create(conversation=conversation, sender_type="customer", body="My parcel is lost")
    return ticket_create_from_conversation(
        actor=None, conversation=conversation, data=TicketData(subject=""), source="button"
    ).ticket


def rule_rows(ticket: Ticket, name: str) -> list[tuple]:
    return list(
        TicketEvent.objects.filter(ticket=ticket, rule_name=name)
        .order_by("pk")
        .values_list("kind", "action", "old_value", "new_value")
    )


# ---- each action, on the timeline with the rule's name ----------------------------------------


def test_set_priority_is_on_the_timeline_with_the_rules_name(run):
    AutomationRuleFactory(name="Urgent VIPs", set_priority=Priority.P0)
    with run():
        ticket = make_ticket()
    ticket.refresh_from_db()
    assert ticket.priority == Priority.P0
    assert rule_rows(ticket, "Urgent VIPs") == [
        (TicketEventKind.PRIORITY, "", str(Priority.P2), str(Priority.P0))
    ]
    row = TicketEvent.objects.get(ticket=ticket, rule_name="Urgent VIPs")
    assert row.actor is None


def test_raise_priority_goes_one_step_up(run):
    AutomationRuleFactory(name="Raise", set_priority=None, raise_priority=True)
    with run():
        ticket = make_ticket(priority=Priority.P3)
    ticket.refresh_from_db()
    assert ticket.priority == Priority.P2
    assert rule_rows(ticket, "Raise") == [
        (TicketEventKind.PRIORITY, "", str(Priority.P3), str(Priority.P2))
    ]


def test_assign_set_team_status_and_tags(run):
    agent = AgentProfileFactory()
    team = TeamFactory(name="Billing")
    vip = TagFactory(name="vip")
    AutomationRuleFactory(
        name="Route",
        set_priority=None,
        set_assignee=agent.user,
        set_team=team,
        set_status=TicketStatus.OPEN,
        add_tags=[vip],
    )
    with run():
        ticket = make_ticket()
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.team, ticket.status) == (agent.user, team, TicketStatus.OPEN)
    assert list(ticket.tags.values_list("name", flat=True)) == ["vip"]
    kinds = {(kind, action) for kind, action, _old, _new in rule_rows(ticket, "Route")}
    assert kinds == {
        (TicketEventKind.ASSIGNMENT, ""),
        (TicketEventKind.SYSTEM, TicketSystemAction.TEAM_CHANGED),
        (TicketEventKind.STATUS, ""),
        (TicketEventKind.SYSTEM, TicketSystemAction.TAGGED),
    }
    assert Notification.objects.get(recipient=agent.user).kind == "ticket_assigned"


def test_internal_note_and_canned_reply_reach_the_timeline_and_the_chat(run):
    AutomationRuleFactory(
        name="Acknowledge",
        set_priority=None,
        internal_note="Checked by the robot",
        customer_reply="Thanks, we are on it.",
    )
    with run():
        ticket = chat_ticket()
    note = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.NOTE)
    reply = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.COMMENT)
    assert (note.rule_name, note.body) == ("Acknowledge", "Checked by the robot")
    assert (reply.rule_name, reply.body) == ("Acknowledge", "Thanks, we are on it.")
    message = Message.objects.get(pk=reply.message_id)
    assert (message.conversation_id, message.sender_type, message.body) == (
        ticket.conversation_id,
        SenderType.AGENT,
        "Thanks, we are on it.",
    )
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None  # a robot's acknowledgement is no first response


def test_notify_supervisors_and_the_team(run):
    boss = SupervisorProfileFactory()
    team = TeamFactory(name="Returns")
    member = AgentProfileFactory(teams=[team])
    AutomationRuleFactory(
        name="Tell the bosses", set_priority=None, notify=NotifyWhom.SUPERVISORS, notify_text="Look"
    )
    AutomationRuleFactory(name="Tell the team", set_priority=None, notify=NotifyWhom.TEAM)
    with run():
        ticket = make_ticket(team=team)
    boss_note = Notification.objects.get(recipient=boss.user)
    assert (boss_note.kind, boss_note.actor_name, boss_note.excerpt) == (
        "automation",
        "Tell the bosses",
        "Look",
    )
    assert Notification.objects.get(recipient=member.user).kind == "automation"
    assert rule_rows(ticket, "Tell the bosses") == [
        (TicketEventKind.SYSTEM, TicketSystemAction.NOTIFIED, "", "")
    ]


# ---- which tickets, which events ---------------------------------------------------------------


def test_conditions_choose_the_tickets(run):
    team = TeamFactory(name="Sales")
    vip = TagFactory(name="vip")
    AutomationRuleFactory(name="Sales P3", if_team=team, if_priority=Priority.P3)
    with run():
        other = make_ticket(priority=Priority.P3)
        taken = make_ticket(priority=Priority.P3, team=team)
    assert Ticket.objects.get(pk=other.pk).priority == Priority.P3
    assert Ticket.objects.get(pk=taken.pk).priority == Priority.P1

    AutomationRuleFactory(
        name="VIP only", trigger=RuleTrigger.TICKET_CREATED, if_tags=[vip], set_priority=Priority.P0
    )
    with run():
        plain = make_ticket()
        tagged = make_ticket(tags=["vip"])
    assert Ticket.objects.get(pk=plain.pk).priority != Priority.P0
    assert Ticket.objects.get(pk=tagged.pk).priority == Priority.P0


def test_a_customer_reply_rule(run):
    AutomationRuleFactory(
        name="Reopened", trigger=RuleTrigger.CUSTOMER_REPLIED, set_status=TicketStatus.IN_PROGRESS
    )
    with run():
        ticket = make_ticket()
        ticket_customer_reply(ticket=ticket, customer=ticket.requester, body="Any news?")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS
    assert ticket.customer_replied_at is not None


def test_an_inactive_rule_does_nothing(run):
    AutomationRuleFactory(name="Off", is_active=False)
    with run():
        ticket = make_ticket()
    assert Ticket.objects.get(pk=ticket.pk).priority == Priority.P2
    assert not RuleExecution.objects.exists()


def test_rules_cannot_loop_each_fires_once(run):
    # A raises every updated ticket to P0; B puts every updated ticket back to P2: without the
    # chain they would change it forever.
    a = AutomationRuleFactory(
        name="A", trigger=RuleTrigger.TICKET_UPDATED, position=1, set_priority=Priority.P0
    )
    b = AutomationRuleFactory(
        name="B", trigger=RuleTrigger.TICKET_UPDATED, position=2, set_priority=Priority.P2
    )
    ticket = make_ticket()
    with run():
        ticket_update_fields(actor=None, ticket=ticket, changes={"subject": "New words"})
    assert RuleExecution.objects.filter(rule=a).count() == 1
    assert RuleExecution.objects.filter(rule=b).count() == 1
    assert list(
        TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.PRIORITY)
        .order_by("pk")
        .values_list("rule_name", "new_value")
    ) == [("A", str(Priority.P0)), ("B", str(Priority.P2))]


def test_a_rule_fires_once_per_event_even_when_the_event_is_handled_twice(run):
    rule = AutomationRuleFactory(name="Once", set_priority=None, internal_note="hello")
    ticket = make_ticket()
    row = OutboxEvent.objects.get(type="ticket.created", ticket_id=ticket.pk)
    event = domain_events.Event(
        id=row.pk,
        type=row.type,
        conversation_id=None,
        message_id=None,
        ticket_id=ticket.pk,
        payload=row.payload,
        created_at=row.created_at,
    )

    with run():
        assert engine.event_rules_run(event) == [rule.pk]
        assert engine.event_rules_run(event) == []  # a redelivery
    assert TicketEvent.objects.filter(ticket=ticket, rule_name="Once").count() == 1


def test_rules_leave_done_tickets_alone(run):
    AutomationRuleFactory(name="Done", trigger=RuleTrigger.TICKET_UPDATED)
    ticket = make_ticket()
    with run():
        ticket_update_fields(actor=None, ticket=ticket, changes={"status": TicketStatus.RESOLVED})
    assert Ticket.objects.get(pk=ticket.pk).priority == Priority.P2


# ---- time rules ----------------------------------------------------------------------------------


def test_a_time_rule_fires_once_when_its_hours_have_passed(run):
    AutomationRuleFactory(
        name="48 h unhandled",
        trigger=RuleTrigger.HOURS_SINCE_CREATED,
        hours=48,
        if_status=TicketStatus.NEW,
        set_priority=None,
        raise_priority=True,
    )
    with at(MONDAY):
        ticket = make_ticket()
    with run():
        assert sweep(now=MONDAY + timedelta(hours=47)) == 0
        assert sweep(now=MONDAY + timedelta(hours=49)) == 1
        assert sweep(now=MONDAY + timedelta(hours=50)) == 0  # never twice
    assert Ticket.objects.get(pk=ticket.pk).priority == Priority.P1
    assert len(rule_rows(ticket, "48 h unhandled")) == 1


def test_hours_since_status_count_again_from_each_change(run):
    AutomationRuleFactory(
        name="Chase",
        trigger=RuleTrigger.HOURS_SINCE_STATUS,
        hours=24,
        if_status=TicketStatus.PENDING,
        set_priority=None,
        internal_note="Still waiting for the customer",
    )
    with at(MONDAY):
        ticket = make_ticket()
        ticket_update_fields(actor=None, ticket=ticket, changes={"status": TicketStatus.PENDING})
    with run():
        assert sweep(now=MONDAY + timedelta(hours=25)) == 1
        assert sweep(now=MONDAY + timedelta(hours=26)) == 0
    with at(MONDAY + timedelta(hours=30)):
        ticket_update_fields(actor=None, ticket=ticket, changes={"status": TicketStatus.OPEN})
        ticket_update_fields(actor=None, ticket=ticket, changes={"status": TicketStatus.PENDING})
    with run():
        assert sweep(now=MONDAY + timedelta(hours=40)) == 0
        assert sweep(now=MONDAY + timedelta(hours=55)) == 1
    assert TicketEvent.objects.filter(ticket=ticket, rule_name="Chase").count() == 2


def test_hours_since_the_last_customer_reply(run):
    AutomationRuleFactory(
        name="Follow up",
        trigger=RuleTrigger.HOURS_SINCE_CUSTOMER_REPLY,
        hours=2,
        set_priority=Priority.P1,
    )
    with at(MONDAY):
        silent = make_ticket()
        talking = make_ticket()
        ticket_customer_reply(ticket=talking, customer=talking.requester, body="Hello?")
    with run():
        assert sweep(now=MONDAY + timedelta(hours=3)) == 1
    assert Ticket.objects.get(pk=talking.pk).priority == Priority.P1
    assert Ticket.objects.get(pk=silent.pk).priority == Priority.P2


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweepers_fire_each_time_rule_once_per_ticket():
    AutomationRuleFactory(
        name="Escalate old",
        trigger=RuleTrigger.HOURS_SINCE_CREATED,
        hours=1,
        set_priority=None,
        internal_note="Old ticket",
    )
    with at(MONDAY):
        tickets = [make_ticket() for _ in range(20)]
    counts = run_together(lambda: engine.time_rules_sweep(now=MONDAY + timedelta(hours=2)))
    assert sum(counts) == len(tickets)
    assert RuleExecution.objects.count() == len(tickets)
    assert TicketEvent.objects.filter(rule_name="Escalate old").count() == len(tickets)
