"""The Tickets list by SLA: sorted by the running target's due time (no clock last), filtered by
risk (breached, at risk inside the policy's warning share, on track, no clock), the row's risk
agreeing with the filter and the countdown, and the time left counted in business hours."""

from datetime import UTC, datetime, time, timedelta
from unittest import mock

import pytest
from django.utils import timezone

from chat.tests.factories import CustomerFactory
from desk.kernel.choices import Priority
from tickets.models import BusinessHours, BusinessHoursInterval, SlaTimer
from tickets.services import TicketData, ticket_create, ticket_update_fields
from tickets.tests.factories import SlaPolicyFactory, TicketFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/tickets/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def at(moment):
    return mock.patch.object(timezone, "now", return_value=moment)


def make(made_at, **data):
    with at(made_at):
        return ticket_create(
            actor=None, requester=CustomerFactory(), data=TicketData(subject="Help", **data)
        )


def rows(client, **params):
    response = client.get(LIST, params, **EN)
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.fixture
def clocks(db):
    """Around the clock: first response in 60 min (warning at 75%: 45 min); P0 in 18 min."""
    SlaPolicyFactory(name="P0", priority=Priority.P0, position=0, first_response_minutes=18)
    SlaPolicyFactory(name="Any", priority=None, position=1, first_response_minutes=60)
    now = timezone.now()
    breached = make(now - timedelta(minutes=70))  # due 10 minutes ago
    warned = make(now - timedelta(minutes=50))  # warning due 5 minutes ago, due in 10
    on_track = make(now - timedelta(minutes=10))  # due in 50
    # Made 15 minutes ago under "Any", moved to P0 a minute ago: due in 3 minutes, already
    # inside P0's warning share (4.5 of 18 minutes), so no warning will fire but it is at risk.
    tightened = make(now - timedelta(minutes=15))
    with at(now - timedelta(minutes=1)):
        ticket_update_fields(actor=None, ticket=tightened, changes={"priority": Priority.P0})
    no_clock = TicketFactory()
    return {
        "breached": breached,
        "warned": warned,
        "on_track": on_track,
        "tightened": tightened,
        "none": no_clock,
    }


def test_sorted_by_due_time_nearest_first_and_no_clock_last(agent_client, clocks):
    order = [row["id"] for row in rows(agent_client, sort="sla_due_at")]
    names = {ticket.pk: name for name, ticket in clocks.items()}
    assert [names[pk] for pk in order] == ["breached", "tightened", "warned", "on_track", "none"]


