"""Telegram updates replayed against the real webhook: stored raw once, answered at once,
processed after commit into messages (docs/channels.md)."""

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from chat.adapters.telegram import TelegramAdapter
from chat.channels.inbound import inbound_events_sweep
from chat.channels.models import InboundEvent
from chat.models import (
    Attachment,
    Conversation,
    Customer,
    CustomerIdentity,
    IdentityKind,
    Message,
)
from chat.tests import telegram_stub
from chat.tests.telegram_stub import (
    USER,
    WEBHOOK_SECRET,
    document_update,
    make_account,
    photo_update,
    update,
)
from routing.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db
bot_api = telegram_stub.bot_api  # the Bot API stand-in (a fixture)


def url(account) -> str:
    return f"/api/channels/v1/telegram/{account.key}/webhook/"


def post(client, account, body, *, secret=WEBHOOK_SECRET):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"HTTP_ACCEPT_LANGUAGE": "en"}
    if secret is not None:
        headers["HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN"] = secret
    return client.post(url(account), raw, content_type="application/json", **headers)


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    """POST an update and run what its commit queues (the processing task), like a worker."""

    def run(account, body, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return post(client, account, body, **kwargs)

    return run


def nothing_stored() -> bool:
    return not (
        InboundEvent.objects.exists() or Message.objects.exists() or Customer.objects.exists()
    )


def test_a_text_message_becomes_the_users_message_in_the_accounts_team(deliver, bot_api):
    team = TeamFactory()
    account = make_account(team=team)
    response = deliver(account, update(10000, text="你好，我的订单还没到"))
    assert response.status_code == 200 and response.json() == {"ok": True}
    event = InboundEvent.objects.get()
    assert (event.provider_event_id, event.attempts, event.error) == ("10000", 1, "")
    assert event.processed_at is not None and event.headers["Content-Type"] == "application/json"
    assert "X-Telegram-Bot-Api-Secret-Token" not in event.headers
    message = Message.objects.get()
    assert (message.body, message.channel, message.sender_type) == (
        "你好，我的订单还没到", "telegram", "customer",
    )  # fmt: skip
    assert message.provider_message_id == f"{account.pk}:10000"
    assert message.payload["telegram"] == {"chat_id": USER["id"], "message_id": 11000}
    conversation = message.conversation
    assert (conversation.channel_account_id, conversation.team_id) == (account.pk, team.pk)
    identity = CustomerIdentity.objects.get()
    assert (identity.kind, identity.external_id) == (IdentityKind.TELEGRAM, "1111111")
    assert identity.customer.display_name == "Lei Li"


def test_the_same_users_next_message_joins_the_conversation(deliver, bot_api):
    account = make_account()
    deliver(account, update(1))
    deliver(account, update(2, text="还在吗"))
    assert Conversation.objects.count() == 1
    assert list(Message.objects.values_list("seq", "body")) == [(1, "hello 1"), (2, "还在吗")]


def test_a_name_comes_from_the_username_when_there_is_no_first_name(deliver, bot_api):
    account = make_account()
    deliver(
        account, update(1, user={"id": 42, "is_bot": False, "first_name": "", "username": "kim"})
    )
    assert Customer.objects.get().display_name == "kim"


def test_a_photo_is_downloaded_in_its_largest_size(deliver, bot_api):
    account = make_account()
    deliver(account, photo_update(7, caption="破了"))
    message = Message.objects.get()
    assert (message.content_type, message.body) == ("image", "破了")
    attachment = Attachment.objects.get()
    assert attachment.message_id == message.pk
    assert (attachment.content_type, attachment.uploader_type) == ("image/jpeg", "customer")
    assert attachment.file.read().startswith(b"\xff\xd8\xff")
    assert ("getFile", {"file_id": "photo-big"}) in bot_api.calls


def test_a_document_is_stored_as_a_file(deliver, bot_api):
    account = make_account()
    deliver(account, document_update(8))
    message = Message.objects.get()
    assert message.content_type == "file"
    attachment = message.attachments.get()
    assert (attachment.original_name, attachment.content_type) == ("invoice.pdf", "application/pdf")


def test_a_document_of_a_type_not_accepted_is_named_not_downloaded(deliver, bot_api):
    account = make_account()
    deliver(account, document_update(9, mime="application/x-msdownload", name="setup.exe"))
    message = Message.objects.get()
    assert (message.content_type, message.body) == ("text", "[setup.exe]")
    assert not Attachment.objects.exists() and "getFile" not in bot_api.methods()


def test_a_sticker_is_a_placeholder(deliver, bot_api):
    account = make_account()
    deliver(account, update(3, sticker={"file_id": "x", "width": 1, "height": 1}))
    assert Message.objects.get().body == "[sticker]"


@pytest.mark.parametrize(
    "body",
    [
        {"update_id": 5, "edited_message": update(5)["message"]},
        {"update_id": 6, "my_chat_member": {"chat": {"id": 1, "type": "private"}, "date": 1}},
        {
            "update_id": 7,
            "message": {**update(7)["message"], "chat": {"id": -100, "type": "group"}},
        },
    ],
    ids=["edited", "my_chat_member", "group"],
)
def test_updates_the_desk_does_not_show_are_kept_raw_only(deliver, bot_api, body):
    account = make_account()
    assert deliver(account, body).status_code == 200
    event = InboundEvent.objects.get()
    assert event.processed_at is not None and event.body == body
    assert not Message.objects.exists()


def test_a_redelivery_is_acknowledged_and_stored_once(deliver, bot_api):
    account = make_account()
    first = deliver(account, update(77))
    second = deliver(account, update(77))
    assert first.status_code == second.status_code == 200
    assert InboundEvent.objects.count() == 1 and Message.objects.count() == 1


def test_two_bots_keep_their_own_conversations_and_ids(deliver, bot_api):
    shop, support = make_account(name="shop"), make_account(name="support")
    deliver(shop, update(1))
    deliver(support, update(1))
    assert InboundEvent.objects.count() == 2
    assert set(Conversation.objects.values_list("channel_account_id", flat=True)) == {
        shop.pk,
        support.pk,
    }
    assert Customer.objects.count() == 1


@pytest.mark.parametrize(
    ("secret", "code"),
    [(None, "signature_missing"), ("wrong", "signature_invalid"), ("", "signature_missing")],
)
def test_a_wrong_or_missing_secret_stores_nothing(client, bot_api, secret, code):
    account = make_account()
    response = post(client, account, update(1), secret=secret)
    assert response.status_code == 401 and response.json()["error"]["code"] == code
    assert nothing_stored()


def test_an_unknown_or_switched_off_account_is_not_found(client, bot_api):
    account = make_account()
    account.is_active = False
    account.save()
    assert post(client, account, update(1)).status_code == 404
    assert (
        client.post(
            "/api/channels/v1/telegram/nope/webhook/", b"{}", content_type="application/json"
        ).status_code
        == 404
    )
    assert nothing_stored()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "invalid_json"),
        (b"[1, 2]", "invalid"),
        ({"message": {"text": "no update id"}}, "invalid"),
        ({"update_id": "x"}, "invalid"),
        ({"update_id": 1, "message": {"message_id": 1, "text": "no chat", "date": 1}}, "invalid"),
    ],
)
def test_a_malformed_update_is_400_and_stores_nothing(client, bot_api, body, code, caplog):
    account = make_account()
    response = post(client, account, body)
    assert response.status_code == 400 and response.json()["error"]["code"] == code
    assert nothing_stored()
    assert "webhook of account" in caplog.text


