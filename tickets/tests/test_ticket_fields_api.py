"""PATCH of a ticket's header fields from the panel: tags, custom fields, team, category and
subject, each on the timeline with who and old/new; bad input changes nothing."""

import pytest
from django.test import Client

from routing.tests.factories import AgentProfileFactory, TeamFactory
from tickets.listing.services import ticket_tag_add
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_link, ticket_merge
from tickets.tests.factories import CategoryFactory, TagFactory, TicketFactory

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def patch(client, ticket, **payload):
    return client.patch(
        f"/api/v1/tickets/{ticket.pk}/", payload, content_type="application/json", **EN
    )


def system_rows(ticket) -> list[tuple[str, str, str, str]]:
    return list(
        TicketEvent.objects.filter(ticket=ticket, kind="system").values_list(
            "action", "body", "old_value", "new_value"
        )
    )


def snapshot(ticket) -> tuple:
    row = Ticket.objects.get(pk=ticket.pk)
    tags = sorted(row.tags.values_list("name", flat=True))
    return (row.subject, row.team_id, row.category_id, row.custom_fields, tags, row.updated_at)


def test_tags_replace_the_set_with_a_row_per_tag_added_and_removed(agent, agent_client):
    ticket = TicketFactory()
    ticket.tags.set([TagFactory(name="refund"), TagFactory(name="vip")])

    response = patch(agent_client, ticket, tags=[" vip ", "broken 破损", "vip"])

    assert response.status_code == 200, response.content
    assert response.json()["tags"] == ["broken 破损", "vip"]
    assert system_rows(ticket) == [
        ("tag_removed", "", "refund", ""),
        ("tagged", "", "", "broken 破损"),
    ]
    assert set(ticket.events.values_list("actor", flat=True)) == {agent.user_id}
    timeline = response.json()["timeline"]
    assert [(e["action"], e["actor"]["id"]) for e in timeline] == [
        ("tag_removed", agent.user_id),
        ("tagged", agent.user_id),
    ]
    assert all(e["created_at"] for e in timeline)


def test_custom_fields_merge_and_null_removes_a_key(agent_client):
    ticket = TicketFactory(custom_fields={"order": "42", "device": "iPhone", "vip": False})

    response = patch(
        agent_client, ticket, custom_fields={"order": "43", "device": None, "paid": 19.5}
    )

    assert response.status_code == 200, response.content
    expected = {"order": "43", "vip": False, "paid": 19.5}
    assert response.json()["custom_fields"] == expected
    assert Ticket.objects.get(pk=ticket.pk).custom_fields == expected
    assert system_rows(ticket) == [
        ("field_changed", "order", "42", "43"),
        ("field_changed", "device", "iPhone", ""),
        ("field_changed", "paid", "", "19.5"),
    ]
    # The same values again write nothing; `1` is not `true`.
    patch(agent_client, ticket, custom_fields={"order": "43", "vip": False})
    assert len(system_rows(ticket)) == 3
    patch(agent_client, ticket, custom_fields={"vip": 0})
    assert system_rows(ticket)[-1] == ("field_changed", "vip", "false", "0")


