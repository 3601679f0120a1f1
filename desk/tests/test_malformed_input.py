"""Malformed input under /api/ is a 4xx in the API's JSON error shape, never a 500: Unicode
digits and out-of-range numbers where ids go, JSON nested too deeply, unbounded custom fields on
ticket create, unknown URLs, wrong methods and media types, and unexpected exceptions."""

import base64

import pytest
from django.test import Client

from chat import services as chat_services
from chat.models import Conversation, SenderType
from chat.tests.factories import ConversationFactory, WidgetSiteFactory
from desk.kernel.ids import DB_INT_MAX, parse_id, parse_int
from desk.kernel.json_input import MAX_JSON_DEPTH, InvalidJson, json_loads
from tickets.models import Ticket, TicketView
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
# Superscript three, circled one, Arabic-Indic three, full-width 12, beyond BIGINT, negative.
BAD_NUMBERS = ["³", "①", "٣", "１２", "#³", "99999999999999999999999", str(DB_INT_MAX + 1), "-1"]
DEEP = "[" * 100_000


def error_code(response) -> str:
    assert response["Content-Type"] == "application/json", response.content[:200]
    return response.json()["error"]["code"]


# ---- the one parser -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("42", 42),
        (" 42 ", 42),
        (42, 42),
        (str(DB_INT_MAX), DB_INT_MAX),
        ("³", None),
        ("①", None),
        ("٣", None),
        ("１２", None),
        ("0", None),
        ("-3", None),
        (str(DB_INT_MAX + 1), None),
        (10**30, None),
        ("4.0", None),
        (4.0, None),
        (True, None),
        (None, None),
        ("", None),
    ],
)
def test_parse_id_takes_ascii_digits_within_bigint_only(value, expected):
    assert parse_id(value) == expected


def test_parse_int_bounds():
    assert parse_int("-5") == -5
    assert parse_int("-5", min_value=0) is None
    assert parse_int("7", max_value=6) is None


@pytest.mark.parametrize(
    "text",
    [DEEP, '{"a":' * 50_000, "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1), "NaN", "{"],
)
def test_json_loads_refuses_bad_and_too_deep_json_with_a_value_error(text):
    with pytest.raises(InvalidJson):
        json_loads(text)


def test_json_loads_takes_json_up_to_the_depth_limit():
    text = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert json_loads(text) is not None
    assert json_loads('{"type": "ping", "n": [1, {"a": null}]}') == {
        "type": "ping",
        "n": [1, {"a": None}],
    }


# ---- ids in filters -----------------------------------------------------------------------


@pytest.mark.parametrize("value", BAD_NUMBERS)
@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/api/v1/conversations/", "team"),
        ("/api/v1/tickets/", "team"),
        ("/api/v1/tickets/", "category"),
        ("/api/v1/tickets/", "assignee"),
        ("/api/v1/conversations/1/messages/", "before_seq"),
        ("/api/v1/notifications/", "limit"),
    ],
)
def test_bad_numbers_in_id_filters_are_400(agent_client, url, param, value):
    if "/conversations/1/" in url:
        conversation = ConversationFactory()
        url = url.replace("/1/", f"/{conversation.pk}/")
    response = agent_client.get(url, {param: value}, **EN)
    assert response.status_code == 400, response.content
    assert error_code(response) == "invalid"
    assert param in response.json()["error"]["fields"]


@pytest.mark.parametrize("value", ["³", "#①", "٣", "１２", "#99999999999999999999999"])
def test_search_text_that_only_looks_like_an_id_finds_nothing(agent_client, value):
    conversation = ConversationFactory()
    chat_services.message_create(
        conversation=conversation, sender_type=SenderType.CUSTOMER, body="hello"
    )
    TicketFactory(subject="hello")
    for url in ("/api/v1/conversations/", "/api/v1/tickets/"):
        response = agent_client.get(url, {"q": value}, **EN)
        assert response.status_code == 200, response.content
        assert response.json()["results"] == []


def test_an_ascii_id_still_finds_its_conversation(agent_client):
    conversation = ConversationFactory(subject="unrelated")
    response = agent_client.get("/api/v1/conversations/", {"q": f"#{conversation.pk}"}, **EN)
    assert [row["id"] for row in response.json()["results"]] == [conversation.pk]


@pytest.mark.parametrize("value", BAD_NUMBERS)
@pytest.mark.parametrize("param", ["team", "category", "assignee"])
def test_saved_views_refuse_bad_numbers_and_store_nothing(agent_client, param, value):
    body = {"name": "Mine", "filters": {param: value}}
    response = agent_client.post(
        "/api/v1/ticket-views/", body, content_type="application/json", **EN
    )
    assert response.status_code == 400, response.content
    assert error_code(response) == "invalid"
    assert not TicketView.objects.exists()


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/tickets/bulk/", {"ids": [10**20], "action": "priority", "value": 1}),
        ("/api/v1/tickets/bulk/", {"ids": ["٣"], "action": "priority", "value": 1}),
        ("/api/v1/tickets/{ticket}/merge/", {"into": 10**20}),
        ("/api/v1/tickets/{ticket}/links/", {"other": "①"}),
        ("/api/v1/tickets/{ticket}/", {"team_id": 10**20}),
        ("/api/v1/notifications/read/", {"ids": [10**20]}),
    ],
)
def test_bad_numbers_in_bodies_are_400(agent_client, url, body):
    ticket = TicketFactory()
    url = url.format(ticket=ticket.pk)
    method = agent_client.patch if url.endswith(f"/{ticket.pk}/") else agent_client.post
    response = method(url, body, content_type="application/json", **EN)
    assert response.status_code == 400, response.content
    assert error_code(response) == "invalid"


