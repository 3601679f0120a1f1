"""The agent ticket API: 转工单 from a conversation, ticket detail, field changes and replies."""

import zoneinfo

import pytest

from chat import services as chat_services
from chat.models import Message, SenderType
from chat.tests.factories import ConversationFactory, CustomerIdentityFactory
from routing.tests.factories import AgentProfileFactory, TeamFactory
from tickets.models import Ticket, TicketEvent
from tickets.tests.factories import CategoryFactory
from tickets.tests.helpers import ticket_cards

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def draft_url(conversation) -> str:
    return f"/api/v1/conversations/{conversation.pk}/ticket-draft/"


def create_url(conversation) -> str:
    return f"/api/v1/conversations/{conversation.pk}/tickets/"


def ticket_url(ticket_id: int) -> str:
    return f"/api/v1/tickets/{ticket_id}/"


def chat(body="My order 42 never arrived", **kwargs):
    conversation = ConversationFactory(**kwargs)
    chat_services.message_create(
        conversation=conversation, sender_type=SenderType.CUSTOMER, body=body
    )
    return conversation


def create(client, conversation, **payload):
    body = {"subject": "Order 42 lost", "description": "", "priority": 1, **payload}
    return client.post(create_url(conversation), body, content_type="application/json", **EN)


def patch(client, ticket_id, **payload):
    return client.patch(ticket_url(ticket_id), payload, content_type="application/json", **EN)


# ---- draft --------------------------------------------------------------------------------


def test_draft_is_prefilled_from_the_conversation(agent, agent_client):
    team = TeamFactory(name="Support")
    agent.teams.add(team)
    conversation = chat(team=team, device="iPhone", priority=2)
    CustomerIdentityFactory(customer=conversation.customer, external_id="v-1")
    response = agent_client.get(draft_url(conversation), **EN)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["subject"] == "My order 42 never arrived"
    assert "My order 42 never arrived" in data["description"]
    assert data["requester"]["id"] == conversation.customer_id
    assert [i["external_id"] for i in data["requester"]["identities"]] == ["v-1"]
    assert data["context"] == {"channel": "web", "device": "iPhone"}
    assert (data["priority"], data["team"], data["category"]) == (
        2,
        {"id": team.pk, "name": "Support"},
        None,
    )
    assert data["open_ticket"] is None

    created = create(agent_client, conversation).json()["ticket"]
    assert agent_client.get(draft_url(conversation)).json()["open_ticket"] == created


def test_draft_transcript_is_in_the_time_zone_the_browser_names(agent, agent_client):
    conversation = chat()
    stamp = Message.objects.get(conversation=conversation).created_at

    response = agent_client.get(draft_url(conversation), {"tz": "America/New_York"}, **EN)

    assert response.status_code == 200, response.content
    local = stamp.astimezone(zoneinfo.ZoneInfo("America/New_York"))
    offset = local.strftime("%z")
    assert response.json()["description"] == (
        f"[{local:%Y-%m-%d %H:%M:%S} UTC{offset[:3]}:{offset[3:]}] "
        f"{conversation.customer.display_name}: My order 42 never arrived"
    )
    refused = agent_client.get(draft_url(conversation), {"tz": "Mars/Olympus"}, **EN)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid"
    assert refused.json()["error"]["fields"] == {"tz": ["Unknown time zone."]}


# ---- create -------------------------------------------------------------------------------


def test_create_makes_one_ticket_and_a_repeat_returns_it(agent, agent_client):
    conversation = chat()
    category = CategoryFactory(name="Shipping")
    first = create(agent_client, conversation, category_id=category.pk, tags=["vip", "vip"])
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["created"] is True
    ticket = Ticket.objects.get()
    assert body["ticket"]["id"] == ticket.pk
    assert body["ticket"]["number"] == ticket.number
    assert (ticket.subject, ticket.priority, ticket.category, ticket.source) == (
        "Order 42 lost",
        1,
        category,
        "button",
    )
    assert list(ticket.tags.values_list("name", flat=True)) == ["vip"]
    assert ticket.created_by == agent.user
    assert "My order 42 never arrived" in ticket.description  # empty: the transcript
    assert [card.payload["number"] for card in ticket_cards(conversation)] == [ticket.number]

    again = create(agent_client, conversation, subject="something else")
    assert again.status_code == 200
    assert again.json() == {"created": False, "ticket": body["ticket"]}
    assert Ticket.objects.count() == 1
    assert len(ticket_cards(conversation)) == 1


