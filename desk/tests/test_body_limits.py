"""Request bodies are capped at the edge (desk/server.py, desk/kernel/body_limits.py).

Against a real server process: a 100 MB multipart upload, declared or chunked, is refused with 413
without the process growing and without stalling another socket; a normal upload still works end
to end. Plain daphne parses every multipart body in memory on its event loop: these tests fail
against it.
"""

import json
import re
import socket
import threading
import time
from pathlib import Path

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile

from chat.attachments import MAX_UPLOAD_BODY, MB
from chat.models import Attachment
from chat.tests.factories import ConversationFactory, WidgetSiteFactory
from chat.widget.sessions import visitor_token_for_new_visitor
from desk.tests.ws_clients import widget_socket

UPLOADS = "/api/widget/v1/attachments/"
BOUNDARY = "unidesk-test-boundary"
PNG_HEAD = b"\x89PNG\r\n\x1a\n"
HUGE = 100 * MB


@pytest.fixture
def token():
    return visitor_token_for_new_visitor(site=WidgetSiteFactory(key="limits"))


def multipart(token: str, file_size: int) -> tuple[bytes, bytes, int]:
    """(head, tail, total length) of a multipart upload whose file is `file_size` bytes."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="token"\r\n\r\n{token}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    return head, tail, len(head) + file_size + len(tail)


def body_pieces(token: str, file_size: int, piece: int = MB):
    head, tail, _ = multipart(token, file_size)
    yield head + PNG_HEAD
    left = file_size - len(PNG_HEAD)
    zeros = bytes(piece)
    while left > 0:
        yield zeros[: min(piece, left)]
        left -= piece
    yield tail


class Upload:
    """A raw HTTP/1.1 multipart POST, so the test controls how the body goes out."""

    def __init__(self, port: int, token: str, *, file_size: int, chunked: bool):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.token = token
        self.file_size = file_size
        self.chunked = chunked
        self.sent = 0
        framing = (
            "Transfer-Encoding: chunked"
            if chunked
            else f"Content-Length: {multipart(token, file_size)[2]}"
        )
        self.sock.sendall(
            (
                f"POST {UPLOADS} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n{framing}\r\n\r\n"
            ).encode()
        )

    def early_answer(self, wait: float) -> bytes:
        """What the server said before any of the body was sent."""
        self.sock.settimeout(wait)
        try:
            return self.sock.recv(65536)
        except TimeoutError:
            return b""
        finally:
            self.sock.settimeout(30)

    def send_body(self) -> None:
        """Send the whole body; a server that closes early (after answering) ends it."""
        try:
            for piece in body_pieces(self.token, self.file_size):
                if self.chunked:
                    piece = b"%x\r\n%s\r\n" % (len(piece), piece)
                self.sock.sendall(piece)
                self.sent += len(piece)
            if self.chunked:
                self.sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def answer(self) -> bytes:
        received = b""
        try:
            while chunk := self.sock.recv(65536):
                received += chunk
        except (ConnectionResetError, TimeoutError):
            pass
        self.sock.close()
        return received


def rss_bytes(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) * 1024


class Watch:
    """While running: the server's largest RSS and the slowest ping answer on another socket."""

    def __init__(self, pid: int, widget):
        self.pid = pid
        self.widget = widget
        self.baseline = rss_bytes(pid)
        self.peak = self.baseline
        self.pings: list[float] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.sample), threading.Thread(target=self.ping)]

    def sample(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid))
            time.sleep(0.01)

    def ping(self):
        while not self.stop.is_set():
            started = time.monotonic()
            answer = self.widget.request({"type": "ping"}, timeout=30)
            assert answer["type"] == "pong"
            self.pings.append(time.monotonic() - started)
            time.sleep(0.02)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        deadline = time.monotonic() + 10
        while not self.pings and time.monotonic() < deadline:  # pinging before the upload starts
            time.sleep(0.01)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(60)


def status_and_json(raw: bytes) -> tuple[int, dict]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_100_mb_upload_is_refused_without_growing_the_server_or_stalling_sockets(
    daphne_processes, token, chunked
):
    server = daphne_processes()
    widget = widget_socket(server, token)
    upload = Upload(server.port, token, file_size=HUGE, chunked=chunked)
    # A declared length over the limit is answered before a byte of the body is sent.
    early = b"" if chunked else upload.early_answer(wait=5)

    with Watch(server.process.pid, widget) as watch:
        upload.send_body()
        raw = early + upload.answer()
    widget.close()

    assert watch.peak - watch.baseline < 50 * MB, (watch.baseline, watch.peak)
    assert len(watch.pings) >= 2
    assert max(watch.pings) < 1.0, watch.pings
    status, body = status_and_json(raw)
    assert status == 413
    assert body["error"]["code"] == "payload_too_large"
    if chunked:
        # Cut off once past the upload limit: the rest was read and dropped, not stored.
        assert upload.sent > MAX_UPLOAD_BODY
    assert not Attachment.objects.exists()
    if not chunked:
        assert early.startswith(b"HTTP/1.1 413 "), early


def test_a_body_over_the_small_limit_is_refused_at_once_elsewhere(daphne_server):
    """Only the upload endpoints take large bodies; a 2 MB JSON body anywhere else is 413."""
    response = requests.post(
        f"{daphne_server}/api/widget/v1/sessions/",
        data=b"{" + b" " * (2 * MB) + b"}",
        headers={"Content-Type": "application/json", "Accept-Language": "en"},
        timeout=30,
    )

    assert response.status_code == 413
    assert response.json() == {
        "error": {
            "code": "payload_too_large",
            "message": "The request is too large (at most 1.0\xa0MB).",
        }
    }


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_normal_upload_still_works_end_to_end(daphne_server, token, chunked):
    """A 3 MB image (over the small limit, under the upload limit) is stored and downloads."""
    file_size = 3 * MB
    pieces = body_pieces(token, file_size)
    response = requests.post(
        f"{daphne_server}{UPLOADS}",
        data=pieces if chunked else b"".join(pieces),
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        timeout=30,
    )

    assert response.status_code == 201, response.text
    uploaded = response.json()
    assert (uploaded["name"], uploaded["size"]) == ("big.png", file_size)
    download = requests.get(f"{daphne_server}{uploaded['url']}", timeout=30)
    assert download.status_code == 200
    assert download.content == PNG_HEAD + bytes(file_size - len(PNG_HEAD))


# ---- Django's side, under any server: a declared length over the path's limit is 413 -------------


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "The request is too large (at most 26.0\xa0MB)."),
        ("zh-hans", "请求过大（最多 26.0\xa0MB）。"),
    ],
)
def test_the_agent_upload_endpoint_refuses_a_declared_body_over_the_upload_limit(
    agent_client, language, message
):
    conversation = ConversationFactory()
    response = agent_client.post(
        f"/api/v1/conversations/{conversation.pk}/attachments/",
        {"file": SimpleUploadedFile("a.png", PNG_HEAD + bytes(32), content_type="image/png")},
        CONTENT_LENGTH=str(MAX_UPLOAD_BODY + 1),
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert response.status_code == 413
    assert response.json() == {"error": {"code": "payload_too_large", "message": message}}
    assert not Attachment.objects.exists()


def test_a_declared_body_over_the_small_limit_is_refused_by_django(client):
    response = client.post(
        "/api/widget/v1/sessions/",
        {"site": "limits"},
        content_type="application/json",
        CONTENT_LENGTH=str(MB + 1),
    )

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
