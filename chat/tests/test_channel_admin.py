"""Channel accounts in the admin: the token encrypted and masked, the webhook URL, and the
actions that talk to the Bot API (a local stand-in) explaining what is wrong in plain words."""

import json
import socket
import threading

import pytest
from django.contrib.messages import get_messages

from chat import services
from chat.channels.models import ChannelAccount
from chat.channels.secret_box import mask
from chat.models import Message
from chat.tests import telegram_stub
from chat.tests.factories import ConversationFactory
from chat.tests.telegram_stub import TOKEN, make_account
from desk.tests.http_stub import HttpStub

pytestmark = pytest.mark.django_db
bot_api = telegram_stub.bot_api  # the Bot API stand-in (a fixture)

CHANGELIST = "/admin/chat/channelaccount/"


def act(client, action: str, account, language="en") -> list[str]:
    response = client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [account.pk]},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 302
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_a_new_account_keeps_its_token_encrypted_and_shows_its_secret_once(supervisor_client):
    response = supervisor_client.post(
        "/admin/chat/channelaccount/add/",
        {"name": "Shop bot", "channel": "telegram", "is_active": "on", "token": TOKEN},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    account = ChannelAccount.objects.get()
    assert TOKEN not in account.secrets_encrypted and account.secrets["token"] == TOKEN
    secret = account.secrets["webhook_secret"]
    change = f"/admin/chat/channelaccount/{account.pk}/change/"
    shown = supervisor_client.get(change).content.decode()  # the messages, this once
    assert secret in shown and mask(TOKEN) in shown
    page = supervisor_client.get(change).content.decode()
    assert TOKEN not in page and secret not in page and mask(TOKEN) in page
    assert (
        f"/api/channels/v1/telegram/{account.key}/webhook/" in page and "data-copy-button" in page
    )


def test_a_new_account_needs_a_token_and_an_edit_keeps_the_saved_one(supervisor_client):
    response = supervisor_client.post(
        "/admin/chat/channelaccount/add/", {"name": "x", "channel": "telegram"}
    )
    assert response.status_code == 200 and not ChannelAccount.objects.exists()
    account = make_account()
    supervisor_client.post(
        f"/admin/chat/channelaccount/{account.pk}/change/",
        {"name": "renamed", "channel": "telegram", "is_active": "on", "token": ""},
    )
    account.refresh_from_db()
    assert account.name == "renamed" and account.secrets["token"] == TOKEN


def test_secrets_survive_a_dedicated_key_and_its_rotation(settings):
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CHANNEL_SECRETS_KEY = old
    account = make_account()
    settings.CHANNEL_SECRETS_KEY = f"{new},{old}"
    assert ChannelAccount.objects.get().secrets["token"] == TOKEN
    settings.CHANNEL_SECRETS_KEY = new
    with pytest.raises(ValueError):
        _ = ChannelAccount.objects.get(pk=account.pk).secrets


def test_test_connection_names_the_bot(supervisor_client, bot_api):
    account = make_account()
    (message,) = act(supervisor_client, "test_connection", account)
    assert "connected" in message and "@shop_bot" in message and "No webhook" in message
    assert bot_api.methods() == ["getMe", "getWebhookInfo"]


def test_a_wrong_token_is_401(supervisor_client, bot_api):
    (message,) = act(supervisor_client, "test_connection", make_account(token="999:wrong"))
    assert "refused the bot token (401)" in message


def test_a_private_address_is_blocked_without_the_allowlist(supervisor_client, bot_api, settings):
    settings.OUTBOUND_ALLOWLIST = []
    (message,) = act(supervisor_client, "test_connection", make_account())
    assert "private or reserved" in message and bot_api.calls == []


def test_an_unreachable_api_says_so(supervisor_client, settings, monkeypatch):
    from desk.kernel import http

    monkeypatch.setattr(http, "_sleep", lambda seconds: None)
    settings.OUTBOUND_ALLOWLIST = ["127.0.0.1"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.TELEGRAM_API_BASE = f"http://127.0.0.1:{port}"
    (message,) = act(supervisor_client, "test_connection", make_account())
    assert "cannot be reached" in message


def test_a_tls_failure_says_so(supervisor_client, settings, monkeypatch):
    from desk.kernel import http

    monkeypatch.setattr(http, "_sleep", lambda seconds: None)
    settings.OUTBOUND_ALLOWLIST = ["127.0.0.1"]
    with HttpStub() as plain:  # speaks HTTP, not TLS
        settings.TELEGRAM_API_BASE = f"https://127.0.0.1:{plain.port}"
        (message,) = act(supervisor_client, "test_connection", make_account())
    assert "TLS" in message or "cannot be reached" in message


def test_a_silent_api_times_out(supervisor_client, settings, monkeypatch):
    from desk.kernel import http

    monkeypatch.setattr(http, "_sleep", lambda seconds: None)
    settings.OUTBOUND_ALLOWLIST = ["127.0.0.1"]
    settings.OUTBOUND_READ_TIMEOUT = 0.3
    settings.OUTBOUND_RETRIES = 0
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    held = []
    threading.Thread(target=lambda: held.append(listener.accept()), daemon=True).start()
    settings.TELEGRAM_API_BASE = f"http://127.0.0.1:{listener.getsockname()[1]}"
    (message,) = act(supervisor_client, "test_connection", make_account())
    listener.close()
    assert "timeout" in message


def test_register_webhook_gives_telegram_the_url_and_the_secret(
    supervisor_client, bot_api, settings
):
    settings.PUBLIC_BASE_URL = "https://desk.example.com"
    account = make_account()
    (message,) = act(supervisor_client, "register_webhook", account)
    url = f"https://desk.example.com/api/channels/v1/telegram/{account.key}/webhook/"
    assert url in message
    method, fields = bot_api.calls[-1]
    assert method == "setWebhook"
    assert fields["url"] == url and fields["secret_token"] == telegram_stub.WEBHOOK_SECRET
    assert "message" in fields["allowed_updates"]
    account.refresh_from_db()
    assert account.webhook_registered_at is not None


def test_rotating_the_secret_shows_the_new_one_once_and_refuses_the_old(
    supervisor_client, bot_api, client
):
    account = make_account()
    messages = act(supervisor_client, "rotate_secret", account)
    account.refresh_from_db()
    new = account.secrets["webhook_secret"]
    assert new != telegram_stub.WEBHOOK_SECRET and any(new in m for m in messages)
    refused = client.post(
        f"/api/channels/v1/telegram/{account.key}/webhook/",
        json.dumps(telegram_stub.update(1)),
        content_type="application/json",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=telegram_stub.WEBHOOK_SECRET,
    )
    assert refused.status_code == 401


@pytest.mark.parametrize("how", ["change page", "bulk action"])
def test_deleting_an_account_closes_its_open_conversations(
    supervisor_client, supervisor, django_capture_on_commit_callbacks, how
):
    """Its replies could no longer reach anyone: the conversations are closed (on the timeline,
    by the supervisor), so an agent's reply is refused instead of shown sent."""
    account = make_account()
    open_chat = ConversationFactory(channel="telegram", channel_account=account)
    done = ConversationFactory(channel="telegram", channel_account=account, status="closed")
    with django_capture_on_commit_callbacks(execute=True):
        if how == "change page":
            url = f"{CHANGELIST}{account.pk}/delete/"
            response = supervisor_client.post(url, {"post": "yes"})
        else:
            response = supervisor_client.post(
                CHANGELIST,
                {"action": "delete_selected", "_selected_action": [account.pk], "post": "yes"},
            )
    assert response.status_code == 302
    assert not ChannelAccount.objects.exists()
    open_chat.refresh_from_db()
    assert open_chat.status == "closed" and open_chat.channel_account_id is None
    closing = Message.objects.get(conversation=open_chat, content_type="event")
    assert closing.payload["event"] == "conversation.status"
    assert closing.sender_user == supervisor.user
    assert not Message.objects.filter(conversation=done).exists()  # closed already: untouched
    with pytest.raises(services.ConversationClosed):
        services.message_send_as_agent(
            actor=supervisor.user, conversation=open_chat, body="hello?", client_msg_id="c-1"
        )
