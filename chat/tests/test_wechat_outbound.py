"""Agents' replies in WeChat conversations go out by the customer-service message API (a local
stand-in): the access_token fetched once and cached, fetched again on 42001/40001, images
uploaded first, and nothing sent after the 48-hour reply window (docs/channels.md)."""

import uuid
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from chat import services
from chat.adapters import wechat
from chat.adapters.provider import ConnectionProblem
from chat.adapters.wechat import WechatAdapter, reply_window_left
from chat.attachments import attachment_upload
from chat.channels.models import OutboundDelivery
from chat.models import Conversation, Message
from chat.tests import wechat_stub
from chat.tests.wechat_stub import OPENID, make_account, message_xml, safe_request

pytestmark = pytest.mark.django_db
wechat_api = wechat_stub.wechat_api
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _fresh_tokens(monkeypatch):
    """Tokens cached under this test's own keys (the account ids repeat between tests)."""
    prefix = uuid.uuid4().hex
    monkeypatch.setattr(wechat, "_token_key", lambda account: f"test:{prefix}:{account.pk}")
    yield
    cache.delete_many([f"test:{prefix}:{pk}" for pk in range(1, 50)])


@pytest.fixture
def run_commits(django_capture_on_commit_callbacks):
    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def conversation(client, wechat_api, run_commits) -> Conversation:
    account = make_account()
    query, body = safe_request(message_xml(Content="我的订单呢"))
    run_commits(
        client.post,
        f"/api/channels/v1/wechat/{account.key}/webhook/?{query}",
        body,
        content_type="text/xml",
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


def test_a_reply_goes_out_by_custom_send_with_a_cached_token(
    conversation, wechat_api, run_commits, supervisor
):
    first = reply(run_commits, conversation, supervisor.user)
    second = reply(run_commits, conversation, supervisor.user, body="第二条")
    assert wechat_api.sends() == [
        {"touser": OPENID, "msgtype": "text", "text": {"content": "您好，马上查"}},
        {"touser": OPENID, "msgtype": "text", "text": {"content": "第二条"}},
    ]
    assert wechat_api.paths().count("/cgi-bin/token") == 1  # cached between sends
    assert first.delivery_state == second.delivery_state == "sent"
    assert OutboundDelivery.objects.filter(status="sent").count() == 2


@pytest.mark.parametrize("code", [42001, 40001])
def test_an_expired_token_is_fetched_again_once(
    conversation, wechat_api, run_commits, supervisor, code
):
    reply(run_commits, conversation, supervisor.user, body="一")
    wechat_api.errors["/cgi-bin/message/custom/send"] = [code]
    message = reply(run_commits, conversation, supervisor.user, body="二")
    assert message.delivery_state == "sent"
    assert wechat_api.paths().count("/cgi-bin/token") == 2
    assert wechat_api.sends()[-1]["text"] == {"content": "二"}


def test_an_image_is_uploaded_then_sent(conversation, wechat_api, run_commits, supervisor):
    upload = attachment_upload(
        conversation=conversation,
        upload=SimpleUploadedFile("a.png", PNG, content_type="image/png"),
        actor=supervisor.user,
    )
    message = reply(
        run_commits, conversation, supervisor.user, body="看图", attachment_ids=[upload.pk]
    )
    assert "/cgi-bin/media/upload" in wechat_api.paths()
    assert wechat_api.sends() == [
        {"touser": OPENID, "msgtype": "image", "image": {"media_id": "uploaded-1"}},
        {"touser": OPENID, "msgtype": "text", "text": {"content": "看图"}},
    ]
    assert message.delivery_state == "sent"


def test_outside_the_48_hour_window_the_reply_fails_with_the_reason(
    conversation, wechat_api, run_commits, supervisor
):
    Message.objects.filter(sender_type="customer").update(
        created_at=timezone.now() - timedelta(hours=48, minutes=1)
    )
    message = reply(run_commits, conversation, supervisor.user)
    assert message.delivery_state == "failed"
    assert message.payload["delivery_error"]["code"] == "reply_window_closed"
    assert "48" in message.payload["delivery_error"]["reason"]
    assert wechat_api.sends() == []  # nothing reached WeChat


def test_wechat_refusing_for_the_window_is_not_retried(
    conversation, wechat_api, run_commits, supervisor
):
    wechat_api.errors["/cgi-bin/message/custom/send"] = [45015]
    message = reply(run_commits, conversation, supervisor.user)
    assert message.delivery_state == "failed"
    assert message.payload["delivery_error"]["code"] == "reply_window_closed"
    assert len(wechat_api.sends()) == 1


def test_the_window_left():
    now = timezone.now()
    assert reply_window_left(now - timedelta(hours=1), now) == timedelta(hours=47)
    assert reply_window_left(now - timedelta(hours=49), now) is None
    assert reply_window_left(None, now) is None


def test_check_connection_fetches_a_token_and_names_wrong_secrets(wechat_api):
    account = make_account()
    facts = WechatAdapter().check_connection(account)
    assert "access_token" in facts[0]
    account.set_secrets(app_secret="wrong")
    with pytest.raises(ConnectionProblem) as problem:
        WechatAdapter().check_connection(account)
    assert problem.value.code == "unauthorized" and "40125" in problem.value.message
