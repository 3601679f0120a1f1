"""A WhatsApp Cloud API (Graph API) stand-in on a local server, and webhook bodies built from
Meta's documented formats (developers.facebook.com: WhatsApp Cloud API, webhooks payload)."""

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from chat.channels.models import ChannelAccount
from desk.tests.http_stub import HttpStub

ACCESS_TOKEN = "EAAG-permanent-token"
APP_SECRET = "whatsapp-app-secret"
VERIFY_TOKEN = "verify-token-123"
PHONE_NUMBER_ID = "106540352242922"
WA_ID = "8613800138000"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


class GraphApi:
    """`/{phone_number_id}` (the number), `/{phone_number_id}/messages` and `/media`,
    `/{media_id}` (its URL) and `/files/<id>` (the bytes). `answers[path]`: (status, body,
    headers) to answer first. `calls`: (verb, path, headers, body)."""

    def __init__(self, stub: HttpStub) -> None:
        self.stub = stub
        self.calls: list[tuple[str, str, dict, Any]] = []
        self.answers: dict[str, list[tuple[int, dict, dict]]] = {}
        self.sent = 0
        stub.handler("/", self.answer)

    @property
    def base(self) -> str:
        return self.stub.url("").rstrip("/")

    def sends(self) -> list[dict]:
        return [body for verb, path, _, body in self.calls if path.endswith("/messages")]

    def answer(self, verb: str, path: str, headers: dict, body: bytes):
        path = urlsplit(path).path
        parsed = json.loads(body) if "json" in headers.get("Content-Type", "") else len(body)
        self.calls.append((verb, path, headers, parsed))
        if headers.get("Authorization") != f"Bearer {ACCESS_TOKEN}":
            return _json(401, {"error": {"code": 190, "message": "Invalid OAuth access token"}})
        queued = self.answers.get(path)
        if queued:
            status, answer, extra = queued.pop(0)
            return _json(status, answer, extra)
        if path == f"/{PHONE_NUMBER_ID}":
            return _json(200, {"display_phone_number": "+86 10 0000", "verified_name": "Shop"})
        if path == f"/{PHONE_NUMBER_ID}/messages":
            self.sent += 1
            return _json(
                200,
                {
                    "messaging_product": "whatsapp",
                    "contacts": [{"wa_id": WA_ID}],
                    "messages": [{"id": f"wamid.OUT{self.sent}"}],
                },
            )
        if path == f"/{PHONE_NUMBER_ID}/media":
            return _json(200, {"id": "media-up-1"})
        if path == "/media-img":
            return _json(200, {"url": self.stub.url("/files/img"), "mime_type": "image/jpeg"})
        if path == "/files/img":
            return 200, {"Content-Type": "image/jpeg"}, JPEG
        return _json(404, {"error": {"code": 100, "message": "not found"}})


def _json(status: int, body: Any, headers: dict | None = None):
    return (
        status,
        {"Content-Type": "application/json", **(headers or {})},
        json.dumps(body).encode(),
    )


@pytest.fixture
def graph_api(settings):
    settings.OUTBOUND_ALLOWLIST = ["127.0.0.1", "localhost"]
    settings.OUTBOUND_BACKOFF_SECONDS = 0.01
    settings.OUTBOUND_BACKOFF_MAX_SECONDS = 0.02
    with HttpStub() as stub:
        api = GraphApi(stub)
        settings.WHATSAPP_API_BASE = api.base
        yield api


def make_account(*, team=None, template: bool = True) -> ChannelAccount:
    account = ChannelAccount(channel="whatsapp", name="Shop WhatsApp", team=team)
    values = {
        "token": ACCESS_TOKEN,
        "app_secret": APP_SECRET,
        "webhook_secret": VERIFY_TOKEN,
        "phone_number_id": PHONE_NUMBER_ID,
    }
    if template:
        values |= {"template_name": "hello_world", "template_language": "en_US"}
    account.set_secrets(**values)
    account.save()
    return account


def webhook(
    *, messages: list | None = None, statuses: list | None = None, name: str = "李雷"
) -> dict:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "16505553333", "phone_number_id": PHONE_NUMBER_ID},
    }
    if messages is not None:
        value["contacts"] = [{"profile": {"name": name}, "wa_id": WA_ID}]
        value["messages"] = messages
    if statuses is not None:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA_ID", "changes": [{"value": value, "field": "messages"}]}],
    }


def text(wamid: str, body: str = "hello") -> dict:
    return {
        "from": WA_ID,
        "id": wamid,
        "timestamp": "1700000000",
        "type": "text",
        "text": {"body": body},
    }


def status(wamid: str, state: str, **extra: Any) -> dict:
    return {"id": wamid, "status": state, "timestamp": "1700000001", "recipient_id": WA_ID, **extra}


def sign(raw: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
