"""The app channel's webhook: the merchant's app backend posts its users' messages, signed; only
verified, valid requests store anything, and each message is stored once."""

import json
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat.adapters import app
from chat.models import (
    Channel,
    Conversation,
    ConversationStatus,
    Customer,
    CustomerIdentity,
    IdentityKind,
    Message,
)
from chat.tests.factories import ConversationFactory, CustomerIdentityFactory
from chat.tests.test_inbound import STEADY_STATE, statements

pytestmark = pytest.mark.django_db

URL = "/api/channels/v1/app/webhook/"
SECRET = "app-backend-shared-secret"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.APP_CHANNEL_SECRET = SECRET


def message(id="m-1", user_id="u-1", text="你好，我的订单还没到", **extra) -> dict:
    return {"id": id, "user_id": user_id, "text": text, **extra}


def post(client, body, *, timestamp=None, signature=None, secret=SECRET, **headers):
    """POST `body` (a dict, or raw bytes) signed like the app backend signs it."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    stamp = str(int(time.time())) if timestamp is None else timestamp
    signed = app.sign(secret, stamp, raw) if signature is None else signature
    return client.post(
        URL,
        raw,
        content_type="application/json",
        HTTP_X_UNIDESK_TIMESTAMP=stamp,
        HTTP_X_UNIDESK_SIGNATURE=signed,
        **{"HTTP_ACCEPT_LANGUAGE": "en", **headers},
    )


def nothing_stored() -> bool:
    return not (
        Message.objects.exists() or Conversation.objects.exists() or Customer.objects.exists()
    )


def error(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


# ---- signature ----------------------------------------------------------------------------


def test_a_signed_message_is_stored_in_a_new_conversation_of_a_new_customer(client):
    body = {
        "messages": [
            message(
                user_name="李雷",
                sent_at="2025-03-01T16:30:00+08:00",
                context={"device": "iPhone 15", "os": "iOS 18.2", "app_version": "3.2.1"},
            )
        ]
    }

    response = post(client, body)

    assert response.status_code == 200, response.content
    stored = Message.objects.get()
    assert response.json() == {
        "messages": [{"id": "m-1", "conversation_id": stored.conversation_id, "seq": 1}]
    }
    assert (stored.channel, stored.sender_type, stored.body) == (
        "app",
        "customer",
        "你好，我的订单还没到",
    )
    assert stored.provider_message_id == "m-1"
    assert stored.payload == {"sent_at": "2025-03-01T16:30:00+08:00"}
    conversation = stored.conversation
    assert (conversation.channel, conversation.status) == ("app", "waiting")
    assert (conversation.device, conversation.os, conversation.app_version) == (
        "iPhone 15", "iOS 18.2", "3.2.1",
    )  # fmt: skip
    identity = CustomerIdentity.objects.get()
    assert (identity.kind, identity.external_id, identity.verified) == ("app_user", "u-1", True)
    assert identity.customer.display_name == "李雷"


def test_a_wrong_signature_is_refused_and_stores_nothing(client):
    body = {"messages": [message()]}
    raw = json.dumps(body).encode()
    stamp = str(int(time.time()))

    for signature in (
        app.sign("another secret", stamp, raw),
        app.sign(SECRET, stamp, raw + b" "),  # signed another body
        app.sign(SECRET, str(int(stamp) - 1), raw),  # signed another time
        app.sign(SECRET, stamp, raw).removeprefix("sha256="),
        app.sign(SECRET, stamp, raw)[:-1],
        "sha256=" + "0" * 64,
        "sha256=ü",
    ):
        response = post(client, raw, timestamp=stamp, signature=signature)
        assert error(response) == (401, "signature_invalid"), signature
    for stamp in ("12x", "-5", "١٢٣", "9" * 5000):  # signed, but not a time
        assert error(post(client, raw, timestamp=stamp)) == (401, "signature_invalid"), stamp
    assert nothing_stored()


def test_a_missing_signature_or_timestamp_is_refused(client):
    raw = json.dumps({"messages": [message()]}).encode()

    no_signature = client.post(
        URL, raw, content_type="application/json", HTTP_X_UNIDESK_TIMESTAMP=str(int(time.time()))
    )
    no_timestamp = client.post(
        URL,
        raw,
        content_type="application/json",
        HTTP_X_UNIDESK_SIGNATURE=app.sign(SECRET, "", raw),
    )

    assert error(no_signature) == (401, "signature_missing")
    assert error(no_timestamp) == (401, "signature_missing")
    assert nothing_stored()


def test_a_request_signed_more_than_five_minutes_away_is_refused(client):
    now = int(time.time())

    # A minute clear of the 300 s window either way: a busy machine may take seconds per request.
    for stamp in (now - 360, now + 360, 0):
        response = post(client, {"messages": [message()]}, timestamp=str(stamp))
        assert error(response) == (401, "signature_expired"), stamp
    assert nothing_stored()
    assert post(client, {"messages": [message()]}, timestamp=str(now - 240)).status_code == 200


def test_without_a_secret_the_channel_is_off(client, settings):
    settings.APP_CHANNEL_SECRET = ""

    response = post(client, {"messages": [message()]}, secret="")

    assert error(response) == (503, "channel_disabled")
    assert nothing_stored()


def test_refusals_speak_the_callers_language(client):
    response = post(
        client, {"messages": [message()]}, signature="sha256=00", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    assert response.json()["error"] == {"code": "signature_invalid", "message": "请求的签名无效。"}


# ---- the body -----------------------------------------------------------------------------


def test_a_body_that_is_not_json_is_refused(client):
    for raw in (b"{", b"", b"\xff\xfe", b'{"messages": [NaN]}', b"[" * 40 + b"]" * 40):
        response = post(client, raw)
        assert error(response) == (400, "invalid_json"), raw
    assert nothing_stored()


def test_an_oversized_body_is_refused_before_it_is_read(client, settings):
    settings.REQUEST_BODY_MAX_BYTES = 4096
    body = {"messages": [message(text="x" * 4000, id=f"m-{n}") for n in range(2)]}

    response = post(client, body)

    assert error(response) == (413, "payload_too_large")
    assert nothing_stored()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"messages": [{"user_id": "u-1", "text": "hi"}]}, "id"),
        ({"messages": [message(id="")]}, "id"),
        ({"messages": [message(id="x" * 192)]}, "id"),
        ({"messages": [message(user_id=None)]}, "user_id"),
        ({"messages": [message(user_id=True)]}, "user_id"),
        ({"messages": [message(user_id="  ")]}, "user_id"),
        ({"messages": [message(text="   ")]}, "text"),
        ({"messages": [message(text="x" * 5001)]}, "text"),
        ({"messages": [message(text=["hi"])]}, "text"),
        ({"messages": [message(text="bad \ud800 text")]}, "text"),
        ({"messages": [message(text="nul \x00")]}, "text"),
        ({"messages": [message(type="image")]}, "type"),
        ({"messages": [message(sent_at="yesterday")]}, "sent_at"),
        ({"messages": [message(context={"device": "x" * 101})]}, "context"),
        ({"messages": [message(context="iPhone")]}, "context"),
        ({"messages": []}, "messages"),
        ({"messages": [message(id=f"m-{n}") for n in range(101)]}, "messages"),
        ({"messages": message()}, "messages"),
        ({}, "messages"),
        (["not", "an", "object"], "non_field_errors"),
    ],
)
def test_invalid_fields_are_refused_with_the_field_named(client, body, field):
    response = post(client, body)

    assert response.status_code == 400, response.content
    data = response.json()["error"]
    assert data["code"] == "invalid"
    assert list(data["fields"]) == [field] or field in json.dumps(data["fields"])
    assert nothing_stored()


def test_one_invalid_message_refuses_the_whole_request(client):
    body = {"messages": [message("m-1"), message("m-2", text="")]}

    response = post(client, body)

    assert error(response) == (400, "invalid")
    assert response.json()["error"]["fields"]["messages"]["1"] == {
        "text": ["This field may not be blank."]
    }
    assert nothing_stored()


def test_a_batch_may_carry_several_users_and_numeric_ids(client):
    body = {
        "messages": [
            message(id=7, user_id=1001),
            message(id=8, user_id=1002),
            message(id=9, user_id=1001),
        ]
    }

    response = post(client, body)

    assert response.status_code == 200
    answer = response.json()["messages"]
    assert [(item["id"], item["seq"]) for item in answer] == [("7", 1), ("8", 1), ("9", 2)]
    assert (
        answer[0]["conversation_id"] == answer[2]["conversation_id"] != answer[1]["conversation_id"]
    )
    assert set(CustomerIdentity.objects.values_list("external_id", flat=True)) == {"1001", "1002"}


# ---- exactly once -------------------------------------------------------------------------


def test_a_redelivery_gets_the_same_answer_and_stores_nothing_new(client):
    body = {"messages": [message(), message("m-2", text="还在吗")]}

    first = post(client, body)
    again = post(client, body)  # the backend did not hear our 200 and retries, newly signed

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert Message.objects.count() == 2
    assert Conversation.objects.count() == Customer.objects.count() == 1


def test_a_redelivery_after_the_conversation_closed_changes_nothing(client):
    body = {"messages": [message()]}
    first = post(client, body).json()
    Conversation.objects.update(status=ConversationStatus.CLOSED)

    again = post(client, body)

    assert again.json() == first
    assert Message.objects.count() == Conversation.objects.count() == 1


# ---- limits -------------------------------------------------------------------------------


def test_requests_are_rate_limited_per_address(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "channel_webhook.ip": (2, 60)}

    assert post(client, {"messages": [message("m-1")]}).status_code == 200
    assert post(client, {"messages": [message("m-2")]}, signature="sha256=00").status_code == 401
    limited = post(client, {"messages": [message("m-3")]})

    assert error(limited) == (429, "rate_limited")
    assert int(limited["Retry-After"]) > 0
    assert list(Message.objects.values_list("provider_message_id", flat=True)) == ["m-1"]


def test_the_webhook_path_costs_a_fixed_number_of_statements(client):
    """A known app user writing into their open conversation: the statements of the whole request
    (no session, no user: the signature is the credential)."""
    identity = CustomerIdentityFactory(kind=IdentityKind.APP_USER, external_id="u-1")
    ConversationFactory(
        customer=identity.customer, channel=Channel.APP, status=ConversationStatus.OPEN
    )
    post(client, {"messages": [message("m-1")]})

    with CaptureQueriesContext(connection) as queries:
        response = post(client, {"messages": [message("m-2")]})

    assert response.json()["messages"][0]["seq"] == 2
    # Exactly the service's: the open conversation by identity, the conversation's conditional
    # UPDATE, the message, the domain event (chat/tests/test_inbound.py says why each).
    assert statements(queries) == STEADY_STATE
