"""WeChat and WhatsApp accounts in the admin: their secrets encrypted, the Token / verify token
shown once, and Test connection against local stand-ins of their APIs, in plain words."""

import pytest
from django.contrib.messages import get_messages

from chat.channels.models import ChannelAccount
from chat.tests import wechat_stub, whatsapp_stub
from chat.tests.wechat_stub import AES_KEY, APP_ID, APP_SECRET

pytestmark = pytest.mark.django_db
wechat_api = wechat_stub.wechat_api
graph_api = whatsapp_stub.graph_api
CHANGELIST = "/admin/chat/channelaccount/"


def act(client, action: str, account, language="en") -> list[str]:
    response = client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [account.pk]},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 302
    return [str(message) for message in get_messages(response.wsgi_request)][-1:]


def test_a_wechat_account_keeps_its_secrets_encrypted_and_shows_the_token_once(
    supervisor_client,
):
    response = supervisor_client.post(
        "/admin/chat/channelaccount/add/",
        {"name": "服务号", "channel": "wechat", "is_active": "on", "app_id": APP_ID,
         "app_secret": APP_SECRET, "encoding_aes_key": AES_KEY},
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    assert response.status_code == 302
    account = ChannelAccount.objects.get()
    assert APP_SECRET not in account.secrets_encrypted and AES_KEY not in account.secrets_encrypted
    assert account.secrets["encoding_aes_key"] == AES_KEY
    token = account.secrets["webhook_secret"]
    assert len(token) == 32 and token.isalnum()  # WeChat's Token: 3-32 letters and digits
    change = f"/admin/chat/channelaccount/{account.pk}/change/"
    assert token in supervisor_client.get(change).content.decode()
    page = supervisor_client.get(change).content.decode()
    assert token not in page and APP_SECRET not in page and f"/wechat/{account.key}/" in page


def test_a_wechat_account_needs_its_appid_and_a_valid_key(supervisor_client):
    response = supervisor_client.post(
        "/admin/chat/channelaccount/add/",
        {"name": "x", "channel": "wechat", "app_id": APP_ID, "app_secret": "s",
         "encoding_aes_key": "short"},
    )  # fmt: skip
    assert response.status_code == 200 and not ChannelAccount.objects.exists()


def test_wechat_test_connection_in_plain_words(supervisor_client, wechat_api):
    account = wechat_stub.make_account()
    assert "access_token fetched" in act(supervisor_client, "test_connection", account)[0]
    account.set_secrets(app_secret="wrong")
    account.save()
    said = act(supervisor_client, "test_connection", account, language="zh-hans")[0]
    assert "40125" in said
    said = act(supervisor_client, "register_webhook", account)[0]
    assert "基本配置" in said


def test_whatsapp_test_connection_names_the_number_or_the_refused_token(
    supervisor_client, graph_api
):
    account = whatsapp_stub.make_account()
    assert "+86 10 0000 (Shop)" in act(supervisor_client, "test_connection", account)[0]
    account.set_secrets(token="wrong")
    account.save()
    said = act(supervisor_client, "test_connection", account)[0]
    assert "refused the access token (401)" in said


def test_the_welcome_message_is_saved_shown_and_cleared(supervisor_client):
    account = wechat_stub.make_account()
    url = f"{CHANGELIST}{account.pk}/change/"
    form = {"name": account.name, "channel": "wechat", "is_active": "on"}
    response = supervisor_client.post(url, {**form, "welcome_message": "  欢迎关注！ "})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.secrets["welcome_message"] == "欢迎关注！"
    assert "欢迎关注！</textarea>" in supervisor_client.get(url).content.decode()
    assert supervisor_client.post(url, {**form, "welcome_message": ""}).status_code == 302
    account.refresh_from_db()
    assert account.secrets["welcome_message"] == ""
