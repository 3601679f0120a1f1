"""A visitor on the demo shop chats through the widget in real Chromium against a real daphne."""

import json
import struct
import time
import zlib
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect, sync_playwright
from websockets.sync.client import connect

from chat.models import Conversation, Message
from desk.demo import demo_widget_site
from desk.tests.browser import launch_chromium, require_chromium, watched_context, watched_page
from routing.tests.factories import AgentProfileFactory

pytestmark = pytest.mark.browser

SCREENSHOT = settings.BASE_DIR / "var" / "screenshots" / "widget.png"
XSS = ['<img src=x onerror="window.__xss=1">', "<script>window.__xss=1</script>"]


def tiny_png() -> bytes:
    """A 2x2 red PNG, made here so the test needs no asset."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def session_cookie(agent) -> str:
    client = Client()
    client.force_login(agent.user)
    return client.cookies["sessionid"].value


@contextmanager
def agent_socket(base_url, cookie):
    """The agent's side, spoken straight to the server's /ws/desk/ (docs/protocol.md)."""
    url = base_url.replace("http://", "ws://") + "/ws/desk/"
    headers = {"Origin": base_url, "Cookie": f"sessionid={cookie}"}
    with connect(url, additional_headers=headers) as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "hello"
        yield ws


def answer(ws, ref):
    """Frames until the ack or error for `ref`."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        frame = json.loads(ws.recv(timeout=5))
        if frame.get("ref") == ref:
            return frame
    raise AssertionError(f"no answer to {ref}")


def own_message(frame, text):
    return frame.locator(".msg.from-customer").filter(has_text=text)


def send(frame, text):
    box = frame.locator("textarea")
    box.fill(text)
    box.press("Enter")
    expect(own_message(frame, text)).to_have_attribute("data-state", "delivered")


