"""The next-response clock (tickets/sla/services.py): once an agent has answered, each customer
reply nobody has answered yet starts the policy's next-response target; an agent's public reply
stops it; it counts in business time, stands still while the ticket waits for the customer, and
fires its warning and breach like the other targets."""

import datetime as dt
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.utils import timezone

from routing.tests.factories import AgentProfileFactory
from tickets.customer_services import ticket_customer_reply
from tickets.models import SlaPhase, SlaTarget, SlaTimer, Ticket, TicketStatus
from tickets.services import TicketData, ticket_create, ticket_reply, ticket_update_fields
from tickets.sla import timers
from tickets.sla.display import sla_json
from tickets.tests.factories import (
    BusinessHoursFactory,
    BusinessHoursIntervalFactory,
    SlaPolicyFactory,
)

MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def at(moment):
    return mock.patch.object(timezone, "now", return_value=moment)


def pending(ticket, target=SlaTarget.NEXT_RESPONSE):
    return sorted(
        (t.phase, t.fire_at)
        for t in SlaTimer.objects.filter(ticket=ticket, target=target, fired_at=None)
    )


@pytest.fixture
def agent(db):
    return AgentProfileFactory().user


def answered_ticket(agent, *, when=MONDAY):
    """A ticket its agent has answered once (the first response is met)."""
    from chat.tests.factories import CustomerFactory

    with at(when):
        ticket = ticket_create(
            actor=None,
            requester=CustomerFactory(),
            data=TicketData(subject="Headphones are silent", assignee=agent),
        )
        ticket_reply(actor=agent, ticket=ticket, body="Which model?", internal=False)
    return Ticket.objects.get(pk=ticket.pk)


@pytest.fixture
def policy(db):
    # Around the clock: next response within 30 minutes, warned at 80% (24 min).
    return SlaPolicyFactory(
        name="Chat follow-up",
        first_response_minutes=60,
        next_response_minutes=30,
        resolution_minutes=24 * 60,
        warn_percent=80,
    )


@pytest.mark.django_db
def test_a_customer_reply_starts_the_next_response_clock_and_an_agent_reply_stops_it(policy, agent):
    ticket = answered_ticket(agent)
    assert ticket.next_response_due_at is None and pending(ticket) == []

    with at(MONDAY + timedelta(hours=1)):
        ticket_customer_reply(ticket=ticket, customer=ticket.requester, body="The X2")
    ticket.refresh_from_db()
    due = MONDAY + timedelta(hours=1, minutes=30)
    assert ticket.next_response_due_at == due
    assert pending(ticket) == [
        (SlaPhase.BREACH, due),
        (SlaPhase.WARNING, MONDAY + timedelta(hours=1, minutes=24)),
    ]

    # A second reply while the first is unanswered does not move the clock on.
    with at(MONDAY + timedelta(hours=1, minutes=20)):
        ticket_customer_reply(ticket=ticket, customer=ticket.requester, body="Hello?")
    ticket.refresh_from_db()
    assert ticket.next_response_due_at == due

    # An internal note is no answer; a public reply is.
    with at(MONDAY + timedelta(hours=1, minutes=21)):
        ticket_reply(actor=agent, ticket=ticket, body="checking stock", internal=True)
    assert len(pending(ticket)) == 2  # its warning and breach still run
    with at(MONDAY + timedelta(hours=1, minutes=22)):
        ticket_reply(actor=agent, ticket=ticket, body="Replacing it today", internal=False)
    ticket.refresh_from_db()
    assert ticket.next_response_due_at is None and ticket.customer_waiting_since is None
    assert pending(ticket) == []


@pytest.mark.django_db
def test_before_the_first_response_only_the_first_response_clock_runs(policy):
    from chat.tests.factories import CustomerFactory

    with at(MONDAY):
        ticket = ticket_create(
            actor=None, requester=CustomerFactory(), data=TicketData(subject="Hi")
        )
    with at(MONDAY + timedelta(minutes=5)):
        ticket_customer_reply(ticket=ticket, customer=ticket.requester, body="Anyone?")
    ticket.refresh_from_db()
    assert ticket.next_response_due_at is None
    assert pending(ticket) == []
    assert sla_json(ticket)["target"] == SlaTarget.FIRST_RESPONSE


@pytest.mark.django_db
def test_the_next_response_counts_in_business_hours(agent):
    calendar = BusinessHoursFactory(name="Office", timezone="UTC")
    for weekday in range(5):
        BusinessHoursIntervalFactory(
            calendar=calendar, weekday=weekday, start=dt.time(9), end=dt.time(18)
        )
    SlaPolicyFactory(
        name="Office follow-up",
        first_response_minutes=60,
        next_response_minutes=120,
        resolution_minutes=5 * 9 * 60,
        business_hours=calendar,
    )
    ticket = answered_ticket(agent)
    friday_five_pm = MONDAY + timedelta(days=4, hours=8)
    with at(friday_five_pm):
        ticket_customer_reply(ticket=ticket, customer=ticket.requester, body="Still broken")
    ticket.refresh_from_db()
    # One working hour on Friday, the second from 09:00 on Monday.
    assert ticket.next_response_due_at == MONDAY + timedelta(days=7, hours=1)


@pytest.mark.django_db
def test_a_reply_that_reopens_a_pending_ticket_starts_the_clock_from_the_reply(policy, agent):
    ticket = answered_ticket(agent)
    with at(MONDAY + timedelta(minutes=10)):
        ticket = ticket_update_fields(
            actor=agent, ticket=ticket, changes={"status": TicketStatus.PENDING}
        )
    reply_at = MONDAY + timedelta(hours=3)
    with at(reply_at):
        ticket_customer_reply(ticket=ticket, customer=ticket.requester, body="Here it is")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    assert ticket.next_response_due_at == reply_at + timedelta(minutes=30)
    assert sla_json(ticket)["target"] == SlaTarget.NEXT_RESPONSE


@pytest.mark.django_db
def test_an_unanswered_reply_breaches_once_and_is_on_the_timeline(policy, agent):
    ticket = answered_ticket(agent)
    with at(MONDAY + timedelta(hours=1)):
        ticket_customer_reply(ticket=ticket, customer=ticket.requester, body="The X2")
    assert timers.sweep(now=MONDAY + timedelta(hours=2)) == 2  # its warning and breach
    assert timers.sweep(now=MONDAY + timedelta(hours=3)) == 0
    breach = ticket.events.get(kind="sla")
    assert breach.body == SlaTarget.NEXT_RESPONSE


@pytest.mark.django_db
def test_an_automation_rules_reply_is_no_response_for_the_clocks(policy, agent):
    from tickets.automation.origin import RuleOrigin

    ticket = answered_ticket(agent)
    with at(MONDAY + timedelta(hours=1)):
        ticket_customer_reply(ticket=ticket, customer=ticket.requester, body="The X2")
    with at(MONDAY + timedelta(hours=1, minutes=1)):
        ticket_reply(
            actor=None,
            ticket=ticket,
            body="We got your message and will answer soon.",
            internal=False,
            origin=RuleOrigin(rule_id=1, rule_name="Auto-acknowledge", root=1, depth=1),
        )
    ticket.refresh_from_db()
    assert ticket.next_response_due_at == MONDAY + timedelta(hours=1, minutes=30)
    assert len(pending(ticket)) == 2
