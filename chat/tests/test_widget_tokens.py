"""Visitor tokens: never in the socket URL, short-lived but renewed, revoked by sign-out.

docs/protocol.md ("Widget socket") and docs/api.md ("Widget API"). Sockets go through the real ASGI
stack and the real Redis channel layer (sign-out closes them after commit), hence transactional
tests.
"""

import json

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core import signing
from django.test import Client

from chat.models import Customer, WidgetVisitor
from chat.tests.factories import WidgetSiteFactory
from chat.tests.tokens import token_made_ago
from chat.widget import consumers
from chat.widget import sessions as widget_sessions
from desk.asgi import application

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("own_channel_prefix"),
]

ORIGIN = (b"origin", b"http://127.0.0.1")
TIMEOUT = 3
SESSIONS = "/api/widget/v1/sessions/"
SIGN_OUT = "/api/widget/v1/sessions/sign-out/"


@pytest.fixture
def site():
    return WidgetSiteFactory(key="shop")


def open_session(status=200, **body):
    response = Client().post(SESSIONS, {"site": "shop", **body}, content_type="application/json")
    assert response.status_code == status, response.content
    return response.json()


def history_status(token, conversation_id=1):
    """What the API says to this token (403 for a refused token; 404 for no such
    conversation, i.e. the token itself was taken)."""
    response = Client().get(
        f"/api/widget/v1/conversations/{conversation_id}/messages/",
        HTTP_X_VISITOR_TOKEN=token,
    )
    return response.status_code, response.json()["error"]["code"]


async def socket_answer(token, *, query="", auth=True):
    """The socket's first answer to this token: the hello frame, or the close."""
    socket = WebsocketCommunicator(application, f"/ws/widget/{query}", headers=[ORIGIN])
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected
    if auth:
        await socket.send_json_to({"type": "auth", "token": token})
    output = await socket.receive_output(timeout=TIMEOUT)
    await socket.disconnect()
    if output["type"] == "websocket.send":
        return {"frame": json.loads(output["text"])["type"]}
    return output


def answer(token, **kwargs):
    return async_to_sync(socket_answer)(token, **kwargs)


CLOSED_4403 = {"type": "websocket.close", "code": 4403}
CLOSED_4401 = {"type": "websocket.close", "code": 4401}
HELLO = {"frame": "hello"}


def test_the_socket_takes_the_token_in_its_first_frame_only(site, monkeypatch):
    token = open_session()["visitor_token"]
    monkeypatch.setattr(consumers, "AUTH_TIMEOUT", 0.3)

    assert answer(token) == HELLO
    # In the URL (where proxies log it) it opens nothing: no hello, closed when time is up.
    assert answer(None, query=f"?token={token}", auth=False) == CLOSED_4401

    async def ping_first():
        socket = WebsocketCommunicator(application, "/ws/widget/", headers=[ORIGIN])
        await socket.connect(timeout=TIMEOUT)
        await socket.send_json_to({"type": "ping", "token": token})
        return await socket.receive_output(timeout=TIMEOUT)

    assert async_to_sync(ping_first)() == CLOSED_4401


def test_an_expired_token_is_refused_but_renews_the_same_visitor(site):
    first = open_session()
    visitor = WidgetVisitor.objects.get()
    expired = token_made_ago(visitor, widget_sessions.TOKEN_MAX_AGE + 60)
    fresh = token_made_ago(visitor, widget_sessions.TOKEN_MAX_AGE - 60)
    assert first["token_expires_in"] == widget_sessions.TOKEN_MAX_AGE == 8 * 3600

    assert answer(expired) == CLOSED_4403
    assert history_status(expired) == (403, "invalid_token")
    assert answer(fresh) == HELLO
    assert history_status(fresh) == (404, "not_found")

    # The session endpoint exchanges it for a fresh token of the same visitor (a reload, or the
    # widget after a 4403), which opens the socket again.
    renewed = open_session(visitor_token=expired)
    assert renewed["resumed"] is True
    assert Customer.objects.count() == 1
    assert answer(renewed["visitor_token"]) == HELLO

    # After a year it no longer names anyone: a new visitor.
    ancient = token_made_ago(visitor, widget_sessions.RESUME_MAX_AGE + 60)
    assert open_session(visitor_token=ancient)["resumed"] is False
    assert Customer.objects.count() == 2


def test_sign_out_revokes_every_token_of_the_visitor_and_closes_its_sockets(site):
    first = open_session()["visitor_token"]
    second = open_session(visitor_token=first)["visitor_token"]  # another tab
    other = open_session()["visitor_token"]  # another visitor

    async def scenario():
        socket = WebsocketCommunicator(application, "/ws/widget/", headers=[ORIGIN])
        await socket.connect(timeout=TIMEOUT)
        await socket.send_json_to({"type": "auth", "token": first})
        assert (await socket.receive_json_from(timeout=TIMEOUT))["type"] == "hello"
        response = await database_sync_to_async(Client().post)(
            SIGN_OUT, HTTP_X_VISITOR_TOKEN=second
        )
        assert response.status_code == 204
        return await socket.receive_output(timeout=TIMEOUT)

    assert async_to_sync(scenario)() == CLOSED_4403
    for token in (first, second):
        assert answer(token) == CLOSED_4403
        assert history_status(token) == (403, "invalid_token")
        response = Client().post(SIGN_OUT, HTTP_X_VISITOR_TOKEN=token)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "invalid_token"
    assert answer(other) == HELLO  # nobody else signed out

    again = open_session(visitor_token=first)
    assert again["resumed"] is False  # a new anonymous visitor, not the one who left
    assert Customer.objects.count() == 3


def test_a_site_users_tokens_end_when_the_page_signs_out_or_another_user_signs_in(site):
    seven = {"user": {"id": "7"}, "user_hash": widget_sessions.user_hash(site, "7")}
    eight = {"user": {"id": "8"}, "user_hash": widget_sessions.user_hash(site, "8")}
    token = open_session(**seven)["visitor_token"]

    # The page no longer says who is signed in: user 7's tokens stop working everywhere.
    anonymous = open_session(visitor_token=token)
    assert anonymous["resumed"] is False
    assert answer(token) == CLOSED_4403
    assert history_status(token) == (403, "invalid_token")

    # Signing in again gives a working token of the same customer.
    back = open_session(visitor_token=anonymous["visitor_token"], **seven)
    assert answer(back["visitor_token"]) == HELLO
    assert (
        widget_sessions.visitor_from_token(back["visitor_token"]).customer.attributes[
            "site_user_id"
        ]
        == "7"
    )

    # Another user signs in on this browser: user 7's tokens end, user 8's work.
    switched = open_session(visitor_token=back["visitor_token"], **eight)
    assert answer(back["visitor_token"]) == CLOSED_4403
    assert answer(switched["visitor_token"]) == HELLO
    # The same user again (a reload) keeps their token working.
    reload = open_session(visitor_token=switched["visitor_token"], **eight)
    assert reload["resumed"] is True
    assert answer(switched["visitor_token"]) == HELLO


def test_a_token_made_before_versions_still_works_until_sign_out(site):
    open_session()
    visitor = WidgetVisitor.objects.get()
    old = signing.dumps([visitor.site_id, visitor.customer_id], salt=widget_sessions.TOKEN_SALT)

    assert answer(old) == HELLO
    widget_sessions.widget_visitor_sign_out(actor=visitor, visitor=visitor)
    assert answer(old) == CLOSED_4403