def test_visitor_chats_sends_an_image_and_finds_it_all_after_a_reload(daphne_server):
    require_chromium()
    demo_widget_site(offline_tickets=False)  # these tests make their own tickets
    cookie = session_cookie(AgentProfileFactory(display_name="Carol 张"))
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = watched_context(browser, errors, width=1280, height=860, locale="en-US")
        page = watched_page(context, errors)

        page.goto(f"{daphne_server}/demo/")
        launcher = page.locator("div[data-unidesk] button")
        expect(launcher).to_have_attribute("aria-label", "Chat with us")
        assert page.locator("div[data-unidesk] iframe").count() == 0  # nothing until asked
        launcher.click()
        frame = page.frame_locator("div[data-unidesk] iframe")
        expect(frame.locator("#app")).to_have_attribute("data-state", "connected")
        expect(frame.locator(".title")).to_have_text("演示商店 Demo shop")
        expect(frame.locator(".welcome")).to_contain_text("Welcome to the demo shop")

        # The demo asks for a name first; an empty form is refused on the spot.
        expect(frame.locator(".prechat")).to_be_visible()
        frame.get_by_role("button", name="Start chat").click()
        expect(frame.locator("#prechat-name-error")).to_have_text("This field is required.")
        frame.locator("#prechat-name").fill("Test Visitor")
        frame.locator("#prechat-topic").select_option("退换货 Returns")
        frame.get_by_role("button", name="Start chat").click()
        expect(frame.locator("textarea")).to_be_visible()
        # Nobody is online (Carol is signed out): the widget says so rather than "waiting".
        expect(frame.locator(".sub")).to_have_text(
            "No agent is online now. We will answer as soon as one is."
        )

        send(frame, "Hello, where is my order? 📦")
        frame.locator("input[type=file]").set_input_files(
            {"name": "dot.png", "mimeType": "image/png", "buffer": tiny_png()}
        )
        image = frame.locator(".msg.from-customer img")
        expect(image).to_be_visible()
        expect(frame.locator(".msg.from-customer").last).to_have_attribute(
            "data-state", "delivered"
        )
        assert image.evaluate("img => img.complete && img.naturalWidth") == 2
        for payload in XSS:
            send(frame, payload)
        expect(frame.locator(".tick").first).to_have_text("✓")

        # Offline: the widget says so, keeps what is written, and sends it once back online.
        context.set_offline(True)
        expect(frame.locator("#app")).to_have_attribute("data-state", "offline")
        expect(frame.locator(".banner")).to_have_text(
            "You are offline. Messages will be sent when you are back online."
        )
        box = frame.locator("textarea")
        box.fill("Written while offline")
        box.press("Enter")
        expect(own_message(frame, "Written while offline")).to_have_attribute(
            "data-state", "pending"
        )
        context.set_offline(False)
        expect(frame.locator("#app")).to_have_attribute("data-state", "connected")
        expect(frame.locator(".banner")).to_be_hidden()
        expect(own_message(frame, "Written while offline")).to_have_attribute(
            "data-state", "delivered"
        )

        # An agent answers through the real agent socket: typing, a reply, and reading.
        conversation_id = int(frame.locator(".msg.from-customer").first.get_attribute("data-c"))
        with agent_socket(daphne_server, cookie) as ws:
            ws.send(json.dumps({"type": "conversation.open", "conversation_id": conversation_id}))
            ws.send(json.dumps({"type": "typing", "conversation_id": conversation_id,
                                "state": "start"}))  # fmt: skip
            expect(frame.locator(".typing")).to_have_text("Carol 张 is typing…")
            ws.send(json.dumps({"type": "message.send", "conversation_id": conversation_id,
                                "client_msg_id": "agent-1", "body": "您好，我来帮您查一下。",
                                "ref": "r1"}))  # fmt: skip
            assert answer(ws, "r1")["type"] == "ack"
            reply = frame.locator(".msg.from-agent")
            expect(reply).to_contain_text("您好，我来帮您查一下。")
            expect(reply.locator(".sender")).to_have_text("Carol 张")
            expect(frame.locator(".typing")).to_be_hidden()
            ws.send(json.dumps({"type": "read", "conversation_id": conversation_id, "seq": 6}))
            for text in ["Hello, where is my order? 📦", *XSS, "Written while offline"]:
                expect(own_message(frame, text)).to_have_attribute("data-state", "read")
            expect(frame.locator(".tick").first).to_have_text("✓✓")

        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))

        # Reload: the widget opens again by itself and shows the history exactly once.
        page.reload()
        frame = page.frame_locator("div[data-unidesk] iframe")
        expect(frame.locator("#app")).to_have_attribute("data-state", "connected")
        for text in ["Hello, where is my order? 📦", *XSS, "Written while offline"]:
            expect(own_message(frame, text)).to_have_count(1)
            expect(own_message(frame, text)).to_have_attribute("data-state", "read")
        expect(frame.locator(".msg.from-customer img")).to_have_count(1)
        # Its link came afresh with the history (links expire) and the image loads.
        frame.locator(".msg.from-customer img").evaluate(
            "img => img.complete && img.naturalWidth === 2 || new Promise((ok, no) => "
            "{ img.onload = () => img.naturalWidth === 2 ? ok() : no(); img.onerror = no; })"
        )
        expect(frame.locator(".msg.from-agent")).to_have_count(1)
        expect(frame.locator(".msg")).to_have_count(6)
        expect(frame.locator(".prechat")).to_be_hidden()

        # Minimize and open again from the launcher.
        frame.get_by_role("button", name="Minimize chat").click()
        expect(page.locator("div[data-unidesk] iframe")).to_be_hidden()
        launcher.click()
        expect(page.locator("div[data-unidesk] iframe")).to_be_visible()

        frame_page = page.frames[1]
        assert frame_page.evaluate("typeof window.__xss") == "undefined"
        assert page.evaluate("typeof window.__xss") == "undefined"
        browser.close()

    assert errors == []
    conversation = Conversation.objects.get()
    assert conversation.widget_site.key == "demo"
    assert conversation.subject == "退换货 Returns"
    assert conversation.customer.display_name == "Test Visitor"
    assert conversation.page_url == f"{daphne_server}/demo/"
    bodies = list(
        Message.objects.order_by("seq").values_list("sender_type", "body", "content_type")
    )
    assert bodies == [
        ("customer", "Hello, where is my order? 📦", "text"),
        ("customer", "", "image"),
        ("customer", XSS[0], "text"),
        ("customer", XSS[1], "text"),
        ("customer", "Written while offline", "text"),
        ("agent", "您好，我来帮您查一下。", "text"),
    ]


