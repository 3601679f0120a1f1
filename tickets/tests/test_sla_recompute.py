"""A supervisor changes an SLA policy or a calendar in the admin: the open tickets' clocks follow
(after commit, in the background), keeping the working time each ticket has already used, with
the change on their timelines and their timers remade."""

from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from chat.tests.factories import CustomerFactory
from tickets.models import (
    SlaPhase,
    SlaTarget,
    SlaTimer,
    Ticket,
    TicketEvent,
    TicketStatus,
    TicketSystemAction,
)
from tickets.services import TicketData, ticket_create, ticket_update_fields
from tickets.sla.recompute import policy_targets, sla_recompute_open
from tickets.tests.factories import SlaPolicyFactory

pytestmark = pytest.mark.django_db


def at(moment):
    return mock.patch.object(timezone, "now", return_value=moment)


@pytest.fixture
def start():
    return timezone.now().replace(microsecond=0) - timedelta(hours=1)


def paused_ticket(start):
    """Made at `start`, waited 30 minutes for the customer: resolution due 8 h 30 min after."""
    with at(start):
        ticket = ticket_create(
            actor=None, requester=CustomerFactory(), data=TicketData(subject="x")
        )
    with at(start + timedelta(minutes=10)):
        ticket = ticket_update_fields(
            actor=None, ticket=ticket, changes={"status": TicketStatus.PENDING}
        )
    with at(start + timedelta(minutes=40)):
        ticket = ticket_update_fields(
            actor=None, ticket=ticket, changes={"status": TicketStatus.OPEN}
        )
    ticket.refresh_from_db()
    assert ticket.resolution_due_at == start + timedelta(hours=8, minutes=30)
    return ticket


def policy_form(policy, **changes):
    data = {
        "name": policy.name,
        "position": policy.position,
        "first_response_minutes": policy.first_response_minutes,
        "resolution_minutes": policy.resolution_minutes,
        "warn_percent": policy.warn_percent,
        "is_active": "on",
    }
    return {**data, **changes}


def test_a_supervisor_lengthening_a_target_moves_open_tickets_due_times_keeping_their_pauses(
    supervisor_client, start, django_capture_on_commit_callbacks
):
    policy = SlaPolicyFactory(name="Standard", first_response_minutes=60, resolution_minutes=480)
    ticket = paused_ticket(start)
    done = paused_ticket(start)
    with at(start + timedelta(minutes=50)):
        ticket_update_fields(actor=None, ticket=done, changes={"status": TicketStatus.RESOLVED})

    with django_capture_on_commit_callbacks(execute=True):
        answer = supervisor_client.post(
            reverse("admin:tickets_slapolicy_change", args=[policy.pk]),
            policy_form(policy, resolution_minutes=600),
        )
    assert answer.status_code == 302

    ticket.refresh_from_db()
    due = start + timedelta(hours=10, minutes=30)  # two more hours, the pause still excluded
    assert ticket.resolution_due_at == due
    row = TicketEvent.objects.get(ticket=ticket, action=TicketSystemAction.SLA_RECOMPUTED)
    assert row.body == "Standard" and row.new_value == due.isoformat()
    breach = SlaTimer.objects.get(
        ticket=ticket, target=SlaTarget.RESOLUTION, phase=SlaPhase.BREACH, fired_at=None
    )
    assert breach.fire_at == due
    # A resolved ticket's clock is not touched.
    assert Ticket.objects.get(pk=done.pk).resolution_due_at == start + timedelta(
        hours=8, minutes=30
    )
    assert not TicketEvent.objects.filter(ticket=done, action=TicketSystemAction.SLA_RECOMPUTED)


def test_a_recompute_with_nothing_changed_writes_nothing(start):
    policy = SlaPolicyFactory(name="Standard", resolution_minutes=480)
    ticket = paused_ticket(start)
    assert sla_recompute_open(old_targets={policy.pk: policy_targets(policy)}) == 0
    assert sla_recompute_open() == 0
    assert not TicketEvent.objects.filter(ticket=ticket, action=TicketSystemAction.SLA_RECOMPUTED)


def test_a_new_holiday_in_the_calendar_moves_the_due_times(
    supervisor_client, start, django_capture_on_commit_callbacks
):
    from tickets.tests.factories import BusinessHoursFactory, BusinessHoursIntervalFactory

    calendar = BusinessHoursFactory(name="Every day", timezone="UTC")
    for weekday in range(7):
        BusinessHoursIntervalFactory(
            calendar=calendar, weekday=weekday, start="00:00", end="00:00"
        )  # the whole day
    SlaPolicyFactory(name="Days", resolution_minutes=3 * 24 * 60, business_hours=calendar)
    with at(start):
        ticket = ticket_create(
            actor=None, requester=CustomerFactory(), data=TicketData(subject="x")
        )
    assert ticket.resolution_due_at == start + timedelta(days=3)

    tomorrow = (start + timedelta(days=1)).date()
    form = _calendar_form(calendar)
    form.update({"holidays-TOTAL_FORMS": 1, "holidays-0-date": tomorrow, "holidays-0-name": "国庆"})
    with django_capture_on_commit_callbacks(execute=True):
        answer = supervisor_client.post(
            reverse("admin:tickets_businesshours_change", args=[calendar.pk]), form
        )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    ticket.refresh_from_db()
    assert ticket.resolution_due_at == start + timedelta(days=4)  # the holiday is not worked


def _calendar_form(calendar):
    """The calendar's change form as the admin posts it, its inlines unchanged."""
    data = {"name": calendar.name, "timezone": calendar.timezone}
    inlines = (
        ("intervals", calendar.intervals.all(), ("weekday", "start", "end")),
        ("holidays", calendar.holidays.all(), ("date", "name")),
        ("workdays", calendar.workdays.all(), ("date", "name", "works_as")),
    )
    for prefix, rows, fields in inlines:
        rows = list(rows)
        data[f"{prefix}-TOTAL_FORMS"] = len(rows)
        data[f"{prefix}-INITIAL_FORMS"] = len(rows)
        data[f"{prefix}-MIN_NUM_FORMS"] = 0
        data[f"{prefix}-MAX_NUM_FORMS"] = 1000
        for index, row in enumerate(rows):
            data[f"{prefix}-{index}-id"] = row.pk
            data[f"{prefix}-{index}-calendar"] = calendar.pk
            for field in fields:
                data[f"{prefix}-{index}-{field}"] = getattr(row, field)
    return data
