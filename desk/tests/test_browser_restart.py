"""The server goes away and comes back: a customer on /demo/ and an agent on /desk/, both in real
Chromium, keep what they write while it is down and find every message exactly once after both
pages reconnect by themselves (and after a reload)."""

import re

import pytest
from playwright.sync_api import expect, sync_playwright

from chat.models import Message
from desk.demo import demo_widget_site
from desk.tests.browser import launch_chromium, require_chromium
from desk.tests.live_server import server_password
from routing.tests.factories import AgentProfileFactory

pytestmark = pytest.mark.browser

RECONNECT_MS = 30_000  # backoff with jitter: the retry after a few failures waits up to ~8 s
BEFORE = "Hello before the restart"
REPLY = "Reply before the restart"
CUSTOMER_WHILE_DOWN = "Written while the server was down"
AGENT_WHILE_DOWN = "Agent wrote this while the server was down"
TEXTS = [BEFORE, REPLY, CUSTOMER_WHILE_DOWN, AGENT_WHILE_DOWN]
# What Chromium logs for a socket or request to a server that is not there (expected here).
REFUSED = re.compile(r"ERR_CONNECTION_REFUSED|WebSocket connection to .* failed")
STORED = re.compile(r"^(delivered|read)$")  # acked (the agent, who has it open, reads at once)


def open_widget(page, base_url):
    page.goto(f"{base_url}/demo/")
    page.locator("div[data-unidesk] button").click()
    frame = page.frame_locator("div[data-unidesk] iframe")
    expect(frame.locator("#app")).to_have_attribute("data-state", "connected")
    return frame


def sign_in(page, base_url, user, password):
    page.goto(f"{base_url}/accounts/login/?next=/desk/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.press("#id_password", "Enter")
    expect(page.locator("#connection")).to_have_attribute("data-state", "connected")


def customer_writes(frame, text):
    box = frame.locator("textarea")
    box.fill(text)
    box.press("Enter")


def agent_writes(page, text):
    page.fill("#composer-input", text)
    page.press("#composer-input", "Enter")


def widget_bubbles(frame, text):
    return frame.locator(".msg").filter(has_text=text)


def agent_bubbles(page, text):
    return page.locator("#messages .msg").filter(has_text=text)


def expect_each_once(frame, page):
    """Every message shows exactly once on both sides, nothing is left pending."""
    for text in TEXTS:
        expect(widget_bubbles(frame, text)).to_have_count(1)
        expect(agent_bubbles(page, text)).to_have_count(1)
    expect(frame.locator(".msg")).to_have_count(4)
    expect(page.locator("#messages .msg")).to_have_count(4)
    expect(page.locator("#pending .msg")).to_have_count(0)
    for text in (BEFORE, CUSTOMER_WHILE_DOWN):
        expect(widget_bubbles(frame, text)).to_have_attribute("data-state", STORED)


def test_both_sides_reconnect_after_a_server_restart_and_lose_nothing(daphne_processes, password):
    require_chromium()
    server = daphne_processes()
    base_url = server.url
    demo_widget_site(offline_tickets=False)  # these tests make their own tickets
    agent = AgentProfileFactory(display_name="Carol 张")
    server_password(agent.user, password)
    page_errors, console_errors = [], []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        contexts = [
            browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-US")
            for _ in range(2)
        ]
        for context in contexts:
            context.set_default_timeout(10_000)
            context.on("weberror", lambda error: page_errors.append(str(error.error)))
            context.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
        shop, desk = (context.new_page() for context in contexts)

        # The customer starts a chat; the agent opens it and answers.
        frame = open_widget(shop, base_url)
        frame.locator("#prechat-name").fill("Restart Visitor")
        frame.get_by_role("button", name="Start chat").click()
        customer_writes(frame, BEFORE)
        expect(widget_bubbles(frame, BEFORE)).to_have_attribute("data-state", "delivered")
        conversation_id = widget_bubbles(frame, BEFORE).get_attribute("data-c")
        sign_in(desk, base_url, agent.user, password)
        desk.locator(f".conv-row[data-id='{conversation_id}']").click()
        expect(agent_bubbles(desk, BEFORE)).to_have_attribute("data-seq", "1")
        agent_writes(desk, REPLY)
        expect(agent_bubbles(desk, REPLY)).to_have_attribute("data-seq", "2")
        expect(widget_bubbles(frame, REPLY)).to_have_count(1)

        # The server goes away: both say so, and both keep what is written meanwhile.
        server.stop()
        expect(frame.locator("#app")).to_have_attribute("data-state", "reconnecting")
        expect(frame.locator(".banner")).to_have_text("Connection lost. Reconnecting…")
        expect(desk.locator("#connection")).to_have_attribute("data-state", "reconnecting")
        customer_writes(frame, CUSTOMER_WHILE_DOWN)
        expect(widget_bubbles(frame, CUSTOMER_WHILE_DOWN)).to_have_attribute(
            "data-state", "pending"
        )
        agent_writes(desk, AGENT_WHILE_DOWN)
        expect(desk.locator("#pending .msg").filter(has_text=AGENT_WHILE_DOWN)).to_have_count(1)

        # Back on the same port: both reconnect on their own and send what was waiting.
        server.start()
        expect(frame.locator("#app")).to_have_attribute(
            "data-state", "connected", timeout=RECONNECT_MS
        )
        expect(frame.locator(".banner")).to_be_hidden()
        expect(desk.locator("#connection")).to_have_attribute(
            "data-state", "connected", timeout=RECONNECT_MS
        )
        expect(widget_bubbles(frame, CUSTOMER_WHILE_DOWN)).to_have_attribute(
            "data-state", STORED, timeout=RECONNECT_MS
        )
        expect(agent_bubbles(desk, AGENT_WHILE_DOWN)).to_have_count(1, timeout=RECONNECT_MS)
        expect(agent_bubbles(desk, CUSTOMER_WHILE_DOWN)).to_have_count(1, timeout=RECONNECT_MS)
        expect(widget_bubbles(frame, AGENT_WHILE_DOWN)).to_have_count(1, timeout=RECONNECT_MS)
        expect_each_once(frame, desk)
        seqs = desk.locator("#messages .msg").evaluate_all("ns => ns.map(n => n.dataset.seq)")
        assert seqs == ["1", "2", "3", "4"]

        # A reload of either page draws the same, once.
        shop.reload()
        frame = shop.frame_locator("div[data-unidesk] iframe")
        expect(frame.locator("#app")).to_have_attribute("data-state", "connected")
        desk.reload()
        expect(desk.locator("#connection")).to_have_attribute("data-state", "connected")
        expect_each_once(frame, desk)
        browser.close()

    assert page_errors == []
    assert [text for text in console_errors if not REFUSED.search(text)] == []
    rows = Message.objects.filter(conversation_id=int(conversation_id)).order_by("seq")
    assert [(m.seq, m.body) for m in rows][:2] == [(1, BEFORE), (2, REPLY)]
    assert sorted((m.sender_type, m.body) for m in rows[2:]) == [
        ("agent", AGENT_WHILE_DOWN),
        ("customer", CUSTOMER_WHILE_DOWN),
    ]
    assert len({m.client_msg_id for m in rows}) == 4
