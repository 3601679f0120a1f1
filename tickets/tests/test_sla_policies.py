"""Which SLA policy applies (first match in the admin's order), the due times a ticket gets from
it in business time, their recomputation on a change of priority, team or category (on the
timeline), and the admin's flag on a policy that can never apply."""

from datetime import UTC, datetime, time, timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from chat.models import Channel
from chat.tests.factories import ConversationFactory, CustomerFactory
from desk.kernel.choices import Priority
from routing.tests.factories import TeamFactory
from tickets.models import (
    BusinessHoursInterval,
    MakeUpWorkday,
    SlaPolicy,
    TicketEvent,
    TicketEventKind,
    TicketSystemAction,
)
from tickets.services import TicketData, ticket_create, ticket_update_fields
from tickets.sla import policies
from tickets.tests.factories import (
    BusinessHoursFactory,
    CategoryFactory,
    HolidayFactory,
    SlaPolicyFactory,
)

pytestmark = pytest.mark.django_db

# Monday 2026-11-30 17:00 in Shanghai (09:00 UTC).
MONDAY_5PM = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def office_hours():
    calendar = BusinessHoursFactory(name="Office", timezone="Asia/Shanghai")
    for day in range(5):
        BusinessHoursInterval.objects.create(
            calendar=calendar, weekday=day, start=time(9), end=time(18)
        )
    return calendar


def make_ticket(**data):
    with mock.patch.object(timezone, "now", return_value=MONDAY_5PM):
        return ticket_create(
            actor=None,
            requester=data.pop("requester", None) or CustomerFactory(),
            conversation=data.pop("conversation", None),
            data=TicketData(subject="Help", **data),
        )


def test_the_first_matching_policy_in_order_applies_and_empty_conditions_match_anything():
    team = TeamFactory(name="VIP desk")
    anything = SlaPolicyFactory(name="Default", position=30, priority=None)
    urgent = SlaPolicyFactory(name="Urgent", position=20, priority=Priority.P0)
    vip_team = SlaPolicyFactory(name="VIP team", position=10, team=team, min_vip_level=2)
    SlaPolicyFactory(name="Switched off", position=0, priority=None, is_active=False)

    def winner(**subject):
        return policies.policy_for(policies.Subject(**subject))

    assert winner(priority=Priority.P2) == anything
    assert winner(priority=Priority.P0) == urgent
    assert winner(priority=Priority.P0, team_id=team.pk, vip_level=3) == vip_team
    assert winner(priority=Priority.P0, team_id=team.pk, vip_level=1) == urgent


def test_a_ticket_gets_due_times_in_the_policys_business_hours():
    SlaPolicyFactory(
        name="P1 office",
        priority=Priority.P1,
        first_response_minutes=120,
        resolution_minutes=24 * 60,
        business_hours=office_hours(),
    )
    ticket = make_ticket(priority=Priority.P1)

    assert ticket.sla_policy.name == "P1 office"
    # Monday 17:00 + 2 working hours: Tuesday 10:00 Shanghai (02:00 UTC).
    assert ticket.first_response_due_at == datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    # + 24 working hours: 1 on Monday, 9 on Tuesday, 9 on Wednesday, 5 on Thursday: 14:00.
    assert ticket.resolution_due_at == datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
    ticket.refresh_from_db()
    assert ticket.first_response_due_at == datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def test_holidays_and_make_up_days_move_the_due_time():
    calendar = office_hours()
    HolidayFactory(calendar=calendar, date=datetime(2026, 12, 1).date(), name="Tuesday off")
    MakeUpWorkday.objects.create(calendar=calendar, date=datetime(2026, 12, 5).date())
    SlaPolicyFactory(
        name="Any", priority=None, first_response_minutes=9 * 60 * 3, business_hours=calendar
    )
    ticket = make_ticket()
    # 1 h Monday, Tuesday off, 9 h Wed, 9 h Thu, 9 h Fri = 28 h > 27 h: Friday 17:00.
    assert ticket.first_response_due_at == datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def test_no_policy_means_no_clock_and_calendar_time_counts_around_the_clock():
    assert make_ticket().first_response_due_at is None
    SlaPolicyFactory(name="24/7", priority=None, first_response_minutes=90, business_hours=None)
    ticket = make_ticket()
    assert ticket.first_response_due_at == MONDAY_5PM + timedelta(minutes=90)


def test_a_priority_change_recomputes_the_clock_and_says_so_on_the_timeline():
    SlaPolicyFactory(name="Normal", priority=None, position=10, resolution_minutes=48 * 60)
    SlaPolicyFactory(name="Urgent", priority=Priority.P0, position=0, resolution_minutes=4 * 60)
    ticket = make_ticket(priority=Priority.P2)
    assert ticket.resolution_due_at == MONDAY_5PM + timedelta(hours=48)

    ticket = ticket_update_fields(actor=None, ticket=ticket, changes={"priority": Priority.P0})

    ticket.refresh_from_db()
    assert ticket.sla_policy.name == "Urgent"
    assert ticket.resolution_due_at == MONDAY_5PM + timedelta(hours=4)  # from when it was made
    row = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.SLA)
    assert row.action == TicketSystemAction.SLA_RECOMPUTED
    assert row.body == "Urgent"
    assert row.new_value == ticket.resolution_due_at.isoformat()

    # A change that moves no clock writes no SLA row.
    ticket_update_fields(actor=None, ticket=ticket, changes={"subject": "Still urgent"})
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.SLA).count() == 1


def test_a_policy_can_match_on_channel_and_category():
    category = CategoryFactory(name="Billing")
    SlaPolicyFactory(name="Chat billing", channel=Channel.WECHAT, category=category, position=0)
    SlaPolicyFactory(name="Rest", priority=None, position=1)
    chat = ConversationFactory(channel=Channel.WECHAT)
    assert make_ticket(conversation=chat, category=category).sla_policy.name == "Chat billing"
    assert make_ticket(category=category).sla_policy.name == "Rest"  # no chat: no channel


def test_the_admin_flags_a_policy_an_earlier_one_always_beats(supervisor_client, settings):
    supervisor_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    SlaPolicyFactory(name="Catch-all", priority=None, position=0)
    hidden = SlaPolicyFactory(name="P0 only", priority=Priority.P0, position=5)

    page = supervisor_client.get(reverse("admin:tickets_slapolicy_changelist"))
    assert page.status_code == 200
    assert "Always beaten by “Catch-all”" in page.content.decode()

    answer = supervisor_client.post(
        reverse("admin:tickets_slapolicy_change", args=[hidden.pk]),
        {
            "name": "P0 only",
            "priority": Priority.P0,
            "position": 5,
            "first_response_minutes": 60,
            "resolution_minutes": 240,
            "warn_percent": 75,
            "is_active": "on",
        },
        follow=True,
    )
    assert "can never apply" in answer.content.decode()
    assert SlaPolicy.objects.get(pk=hidden.pk).position == 5


def test_a_clock_change_reads_its_calendar_once():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    calendar = office_hours()
    SlaPolicyFactory(name="Office P1", priority=Priority.P1, position=0, business_hours=calendar)
    SlaPolicyFactory(name="Office", priority=None, position=1, business_hours=calendar)
    ticket = make_ticket()  # "Office"; P1 moves it to "Office P1": new due times, new timers
    with CaptureQueriesContext(connection) as queries:
        ticket_update_fields(actor=None, ticket=ticket, changes={"priority": Priority.P1})
    intervals = [q for q in queries if "tickets_businesshoursinterval" in q["sql"]]
    assert len(intervals) == 1  # recomputed due times and remade timers share the calendar
