"""WeChat Official Account messages replayed against the real webhook, in safe mode (encrypted
from the documented algorithm in wechat_stub.py) and plaintext mode where allowed: the URL check,
signatures, dedupe, malformed bodies, and what each message type becomes (docs/channels.md)."""

import pytest

from chat.adapters import wechat_crypto as crypto
from chat.adapters.wechat import xml_fields
from chat.channels.models import InboundEvent
from chat.models import (
    Attachment,
    Conversation,
    Customer,
    CustomerIdentity,
    IdentityKind,
    Message,
)
from chat.tests import wechat_stub
from chat.tests.wechat_stub import (
    AES_KEY,
    AMR,
    APP_ID,
    JPEG,
    MP4,
    OFFICIAL,
    OPENID,
    TOKEN,
    encrypt,
    make_account,
    message_xml,
    plain_query,
    safe_request,
    sha1_sorted,
)

pytestmark = pytest.mark.django_db
wechat_api = wechat_stub.wechat_api  # the API stand-in (a fixture)


def url(account) -> str:
    return f"/api/channels/v1/wechat/{account.key}/webhook/"


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    def run(account, plain: bytes, **kwargs):
        query, body = safe_request(plain, **kwargs)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(f"{url(account)}?{query}", body, content_type="text/xml")

    return run


def nothing_stored() -> bool:
    return not (
        InboundEvent.objects.exists() or Message.objects.exists() or Customer.objects.exists()
    )


def test_the_url_check_echoes_echostr_when_the_signature_fits(client):
    account = make_account()
    response = client.get(f"{url(account)}?{plain_query()}&echostr=5837397749")
    assert response.status_code == 200 and response.content == b"5837397749"
    wrong = client.get(f"{url(account)}?{plain_query(token='other')}&echostr=5837397749")
    assert wrong.status_code == 401 and b"5837397749" not in wrong.content
    assert client.get(f"{url(account)}?echostr=1").status_code == 401


def test_an_encrypted_echostr_is_decrypted(client):
    account = make_account()
    echostr = encrypt(b"echo-4711")
    signature = sha1_sorted(TOKEN, "1", "n", echostr)
    query = {"timestamp": "1", "nonce": "n", "msg_signature": signature, "echostr": echostr}
    response = client.get(url(account), query)
    assert response.status_code == 200 and response.content == b"echo-4711"


def test_an_encrypted_text_becomes_the_customers_message(deliver, wechat_api):
    account = make_account()
    response = deliver(account, message_xml(Content="我的订单还没到"))
    assert response.status_code == 200 and response.content == b"success"
    event = InboundEvent.objects.get()
    assert event.provider_event_id == "1234567890123456" and event.processed_at is not None
    assert event.body["Content"] == "我的订单还没到"
    message = Message.objects.get()
    assert (message.body, message.channel, message.sender_type) == (
        "我的订单还没到", "wechat", "customer",
    )  # fmt: skip
    assert message.provider_message_id == f"{account.pk}:1234567890123456"
    assert message.conversation.channel_account_id == account.pk
    identity = CustomerIdentity.objects.get()
    assert (identity.kind, identity.external_id) == (IdentityKind.WECHAT_OPENID, OPENID)


def test_a_redelivery_is_stored_once(deliver, wechat_api):
    account = make_account()
    for _ in range(3):
        assert deliver(account, message_xml(msg_id="77")).content == b"success"
    assert InboundEvent.objects.count() == 1 and Message.objects.count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"token": "wrong-token"},  # both signatures wrong
        {"key": "kEWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2"},  # another key: AppID check fails
    ],
)
def test_wrong_signatures_or_keys_store_nothing(deliver, wechat_api, change):
    account = make_account()
    response = deliver(account, message_xml(), **change)
    assert response.status_code in (400, 401) and nothing_stored()


def test_a_changed_ciphertext_is_refused(client):
    account = make_account()
    query, body = safe_request(message_xml())
    tampered = body.replace(b"<Encrypt><![CDATA[", b"<Encrypt><![CDATA[AAAA")
    assert (
        client.post(f"{url(account)}?{query}", tampered, content_type="text/xml").status_code == 401
    )
    assert nothing_stored()


