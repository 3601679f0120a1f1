"""A WeChat Official Account API stand-in on a local server (desk/tests/http_stub.py), and
messages built from the documented formats (developers.weixin.qq.com: 接收普通消息, 接收事件推送,
消息加解密说明). The encryption here is written from the documented algorithm, not the adapter's."""

import base64
import hashlib
import json
import os
import struct
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from chat.channels.models import ChannelAccount
from desk.tests.http_stub import HttpStub

APP_ID = "wx5823bf96d3bd56c7"
APP_SECRET = "app-secret-0123456789abcdef"
TOKEN = "QDG6eK0123456789abcdef0123456789"  # the Token typed into 公众平台
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"  # 43 characters (the docs' example)
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
OFFICIAL = "gh_3f1a2b3c4d5e"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
AMR = b"#!AMR\n" + b"\x3c" * 64
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64


class WechatApi:
    """`/cgi-bin/token`, `/cgi-bin/message/custom/send`, `/cgi-bin/media/upload` and
    `/cgi-bin/media/get` like WeChat's API. `errors[path]` holds errcodes to answer first;
    `calls` lists `(path, query, body)`."""

    def __init__(self, stub: HttpStub) -> None:
        self.stub = stub
        self.calls: list[tuple[str, dict[str, str], Any]] = []
        self.errors: dict[str, list[int]] = {}
        self.tokens_issued = 0
        self.media: dict[str, Any] = {"media-1": JPEG, "voice-1": AMR}
        self.media["video-1"] = {"video_url": stub.url("/files/video-1.mp4")}
        stub.handler("/cgi-bin/", self.answer)
        stub.handler("/files/", lambda verb, path, headers, body: (200, {}, MP4))

    @property
    def base(self) -> str:
        return self.stub.url("").rstrip("/")

    def paths(self) -> list[str]:
        return [path for path, _, _ in self.calls]

    def sends(self) -> list[dict]:
        return [body for path, _, body in self.calls if path == "/cgi-bin/message/custom/send"]

    def answer(self, verb: str, path: str, headers: dict, body: bytes):
        parts = urlsplit(path)
        query = dict(parse_qsl(parts.query))
        content = json.loads(body) if "json" in headers.get("Content-Type", "") else len(body)
        self.calls.append((parts.path, query, content))
        queued = self.errors.get(parts.path)
        if queued:
            code = queued.pop(0)
            return _json({"errcode": code, "errmsg": f"error {code}"})
        if parts.path == "/cgi-bin/token":
            if (query.get("appid"), query.get("secret")) != (APP_ID, APP_SECRET):
                return _json({"errcode": 40125, "errmsg": "invalid appsecret"})
            self.tokens_issued += 1
            return _json({"access_token": f"TOKEN-{self.tokens_issued}", "expires_in": 7200})
        if query.get("access_token") != f"TOKEN-{self.tokens_issued}":
            return _json({"errcode": 40001, "errmsg": "invalid credential"})
        if parts.path == "/cgi-bin/media/get":
            data = self.media.get(query.get("media_id", ""))
            if data is None:
                return _json({"errcode": 40007, "errmsg": "invalid media_id"})
            if isinstance(data, dict):  # a video: its address
                return _json(data)
            return 200, {"Content-Type": "image/jpeg"}, data
        if parts.path == "/cgi-bin/media/upload":
            return _json({"type": "image", "media_id": "uploaded-1", "created_at": 1})
        return _json({"errcode": 0, "errmsg": "ok"})


def _json(body: Any):
    return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()


@pytest.fixture
def wechat_api(settings):
    settings.OUTBOUND_ALLOWLIST = ["127.0.0.1", "localhost"]
    settings.OUTBOUND_BACKOFF_SECONDS = 0.01
    settings.OUTBOUND_BACKOFF_MAX_SECONDS = 0.02
    with HttpStub() as stub:
        api = WechatApi(stub)
        settings.WECHAT_API_BASE = api.base
        yield api


def make_account(*, team=None, name="服务号", aes_key: str | None = AES_KEY) -> ChannelAccount:
    account = ChannelAccount(channel="wechat", name=name, team=team)
    values = {"app_id": APP_ID, "app_secret": APP_SECRET, "webhook_secret": TOKEN}
    if aes_key:
        values["encoding_aes_key"] = aes_key
    account.set_secrets(**values)
    account.save()
    return account


def message_xml(
    msg_type: str = "text",
    *,
    msg_id: str | None = "1234567890123456",
    openid: str = OPENID,
    create_time: int = 1348831860,
    **fields: str,
) -> bytes:
    """A message as WeChat posts it (plaintext layout)."""
    values: dict[str, Any] = {
        "ToUserName": OFFICIAL,
        "FromUserName": openid,
        "CreateTime": create_time,
        "MsgType": msg_type,
    }
    if msg_type == "text" and "Content" not in fields:
        fields["Content"] = "你好"
    values.update(fields)
    if msg_id:
        values["MsgId"] = msg_id
    inner = "".join(
        f"<{name}>{value}</{name}>"
        if isinstance(value, int)
        else f"<{name}><![CDATA[{value}]]></{name}>"
        for name, value in values.items()
    )
    return f"<xml>{inner}</xml>".encode()


def sha1_sorted(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324


def encrypt(plain: bytes, *, key: str = AES_KEY, app_id: str = APP_ID) -> str:
    """消息加解密说明: AES-256-CBC, key = base64(EncodingAESKey + "="), IV = key[:16],
    random(16) + htonl(len) + msg + appid, PKCS#7 to a multiple of 32."""
    raw_key = base64.b64decode(key + "=")
    data = os.urandom(16) + struct.pack("!I", len(plain)) + plain + app_id.encode()
    pad = 32 - len(data) % 32
    data += bytes([pad]) * pad
    cipher = Cipher(algorithms.AES(raw_key), modes.CBC(raw_key[:16])).encryptor()
    return base64.b64encode(cipher.update(data) + cipher.finalize()).decode()


def safe_request(
    plain: bytes,
    *,
    timestamp: str = "1409304348",
    nonce: str = "xxxxxx",
    token: str = TOKEN,
    **encrypt_kwargs: str,
) -> tuple[str, bytes]:
    """The query string and body of a safe-mode (安全模式) POST."""
    encrypted = encrypt(plain, **encrypt_kwargs)
    body = (
        f"<xml><ToUserName><![CDATA[{OFFICIAL}]]></ToUserName>"
        f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    ).encode()
    query = {
        "signature": sha1_sorted(token, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "openid": OPENID,
        "encrypt_type": "aes",
        "msg_signature": sha1_sorted(token, timestamp, nonce, encrypted),
    }
    return urlencode(query), body


def plain_query(*, timestamp: str = "1409304348", nonce: str = "xxxxxx", token: str = TOKEN) -> str:
    return urlencode(
        {"signature": sha1_sorted(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
    )