def test_allow_additional_creates_a_second_ticket(agent_client):
    conversation = chat()
    first = create(agent_client, conversation).json()["ticket"]
    second = create(agent_client, conversation, subject="Another one", allow_additional=True)
    assert second.status_code == 201
    assert second.json()["created"] is True
    assert second.json()["ticket"]["id"] != first["id"]
    assert Ticket.objects.filter(conversation=conversation).count() == 2


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"subject": "x" * 201}, "subject"),
        ({"priority": 9}, "priority"),
        ({"team_id": 999999}, "team_id"),
        ({"category_id": 999999}, "category_id"),
        ({"tags": "vip"}, "tags"),
        ({"allow_additional": "maybe"}, "allow_additional"),
    ],
)
def test_invalid_fields_are_refused_and_nothing_is_created(agent_client, payload, field):
    conversation = chat()
    response = create(agent_client, conversation, **payload)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]
    assert not Ticket.objects.exists()
    assert ticket_cards(conversation) == []


def test_other_teams_conversations_and_tickets_look_missing(client):
    sales, support = TeamFactory(), TeamFactory()
    seller = AgentProfileFactory(teams=[sales])
    helper = AgentProfileFactory(teams=[support])
    conversation = chat(team=support)
    client.force_login(helper.user)
    ticket_id = create(client, conversation).json()["ticket"]["id"]

    client.force_login(seller.user)
    for response in (
        client.get(draft_url(conversation), **EN),
        create(client, conversation, allow_additional=True),
        client.get(ticket_url(ticket_id), **EN),
        patch(client, ticket_id, status="resolved"),
        client.post(
            f"{ticket_url(ticket_id)}replies/", {"body": "hi"}, content_type="application/json"
        ),
        client.get(draft_url(ConversationFactory.build(pk=999999)), **EN),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert Ticket.objects.count() == 1
    assert Ticket.objects.get().status == "new"


# ---- detail and changes -------------------------------------------------------------------


def test_detail_has_the_timeline_and_allowed_statuses(agent_client):
    ticket_id = create(agent_client, chat()).json()["ticket"]["id"]
    data = agent_client.get(ticket_url(ticket_id), **EN).json()
    assert data["status"] == "new"
    assert data["allowed_statuses"] == ["closed", "in_progress", "open", "pending", "resolved"]
    assert [(e["kind"], e["new_value"]) for e in data["timeline"]] == [("created", "button")]
    assert data["timeline"][0]["actor"]["name"]


def test_status_changes_follow_the_transitions_and_a_refusal_changes_nothing(agent_client):
    conversation = chat()
    ticket_id = create(agent_client, conversation).json()["ticket"]["id"]
    for status in ("in_progress", "resolved"):
        response = patch(agent_client, ticket_id, status=status)
        assert response.status_code == 200, response.content
        assert response.json()["status"] == status
    events_before = TicketEvent.objects.count()
    messages_before = Message.objects.count()

    refused = patch(agent_client, ticket_id, status="pending", priority=0)
    assert refused.status_code == 409
    assert refused.json() == {
        "error": {
            "code": "invalid_transition",
            "message": "A ticket cannot go from “Resolved” to “Pending customer”.",
        }
    }
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.priority) == ("resolved", 1)
    assert TicketEvent.objects.count() == events_before
    assert Message.objects.count() == messages_before
    statuses = [card.payload["status"] for card in ticket_cards(conversation)]
    assert statuses == ["new", "in_progress", "resolved"]