@pytest.mark.parametrize("number", [str(10**20), str(DB_INT_MAX + 1), "0"])
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/customers/{}/",
        "/api/v1/conversations/{}/",
        "/api/v1/tickets/{}/",
        "/api/v1/ticket-views/{}/",
        "/api/widget/v1/conversations/{}/messages/",
    ],
)
def test_an_id_beyond_bigint_in_the_path_is_a_json_404(agent_client, url, number):
    response = agent_client.get(url.format(number), **EN)
    assert response.status_code == 404
    assert error_code(response) == "not_found"


# ---- deeply nested JSON -------------------------------------------------------------------


def test_deep_json_to_the_widget_session_endpoint_is_400_and_creates_nothing(client):
    WidgetSiteFactory(key="shop")
    response = client.post("/api/widget/v1/sessions/", DEEP, content_type="application/json", **EN)
    assert response.status_code == 400, response.content
    assert error_code(response) == "invalid_json"
    assert not Conversation.objects.exists()


@pytest.mark.parametrize(
    "body", [DEEP, '{"name": "x", "filters": {"q": ' + "[" * 40 + "]" * 40 + "}}"]
)
def test_deep_json_to_an_agent_endpoint_is_400(agent_client, body):
    response = agent_client.post(
        "/api/v1/ticket-views/", body, content_type="application/json", **EN
    )
    assert response.status_code == 400, response.content
    assert error_code(response) == "invalid_json"
    assert not TicketView.objects.exists()


def test_a_deep_cursor_is_400(agent_client):
    cursor = base64.urlsafe_b64encode(DEEP.encode()).decode()
    for url in ("/api/v1/conversations/", "/api/v1/tickets/"):
        response = agent_client.get(url, {"cursor": cursor}, **EN)
        assert response.status_code == 400, response.content
        assert "cursor" in response.json()["error"]["fields"]


# ---- custom fields on create --------------------------------------------------------------


def _conversation_for_ticket():
    conversation = ConversationFactory()
    chat_services.message_create(
        conversation=conversation, sender_type=SenderType.CUSTOMER, body="My order is lost"
    )
    return conversation


@pytest.mark.parametrize(
    "custom_fields",
    [
        {f"k{n}": n for n in range(31)},
        {"note": "x" * 501},
        {"k" * 51: "x"},
        {"order": {"nested": {"deeper": 1}}},
        {"order": [1, 2]},
        ["order"],
    ],
)
def test_ticket_create_limits_custom_fields_as_patch_does(agent_client, custom_fields):
    conversation = _conversation_for_ticket()
    response = agent_client.post(
        f"/api/v1/conversations/{conversation.pk}/tickets/",
        {"subject": "Lost", "custom_fields": custom_fields},
        content_type="application/json",
        **EN,
    )
    assert response.status_code == 400, response.content
    assert "custom_fields" in response.json()["error"]["fields"]
    assert not Ticket.objects.exists()


def test_ticket_create_keeps_valid_custom_fields_and_leaves_nulls_out(agent_client):
    conversation = _conversation_for_ticket()
    response = agent_client.post(
        f"/api/v1/conversations/{conversation.pk}/tickets/",
        {"subject": "Lost", "custom_fields": {" order ": "42", "paid": 19.5, "gone": None}},
        content_type="application/json",
        **EN,
    )
    assert response.status_code == 201, response.content
    fields = Ticket.objects.get().custom_fields
    assert (fields["order"], fields["paid"], "gone" in fields) == ("42", 19.5, False)


# ---- the error shape everywhere under /api/ -----------------------------------------------


def test_an_unknown_url_under_api_is_a_json_404(agent_client):
    for url in ("/api/v1/nope/", "/api/v1/tickets/abc/", "/api/widget/v1/nope/", "/api/nope"):
        response = agent_client.get(url, **EN)
        assert response.status_code == 404, url
        assert error_code(response) == "not_found"
        assert response.json()["error"]["message"]


def test_pages_outside_api_keep_html_404s(agent_client):
    response = agent_client.get("/desk/nope/", **EN)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_wrong_method_is_a_json_405(agent_client):
    response = agent_client.delete("/api/v1/tickets/", **EN)
    assert response.status_code == 405
    assert error_code(response) == "method_not_allowed"


def test_an_unsupported_media_type_is_a_json_415(client):
    WidgetSiteFactory(key="shop")
    response = client.post("/api/widget/v1/sessions/", "site=shop", content_type="text/plain", **EN)
    assert response.status_code == 415
    assert error_code(response) == "unsupported_media_type"


def test_an_unexpected_exception_under_api_is_a_json_500(agent, monkeypatch):
    from chat import selectors

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "conversations_inbox", boom)
    client = Client(raise_request_exception=False)
    client.force_login(agent.user)
    response = client.get("/api/v1/conversations/", **EN)
    assert response.status_code == 500
    assert error_code(response) == "server_error"
    assert "boom" not in response.content.decode()


@pytest.mark.parametrize("length", ["³", "²", "٣"])
def test_a_content_length_of_unicode_digits_is_no_500(client, length):
    WidgetSiteFactory(key="shop")
    response = client.post(
        "/api/widget/v1/sessions/",
        '{"site": "shop"}',
        content_type="application/json",
        CONTENT_LENGTH=length,
        **EN,
    )
    assert response.status_code < 500
    assert response["Content-Type"] == "application/json"