def test_sorted_by_due_time_in_keyset_pages(agent_client, clocks):
    seen, cursor = [], None
    while True:
        params = {"sort": "sla_due_at", "limit": 2, **({"cursor": cursor} if cursor else {})}
        body = agent_client.get(LIST, params, **EN).json()
        seen += [row["id"] for row in body["results"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [row["id"] for row in rows(agent_client, sort="sla_due_at")]


@pytest.mark.parametrize(
    "risks, expected",
    [
        (["breached"], {"breached"}),
        (["at_risk"], {"warned", "tightened"}),
        (["on_track"], {"on_track"}),
        (["none"], {"none"}),
        (["at_risk", "breached"], {"warned", "tightened", "breached"}),
    ],
)
def test_filtered_by_risk_and_each_row_says_the_same(agent_client, clocks, risks, expected):
    names = {ticket.pk: name for name, ticket in clocks.items()}
    found = rows(agent_client, sla_risk=risks)
    assert {names[row["id"]] for row in found} == expected
    for row in found:
        assert row["sla_risk"] in risks
        assert row["sla_at_risk"] == (row["sla_risk"] in ("at_risk", "breached"))
        if row["sla"]:
            assert row["sla"]["risk"] == row["sla_risk"]


def test_the_old_at_risk_switch_means_at_risk_or_breached(agent_client, clocks):
    names = {ticket.pk: name for name, ticket in clocks.items()}
    found = rows(agent_client, sla_at_risk="true")
    assert {names[row["id"]] for row in found} == {"warned", "tightened", "breached"}


def test_a_clock_set_inside_its_warning_share_shows_its_warning_as_passed(clocks):
    tightened = clocks["tightened"]
    marker = SlaTimer.objects.get(ticket=tightened, phase="warning", fired_at__isnull=False)
    assert marker.due_at == tightened.created_at + timedelta(minutes=18)


def test_a_paused_clock_keeps_the_risk_it_had_when_it_stopped(agent_client, clocks):
    from tickets.sla import timers

    timers.sweep()  # the warning fired
    with at(timezone.now()):
        ticket_update_fields(actor=None, ticket=clocks["warned"], changes={"status": "pending"})
    row = next(r for r in rows(agent_client, sla_risk="at_risk") if r["id"] == clocks["warned"].pk)
    assert row["sla"]["paused_at"] is not None and row["sla"]["open_spans"] == []


def test_time_left_is_counted_in_business_hours(agent_client):
    """Due Monday 10:00, seen Friday 17:00, hours 9-18: 2 hours left, not 65."""
    office = BusinessHours.objects.create(name="Office", timezone="Asia/Shanghai")
    for weekday in range(5):
        BusinessHoursInterval.objects.create(
            calendar=office, weekday=weekday, start=time(9), end=time(18)
        )
    SlaPolicyFactory(
        name="Office",
        priority=None,
        first_response_minutes=600,
        resolution_minutes=1200,
        business_hours=office,
    )
    friday_9 = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    ticket = make(friday_9)
    assert ticket.first_response_due_at == datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # Mon 10:00
    friday_5pm = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    with at(friday_5pm):
        (row,) = rows(agent_client)
    sla = row["sla"]
    assert sla["left_seconds"] == 2 * 3600
    assert sla["as_of"] == friday_5pm.isoformat()
    # Friday's last hour, then Monday: the browser ticks only inside these.
    assert sla["open_spans"][:2] == [
        [friday_5pm.isoformat(), datetime(2026, 11, 27, 10, 0, tzinfo=UTC).isoformat()],
        [
            datetime(2026, 11, 30, 1, 0, tzinfo=UTC).isoformat(),
            datetime(2026, 11, 30, 10, 0, tzinfo=UTC).isoformat(),
        ],
    ]


def test_a_page_with_calendars_costs_three_more_queries_whatever_its_size(
    agent_client, django_assert_num_queries
):
    office = BusinessHours.objects.create(name="Office", timezone="Asia/Shanghai")
    BusinessHoursInterval.objects.create(calendar=office, weekday=0, start=time(9), end=time(18))
    SlaPolicyFactory(name="Office", priority=None, business_hours=office)
    for _ in range(12):
        make(timezone.now())
    with django_assert_num_queries(13) as small:  # the list's 10, then the calendars' 3
        assert len(rows(agent_client, limit=1)) == 1
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(rows(agent_client, limit=12, sort="sla_due_at", sla_risk="on_track")) == 12


def test_a_next_response_owed_sorts_and_filters_by_its_own_due_time(agent_client, db):
    from routing.tests.factories import AgentProfileFactory
    from tickets.customer_services import ticket_customer_reply
    from tickets.services import ticket_reply

    SlaPolicyFactory(
        name="Follow-up",
        first_response_minutes=60,
        next_response_minutes=20,
        resolution_minutes=24 * 60,
    )
    agent = AgentProfileFactory().user
    now = timezone.now()
    waiting = make(now - timedelta(hours=2), assignee=agent)
    with at(now - timedelta(hours=2)):
        ticket_reply(actor=agent, ticket=waiting, body="Which model?", internal=False)
    with at(now - timedelta(minutes=30)):  # unanswered for 30 minutes: 10 minutes overdue
        ticket_customer_reply(ticket=waiting, customer=waiting.requester, body="The X2")
    fresh = make(now - timedelta(minutes=5))  # first response due in 55 minutes

    order = [row["id"] for row in rows(agent_client, sort="sla_due_at")]
    assert order.index(waiting.pk) < order.index(fresh.pk)
    breached = {row["id"]: row for row in rows(agent_client, sla_risk="breached")}
    assert list(breached) == [waiting.pk]
    assert breached[waiting.pk]["sla"]["target"] == "next_response"