def test_patch_changes_assignee_team_category_and_subject(agent, agent_client):
    team = TeamFactory()
    agent.teams.add(team)
    category = CategoryFactory()
    ticket_id = create(agent_client, chat()).json()["ticket"]["id"]
    response = patch(
        agent_client,
        ticket_id,
        assignee_id=agent.user_id,
        team_id=team.pk,
        category_id=category.pk,
        subject="  New subject ",
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["assignee"]["id"] == agent.user_id
    assert (data["team"]["id"], data["category"]["id"], data["subject"]) == (
        team.pk,
        category.pk,
        "New subject",
    )
    bad = patch(agent_client, ticket_id, assignee_id=999999)
    assert (bad.status_code, list(bad.json()["error"]["fields"])) == (400, ["assignee_id"])
    assert patch(agent_client, ticket_id).status_code == 400  # nothing to change


# ---- replies ------------------------------------------------------------------------------


def test_public_reply_reaches_the_chat_and_a_note_does_not(agent_client):
    conversation = chat()
    ticket_id = create(agent_client, conversation).json()["ticket"]["id"]
    url = f"{ticket_url(ticket_id)}replies/"

    public = agent_client.post(url, {"body": "We are on it"}, content_type="application/json")
    assert public.status_code == 201, public.content
    message = Message.objects.get(pk=public.json()["message_id"])
    assert (message.body, message.sender_type, message.is_internal) == (
        "We are on it",
        "agent",
        False,
    )
    assert public.json()["event"]["kind"] == "comment"

    messages_before = Message.objects.count()
    note = agent_client.post(
        url, {"body": "VIP", "internal": True}, content_type="application/json"
    )
    assert note.status_code == 201
    assert (note.json()["event"]["kind"], note.json()["message_id"]) == ("note", None)
    assert Message.objects.count() == messages_before

    empty = agent_client.post(url, {"body": "  "}, content_type="application/json")
    assert empty.status_code == 400
    kinds = [e["kind"] for e in agent_client.get(ticket_url(ticket_id)).json()["timeline"]]
    assert kinds == ["created", "comment", "note"]


def test_a_closed_ticket_takes_notes_but_no_public_replies(agent_client):
    ticket_id = create(agent_client, chat()).json()["ticket"]["id"]
    assert patch(agent_client, ticket_id, status="closed").status_code == 200
    url = f"{ticket_url(ticket_id)}replies/"
    refused = agent_client.post(url, {"body": "hi"}, content_type="application/json", **EN)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "ticket_closed"
    note = agent_client.post(url, {"body": "n", "internal": True}, content_type="application/json")
    assert note.status_code == 201


def test_a_public_reply_into_a_chat_out_of_reach_is_a_409_and_writes_nothing(agent, agent_client):
    sales, billing = TeamFactory(name="Sales"), TeamFactory(name="Billing")
    agent.teams.add(sales)
    conversation = chat(team=sales)
    ticket_id = create(agent_client, conversation).json()["ticket"]["id"]
    assert patch(agent_client, ticket_id, team_id=billing.pk).status_code == 200
    agent.teams.set([billing])  # the agent followed the ticket; the chat stayed with Sales
    url = f"{ticket_url(ticket_id)}replies/"
    messages, events = Message.objects.count(), TicketEvent.objects.count()

    refused = agent_client.post(url, {"body": "Done"}, content_type="application/json", **EN)
    zh = agent_client.post(
        url, {"body": "Done"}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "chat_out_of_scope"
    assert refused.json()["error"]["message"].startswith("This ticket's chat belongs to a team")
    assert zh.json()["error"]["message"].startswith("此工单的会话属于")
    assert (Message.objects.count(), TicketEvent.objects.count()) == (messages, events)
    note = agent_client.post(url, {"body": "n", "internal": True}, content_type="application/json")
    assert note.status_code == 201


def test_the_workspace_speaks_chinese_about_tickets(agent_client, settings):
    agent_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = agent_client.get("/desk/").content.decode()
    for text in ("转工单", "将此会话转为工单（Alt+T）", "从此会话创建工单", "仍然另建一张工单"):
        assert text in html
    conversation = chat()
    ticket_id = create(agent_client, conversation).json()["ticket"]["id"]
    patch(agent_client, ticket_id, status="resolved")
    refused = agent_client.patch(
        ticket_url(ticket_id), {"status": "pending"}, content_type="application/json"
    )
    assert refused.json()["error"]["message"] == "工单不能从“已解决”变为“待反馈”。"
