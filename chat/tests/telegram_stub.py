"""A Telegram Bot API stand-in on a local server (desk/tests/http_stub.py), and Updates built
from the Bot API's documented formats (https://core.telegram.org/bots/api#update)."""

import json
import re
from typing import Any

import pytest

from chat.channels.models import ChannelAccount
from desk.tests.http_stub import HttpStub

TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"
WEBHOOK_SECRET = "webhook-secret_ABC123"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


class BotApi:
    """Answers `/bot<token>/<method>` like the Bot API and `/file/bot<token>/<path>` with the
    file's bytes. `fail(method, *answers)` makes the next calls of `method` answer these
    `(status, body)` first. `calls` lists `(method, fields)` in order."""

    def __init__(self, stub: HttpStub) -> None:
        self.stub = stub
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.failures: dict[str, list[tuple[int, dict, dict]]] = {}
        self.files: dict[str, bytes] = {"photos/big.jpg": JPEG, "documents/a.pdf": b"%PDF-1.4 x"}
        self.next_message_id = 500
        stub.handler("/bot", self.method)
        stub.handler("/file/bot", self.file)

    @property
    def base(self) -> str:
        return self.stub.url("").rstrip("/")

    def fail(self, method: str, *answers: tuple[int, dict] | tuple[int, dict, dict]) -> None:
        self.failures.setdefault(method, []).extend((*answer, {})[:3] for answer in answers)

    def methods(self) -> list[str]:
        return [method for method, _ in self.calls]

    def method(self, verb: str, path: str, headers: dict, body: bytes):
        found = re.match(r"/bot([^/]+)/(\w+)", path)
        token, method = found.group(1), found.group(2)
        fields = _fields(headers, body, path)
        self.calls.append((method, fields))
        if token != TOKEN:
            return _json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        queued = self.failures.get(method)
        if queued:
            status, answer, extra_headers = queued.pop(0)
            return _json(status, answer, extra_headers)
        return _json(200, {"ok": True, "result": self.result(method, fields)})

    def result(self, method: str, fields: dict) -> Any:
        if method == "getMe":
            return {"id": 123456, "is_bot": True, "first_name": "Shop", "username": "shop_bot"}
        if method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        if method == "setWebhook":
            return True
        if method == "getFile":
            path = {"photo-big": "photos/big.jpg", "doc-1": "documents/a.pdf"}.get(
                fields.get("file_id"), "missing"
            )
            return {"file_id": fields.get("file_id"), "file_unique_id": "u", "file_path": path}
        self.next_message_id += 1
        return {"message_id": self.next_message_id, "date": 1700000000, "chat": {"id": 1}}

    def file(self, verb: str, path: str, headers: dict, body: bytes):
        found = re.match(r"/file/bot([^/]+)/(.+)", path)
        data = self.files.get(found.group(2)) if found and found.group(1) == TOKEN else None
        return (200, {}, data) if data is not None else (404, {}, b"")


def _json(status: int, body: Any, headers: dict | None = None):
    return (
        status,
        {"Content-Type": "application/json", **(headers or {})},
        json.dumps(body).encode(),
    )


def _fields(headers: dict, body: bytes, path: str) -> dict[str, Any]:
    content_type = headers.get("Content-Type", "")
    if "json" in content_type and body:
        return json.loads(body)
    if "multipart" in content_type:
        fields: dict[str, Any] = {}
        boundary = content_type.split("boundary=")[1].encode()
        for part in body.split(b"--" + boundary)[1:-1]:
            head, _, value = part.strip(b"\r\n").partition(b"\r\n\r\n")
            name = re.search(rb'name="([^"]+)"', head).group(1).decode()
            filename = re.search(rb'filename="([^"]+)"', head)
            fields[name] = (
                {"filename": filename.group(1).decode(), "size": len(value)}
                if filename
                else value.decode()
            )
        return fields
    if "?" in path:
        from urllib.parse import parse_qsl

        return dict(parse_qsl(path.split("?", 1)[1]))
    return {}


@pytest.fixture
def bot_api(settings):
    settings.OUTBOUND_ALLOWLIST = ["127.0.0.1", "localhost"]
    settings.OUTBOUND_BACKOFF_SECONDS = 0.01
    settings.OUTBOUND_BACKOFF_MAX_SECONDS = 0.02
    with HttpStub() as stub:
        api = BotApi(stub)
        settings.TELEGRAM_API_BASE = api.base
        yield api


def make_account(*, team=None, name="Shop bot", token=TOKEN) -> ChannelAccount:
    account = ChannelAccount(channel="telegram", name=name, team=team)
    account.set_secrets(token=token, webhook_secret=WEBHOOK_SECRET)
    account.save()
    return account


USER = {"id": 1111111, "is_bot": False, "first_name": "Lei", "last_name": "Li",
        "username": "lilei", "language_code": "zh-hans"}  # fmt: skip


def update(update_id: int, *, user: dict | None = None, **message: Any) -> dict:
    """An Update with a private-chat `message` (text unless other fields are given)."""
    sender = user or USER
    body = {"message_id": update_id + 1000, "from": sender, "date": 1441645532,
            "chat": {"id": sender["id"], "first_name": sender.get("first_name", ""),
                     "type": "private"}}  # fmt: skip
    body.update(message or {"text": f"hello {update_id}"})
    return {"update_id": update_id, "message": body}


def photo_update(update_id: int, caption: str = "") -> dict:
    sizes = [
        {
            "file_id": "photo-small",
            "file_unique_id": "s",
            "file_size": 1000,
            "width": 90,
            "height": 90,
        },
        {
            "file_id": "photo-big",
            "file_unique_id": "b",
            "file_size": 68,
            "width": 800,
            "height": 800,
        },
    ]
    sizes[1]["file_size"] = 50000  # the largest
    return update(update_id, photo=sizes, **({"caption": caption} if caption else {}))


def document_update(
    update_id: int, mime: str = "application/pdf", name: str = "invoice.pdf"
) -> dict:
    document = {"file_name": name, "mime_type": mime, "file_id": "doc-1", "file_unique_id": "d",
                "file_size": 10}  # fmt: skip
    return update(update_id, document=document)