UNIT_CHECKS = """
async () => {
  const { Cursors } = await import("/static/widget/cursors.js");
  const { Outbox } = await import("/static/widget/outbox.js");
  const view = await import("/static/widget/view.js");
  const out = {};

  // Cursors: the next seq moves on, a gap asks once, a second gap waits for the answer.
  const syncs = [];
  const cursors = new Cursors((frame) => syncs.push(frame) > 0);
  cursors.heard(7, 1);
  cursors.heard(7, 3);
  cursors.heard(7, 4);
  cursors.answered({ conversation_id: 7, last_seq: 5, has_more: false });
  cursors.answered({ conversation_id: 7, last_seq: 5, has_more: false });
  cursors.heard(7, 6);
  out.syncs = syncs.map((f) => [f.conversation_id, f.after_seq]);
  out.cursor = cursors.get(7);

  // Outbox: one on the wire at a time, the same id again after a loss, refusals leave it.
  const wire = [];
  const rejected = [];
  const blocked = [];
  const data = {};
  const store = { get: (k) => data[k] ?? null, set: (k, v) => { data[k] = v; } };
  const outbox = new Outbox({
    store,
    send: (frame) => wire.push(frame) > 0,
    ready: () => true,
    onRejected: (item, code) => rejected.push([item.client_msg_id, code]),
    onBlocked: (code) => blocked.push(code),
  });
  outbox.add({ client_msg_id: "a", body: "1", attachment_ids: [] });
  outbox.add({ client_msg_id: "b", body: "2", attachment_ids: [] });
  out.first = wire.map((f) => f.client_msg_id);
  out.stored = data.outbox.map((i) => i.client_msg_id);
  outbox.lost();
  outbox.pump();
  outbox.done("a");
  outbox.pump();
  outbox.failed({ type: "error", ref: "m:b", code: "rate_limited" });
  outbox.lost();
  outbox.pump();
  outbox.failed({ type: "error", ref: "m:b", code: "invalid_message" });
  out.wire = wire.map((f) => f.client_msg_id);
  out.rejected = rejected;
  out.blocked = blocked;
  out.left = data.outbox;

  // Drawing order: by (conversation, seq) whatever the arrival order; unsent stays last.
  const list = document.createElement("ol");
  const item = (label, c, s) => {
    const li = document.createElement("li");
    li.textContent = label;
    view.place(list, li, c, s);
  };
  item("pending", null, null);
  item("7:3", 7, 3);
  item("7:1", 7, 1);
  item("9:0", 9, 0);
  item("7:end", 7, Infinity);
  item("7:2", 7, 2);
  item("9:1", 9, 1);
  out.order = Array.from(list.children, (li) => li.textContent);

  // Text stays text; only http(s) links become anchors.
  const text = view.richText('<b>x</b> see https://example.com/a?b=1 or javascript:alert(1)');
  out.html = text.innerHTML;
  return out;
}
"""


def test_widget_modules_keep_order_cursors_and_the_outbox(daphne_server):
    require_chromium()
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page()
        page.goto(f"{daphne_server}/healthz")
        out = page.evaluate(UNIT_CHECKS)
        browser.close()

    assert out["syncs"] == [[7, 1], [7, 5]]
    assert out["cursor"] == 6
    assert out["first"] == ["a"]
    assert out["stored"] == ["a", "b"]
    assert out["wire"] == ["a", "a", "b", "b"]
    assert out["rejected"] == [["b", "invalid_message"]]
    assert out["blocked"] == ["rate_limited"]
    assert out["left"] is None
    assert out["order"] == ["7:1", "7:2", "7:3", "7:end", "9:0", "9:1", "pending"]
    assert out["html"] == (
        '&lt;b&gt;x&lt;/b&gt; see <a href="https://example.com/a?b=1" target="_blank" '
        'rel="noopener noreferrer">https://example.com/a?b=1</a> or javascript:alert(1)'
    )
