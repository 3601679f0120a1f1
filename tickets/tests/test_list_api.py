"""The ticket list (filters, scope, keyset pages, query counts), saved views, bulk actions, merge
and links."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chat.models import Channel
from chat.tests.factories import ConversationFactory, CustomerFactory
from routing.tests.factories import AgentProfileFactory, TeamFactory
from tickets.models import Ticket, TicketEvent, TicketStatus, TicketView
from tickets.search.index import tickets_backfill
from tickets.tests.factories import CategoryFactory, TagFactory, TicketFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/tickets/"
VIEWS = "/api/v1/ticket-views/"
BULK = "/api/v1/tickets/bulk/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def get(client, **params):
    return client.get(LIST, params, **EN)


def post(client, url, body):
    return client.post(url, body, content_type="application/json", **EN)


# ---- filters and scope --------------------------------------------------------------------


def test_filters_narrow_the_list(agent, agent_client):
    other = AgentProfileFactory()
    team = TeamFactory(name="Billing")
    agent.teams.add(team)
    category, tag = CategoryFactory(name="Refunds"), TagFactory(name="vip")
    mine = TicketFactory(assignee=agent.user, status=TicketStatus.OPEN, priority=0)
    theirs = TicketFactory(assignee=other.user, team=team, category=category)
    nobody = TicketFactory(
        status=TicketStatus.PENDING,
        subject="Broken parcel",
        requester=CustomerFactory(display_name="Wang Fang"),
        conversation=ConversationFactory(channel=Channel.WECHAT),
    )
    nobody.tags.add(tag)

    assert set(ids(get(agent_client))) == {mine.pk, theirs.pk, nobody.pk}
    assert ids(get(agent_client, assignee="me")) == [mine.pk]
    assert ids(get(agent_client, assignee="none")) == [nobody.pk]
    assert ids(get(agent_client, assignee=other.user.pk)) == [theirs.pk]
    assert set(ids(get(agent_client, status=["open", "pending"]))) == {mine.pk, nobody.pk}
    assert ids(get(agent_client, priority=0)) == [mine.pk]
    assert ids(get(agent_client, team=team.pk)) == [theirs.pk]
    assert ids(get(agent_client, category=category.pk)) == [theirs.pk]
    assert ids(get(agent_client, tag="vip")) == [nobody.pk]
    assert ids(get(agent_client, channel="wechat")) == [nobody.pk]
    tickets_backfill()  # factories write no search documents
    assert ids(get(agent_client, q="parcel")) == [nobody.pk]
    assert ids(get(agent_client, q="wang")) == [nobody.pk]
    assert ids(get(agent_client, q=mine.number)) == [mine.pk]
    row = get(agent_client, tag="vip").json()["results"][0]
    assert row["requester"] == {"id": nobody.requester_id, "name": "Wang Fang"}
    assert (row["tags"], row["channel"], row["sla_at_risk"]) == (["vip"], "wechat", False)


def test_another_teams_ticket_is_invisible_to_a_restricted_agent(agent, agent_client):
    agent.teams.add(TeamFactory(name="Sales"))
    hidden = TicketFactory(team=TeamFactory(name="Billing"))
    visible = TicketFactory(team=agent.teams.first())
    assert ids(get(agent_client)) == [visible.pk]
    assert ids(get(agent_client, q=hidden.number)) == []


def test_sorts(agent_client):
    now = timezone.now()
    a = TicketFactory(priority=2, resolution_due_at=now + timedelta(hours=2))
    b = TicketFactory(priority=0)
    c = TicketFactory(priority=1, resolution_due_at=now + timedelta(hours=1))
    Ticket.objects.filter(pk=a.pk).update(updated_at=now + timedelta(minutes=1))
    assert ids(get(agent_client)) == [a.pk, c.pk, b.pk]
    assert ids(get(agent_client, sort="created_at")) == [c.pk, b.pk, a.pk]
    assert ids(get(agent_client, sort="priority")) == [b.pk, c.pk, a.pk]
    assert ids(get(agent_client, sort="resolution_due_at")) == [c.pk, a.pk, b.pk]


@pytest.mark.parametrize(
    "sort", ["updated_at", "created_at", "priority", "resolution_due_at", "sla_due_at"]
)
def test_keyset_pages_cover_everything_once_even_with_ties(agent_client, sort):
    now = timezone.now()
    tickets = [
        TicketFactory(priority=i % 2, resolution_due_at=(now if i % 3 else None)) for i in range(7)
    ]
    Ticket.objects.update(updated_at=now)  # all tied
    seen, cursor = [], None
    while True:
        params = {"sort": sort, "limit": 2, **({"cursor": cursor} if cursor else {})}
        body = get(agent_client, **params).json()
        seen += [row["id"] for row in body["results"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(t.pk for t in tickets) and len(seen) == len(tickets)


def test_a_page_costs_the_same_number_of_queries_whatever_its_size(
    agent, agent_client, django_assert_num_queries
):
    team = TeamFactory(name="Sales")
    agent.teams.add(team)

    def fill(count):
        for index in range(count):
            ticket = TicketFactory(
                team=team,
                assignee=AgentProfileFactory().user,
                category=CategoryFactory(name=f"C{index % 3}"),
                conversation=ConversationFactory(),
            )
            ticket.tags.add(TagFactory(name=f"t{index % 4}"), TagFactory(name="common"))

    fill(60)
    with django_assert_num_queries(10) as small:  # auth 4, scope 3, page, tags, SLA timers
        assert len(ids(get(agent_client, limit=1))) == 1
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(ids(get(agent_client, limit=50))) == 50


@pytest.mark.parametrize(
    "params, field",
    [
        ({"status": "nope"}, "status"),
        ({"priority": "9"}, "priority"),
        ({"assignee": "someone"}, "assignee"),
        ({"sort": "subject"}, "sort"),
        ({"limit": "0"}, "limit"),
        ({"cursor": "garbage"}, "cursor"),
        ({"team": "x"}, "team"),
        ({"channel": "fax"}, "channel"),
        ({"sla_risk": "doomed"}, "sla_risk"),
        ({"sort": "sla_due"}, "sort"),
    ],
)
def test_bad_params_are_400_with_field_errors(agent_client, params, field):
    response = get(agent_client, **params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"]


def test_a_cursor_of_another_sort_is_refused(agent_client):
    TicketFactory.create_batch(3)
    cursor = get(agent_client, limit=1).json()["next_cursor"]
    response = get(agent_client, cursor=cursor, sort="priority")
    assert response.status_code == 400 and "cursor" in response.json()["error"]["fields"]


# ---- saved views --------------------------------------------------------------------------


def test_saved_views_are_validated_listed_and_deleted_own_only(agent, agent_client, client):
    created = post(
        agent_client,
        VIEWS,
        {"name": "My urgent", "filters": {"status": ["new"], "priority": 0, "assignee": "me"}},
    )
    assert created.status_code == 201, created.content
    view = created.json()
    assert view["filters"] == {"status": ["new"], "priority": 0, "assignee": "me"}
    assert (
        post(agent_client, VIEWS, {"name": "My urgent", "filters": {}}).json()["error"]["code"]
        == "name_taken"
    )
    bad = post(agent_client, VIEWS, {"name": "Bad", "filters": {"status": ["nope"]}})
    assert bad.status_code == 400 and "filters" in bad.json()["error"]["fields"]
    assert [v["name"] for v in agent_client.get(VIEWS).json()] == ["My urgent"]

    someone = AgentProfileFactory()
    client.force_login(someone.user)
    assert client.get(VIEWS).json() == []
    assert client.delete(f"{VIEWS}{view['id']}/").status_code == 404
    assert TicketView.objects.filter(pk=view["id"]).exists()
    client.force_login(agent.user)
    assert client.delete(f"{VIEWS}{view['id']}/").status_code == 204
    assert not TicketView.objects.exists()


# ---- bulk ---------------------------------------------------------------------------------


def test_bulk_reports_each_ticket_and_refusals_change_nothing(agent, agent_client):
    agent.teams.add(TeamFactory(name="Sales"))
    fine = TicketFactory(status=TicketStatus.OPEN)
    closed = TicketFactory(status=TicketStatus.CLOSED)
    hidden = TicketFactory(team=TeamFactory(name="Billing"), status=TicketStatus.OPEN)
    events_before = TicketEvent.objects.count()
    response = post(
        agent_client,
        BULK,
        {"ids": [fine.pk, closed.pk, hidden.pk, 999999], "action": "status", "value": "pending"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["results"] == [
        {"id": fine.pk, "ok": True},
        {"id": closed.pk, "ok": False, "code": "invalid_transition"},
        {"id": hidden.pk, "ok": False, "code": "not_found"},
        {"id": 999999, "ok": False, "code": "not_found"},
    ]
    statuses = dict(Ticket.objects.values_list("pk", "status"))
    assert statuses == {fine.pk: "pending", closed.pk: "closed", hidden.pk: "open"}
    assert TicketEvent.objects.count() == events_before + 1


def test_bulk_assign_priority_and_tag(agent, agent_client):
    one, two = TicketFactory(), TicketFactory()
    pair = [one.pk, two.pk]
    body = post(agent_client, BULK, {"ids": pair, "action": "assign", "value": "me"}).json()
    assert all(result["ok"] for result in body["results"])
    body = post(agent_client, BULK, {"ids": pair, "action": "priority", "value": 0}).json()
    assert all(result["ok"] for result in body["results"])
    post(agent_client, BULK, {"ids": pair, "action": "tag", "value": " urgent "})
    for ticket in (one, two):
        ticket.refresh_from_db()
        assert (ticket.assignee, ticket.priority) == (agent.user, 0)
        assert [tag.name for tag in ticket.tags.all()] == ["urgent"]
        assert list(ticket.events.values_list("kind", flat=True)) == [
            "assignment",
            "priority",
            "system",
        ]


@pytest.mark.parametrize(
    "body",
    [
        {"ids": [], "action": "status", "value": "open"},
        {"ids": list(range(1, 102)), "action": "status", "value": "open"},
        {"ids": [1], "action": "delete", "value": None},
        {"ids": [1], "action": "status", "value": "nope"},
        {"ids": [1], "action": "priority", "value": 7},
        {"ids": [1], "action": "assign", "value": 999999},
        {"ids": [1], "action": "tag", "value": ""},
    ],
)
def test_bad_bulk_requests_are_400_and_change_nothing(agent_client, body):
    ticket = TicketFactory(pk=1)
    response = post(agent_client, BULK, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee) == ("new", 2, None)
    assert not ticket.events.exists()


# ---- merge and links ----------------------------------------------------------------------


def test_merge_and_its_refusals(agent, agent_client):
    agent.teams.add(TeamFactory(name="Sales"))
    source, target = TicketFactory(), TicketFactory()
    closed = TicketFactory(status=TicketStatus.CLOSED)
    hidden = TicketFactory(team=TeamFactory(name="Billing"))

    def merge(ticket, into):
        return post(agent_client, f"/api/v1/tickets/{ticket.pk}/merge/", {"into": into.pk})

    assert merge(source, source).json()["error"]["code"] == "merge_into_itself"
    response = merge(source, closed)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "merge_into_closed")
    assert merge(source, hidden).status_code == 404
    assert merge(hidden, target).status_code == 404
    response = merge(source, target)
    assert response.status_code == 200 and response.json()["id"] == target.pk
    source.refresh_from_db()
    assert (source.merged_into_id, source.status) == (target.pk, "closed")
    response = merge(source, TicketFactory())
    assert (response.status_code, response.json()["error"]["code"]) == (409, "ticket_merged")


def test_links(agent_client):
    one, two = TicketFactory(), TicketFactory()
    url = f"/api/v1/tickets/{one.pk}/links/"
    assert post(agent_client, url, {"other": one.pk}).json()["error"]["code"] == "link_to_itself"
    assert post(agent_client, url, {"other": 999999}).status_code == 404
    first = post(agent_client, url, {"other": two.pk})
    assert (first.status_code, first.json()) == (201, {"linked": True})
    again = post(agent_client, url, {"other": two.pk})
    assert (again.status_code, again.json()) == (200, {"linked": False})
    assert list(two.related.all()) == [one]
