"""The live workspace in real Chromium against a real daphne: conversations arrive without a
reload, replies and notes are acknowledged once, tabs and colleagues see each other live."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connections
from playwright.sync_api import expect, sync_playwright

from chat import services
from chat.models import Message, SenderType
from desk.tests.browser import launch_chromium, require_chromium, watched_context
from desk.tests.live_server import server_password
from routing.tests.factories import AgentProfileFactory

pytestmark = pytest.mark.browser

SCREENSHOT = settings.BASE_DIR / "var" / "screenshots" / "inbox.png"
NOTE_YELLOW = "rgb(255, 246, 209)"


def in_thread(function, *args, **kwargs):
    """Run database work off the thread where Playwright's event loop runs (Django refuses
    synchronous queries next to a running loop). The thread's connection is closed after."""

    def call():
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


def sign_in(context, base_url, user, password):
    page = context.new_page()
    page.goto(f"{base_url}/accounts/login/?next=/desk/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.press("#id_password", "Enter")
    expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
    return page


def seqs(page):
    return page.locator("#messages .msg").evaluate_all("nodes => nodes.map(n => n.dataset.seq)")


def new_customer_conversation():
    customer = services.customer_create(
        data=services.CustomerData(display_name="Zhou Min 周敏", vip_level=2),
        identities=[services.IdentityRef("email", "zhou.min@example.com", verified=True)],
    )
    conversation = services.conversation_start(
        customer=customer,
        channel="email",
        context=services.ConversationContext(device="MacBook", browser="Firefox 140"),
    )
    services.message_create(
        conversation=conversation, sender_type=SenderType.CUSTOMER,
        body="<b>Where</b> is my order?",
    )  # fmt: skip
    return conversation


def test_live_inbox_reply_note_outbox_and_reload(daphne_pushes, agent, password):
    require_chromium()
    base_url = daphne_pushes
    agent.display_name = "Lina Wang"
    agent.save()
    colleague = AgentProfileFactory(display_name="Mark Li")
    for user in (agent.user, colleague.user):
        server_password(user, password)
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = watched_context(browser, errors, width=1440, height=900, locale="en-US")
        page = sign_in(context, base_url, agent.user, password)
        expect(page.get_by_text("No conversations yet")).to_be_visible()

        # A customer writes: the conversation appears without a reload, text shown as text.
        conv = in_thread(new_customer_conversation)
        row = page.locator(f".conv-row[data-id='{conv.pk}']")
        expect(row.locator(".conv-name")).to_have_text("Zhou Min 周敏")
        expect(row.locator(".conv-preview")).to_have_text("<b>Where</b> is my order?")
        expect(row.locator(".unread")).to_have_text("1")
        expect(row.locator(".waiting")).to_contain_text("waiting")

        # Open it: history, customer panel, and reading resets the unread badge.
        row.click()
        expect(page.locator("#conv-name")).to_have_text("Zhou Min 周敏")
        expect(page.locator("#messages .msg-in .msg-body")).to_have_text(
            "<b>Where</b> is my order?"
        )
        expect(row.locator(".unread")).to_have_count(0)
        panel = page.locator("#customer-panel")
        expect(panel).to_contain_text("zhou.min@example.com")
        expect(panel).to_contain_text("VIP level 2")
        expect(panel).to_contain_text("Firefox 140")

        # A second tab of the same agent on the same conversation.
        other = context.new_page()
        other.goto(f"{base_url}/desk/#c={conv.pk}")
        expect(other.locator("#connection")).to_have_attribute("data-state", "connected")
        expect(other.locator("#messages .msg")).to_have_count(1)

        # Reply with Enter: one bubble, acknowledged with seq 2, live in the other tab.
        page.fill("#composer-input", "Let me check 马上查")
        page.press("#composer-input", "Enter")
        reply = page.locator("#messages .msg-out")
        expect(reply).to_have_attribute("data-seq", "2")
        expect(reply.locator(".msg-body")).to_have_text("Let me check 马上查")
        expect(reply.locator(".tick")).to_have_text("✓")
        expect(page.locator("#pending .msg")).to_have_count(0)
        expect(page.locator("#composer-input")).to_have_value("")
        expect(other.locator("#messages .msg-out .msg-body")).to_have_text("Let me check 马上查")
        expect(row.locator(".conv-preview")).to_have_text("You: Let me check 马上查")

        # Shift+Enter is a new line, not a send.
        page.fill("#composer-input", "line one")
        page.press("#composer-input", "Shift+Enter")
        page.keyboard.type("line two")
        expect(page.locator("#composer-input")).to_have_value("line one\nline two")
        page.fill("#composer-input", "")

        # An internal note looks different, in both tabs.
        page.check("#composer-internal")
        page.fill("#composer-input", "VIP: handle with care")
        page.press("#composer-input", "Enter")
        note = page.locator("#messages .msg-note")
        expect(note).to_have_attribute("data-seq", "3")
        bubble = note.locator(".msg-bubble")
        assert bubble.evaluate("n => getComputedStyle(n).backgroundColor") == NOTE_YELLOW
        expect(other.locator("#messages .msg-note .msg-body")).to_have_text("VIP: handle with care")
        page.uncheck("#composer-internal")

        # A colleague opens it: collision warning, then their typing shows.
        mates = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
        mates.set_default_timeout(10_000)
        mark = sign_in(mates, base_url, colleague.user, password)
        mark.goto(f"{base_url}/desk/#c={conv.pk}")
        expect(mark.locator("#messages .msg")).to_have_count(3)
        expect(page.locator("#collision")).to_have_text("Also viewing: Mark Li")
        expect(mark.locator("#collision")).to_have_text("Also viewing: Lina Wang")
        mark.locator("#composer-input").press_sequentially("On it")
        expect(page.locator("#collision")).to_have_text("Mark Li is typing a reply…")
        mates.close()
        expect(page.locator("#collision")).to_be_hidden()

        # Offline: the reply waits in the outbox, then goes out once after the reconnect.
        context.set_offline(True)
        expect(page.locator("#connection")).to_have_attribute("data-state", "offline")
        page.fill("#composer-input", "Sent after the network is back")
        page.press("#composer-input", "Enter")
        expect(page.locator("#pending .msg")).to_have_count(1)
        context.set_offline(False)
        expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
        expect(page.locator("#pending .msg")).to_have_count(0)
        expect(page.locator("#messages .msg[data-seq='4'] .msg-body")).to_have_text(
            "Sent after the network is back"
        )

        # The customer answers: live in both tabs, and the customer's read ticks ours.
        in_thread(
            services.message_create,
            conversation=conv, sender_type=SenderType.CUSTOMER, body="Thanks!",
        )  # fmt: skip
        expect(page.locator("#messages .msg-in")).to_have_count(2)
        expect(other.locator("#messages .msg-in")).to_have_count(2)

        # Reload: every message exactly once, in order.
        page.reload()
        expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
        expect(page.locator("#messages .msg")).to_have_count(5)
        assert seqs(page) == ["1", "2", "3", "4", "5"]

        # Header action: assign to me, seen as an activity line and in the header.
        page.click("#action-assign-me")
        expect(page.locator("#conv-meta")).to_contain_text("Assigned to you")
        expect(page.locator("#messages .msg-system")).to_have_text(
            "Lina Wang took the conversation"
        )
        expect(other.locator("#messages .msg-system")).to_have_count(1)
        expect(page.locator("#action-assign-me")).to_be_hidden()
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))
        browser.close()

    assert errors == []
    stored = Message.objects.filter(conversation=conv).order_by("seq")
    assert [(m.seq, m.sender_type, m.is_internal) for m in stored] == [
        (1, "customer", False),
        (2, "agent", False),
        (3, "agent", True),
        (4, "agent", False),
        (5, "customer", False),
        (6, "system", True),
    ]