def test_a_crash_while_processing_loses_nothing_the_sweep_processes_it(
    deliver, bot_api, monkeypatch
):
    account = make_account()
    real = TelegramAdapter.parse_event
    monkeypatch.setattr(
        TelegramAdapter, "parse_event", lambda *a: (_ for _ in ()).throw(RuntimeError("db gone"))
    )
    assert deliver(account, update(1)).status_code == 200  # the provider heard 200 anyway
    event = InboundEvent.objects.get()
    assert event.processed_at is None and "db gone" in event.error and event.attempts == 1
    assert event.next_attempt_at > timezone.now() and not Message.objects.exists()
    assert inbound_events_sweep() == 0  # not due yet: backoff
    monkeypatch.setattr(TelegramAdapter, "parse_event", real)
    InboundEvent.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert inbound_events_sweep() == 1
    event.refresh_from_db()
    assert event.processed_at is not None and event.error == "" and event.attempts == 2
    assert Message.objects.count() == 1


def test_a_lost_task_is_picked_up_by_the_sweep(client, bot_api):
    account = make_account()
    post(client, account, update(1))  # committed, but its task never ran (a worker died)
    assert InboundEvent.objects.get().processed_at is None
    assert inbound_events_sweep() == 0  # the task after commit has a head start
    InboundEvent.objects.update(next_attempt_at=timezone.now())
    assert inbound_events_sweep() == 1 and Message.objects.count() == 1


def test_a_burst_of_200_updates_is_acknowledged_and_each_message_stored_once(deliver, bot_api):
    """The issue asks for 1,000 fast updates; 200 (from 20 users, each sent twice) keep the
    suite quick on the shared machine. Every request is answered 200 and each message appears
    once, in its user's one conversation."""
    account = make_account()
    users = [{**USER, "id": 5000 + n, "first_name": f"U{n}"} for n in range(20)]
    started = time.monotonic()
    statuses = [deliver(account, update(n, user=users[n % 20])).status_code for n in range(100)] + [
        deliver(account, update(n, user=users[n % 20])).status_code for n in range(100)
    ]
    elapsed = time.monotonic() - started
    assert statuses == [200] * 200
    assert InboundEvent.objects.count() == 100 and Message.objects.count() == 100
    assert Conversation.objects.count() == 20
    assert sorted(Message.objects.values_list("body", flat=True)) == sorted(
        f"hello {n}" for n in range(100)
    )
    assert elapsed < 60


def test_1000_webhooks_are_acknowledged_fast_and_stored_once(client, bot_api):
    """The issue's 1,000 fast updates, as the webhook sees them: 800 updates and 200
    redeliveries, each answered 200 after its one INSERT, every update stored once. Processing
    is the worker's (here: not run), measured with the 200 above."""
    account = make_account()
    raw = [json.dumps(update(n % 800)).encode() for n in range(1000)]
    started = time.monotonic()
    statuses = [
        client.post(
            url(account),
            body,
            content_type="application/json",
            HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=WEBHOOK_SECRET,
        ).status_code
        for body in raw
    ]
    elapsed = time.monotonic() - started
    assert statuses == [200] * 1000
    assert InboundEvent.objects.count() == 800
    assert InboundEvent.objects.filter(processed_at__isnull=True).count() == 800
    assert elapsed < 60, f"1,000 webhooks took {elapsed:.1f} s"
    print(f"1,000 webhooks acknowledged in {elapsed:.1f} s")