def test_team_category_and_subject_changes_are_on_the_timeline(agent, agent_client):
    old_team, new_team = TeamFactory(name="Support"), TeamFactory(name="Returns")
    agent.teams.add(old_team, new_team)
    old_category, new_category = CategoryFactory(name="Billing"), CategoryFactory(name="Parcel")
    ticket = TicketFactory(subject="Old words", team=old_team, category=old_category)

    response = patch(
        agent_client,
        ticket,
        team_id=new_team.pk,
        category_id=new_category.pk,
        subject=" Parcel broken ",
    )

    assert response.status_code == 200, response.content
    assert system_rows(ticket) == [
        ("subject_changed", "", "Old words", "Parcel broken"),
        ("team_changed", "", "Support", "Returns"),
        ("category_changed", "", "Billing", "Parcel"),
    ]
    patch(agent_client, ticket, category_id=None)
    assert system_rows(ticket)[-1] == ("category_changed", "", "Parcel", "")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"tags": ["ok", "  "]}, "tags"),
        ({"tags": ["x" * 51]}, "tags"),
        ({"tags": [f"t{n}" for n in range(21)]}, "tags"),
        ({"tags": "refund"}, "tags"),
        ({"custom_fields": ["order"]}, "custom_fields"),
        ({"custom_fields": {" ": "x"}}, "custom_fields"),
        ({"custom_fields": {"k" * 51: "x"}}, "custom_fields"),
        ({"custom_fields": {"order": {"nested": 1}}}, "custom_fields"),
        ({"custom_fields": {"order": [1]}}, "custom_fields"),
        ({"custom_fields": {"note": "x" * 501}}, "custom_fields"),
        ({"custom_fields": {f"k{n}": n for n in range(31)}}, "custom_fields"),
        ({"subject": "   ", "tags": ["new"]}, "subject"),
        ({"team_id": 999999, "tags": ["new"]}, "team_id"),
        ({"category_id": 999999, "custom_fields": {"a": "b"}}, "category_id"),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(agent_client, payload, field):
    ticket = TicketFactory(subject="Same", custom_fields={"order": "42"})
    ticket.tags.set([TagFactory(name="refund")])
    before = snapshot(ticket)

    response = patch(agent_client, ticket, **payload)

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert (error["code"], list(error["fields"])) == ("invalid", [field])
    assert snapshot(ticket) == before
    assert not TicketEvent.objects.exists()


def test_too_many_custom_fields_in_total_is_refused_and_nothing_changes(agent_client):
    ticket = TicketFactory(custom_fields={f"k{n}": n for n in range(29)})
    before = snapshot(ticket)

    response = patch(agent_client, ticket, tags=["new"], custom_fields={"a": 1, "b": 2})

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "too_many_fields",
        "message": "A ticket has at most 30 custom fields.",
    }
    assert snapshot(ticket) == before
    assert not TicketEvent.objects.exists()
    # Changing or removing keys of a full ticket still works.
    assert patch(agent_client, ticket, custom_fields={"a": 1, "k0": None}).status_code == 200


def test_another_teams_ticket_looks_missing(client):
    sales, support = TeamFactory(), TeamFactory()
    seller = AgentProfileFactory(teams=[sales])
    ticket = TicketFactory(team=support)
    client.force_login(seller.user)
    before = snapshot(ticket)

    for payload in ({"tags": ["x"]}, {"custom_fields": {"a": "b"}}, {"subject": "Mine"}):
        response = patch(client, ticket, **payload)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert snapshot(ticket) == before


def test_detail_has_related_tickets_and_where_it_was_merged(supervisor):
    one = TicketFactory(number="T-20260301-0001", subject="One")
    two = TicketFactory(number="T-20260301-0002", subject="Two", status="open")
    three = TicketFactory(number="T-20260301-0003")
    ticket_link(actor=supervisor.user, ticket=one, other=two)
    ticket_merge(actor=supervisor.user, source=one, target=three)
    client = Client()
    client.force_login(supervisor.user)

    data = client.get(f"/api/v1/tickets/{one.pk}/", **EN).json()

    assert data["related"] == [
        {"id": two.pk, "number": "T-20260301-0002", "subject": "Two", "status": "open"}
    ]
    assert data["merged_into"] == {"id": three.pk, "number": "T-20260301-0003"}
    other = client.get(f"/api/v1/tickets/{two.pk}/", **EN).json()
    assert [r["number"] for r in other["related"]] == ["T-20260301-0001"]
    assert other["merged_into"] is None


def test_tag_add_from_the_list_uses_the_same_path(supervisor):
    ticket = TicketFactory()

    assert ticket_tag_add(actor=supervisor.user, ticket=ticket, name=" refund ") is True
    assert ticket_tag_add(actor=supervisor.user, ticket=ticket, name="refund") is False

    assert system_rows(ticket) == [("tagged", "", "", "refund")]
