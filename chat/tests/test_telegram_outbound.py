"""Agents' replies in Telegram conversations go out through the Bot API (a local stand-in):
pending → sent with Telegram's message id, retried with backoff, failed with the reason, and sent
again from the workspace's Retry."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from chat import services
from chat.attachments import attachment_upload
from chat.channels.models import DeliveryStatus, OutboundDelivery
from chat.channels.outbound import deliveries_sweep
from chat.models import Conversation, Message
from chat.tests import telegram_stub
from chat.tests.factories import ConversationFactory
from chat.tests.telegram_stub import PNG, USER, WEBHOOK_SECRET, make_account, update
from desk.kernel import http

pytestmark = pytest.mark.django_db
bot_api = telegram_stub.bot_api  # the Bot API stand-in (a fixture)


@pytest.fixture
def waits(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(http, "_sleep", slept.append)
    return slept


@pytest.fixture
def run_commits(django_capture_on_commit_callbacks):
    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def conversation(client, bot_api, run_commits) -> Conversation:
    account = make_account()
    run_commits(
        client.post,
        f"/api/channels/v1/telegram/{account.key}/webhook/",
        json.dumps(update(1, text="我的订单呢")).encode(),
        content_type="application/json",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=WEBHOOK_SECRET,
    )
    return Conversation.objects.get()


def reply(run_commits, conversation, actor, body="您好，马上查", **kwargs) -> Message:
    result = run_commits(
        services.message_send_as_agent,
        actor=actor,
        conversation=conversation,
        body=body,
        client_msg_id=f"c-{Message.objects.count()}",
        **kwargs,
    )
    result.message.refresh_from_db()
    return result.message


def sends(bot_api) -> list[dict]:
    return [fields for method, fields in bot_api.calls if method.startswith("send")]


def test_a_reply_goes_out_with_sendmessage_and_is_sent(
    conversation, bot_api, run_commits, supervisor
):
    message = reply(run_commits, conversation, supervisor.user)
    assert sends(bot_api) == [{"chat_id": str(USER["id"]), "text": "您好，马上查"}]
    assert message.delivery_state == "sent"
    delivery = OutboundDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.account_id) == (
        "sent", 1, conversation.channel_account_id,
    )  # fmt: skip
    assert message.provider_message_id == delivery.provider_message_id
    assert delivery.provider_message_id.endswith(":out:1111111:501")


def test_the_reply_is_pending_until_its_send_commits(conversation, bot_api, supervisor):
    result = services.message_send_as_agent(
        actor=supervisor.user, conversation=conversation, body="x", client_msg_id="p1"
    )  # no commit callbacks run: the send has not happened
    assert result.message.delivery_state == "pending" and sends(bot_api) == []


def test_internal_notes_and_widget_replies_are_not_sent(
    conversation, bot_api, run_commits, supervisor
):
    note = reply(run_commits, conversation, supervisor.user, is_internal=True)
    web = ConversationFactory()
    web_reply = reply(run_commits, web, supervisor.user)
    assert sends(bot_api) == [] and not OutboundDelivery.objects.exists()
    assert note.delivery_state == web_reply.delivery_state == "sent"


def test_an_image_goes_with_sendphoto_and_the_text_as_caption(
    conversation, bot_api, run_commits, supervisor
):
    upload = attachment_upload(
        conversation=conversation,
        upload=SimpleUploadedFile("a.png", PNG, content_type="image/png"),
        actor=supervisor.user,
    )
    message = reply(
        run_commits, conversation, supervisor.user, body="看图", attachment_ids=[upload.pk]
    )
    assert bot_api.methods()[-1] == "sendPhoto"
    assert sends(bot_api) == [
        {"chat_id": "1111111", "photo": {"filename": "a.png", "size": len(PNG)}, "caption": "看图"}
    ]
    assert message.delivery_state == "sent"


def test_a_pdf_goes_with_senddocument(conversation, bot_api, run_commits, supervisor):
    upload = attachment_upload(
        conversation=conversation,
        upload=SimpleUploadedFile("r.pdf", b"%PDF-1.4", content_type="application/pdf"),
        actor=supervisor.user,
    )
    reply(run_commits, conversation, supervisor.user, body="", attachment_ids=[upload.pk])
    assert bot_api.methods()[-1] == "sendDocument"


def test_429_waits_retry_after_then_succeeds(conversation, bot_api, run_commits, supervisor, waits):
    bot_api.fail(
        "sendMessage",
        (429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
               "parameters": {"retry_after": 1}}, {"Retry-After": "1"}),
    )  # fmt: skip
    message = reply(run_commits, conversation, supervisor.user)
    assert bot_api.methods().count("sendMessage") == 2 and waits == [1.0]
    assert message.delivery_state == "sent"


def test_500_is_retried(conversation, bot_api, run_commits, supervisor, waits):
    bot_api.fail("sendMessage", (500, {"ok": False, "error_code": 500, "description": "Internal"}))
    message = reply(run_commits, conversation, supervisor.user)
    assert bot_api.methods().count("sendMessage") == 2 and len(waits) == 1
    assert message.delivery_state == "sent"


def test_a_long_outage_waits_for_the_sweep(
    conversation, bot_api, run_commits, supervisor, waits, settings
):
    settings.OUTBOUND_RETRIES = 1
    down = (503, {"ok": False, "error_code": 503, "description": "down"})
    bot_api.fail("sendMessage", down, down)
    message = reply(run_commits, conversation, supervisor.user)
    delivery = OutboundDelivery.objects.get()
    assert (message.delivery_state, delivery.status, delivery.attempts) == ("pending", "pending", 1)
    assert delivery.error_code == "provider_error" and delivery.next_attempt_at > timezone.now()
    assert deliveries_sweep() == 0  # not due yet
    OutboundDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert deliveries_sweep() == 1
    message.refresh_from_db()
    assert message.delivery_state == "sent" and OutboundDelivery.objects.get().attempts == 2


def test_400_is_not_retried_and_fails_with_the_reason(
    conversation, bot_api, run_commits, supervisor, waits
):
    bot_api.fail(
        "sendMessage",
        (400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}),
    )
    message = reply(run_commits, conversation, supervisor.user)
    assert bot_api.methods().count("sendMessage") == 1 and waits == []
    assert message.delivery_state == "failed"
    assert message.payload["delivery_error"]["code"] == "bad_request"
    assert "chat not found" in message.payload["delivery_error"]["reason"]
    assert OutboundDelivery.objects.get().status == DeliveryStatus.FAILED


def test_a_blocked_bot_fails_at_once(conversation, bot_api, run_commits, supervisor):
    bot_api.fail(
        "sendMessage",
        (
            403,
            {
                "ok": False,
                "error_code": 403,
                "description": "Forbidden: bot was blocked by the user",
            },
        ),
    )
    message = reply(run_commits, conversation, supervisor.user)
    assert (
        message.delivery_state == "failed"
        and message.payload["delivery_error"]["code"] == "forbidden"
    )


def test_the_retry_endpoint_sends_a_failed_reply_again(
    conversation, bot_api, run_commits, supervisor, supervisor_client
):
    bot_api.fail(
        "sendMessage", (400, {"ok": False, "error_code": 400, "description": "Bad Request: x"})
    )
    message = reply(run_commits, conversation, supervisor.user)
    assert message.delivery_state == "failed"
    url = f"/api/v1/conversations/{conversation.pk}/messages/{message.pk}/retry/"
    response = run_commits(supervisor_client.post, url)
    assert response.status_code == 200 and response.json()["delivery_state"] == "pending"
    message.refresh_from_db()
    assert message.delivery_state == "sent" and "delivery_error" not in message.payload
    delivery = OutboundDelivery.objects.get()
    assert delivery.retried_by == supervisor.user and delivery.status == "sent"
    again = supervisor_client.post(url, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_retryable"


def test_the_retry_endpoint_is_scoped(conversation, bot_api, run_commits, supervisor, agent_client):
    bot_api.fail("sendMessage", (400, {"ok": False, "error_code": 400, "description": "x"}))
    message = reply(run_commits, conversation, supervisor.user)
    other = ConversationFactory()
    assert agent_client.post(
        f"/api/v1/conversations/{other.pk}/messages/{message.pk}/retry/"
    ).status_code in (404, 409)
    assert Message.objects.get(pk=message.pk).delivery_state == "failed"


def test_a_switched_off_account_fails_the_reply(conversation, bot_api, run_commits, supervisor):
    conversation.channel_account.is_active = False
    conversation.channel_account.save()
    message = reply(run_commits, conversation, supervisor.user)
    assert message.delivery_state == "failed" and sends(bot_api) == []
    assert message.payload["delivery_error"]["code"] == "account_inactive"


def test_turning_the_chat_into_a_ticket_tells_the_telegram_customer(
    conversation, bot_api, run_commits, supervisor
):
    """转工单 works as in any conversation, and the ticket card the widget would show reaches
    the customer in Telegram as a message with the ticket's number."""
    from tickets.models import TicketSource
    from tickets.services import TicketData, ticket_create_from_conversation

    made = run_commits(
        ticket_create_from_conversation,
        actor=supervisor.user,
        conversation=conversation,
        data=TicketData(subject="Parcel late"),
        source=TicketSource.BUTTON,
    )
    card = Message.objects.get(content_type="ticket")
    assert card.delivery_state == "sent"
    (sent,) = sends(bot_api)
    assert sent["chat_id"] == "1111111" and made.ticket.number in sent["text"]