def test_missing_signatures_are_401(client):
    account = make_account()
    _, body = safe_request(message_xml())
    assert client.post(url(account), body, content_type="text/xml").status_code == 401
    query = plain_query() + "&encrypt_type=aes"
    assert client.post(f"{url(account)}?{query}", body, content_type="text/xml").status_code == 401
    assert nothing_stored()


def test_plaintext_mode_is_refused_unless_allowed(client, settings, wechat_api):
    settings.WECHAT_PLAINTEXT_ALLOWED = False
    account = make_account(aes_key=None)
    response = client.post(
        f"{url(account)}?{plain_query()}", message_xml(), content_type="text/xml"
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "plaintext_refused"
    assert nothing_stored()
    settings.WECHAT_PLAINTEXT_ALLOWED = True
    response = client.post(
        f"{url(account)}?{plain_query()}", message_xml(), content_type="text/xml"
    )
    assert response.status_code == 200 and InboundEvent.objects.count() == 1


@pytest.mark.parametrize(
    "plain",
    [
        b"<xml><ToUserName>x</ToUserName>",  # not well-formed
        b'<!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Content>&a;</Content></xml>',  # entities
        b"<xml><MsgType>text</MsgType></xml>",  # fields missing
        b"<other/>",
    ],
)
def test_malformed_messages_are_400_and_store_nothing(deliver, plain):
    account = make_account()
    assert deliver(account, plain).status_code == 400 and nothing_stored()


def test_an_image_is_downloaded_through_the_media_api(deliver, wechat_api):
    account = make_account()
    deliver(account, message_xml("image", PicUrl="http://mmbiz.qpic.cn/x", MediaId="media-1"))
    message = Message.objects.get()
    attachment = Attachment.objects.get()
    assert message.content_type == "image" and attachment.content_type == "image/jpeg"
    assert attachment.file.read() == JPEG
    assert wechat_api.paths() == ["/cgi-bin/token", "/cgi-bin/media/get"]


@pytest.mark.parametrize(
    ("msg_type", "fields", "expected"),
    [
        ("location", {"Location_X": "23.134521", "Location_Y": "113.358803",
                      "Scale": "20", "Label": "广州市天河区"},
         "[location] 广州市天河区 (23.134521, 113.358803)"),
        ("link", {"Title": "订单截图", "Description": "看这里", "Url": "https://shop.example/1"},
         "订单截图\n看这里\nhttps://shop.example/1"),
    ],
)  # fmt: skip
def test_other_message_types(deliver, wechat_api, msg_type, fields, expected):
    deliver(make_account(), message_xml(msg_type, **fields))
    assert Message.objects.get().body == expected


def test_a_voice_message_keeps_its_recording_to_download_and_the_recognised_text(
    deliver, wechat_api
):
    fields = {"MediaId": "voice-1", "Format": "amr", "Recognition": "你好"}
    deliver(make_account(), message_xml("voice", **fields))
    message = Message.objects.get()
    attachment = Attachment.objects.get()
    assert (message.body, message.content_type) == ("[voice] 你好", "file")
    assert attachment.message_id == message.pk and attachment.content_type == "audio/amr"
    assert attachment.original_name.endswith(".amr") and attachment.file.read() == AMR


@pytest.mark.parametrize("msg_type", ["video", "shortvideo"])
def test_a_video_is_downloaded_from_the_address_the_media_api_gives(deliver, wechat_api, msg_type):
    deliver(make_account(), message_xml(msg_type, MediaId="video-1", ThumbMediaId="t"))
    message = Message.objects.get()
    attachment = Attachment.objects.get()
    assert (message.body, message.content_type) == (f"[{msg_type}]", "video")
    assert attachment.content_type == "video/mp4" and attachment.file.read() == MP4
    assert wechat_api.paths() == ["/cgi-bin/token", "/cgi-bin/media/get"]


def test_media_that_cannot_be_fetched_leaves_the_event_to_retry(deliver, wechat_api):
    """An expired or unknown media id: the raw event is kept, failed with the reason, and the
    sweep tries again; nothing half-stored."""
    deliver(make_account(), message_xml("voice", MediaId="gone", Format="amr"))
    assert not Message.objects.exists() and not Attachment.objects.exists()
    event = InboundEvent.objects.get()
    assert event.processed_at is None and "40007" in event.error


def test_a_menu_click_is_a_customer_message_and_subscribe_is_kept_raw(deliver, wechat_api):
    account = make_account()
    click = message_xml("event", msg_id=None, Event="CLICK", EventKey="ORDER_STATUS")
    deliver(account, click)
    deliver(account, message_xml("event", msg_id=None, Event="subscribe", create_time=1348831861))
    deliver(account, click)  # the same event again: stored once
    assert InboundEvent.objects.count() == 2
    message = Message.objects.get()
    assert message.body == "[menu] ORDER_STATUS"
    assert message.payload["wechat"]["menu_key"] == "ORDER_STATUS"
    assert InboundEvent.objects.filter(processed_at__isnull=True).count() == 0


def test_one_person_writing_to_two_accounts_is_one_customer_through_the_unionid(deliver):
    """WeChat gives each official account its own OpenID for a person, and the same UnionID
    to every account of one developer: the second account's sender is the same customer (two
    conversations, one per account, one customer panel)."""
    first, second = make_account(name="服务号"), make_account(name="订阅号")
    deliver(first, message_xml("text", msg_id="1", openid="openid-at-first", UnionId="union-1"))
    deliver(second, message_xml("text", msg_id="2", openid="openid-at-second", UnionId="union-1"))
    deliver(second, message_xml("text", msg_id="3", openid="someone-else"))

    customers = Customer.objects.order_by("pk")
    assert customers.count() == 2
    person = customers[0]
    assert set(person.identities.values_list("kind", "external_id")) == {
        ("wechat_openid", "openid-at-first"),
        ("wechat_openid", "openid-at-second"),
        ("wechat_unionid", "union-1"),
    }
    conversations = Conversation.objects.filter(customer=person)
    assert {c.channel_account_id for c in conversations} == {first.pk, second.pk}


def test_a_new_follower_gets_the_welcome_as_an_encrypted_passive_reply(deliver):
    account = make_account()
    account.set_secrets(welcome_message="欢迎关注！回复“订单”查询进度 ]]> 😀")
    account.save()
    response = deliver(account, message_xml("event", msg_id=None, Event="subscribe"))
    assert response.status_code == 200 and response["Content-Type"] == "application/xml"
    outer = xml_fields(response.content)
    assert outer["TimeStamp"] == "1409304348" and outer["Nonce"] == "xxxxxx"
    assert outer["MsgSignature"] == sha1_sorted(TOKEN, "1409304348", "xxxxxx", outer["Encrypt"])
    reply = xml_fields(crypto.decrypt(AES_KEY, outer["Encrypt"], APP_ID))
    assert reply["ToUserName"] == OPENID and reply["FromUserName"] == OFFICIAL
    assert (reply["MsgType"], reply["Content"]) == ("text", "欢迎关注！回复“订单”查询进度 ]]> 😀")
    assert InboundEvent.objects.count() == 1 and not Message.objects.exists()  # kept raw only


def test_without_a_welcome_or_for_other_messages_the_answer_is_success(deliver):
    account = make_account()
    assert deliver(account, message_xml("event", msg_id=None, Event="subscribe")).content == (
        b"success"
    )
    account.set_secrets(welcome_message="欢迎")
    account.save()
    assert deliver(account, message_xml("text")).content == b"success"


def test_the_welcome_in_plaintext_mode_is_plain_xml(client, settings):
    settings.WECHAT_PLAINTEXT_ALLOWED = True
    account = make_account(aes_key=None)
    account.set_secrets(welcome_message="Welcome")
    account.save()
    response = client.post(
        f"{url(account)}?{plain_query()}",
        message_xml("event", msg_id=None, Event="subscribe"),
        content_type="text/xml",
    )
    reply = xml_fields(response.content)
    assert (reply["ToUserName"], reply["Content"]) == (OPENID, "Welcome")
