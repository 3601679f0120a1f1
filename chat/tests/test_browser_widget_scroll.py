"""What arrives in the widget comes into view (real Chromium, real daphne): a new ticket card,
its rating form that appears a moment later, an agent's reply, also after the panel was closed;
a visitor who scrolled up to read gets a "new messages" hint instead of a jump."""

import pytest
from playwright.sync_api import expect, sync_playwright

from chat import services
from chat.models import Conversation, SenderType
from chat.tests.test_browser_widget_tickets import make_ticket, move
from desk.demo import demo_widget_site
from desk.tests.browser import (
    launch_chromium,
    open_demo_chat,
    require_chromium,
    watched_context,
    watched_page,
)
from desk.tests.test_browser_inbox import in_thread
from routing.tests.factories import AgentProfileFactory

pytestmark = pytest.mark.browser


def agent_says(agent, body):
    services.message_create(
        conversation=Conversation.objects.get(),
        sender_type=SenderType.AGENT,
        sender_user=agent,
        body=body,
    )


def test_new_cards_and_messages_come_into_view(daphne_pushes):
    require_chromium()
    demo_widget_site(offline_tickets=False)
    carol = AgentProfileFactory(display_name="Carol 张").user
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = watched_page(watched_context(browser, errors), errors)
        frame = open_demo_chat(page, daphne_pushes, name="Li Lei")
        box = frame.locator("textarea")
        box.fill("My kettle is broken")
        box.press("Enter")
        expect(frame.locator(".msg.from-customer")).to_have_attribute("data-state", "delivered")
        for n in range(8):  # enough to scroll
            in_thread(agent_says, carol, f"Let me check that for you, step {n} of 8.")
        expect(frame.locator(".msg.from-agent")).to_have_count(8)
        ticket = in_thread(make_ticket)
        in_thread(move, ticket.pk, "in_progress", carol)
        cards = frame.locator(".msg.ticket")
        expect(cards).to_have_count(2)
        expect(cards.last).to_be_in_viewport()
        log = frame.locator(".log")
        assert log.evaluate("log => log.scrollHeight > log.clientHeight + 200")

        # 已解决: the card and the rating form it grows a moment later are in view.
        in_thread(move, ticket.pk, "resolved")
        expect(cards).to_have_count(3)
        expect(cards.last.locator(".pill")).to_have_text("Resolved")
        expect(cards.last.get_by_role("button", name="Submit rating")).to_be_in_viewport()
        hint = frame.get_by_role("button", name="New messages ↓")
        expect(hint).to_be_hidden()

        # Reading further up: no jump, a hint; the hint brings the reply into view.
        log.evaluate("log => { log.scrollTop = 0; }")
        expect(frame.locator(".msg.from-customer")).to_be_in_viewport()
        in_thread(agent_says, carol, "Is there anything else?")
        reply = frame.locator(".msg.from-agent").filter(has_text="Is there anything else?")
        expect(hint).to_be_visible()
        expect(reply).not_to_be_in_viewport()
        expect(frame.locator(".msg.from-customer")).to_be_in_viewport()
        hint.click()
        expect(reply).to_be_in_viewport()
        expect(hint).to_be_hidden()

        # A card that arrives while the panel is closed is in view when it opens again.
        frame.get_by_role("button", name="Minimize chat").click()
        expect(page.locator("div[data-unidesk] iframe")).to_be_hidden()
        in_thread(move, ticket.pk, "closed")
        page.wait_for_timeout(500)  # the card arrives in the hidden frame
        page.locator("div[data-unidesk] button").click()
        expect(cards).to_have_count(4)
        expect(cards.last.locator(".pill")).to_have_text("Closed")
        expect(cards.last).to_be_in_viewport()
        browser.close()

    assert errors == []
