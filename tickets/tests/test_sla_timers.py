"""SLA alarms (tickets/sla/timers.py): each ticket's warning and breach timers, fired by the beat
sweep exactly once (even with two sweepers, or after one died), the clock standing still while
the ticket waits for the customer, and the assignee and supervisors hearing of it."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from desk.kernel.choices import Priority
from desk.models import Notification, OutboxEvent
from routing.tests.factories import AgentProfileFactory, SupervisorProfileFactory
from tickets.models import (
    SlaPhase,
    SlaTarget,
    SlaTimer,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
    TicketSystemAction,
)
from tickets.services import TicketData, ticket_create, ticket_update_fields
from tickets.sla import timers
from tickets.tests.factories import SlaPolicyFactory
from tickets.tests.helpers import run_together

MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def at(moment):
    return mock.patch.object(timezone, "now", return_value=moment)


def make_ticket(**data):
    from chat.tests.factories import CustomerFactory

    with at(MONDAY):
        return ticket_create(
            actor=None, requester=CustomerFactory(), data=TicketData(subject="Help", **data)
        )


def pending(ticket):
    return sorted(
        (t.target, t.phase, t.fire_at)
        for t in SlaTimer.objects.filter(ticket=ticket, fired_at=None)
    )


@pytest.fixture
def policy(db):
    # Around the clock: first response in 60 min (warn at 75%: 45 min), resolution in 8 h.
    return SlaPolicyFactory(
        name="P2", priority=None, first_response_minutes=60, resolution_minutes=480
    )


@pytest.mark.django_db
def test_a_new_ticket_gets_a_warning_and_a_breach_timer_per_target(policy):
    ticket = make_ticket()
    assert pending(ticket) == sorted(
        [
            (SlaTarget.FIRST_RESPONSE, SlaPhase.BREACH, MONDAY + timedelta(minutes=60)),
            (SlaTarget.FIRST_RESPONSE, SlaPhase.WARNING, MONDAY + timedelta(minutes=45)),
            (SlaTarget.RESOLUTION, SlaPhase.BREACH, MONDAY + timedelta(hours=8)),
            (SlaTarget.RESOLUTION, SlaPhase.WARNING, MONDAY + timedelta(hours=6)),
        ]
    )


@pytest.mark.django_db
def test_the_sweep_fires_what_is_due_once_and_the_assignee_and_supervisors_hear_it(
    policy, django_capture_on_commit_callbacks
):
    agent = AgentProfileFactory()
    supervisor = SupervisorProfileFactory()
    ticket = make_ticket(assignee=agent.user)

    assert timers.sweep(now=MONDAY + timedelta(minutes=44)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert timers.sweep(now=MONDAY + timedelta(minutes=46)) == 1  # the warning
    warning = Notification.objects.get(kind="sla_warning")
    assert warning.recipient == agent.user
    assert warning.ticket == ticket

    with django_capture_on_commit_callbacks(execute=True):
        assert timers.sweep(now=MONDAY + timedelta(minutes=61)) == 1  # the breach
        assert timers.sweep(now=MONDAY + timedelta(minutes=62)) == 0  # never twice
    breached = Notification.objects.filter(kind="sla_breached")
    assert {n.recipient for n in breached} == {agent.user, supervisor.user}
    row = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.SLA)
    assert row.action == TicketSystemAction.SLA_BREACHED
    assert row.body == SlaTarget.FIRST_RESPONSE
    assert OutboxEvent.objects.filter(type="ticket.sla_breached").count() == 1


@pytest.mark.django_db
def test_the_first_public_reply_stops_the_first_response_clock(policy):
    from tickets.services import ticket_reply

    agent = AgentProfileFactory()
    ticket = make_ticket(assignee=agent.user)
    with at(MONDAY + timedelta(minutes=10)):
        ticket_reply(actor=agent.user, ticket=ticket, body="On it", internal=False)
    assert {target for target, _, _ in pending(ticket)} == {SlaTarget.RESOLUTION}


@pytest.mark.django_db
def test_waiting_for_the_customer_stops_the_clock_and_their_answer_restarts_it(policy):
    ticket = make_ticket()
    with at(MONDAY + timedelta(hours=1)):
        ticket = ticket_update_fields(
            actor=None, ticket=ticket, changes={"status": TicketStatus.OPEN}
        )
        ticket = ticket_update_fields(
            actor=None, ticket=ticket, changes={"status": TicketStatus.PENDING}
        )
    assert pending(ticket) == []  # stopped: nothing fires while the customer has the ball

    with at(MONDAY + timedelta(hours=5)):  # four hours later the customer answers
        ticket = ticket_update_fields(
            actor=None, ticket=ticket, changes={"status": TicketStatus.OPEN}
        )
    ticket.refresh_from_db()
    # 7 of the 8 hours were left when it stopped: due 7 hours after the answer.
    assert ticket.resolution_due_at == MONDAY + timedelta(hours=12)
    assert ticket.sla_paused_at is None
    assert (SlaTarget.RESOLUTION, SlaPhase.BREACH, MONDAY + timedelta(hours=12)) in pending(ticket)


@pytest.mark.django_db
def test_a_priority_change_replaces_the_pending_timers(policy):
    SlaPolicyFactory(name="P0", priority=Priority.P0, position=0, resolution_minutes=120)
    policy.position = 1
    policy.save()
    ticket = make_ticket()
    with at(MONDAY + timedelta(minutes=5)):
        ticket_update_fields(actor=None, ticket=ticket, changes={"priority": Priority.P0})
    breaches = [fire for target, phase, fire in pending(ticket) if phase == SlaPhase.BREACH]
    assert MONDAY + timedelta(hours=2) in breaches
    assert MONDAY + timedelta(hours=8) not in breaches


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweepers_fire_every_due_timer_exactly_once(policy):
    tickets = [make_ticket() for _ in range(30)]
    later = MONDAY + timedelta(days=1)  # every timer is due
    counts = run_together(lambda: timers.sweep(now=later, batch=7))
    assert sum(counts) == 4 * len(tickets)
    assert SlaTimer.objects.filter(fired_at=None).count() == 0
    breaches = TicketEvent.objects.filter(action=TicketSystemAction.SLA_BREACHED).count()
    assert breaches == 2 * len(tickets)  # two targets each, once


@pytest.mark.django_db
def test_the_ticket_summary_says_which_target_is_next_when_it_warns_and_whether_it_stands_still(
    policy,
):
    from tickets.events import ticket_json

    ticket = make_ticket()
    with at(MONDAY + timedelta(minutes=50)):
        sla = ticket_json(ticket)["sla"]
    assert sla == {
        "target": "first_response",
        "due_at": (MONDAY + timedelta(minutes=60)).isoformat(),
        "warn_at": (MONDAY + timedelta(minutes=45)).isoformat(),
        "paused_at": None,
        "risk": "at_risk",
        "as_of": (MONDAY + timedelta(minutes=50)).isoformat(),
        "left_seconds": 600,
        "open_spans": None,  # around the clock
    }
    with at(MONDAY + timedelta(minutes=10)):
        ticket = ticket_update_fields(
            actor=None, ticket=ticket, changes={"status": TicketStatus.PENDING}
        )
    assert ticket_json(ticket)["sla"]["paused_at"] == (MONDAY + timedelta(minutes=10)).isoformat()
    with at(MONDAY + timedelta(minutes=20)):
        ticket = ticket_update_fields(
            actor=None, ticket=ticket, changes={"status": TicketStatus.RESOLVED}
        )
    assert ticket_json(ticket)["sla"] is None  # done: no clock to show


@pytest.mark.django_db
def test_a_timer_that_cannot_fire_does_not_hold_up_the_others_and_stays_pending(policy, caplog):
    good, bad = make_ticket(), make_ticket()
    original = timers.ticket_events.publish_tickets

    def publish(tickets):
        if bad.pk in {ticket.pk for ticket in tickets}:
            raise RuntimeError("cannot tell the agents")
        return original(tickets)

    with mock.patch.object(timers.ticket_events, "publish_tickets", side_effect=publish):
        assert timers.sweep(now=MONDAY + timedelta(minutes=46)) == 2  # both warnings taken

    first = {"target": SlaTarget.FIRST_RESPONSE, "phase": SlaPhase.WARNING}
    assert SlaTimer.objects.get(ticket=good, **first).fired_at is not None
    assert SlaTimer.objects.get(ticket=bad, **first).fired_at is None
    assert "SLA timer" in caplog.text


@pytest.mark.django_db
def test_a_breach_that_fired_does_not_fire_again_when_the_clocks_timers_are_made_anew(policy):
    from tickets.services import ticket_reply

    agent = AgentProfileFactory()
    ticket = make_ticket(assignee=agent.user)
    assert timers.sweep(now=MONDAY + timedelta(hours=9)) == 4  # everything, resolution too
    with at(MONDAY + timedelta(hours=9, minutes=5)):
        ticket_reply(actor=agent.user, ticket=ticket, body="Sorry for the wait", internal=False)

    assert pending(ticket) == []  # the resolution breach fired for this due time already
    assert timers.sweep(now=MONDAY + timedelta(hours=10)) == 0
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.SLA).count() == 2


@pytest.mark.django_db
def test_a_swept_batch_tells_the_agents_of_every_ticket_in_one_send(
    policy, monkeypatch, django_capture_on_commit_callbacks
):
    from desk.kernel import realtime

    tickets = [make_ticket() for _ in range(3)]
    sends = []
    monkeypatch.setattr(realtime, "send_many", sends.append)
    with django_capture_on_commit_callbacks(execute=True):
        assert timers.sweep(now=MONDAY + timedelta(minutes=46)) == 3  # three warnings
    assert len(sends) == 1
    pushed = {event["ticket_id"] for _, event in sends[0] if event["type"] == "ticket.update"}
    assert pushed == {ticket.pk for ticket in tickets}
    assert all(event["ticket"]["sla"]["warn_at"] for _, event in sends[0])


@pytest.mark.django_db
def test_a_priority_change_after_a_pause_keeps_the_time_the_customer_had_the_ball(policy):
    SlaPolicyFactory(name="P0", priority=Priority.P0, position=0, resolution_minutes=600)
    policy.position = 1
    policy.save()
    ticket = make_ticket()  # P2: resolution in 8 h
    with at(MONDAY + timedelta(hours=1)):
        ticket = ticket_update_fields(
            actor=None, ticket=ticket, changes={"status": TicketStatus.PENDING}
        )
    with at(MONDAY + timedelta(hours=5)):  # the customer answers four hours later
        ticket = ticket_update_fields(
            actor=None, ticket=ticket, changes={"status": TicketStatus.OPEN}
        )
    with at(MONDAY + timedelta(hours=6)):  # 2 h of work used; P0 allows 10 h: 8 h are left
        ticket = ticket_update_fields(actor=None, ticket=ticket, changes={"priority": Priority.P0})
    ticket.refresh_from_db()
    assert ticket.sla_policy.name == "P0"
    assert ticket.resolution_due_at == MONDAY + timedelta(hours=14)  # not 10 h after it was made


@pytest.mark.django_db
def test_a_priority_change_while_paused_counts_from_when_the_clock_stopped(policy):
    SlaPolicyFactory(name="P0", priority=Priority.P0, position=0, resolution_minutes=120)
    policy.position = 1
    policy.save()
    ticket = make_ticket()
    with at(MONDAY + timedelta(hours=1)):
        ticket = ticket_update_fields(
            actor=None, ticket=ticket, changes={"status": TicketStatus.PENDING}
        )
    with at(MONDAY + timedelta(hours=3)):
        ticket = ticket_update_fields(actor=None, ticket=ticket, changes={"priority": Priority.P0})
    assert pending(ticket) == []  # still waiting for the customer: nothing fires
    with at(MONDAY + timedelta(hours=4)):
        ticket = ticket_update_fields(
            actor=None, ticket=ticket, changes={"status": TicketStatus.OPEN}
        )
    ticket.refresh_from_db()
    # 1 h used before the pause; P0's 2 h leave 1 h from the answer.
    assert ticket.resolution_due_at == MONDAY + timedelta(hours=5)
