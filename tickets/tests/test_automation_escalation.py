"""SLA escalation: a breach runs the escalation rules of its policy (notify the supervisors,
raise the priority, hand the ticket to a team), each on the timeline; a notice to a team that is
closed waits until it opens (sent once by the sweep) unless the ticket is urgent."""

import datetime as dt
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from desk.kernel.choices import Priority
from desk.models import Notification, OutboxEvent
from routing.tests.factories import SupervisorProfileFactory, TeamFactory
from tickets.automation.notices import held_notices_sweep
from tickets.automation.sweep import sweep
from tickets.models import (
    HeldNotice,
    NotifyWhom,
    RuleTrigger,
    Ticket,
    TicketEvent,
    TicketSystemAction,
)
from tickets.sla import timers
from tickets.tests.factories import (
    AutomationRuleFactory,
    BusinessHoursFactory,
    BusinessHoursIntervalFactory,
    HeldNoticeFactory,
    SlaPolicyFactory,
    TeamHoursFactory,
)
from tickets.tests.helpers import run_together
from tickets.tests.test_automation_rules import make_ticket

pytestmark = pytest.mark.django_db
# Friday 17:00 UTC: the first response (60 min) breaches at 18:00, when the team has gone home.
FRIDAY = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)
MONDAY_OPENING = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def at(moment):
    return mock.patch.object(timezone, "now", return_value=moment)


@pytest.fixture
def escalations():
    team = TeamFactory(name="Escalations")
    calendar = BusinessHoursFactory(name="Escalations 9-18", timezone="UTC")
    for weekday in range(5):
        BusinessHoursIntervalFactory(
            calendar=calendar, weekday=weekday, start=dt.time(9), end=dt.time(18)
        )
    TeamHoursFactory(team=team, business_hours=calendar)
    return team


@pytest.fixture
def policy():
    return SlaPolicyFactory(
        name="Gold", position=5, first_response_minutes=60, resolution_minutes=24 * 60
    )


@pytest.fixture
def escalation_rule(policy, escalations):
    return AutomationRuleFactory(
        name="Escalate Gold breaches",
        trigger=RuleTrigger.SLA_BREACHED,
        if_sla_policy=policy,
        set_priority=None,
        raise_priority=True,
        set_team=escalations,
        notify=NotifyWhom.SUPERVISORS,
        notify_text="Gold SLA breached",
    )


def breach(django_capture_on_commit_callbacks, moment=FRIDAY + timedelta(minutes=61)):
    with at(moment), django_capture_on_commit_callbacks(execute=True):
        timers.sweep(now=moment)  # the warning and the breach


def test_a_breach_runs_the_policys_escalation_and_holds_the_notice_for_the_closed_team(
    escalation_rule, escalations, django_capture_on_commit_callbacks
):
    boss = SupervisorProfileFactory()
    with at(FRIDAY):
        ticket = make_ticket(priority=Priority.P2)
    breach(django_capture_on_commit_callbacks)

    ticket.refresh_from_db()
    assert (ticket.priority, ticket.team) == (Priority.P1, escalations)
    rows = TicketEvent.objects.filter(ticket=ticket, rule_name="Escalate Gold breaches")
    assert {row.action for row in rows} >= {
        TicketSystemAction.TEAM_CHANGED,
        TicketSystemAction.NOTICE_HELD,
    }
    assert rows.filter(kind="priority").count() == 1
    held = HeldNotice.objects.get(ticket=ticket)
    assert held.send_at == MONDAY_OPENING
    # the automatic SLA notice went out; the escalation's own one waits
    assert not Notification.objects.filter(recipient=boss.user, kind="automation").exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep(now=MONDAY_OPENING - timedelta(minutes=1)) == 0
        assert sweep(now=MONDAY_OPENING) == 1
        assert sweep(now=MONDAY_OPENING + timedelta(minutes=1)) == 0  # once
    note = Notification.objects.get(recipient=boss.user, kind="automation")
    assert (note.actor_name, note.excerpt) == ("Escalate Gold breaches", "Gold SLA breached")


def test_an_urgent_ticket_notifies_at_once_whatever_the_hour(
    escalation_rule, django_capture_on_commit_callbacks
):
    boss = SupervisorProfileFactory()
    with at(FRIDAY):
        ticket = make_ticket(priority=Priority.P0)
    breach(django_capture_on_commit_callbacks)

    assert not HeldNotice.objects.exists()
    assert Notification.objects.filter(recipient=boss.user, kind="automation").count() == 1
    assert TicketEvent.objects.filter(
        ticket=ticket, rule_name="Escalate Gold breaches", action=TicketSystemAction.NOTIFIED
    ).exists()


def test_an_open_team_hears_at_once(escalation_rule, django_capture_on_commit_callbacks):
    boss = SupervisorProfileFactory()
    monday_ten = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    with at(monday_ten):
        make_ticket(priority=Priority.P2)
    breach(django_capture_on_commit_callbacks, monday_ten + timedelta(minutes=61))
    assert Notification.objects.filter(recipient=boss.user, kind="automation").count() == 1


def test_another_policys_breach_is_not_escalated(
    escalation_rule, django_capture_on_commit_callbacks
):
    SlaPolicyFactory(name="Silver", position=0, first_response_minutes=60, priority=Priority.P3)
    with at(FRIDAY):
        ticket = make_ticket(priority=Priority.P3)
    assert ticket.sla_policy.name == "Silver"
    breach(django_capture_on_commit_callbacks)
    assert Ticket.objects.get(pk=ticket.pk).priority == Priority.P3
    assert not TicketEvent.objects.filter(rule_name="Escalate Gold breaches").exists()


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweepers_send_each_held_notice_once():
    boss = SupervisorProfileFactory()
    with at(FRIDAY):
        tickets = [make_ticket() for _ in range(15)]
    for ticket in tickets:
        HeldNoticeFactory(
            ticket=ticket, recipient_ids=[boss.user.pk], text="Later", send_at=MONDAY_OPENING
        )
    counts = run_together(lambda: held_notices_sweep(now=MONDAY_OPENING, batch=4))
    assert sum(counts) == len(tickets)
    assert not HeldNotice.objects.filter(sent_at=None).exists()
    assert OutboxEvent.objects.filter(type="ticket.automation_notice").count() == len(tickets)
