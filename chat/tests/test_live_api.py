"""GET /api/v1/routing/live/ (issue 12): supervisors see the waiting queue, per-team counts and
every agent's presence and load, exactly, in a fixed number of queries; agents get 403."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat.models import Channel, Conversation, ConversationStatus
from chat.tests.factories import ConversationFactory, CustomerFactory
from routing.tests.factories import AgentProfileFactory, TeamFactory

LIVE = "/api/v1/routing/live/"

pytestmark = pytest.mark.django_db


def waiting(team, *, minutes: int, name: str, priority: int = 2, **extra) -> Conversation:
    conversation = ConversationFactory(
        team=team, priority=priority, customer=CustomerFactory(display_name=name), **extra
    )
    at = timezone.now() - timedelta(minutes=minutes)
    Conversation.objects.filter(pk=conversation.pk).update(created_at=at)
    conversation.refresh_from_db()
    return conversation


@pytest.fixture
def board(supervisor):
    sales, billing = TeamFactory(name="Sales"), TeamFactory(name="Billing")
    carol = AgentProfileFactory(
        display_name="Carol 张",
        presence="online",
        teams=[sales],
        max_concurrent_chats=3,
        active_chats=1,
    )
    dan = AgentProfileFactory(display_name="Dan", presence="away", teams=[sales, billing])
    ConversationFactory(team=sales, assignee=carol.user, status=ConversationStatus.OPEN)
    ConversationFactory(team=sales, assignee=carol.user, status=ConversationStatus.CLOSED)
    first = waiting(sales, minutes=10, name="Li Lei")
    urgent = waiting(sales, minutes=2, name="Han Meimei", priority=0, channel=Channel.WECHAT)
    billing_one = waiting(billing, minutes=5, name="Wang")
    orphan = waiting(None, minutes=1, name="")
    # not waiting: assigned, closed, or of a team that assigns by hand
    manual = TeamFactory(name="Manual", auto_assign=False)
    waiting(manual, minutes=30, name="By hand")
    waiting(sales, minutes=40, name="Closed", status=ConversationStatus.CLOSED)
    return locals()


def test_the_supervisor_sees_the_queue_the_teams_and_the_agents(supervisor_client, board):
    body = supervisor_client.get(LIVE).json()
    rows = [
        (r["customer"]["name"], (r["team"] or {}).get("name"), r["priority"], r["channel"])
        for r in body["waiting"]
    ]
    positions = [r["position"] for r in body["waiting"]]
    assert positions == [1, 2, 1, 1]
    assert rows == [
        ("Han Meimei", "Sales", 0, "wechat"),
        ("Li Lei", "Sales", 2, "web"),
        ("Wang", "Billing", 2, "web"),
        ("", None, 2, "web"),
    ]
    first = body["waiting"][1]
    assert first["conversation_id"] == board["first"].pk
    assert 600 <= first["waited_seconds"] <= 605
    assert (body["waiting_total"], body["waiting_more"]) == (4, 0)
    teams = {t["name"]: t for t in body["teams"]}
    assert [t["name"] for t in body["teams"]] == ["Billing", "Manual", "Sales", ""]
    assert teams["Sales"]["waiting"] == 2
    assert 600 <= teams["Sales"]["longest_wait_seconds"] <= 605
    assert (teams["Sales"]["agents_online"], teams["Sales"]["free_slots"]) == (1, 2)
    assert (teams["Billing"]["waiting"], teams["Billing"]["agents_online"]) == (1, 0)
    assert (teams["Billing"]["free_slots"], teams["Manual"]["waiting"]) == (0, 0)
    assert teams[""]["id"] is None
    assert (teams[""]["waiting"], teams[""]["agents_online"], teams[""]["free_slots"]) == (1, 1, 2)
    agents = body["agents"]
    assert [a["name"] for a in agents] == ["Carol 张", "Dan", board["supervisor"].display_name]
    carol = agents[0]
    assert carol["id"] == board["carol"].user_id
    assert carol["teams"] == [{"id": board["sales"].pk, "name": "Sales"}]
    assert (carol["presence"], carol["active_chats"], carol["max_concurrent_chats"]) == (
        "online",
        1,
        3,
    )
    assert carol["open_conversations"] == 1
    assert agents[1]["presence"] == "away"
    assert [t["name"] for t in agents[1]["teams"]] == ["Billing", "Sales"]
    assert agents[1]["open_conversations"] == 0


def test_the_team_filter_narrows_the_queue_and_the_summaries(supervisor_client, board):
    body = supervisor_client.get(LIVE, {"team": board["sales"].pk}).json()
    assert [r["customer"]["name"] for r in body["waiting"]] == ["Han Meimei", "Li Lei"]
    assert [t["name"] for t in body["teams"]] == ["Sales"]
    body = supervisor_client.get(LIVE, {"team": "none"}).json()
    assert [r["conversation_id"] for r in body["waiting"]] == [board["orphan"].pk]
    assert [t["id"] for t in body["teams"]] == [None]
    answer = supervisor_client.get(LIVE, {"team": "sales"})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid"


def test_an_agent_who_is_not_a_supervisor_gets_403(agent_client):
    answer = agent_client.get(LIVE, headers={"accept-language": "en"})
    assert answer.status_code == 403
    assert answer.json()["error"] == {
        "code": "permission_denied",
        "message": "Only supervisors may see the live view.",
    }
    answer = agent_client.get(LIVE, headers={"accept-language": "zh-hans"})
    assert answer.json()["error"]["message"] == "只有主管可以查看实时视图。"


def test_signed_out_gets_403(client, db):
    assert client.get(LIVE).status_code == 403


def test_the_queue_is_bounded_and_says_how_many_more(supervisor_client, monkeypatch):
    from chat.live import selectors

    monkeypatch.setattr(selectors, "QUEUE_MAX", 3)
    team = TeamFactory(name="Sales")
    for minute in range(5):
        waiting(team, minutes=minute, name=f"c{minute}")
    body = supervisor_client.get(LIVE).json()
    assert [r["customer"]["name"] for r in body["waiting"]] == ["c4", "c3", "c2"]
    assert [r["position"] for r in body["waiting"]] == [1, 2, 3]
    assert (body["waiting_total"], body["waiting_more"]) == (5, 2)


def test_the_query_count_does_not_grow_with_the_rows(supervisor_client, django_assert_num_queries):
    sales = TeamFactory(name="Sales")
    waiting(sales, minutes=1, name="one")
    AgentProfileFactory(presence="online", teams=[sales])
    supervisor_client.get(LIVE)
    with CaptureQueriesContext(connection) as one:
        body = supervisor_client.get(LIVE).json()
    assert len(body["waiting"]) == 1
    for n in range(19):
        team = TeamFactory(name=f"Team {n}")
        waiting(team, minutes=n, name=f"c{n}")
        AgentProfileFactory(presence="online", teams=[team, sales])
    with django_assert_num_queries(len(one.captured_queries)):
        body = supervisor_client.get(LIVE).json()
    assert (len(body["waiting"]), len(body["agents"]), len(body["teams"])) == (20, 21, 21)


def test_only_a_supervisors_workspace_has_the_live_view(client, agent, supervisor):
    client.force_login(agent.user)
    page = client.get("/desk/").content.decode()
    assert 'id="view-live"' not in page and 'id="live-view"' not in page
    client.force_login(supervisor.user)
    page = client.get("/desk/").content.decode()
    assert 'id="view-live"' in page and 'id="live-view"' in page


def test_the_admin_index_links_to_the_live_view(supervisor_client):
    page = supervisor_client.get("/admin/").content.decode()
    assert 'href="/desk/#live"' in page
