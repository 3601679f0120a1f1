"""The SLA watch (GET /api/v1/sla/watch/): breached and at-risk tickets and waiting conversations,
due soonest first; a supervisor sees every team's, an agent only what their scope reaches."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat.models import Channel
from chat.tests.factories import ConversationFactory, CustomerFactory
from routing.tests.factories import TeamFactory
from tickets.services import TicketData, ticket_create
from tickets.tests.factories import SlaPolicyFactory

pytestmark = pytest.mark.django_db

WATCH = "/api/v1/sla/watch/"


def make_ticket(made_at, team):
    with mock.patch.object(timezone, "now", return_value=made_at):
        return ticket_create(
            actor=None,
            requester=CustomerFactory(),
            data=TicketData(subject="Help", team=team),
        )


def waiting_chat(team, started, minutes=60):
    return ConversationFactory(
        team=team,
        channel=Channel.WECHAT,
        sla_started_at=started,
        sla_due_at=started + timedelta(minutes=minutes),
        sla_warn_at=started + timedelta(minutes=minutes * 0.75),
    )


@pytest.fixture
def board(db):
    SlaPolicyFactory(name="Any", priority=None, first_response_minutes=60)
    now = timezone.now()
    sales, billing = TeamFactory(name="Sales"), TeamFactory(name="Billing")
    return {
        "late_ticket": make_ticket(now - timedelta(minutes=70), sales),
        "risky_ticket": make_ticket(now - timedelta(minutes=50), billing),
        "fine_ticket": make_ticket(now - timedelta(minutes=5), sales),
        "late_chat": waiting_chat(billing, now - timedelta(minutes=65)),
        "risky_chat": waiting_chat(sales, now - timedelta(minutes=50)),
        "fine_chat": waiting_chat(sales, now - timedelta(minutes=1)),
        "sales": sales,
    }


def test_a_supervisor_sees_every_teams_breached_and_at_risk_items(supervisor_client, board):
    body = supervisor_client.get(WATCH).json()
    assert [row["id"] for row in body["tickets"]] == [
        board["late_ticket"].pk,
        board["risky_ticket"].pk,
    ]
    assert [row["sla_risk"] for row in body["tickets"]] == ["breached", "at_risk"]
    assert [conv["id"] for conv in body["conversations"]] == [
        board["late_chat"].pk,
        board["risky_chat"].pk,
    ]
    assert [conv["sla"]["risk"] for conv in body["conversations"]] == ["breached", "at_risk"]
    assert "left_seconds" in body["conversations"][0]["sla"]


def test_an_agent_sees_only_their_teams(agent, agent_client, board):
    agent.teams.add(board["sales"])
    body = agent_client.get(WATCH).json()
    assert [row["id"] for row in body["tickets"]] == [board["late_ticket"].pk]
    assert [conv["id"] for conv in body["conversations"]] == [board["risky_chat"].pk]


def test_the_watch_costs_the_same_queries_whatever_its_size(
    supervisor_client, board, django_assert_num_queries
):
    supervisor_client.get(WATCH)
    with CaptureQueriesContext(connection) as few:
        supervisor_client.get(WATCH)
    now = timezone.now()
    for _ in range(5):
        make_ticket(now - timedelta(minutes=70), board["sales"])
        waiting_chat(board["sales"], now - timedelta(minutes=65))
    with django_assert_num_queries(len(few.captured_queries)):
        body = supervisor_client.get(WATCH).json()
    assert (len(body["tickets"]), len(body["conversations"])) == (7, 7)
