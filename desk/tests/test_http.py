"""The one outbound HTTP client (desk/kernel/http.py, house rule 9), against a local server."""

import socket
import threading
import time

import pytest

from desk.kernel import http
from desk.tests.http_stub import HttpStub


@pytest.fixture
def stub(settings):
    settings.OUTBOUND_ALLOWLIST = ["127.0.0.1", "localhost"]
    settings.OUTBOUND_RETRIES = 3
    with HttpStub() as server:
        yield server


@pytest.fixture
def waits(monkeypatch):
    """The client's sleeps, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr(http, "_sleep", slept.append)
    return slept


def test_a_json_answer_is_read(stub):
    stub.script("/ok", (200, {"Content-Type": "application/json"}, b'{"ok": true}'))
    response = http.request("POST", stub.url("/ok"), json={"a": "中文"})
    assert response.status == 200 and response.json() == {"ok": True}
    method, path, headers, body = stub.requests[0]
    assert (method, path, body.decode()) == ("POST", "/ok", '{"a": "中文"}')
    assert headers["Content-Type"] == "application/json"


def test_429_waits_as_retry_after_says_then_succeeds(stub, waits):
    stub.script("/r", (429, {"Retry-After": "2"}, b""), (200, {}, b"{}"))
    response = http.request("POST", stub.url("/r"), json={})  # a 429 is safe to repeat
    assert response.status == 200 and response.attempts == 2
    assert waits == [2.0]


def test_a_retry_after_over_the_limit_is_left_to_the_caller(stub, waits, settings):
    settings.OUTBOUND_RETRY_AFTER_MAX = 5
    stub.script("/r", (429, {"Retry-After": "60"}, b""), (200, {}, b"{}"))
    with pytest.raises(http.HttpStatusError) as refused:
        http.request("GET", stub.url("/r"))
    assert refused.value.status == 429 and refused.value.retry_after == 60.0
    assert waits == [] and len(stub.requests) == 1


def test_5xx_is_retried_with_growing_jittered_backoff(stub, waits, settings):
    settings.OUTBOUND_BACKOFF_SECONDS = 1.0
    stub.script("/f", (500, {}, b""), (502, {}, b""), (503, {}, b""), (200, {}, b"ok"))
    response = http.request("GET", stub.url("/f"))
    assert response.body == b"ok" and response.attempts == 4
    assert len(waits) == 3
    assert all(0 <= wait <= limit for wait, limit in zip(waits, [1, 2, 4], strict=True))


def test_5xx_gives_up_after_the_retries(stub, waits):
    stub.script("/f", (500, {}, b"down"))
    with pytest.raises(http.HttpStatusError) as failed:
        http.request("GET", stub.url("/f"))
    assert failed.value.status == 500 and len(stub.requests) == 4 and len(waits) == 3


def test_a_post_is_not_repeated_on_5xx_unless_idempotent(stub, waits):
    stub.script("/p", (500, {}, b""), (200, {}, b"{}"))
    with pytest.raises(http.HttpStatusError):
        http.request("POST", stub.url("/p"), json={})
    assert len(stub.requests) == 1
    assert http.request("POST", stub.url("/p"), json={}, idempotent=True).status == 200


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_other_4xx_are_not_retried(stub, waits, status):
    stub.script("/c", (status, {}, b"no"))
    with pytest.raises(http.HttpStatusError) as refused:
        http.request("GET", stub.url("/c"))
    assert refused.value.status == status and len(stub.requests) == 1 and waits == []


def test_an_answer_over_the_size_cap_is_refused(stub):
    stub.script("/big", (200, {}, b"x" * 5000))
    with pytest.raises(http.TooLarge):
        http.request("GET", stub.url("/big"), max_bytes=1000)
    assert http.request("GET", stub.url("/big"), max_bytes=5000).body == b"x" * 5000


def test_a_streamed_answer_without_length_is_capped_while_read(stub):
    chunked = b"".join(b"400\r\n" + b"y" * 1024 + b"\r\n" for _ in range(8)) + b"0\r\n\r\n"
    stub.script("/stream", (200, {"Transfer-Encoding": "chunked", "Content-Length": ""}, chunked))
    with pytest.raises(http.TooLarge):
        http.request("GET", stub.url("/stream"), max_bytes=4000)


def test_a_silent_server_times_out(settings, waits):
    settings.OUTBOUND_ALLOWLIST = ["127.0.0.1"]
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    started = time.monotonic()
    with pytest.raises(http.Timeout):
        http.request(
            "GET", f"http://127.0.0.1:{listener.getsockname()[1]}/", timeout=(1, 0.3), retries=0
        )
    assert time.monotonic() - started < 3
    listener.close()


def test_a_refused_connection_is_unreachable_and_retried(settings, waits):
    settings.OUTBOUND_ALLOWLIST = ["127.0.0.1"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nobody listens
    with pytest.raises(http.Unreachable):
        http.request("POST", f"http://127.0.0.1:{port}/", json={}, retries=2)
    assert len(waits) == 2  # nothing reached the remote: safe to retry even a POST


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "10.0.0.1", "192.168.1.1", "172.16.0.1", "169.254.169.254", "224.0.0.1",
     "0.0.0.0", "[::1]", "[fe80::1]", "[::ffff:127.0.0.1]"],  # noqa: S104
)  # fmt: skip
def test_private_and_special_addresses_are_refused_before_connecting(settings, host):
    settings.OUTBOUND_ALLOWLIST = []
    with pytest.raises(http.Blocked):
        http.request("GET", f"http://{host}:9/", retries=0)


def test_a_name_is_checked_after_resolution(settings, stub):
    settings.OUTBOUND_ALLOWLIST = []
    with pytest.raises(http.Blocked):
        http.request("GET", stub.url("/", host="localhost"), retries=0)
    assert stub.requests == []


def test_the_allowlist_takes_names_addresses_and_networks(settings, stub):
    stub.script("/", (200, {}, b"hi"))
    settings.OUTBOUND_ALLOWLIST = ["localhost"]
    assert http.request("GET", stub.url("/", host="localhost")).body == b"hi"
    with pytest.raises(http.Blocked):
        http.request("GET", stub.url("/"), retries=0)  # 127.0.0.1 by address: not listed
    settings.OUTBOUND_ALLOWLIST = ["127.0.0.0/8"]
    assert http.request("GET", stub.url("/")).body == b"hi"


def test_redirects_are_not_followed_unless_asked_and_each_hop_is_guarded(settings, stub):
    stub.script("/hop", (302, {"Location": "http://10.0.0.1/meta"}, b""))
    stub.script("/in", (302, {"Location": "/ok"}, b""))
    stub.script("/ok", (200, {}, b"there"))
    assert http.request("GET", stub.url("/hop")).status == 302
    with pytest.raises(http.Blocked):
        http.request("GET", stub.url("/hop"), follow_redirects=2)
    assert http.request("GET", stub.url("/in"), follow_redirects=1).body == b"there"


def test_only_http_and_https(settings):
    with pytest.raises(http.Blocked):
        http.request("GET", "file:///etc/passwd")


def test_tls_failures_say_so(settings, waits):
    """A TLS handshake with a server that speaks plain HTTP fails as `tls`."""
    settings.OUTBOUND_ALLOWLIST = ["127.0.0.1"]
    with HttpStub() as plain, pytest.raises((http.TlsError, http.Unreachable)) as failed:
        http.request("GET", f"https://127.0.0.1:{plain.port}/", retries=0)
    assert failed.value.kind in ("tls", "unreachable")
