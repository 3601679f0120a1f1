"""The web widget as a channel adapter (chat/adapters/web.py): its four parts, as the widget's
socket and REST API use them (their own tests drive those end to end: test_widget_socket.py,
test_widget_api.py, test_widget_tokens.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from chat import events, services
from chat.adapters.base import Outbound
from chat.adapters.web import InvalidToken, web_adapter
from chat.channels.models import OutboundDelivery
from chat.channels.outbound import _sending_channels
from chat.frames import message_send_fields
from chat.inbound import InboundMessage
from chat.models import (
    Attachment,
    Channel,
    ContentType,
    CustomerIdentity,
    DeliveryState,
    IdentityKind,
    Message,
    SenderType,
)
from chat.tests.factories import WidgetSiteFactory
from chat.tests.tokens import token_made_ago
from chat.widget import sessions as widget_sessions
from desk.kernel import realtime
from desk.kernel.errors import error_answer
from routing.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pushed(monkeypatch):
    """Every realtime push sent (after commit), as (groups, frame type)."""
    sent: list[tuple[list[str], str]] = []
    monkeypatch.setattr(
        realtime, "send_now", lambda groups, event: sent.append((list(groups), event["type"]))
    )
    return sent


@pytest.fixture
def site():
    return WidgetSiteFactory(key="shop", team=TeamFactory(name="Sales"))


@pytest.fixture
def session(site, pushed):
    return widget_sessions.widget_session_open(
        site=site,
        context={"page_url": "https://shop.test/cart", "browser": "Firefox"},
        ip_address="203.0.113.7",
    )


def frame(client_msg_id="c-1", body="hello", **extra):
    return message_send_fields({"client_msg_id": client_msg_id, "body": body, **extra})


# ---- verify -------------------------------------------------------------------------------


def test_verify_gives_the_tokens_visitor(session):
    assert web_adapter.verify(session.token) == session.visitor


@pytest.mark.parametrize("token", [None, "", 42, "not-a-token", "x" * 600])
def test_a_missing_or_bad_token_is_refused_as_the_api_answers_it(token):
    with translation.override("en"), pytest.raises(InvalidToken) as refused:
        web_adapter.verify(token)

    answer = error_answer(refused.value)
    assert (answer.status, answer.code) == (403, "invalid_token")
    assert answer.message == "The visitor token is missing or not valid."


def test_an_expired_token_is_refused_but_resumes_within_its_longer_age(session):
    old = token_made_ago(session.visitor, widget_sessions.TOKEN_MAX_AGE + 60)

    with pytest.raises(InvalidToken):
        web_adapter.verify(old)
    resumed = web_adapter.verify(old, max_age=widget_sessions.RESUME_MAX_AGE)
    assert resumed == session.visitor


def test_a_signed_out_visitors_token_is_refused(session):
    widget_sessions.widget_visitor_sign_out(actor=session.visitor, visitor=session.visitor)

    with pytest.raises(InvalidToken):
        web_adapter.verify(session.token)


def test_a_token_of_a_switched_off_site_is_refused(site, session):
    site.is_active = False
    site.save(update_fields=["is_active"])

    with pytest.raises(InvalidToken):
        web_adapter.verify(session.token)


# ---- parse --------------------------------------------------------------------------------


def test_a_message_send_frame_is_the_common_envelope_without_a_query(session):
    visitor = web_adapter.verify(session.token)
    stored = CustomerIdentity.objects.get(customer=session.visitor.customer)

    with CaptureQueriesContext(connection) as queries:
        message = web_adapter.parse(visitor, frame("c-1", "hello"))

    assert len(queries) == 0
    assert isinstance(message, InboundMessage)
    assert message.channel == Channel.WEB
    assert message.provider_message_id == "c-1"
    assert message.identity == services.IdentityRef(IdentityKind.WEB_VISITOR, stored.external_id)
    assert stored.external_id.startswith("shop:")
    assert message.display_name == session.visitor.customer.display_name
    assert (message.body, message.content_type) == ("hello", ContentType.TEXT)
    assert message.sent_at is not None
    assert message.context.page_url == "https://shop.test/cart"
    assert message.context.browser == "Firefox"
    assert message.context.ip_address == "203.0.113.7"
    assert message.attachment_ids == ()


def test_a_signed_in_visitor_is_its_verified_site_user(site, pushed):
    user = widget_sessions.SiteUser(id="42", name="Li Lei")
    opened = widget_sessions.widget_session_open(
        site=site, user=user, given_hash=widget_sessions.user_hash(site, "42")
    )

    message = web_adapter.parse(web_adapter.verify(opened.token), frame())

    assert message.identity == services.IdentityRef(IdentityKind.SITE_USER, "shop:42", True)
    assert message.display_name == "Li Lei"


def test_a_visitor_from_elsewhere_reads_its_identity(session):
    message = web_adapter.parse(session.visitor, frame())

    assert message.identity.kind == IdentityKind.WEB_VISITOR
    assert message.identity.external_id.startswith("shop:")


def test_a_message_of_only_attachments_takes_their_kind_when_stored(session):
    message = web_adapter.parse(session.visitor, frame(body="", attachment_ids=[7, 8]))

    assert (message.body, message.content_type, message.attachment_ids) == ("", None, (7, 8))


@pytest.mark.parametrize(
    "fields",
    [
        {"attachment_ids": [0]},
        {"attachment_ids": [True]},
        {"attachment_ids": ["3"]},
        {"attachment_ids": list(range(1, 12))},
        {"content_type": None},  # only for a message of only attachments
        {"content_type": None, "body": "text", "attachment_ids": (1,)},
    ],
)
def test_the_envelope_refuses_what_cannot_be_stored(fields):
    base = {
        "channel": Channel.WEB,
        "provider_message_id": "c-1",
        "identity": services.IdentityRef(IdentityKind.WEB_VISITOR, "shop:x"),
        "body": "",
    }
    if isinstance(fields.get("attachment_ids"), list):
        fields = {**fields, "attachment_ids": tuple(fields["attachment_ids"])}
    with pytest.raises(ValueError):
        InboundMessage(**{**base, **fields})


# ---- receive ------------------------------------------------------------------------------


def test_receive_stores_once_under_the_client_msg_id(session):
    visitor = web_adapter.verify(session.token)
    message = web_adapter.parse(visitor, frame("c-1", "hello"))

    first = web_adapter.receive(visitor, message, conversation_id=None)
    again = web_adapter.receive(
        visitor, web_adapter.parse(visitor, frame("c-1", "hello")), conversation_id=None
    )
    fast = web_adapter.receive(visitor, message, conversation_id=first.message.conversation_id)

    assert first.created and not again.created and not fast.created
    assert again.message.pk == fast.message.pk == first.message.pk
    stored = Message.objects.get()
    assert (stored.client_msg_id, stored.provider_message_id) == ("c-1", "")
    assert (stored.channel, stored.sender_type, stored.body) == ("web", "customer", "hello")
    assert stored.payload == {}
    conversation = stored.conversation
    assert (conversation.channel, conversation.widget_site_id) == ("web", session.visitor.site_id)
    assert conversation.page_url == "https://shop.test/cart"


def test_the_ack_is_the_protocols(session):
    visitor = web_adapter.verify(session.token)
    message = web_adapter.parse(visitor, frame("c-1", "hello"))
    result = web_adapter.receive(visitor, message, conversation_id=None)

    ack = web_adapter.ack(message, result, ref="r1")

    stored = result.message
    assert ack == {
        "type": "ack",
        "ref": "r1",
        "client_msg_id": "c-1",
        "message_id": stored.pk,
        "seq": stored.seq,
        "conversation_id": stored.conversation_id,
        "message": events.customer_message_json(stored),
    }


def test_uploads_go_with_the_message_and_give_it_their_kind(session):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from chat.widget.services import widget_attachment_upload

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    visitor = web_adapter.verify(session.token)
    upload = widget_attachment_upload(
        visitor=visitor, upload=SimpleUploadedFile("a.png", png, content_type="image/png")
    )

    message = web_adapter.parse(visitor, frame(body="", attachment_ids=[upload.pk]))
    result = web_adapter.receive(visitor, message, conversation_id=upload.conversation_id)

    assert result.created
    assert result.message.content_type == ContentType.IMAGE
    assert Attachment.objects.get(pk=upload.pk).message_id == result.message.pk


# ---- send ---------------------------------------------------------------------------------


def test_replies_go_out_by_the_push_not_by_a_delivery(
    session, pushed, django_capture_on_commit_callbacks
):
    assert web_adapter.outbound == Outbound.PUSH
    assert Channel.WEB not in _sending_channels()
    visitor = web_adapter.verify(session.token)
    result = web_adapter.receive(visitor, web_adapter.parse(visitor, frame()), conversation_id=None)
    group = events.conversation_customer(result.message.conversation_id)

    pushed.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.message_create(
            conversation=result.message.conversation, sender_type=SenderType.AGENT, body="hi"
        ).message

    assert ([group], "message.new") in pushed  # message_create's own push is the send
    assert reply.delivery_state == DeliveryState.SENT
    assert not OutboundDelivery.objects.exists()

    pushed.clear()
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        web_adapter.send(reply)
    assert len(queries) == 0
    assert pushed == [([group], "message.new")]


def test_an_internal_note_is_never_sent(session):
    visitor = web_adapter.verify(session.token)
    result = web_adapter.receive(visitor, web_adapter.parse(visitor, frame()), conversation_id=None)
    note = services.message_create(
        conversation=result.message.conversation,
        sender_type=SenderType.AGENT,
        body="between us",
        is_internal=True,
    ).message

    with pytest.raises(ValueError):
        web_adapter.send(note)


# ---- delivery status ----------------------------------------------------------------------


def test_read_marks_the_replies_up_to_seq(
    session, site, pushed, django_capture_on_commit_callbacks
):
    visitor = web_adapter.verify(session.token)
    first = web_adapter.receive(visitor, web_adapter.parse(visitor, frame()), conversation_id=None)
    conversation = first.message.conversation
    replies = [
        services.message_create(
            conversation=conversation, sender_type=SenderType.AGENT, body=f"r{n}"
        ).message
        for n in (1, 2)
    ]
    pushed.clear()

    with django_capture_on_commit_callbacks(execute=True):
        seq = web_adapter.delivery_status(
            visitor, conversation_id=conversation.pk, seq=replies[0].seq
        )

    assert seq == replies[0].seq
    states = dict(Message.objects.filter(sender_type="agent").values_list("body", "delivery_state"))
    assert states == {"r1": DeliveryState.READ, "r2": DeliveryState.SENT}
    conversation.refresh_from_db()
    assert conversation.unread_by_customer == 1
    assert pushed == [([events.conversation_agents(conversation.pk)], "read")]

    other = widget_sessions.widget_session_open(site=site, context={})
    assert (
        web_adapter.delivery_status(other.visitor, conversation_id=conversation.pk, seq=9) is None
    )


def test_the_api_answers_a_refused_token_as_before(client):
    response = client.get(
        "/api/widget/v1/conversations/1/messages/",
        HTTP_X_VISITOR_TOKEN="not-a-token",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 403
    assert response.json() == {
        "error": {"code": "invalid_token", "message": "The visitor token is missing or not valid."}
    }
