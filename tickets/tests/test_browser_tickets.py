"""转工单 in real Chromium against a real daphne: a visitor writes in the demo widget, the agent
turns the chat into a ticket, works it in the ticket panel, the visitor sees every step and
rates the service."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect, sync_playwright

from chat.models import Conversation
from desk.demo import demo_widget_site
from desk.tests.browser import (
    launch_chromium,
    open_demo_chat,
    require_chromium,
    watched_context,
    watched_page,
)
from desk.tests.live_server import server_password
from desk.tests.test_browser_inbox import in_thread, sign_in
from tickets.models import Ticket
from tickets.tests.factories import CategoryFactory

pytestmark = pytest.mark.browser

SCREENSHOT = settings.BASE_DIR / "var" / "screenshots" / "ticket.png"
FIRST_WORDS = "My parcel arrived broken 包裹坏了"


def conversation_ids():
    return list(Conversation.objects.values_list("pk", flat=True))


def console_errors(errors):
    """Console errors, except the browser's note of the 409 the test provokes on purpose."""
    return lambda m: m.type == "error" and "409" not in m.text and errors.append(m.text)


def csat_of(number):
    return Ticket.objects.values_list("csat_score", "csat_comment").get(number=number)


def ticket_rows():
    return list(Ticket.objects.values_list("number", "status", "conversation_id"))


def test_agent_turns_a_widget_chat_into_a_ticket_and_the_visitor_follows_it(
    daphne_server, agent, password
):
    require_chromium()
    base_url = daphne_server
    demo_widget_site(offline_tickets=False)  # these tests make their own tickets
    parcels = CategoryFactory(name="Parcel")  # the visitor will write "parcel"
    server_password(agent.user, password)
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = watched_context(browser, errors, width=1440, height=900)

        # The visitor writes through the widget on the demo shop.
        shop = watched_page(context, errors)
        widget = open_demo_chat(shop, base_url, name="Wang Fang")
        box = widget.locator("textarea")
        box.fill(FIRST_WORDS)
        box.press("Enter")
        expect(widget.locator(".msg.from-customer").filter(has_text=FIRST_WORDS)).to_have_attribute(
            "data-state", "delivered"
        )

        # The agent opens the conversation and clicks 转工单.
        desk = sign_in(context, base_url, agent.user, password)
        desk.on("console", console_errors(errors))
        (conversation_id,) = in_thread(conversation_ids)
        desk.locator(f".conv-row[data-id='{conversation_id}']").click()
        expect(desk.locator("#conv-name")).to_have_text("Wang Fang")
        button = desk.locator("#action-ticket")
        expect(button).to_have_text("Create ticket")
        expect(button).to_have_attribute("title", re.compile(r"Alt\+T"))
        expect(desk.locator("#conv-ticket")).to_be_hidden()
        button.click()
        dialog = desk.locator("#ticket-dialog")
        expect(dialog).to_be_visible()
        expect(desk.locator("#ticket-form-subject")).to_have_value(FIRST_WORDS)
        expect(desk.locator("#ticket-form-description")).to_have_value(re.compile("包裹坏了"))
        expect(desk.locator("#ticket-exists")).to_be_hidden()
        # What the ticket keeps of the customer and where they were is shown, read-only.
        facts = desk.locator("#ticket-form-facts")
        expect(facts).to_contain_text("Wang Fang")
        expect(facts).to_contain_text("Web")  # the channel
        expect(facts).to_contain_text("/demo/")  # the page they wrote from
        expect(desk.locator("#ticket-form-category")).to_have_value(str(parcels.pk))
        expect(desk.locator("#ticket-form-category-hint")).to_have_text(
            "Suggested category: The customer wrote the category's name (Parcel)"
        )
        desk.select_option("#ticket-form-priority", "1")
        desk.locator("#ticket-form-submit").dblclick()  # a double click makes one ticket

        chip = desk.locator("#conv-ticket")
        expect(chip).to_have_text(re.compile(r"^T-\d{8}-0001 · New$"))
        expect(dialog).to_be_hidden()
        ((number, status, linked),) = in_thread(ticket_rows)
        assert (status, linked) == ("new", conversation_id)
        expect(desk.locator("#ticket-panel")).to_be_visible()
        expect(desk.locator("#ticket-number")).to_have_text(number)
        expect(desk.locator("#ticket-timeline .ticket-event")).to_have_count(1)
        # Its description, the transcript, is under the `created` row.
        expect(desk.locator("#ticket-timeline .ticket-description")).to_contain_text(FIRST_WORDS)

        # The visitor sees the ticket card with its number.
        cards = widget.locator(".msg.from-system").filter(has_text=number)
        expect(cards).to_have_count(1)

        # Alt+T again: the form says there is an open ticket and offers it.
        desk.locator("#conv-name").click()
        desk.keyboard.press("Alt+t")
        expect(desk.locator("#ticket-exists")).to_be_visible()
        expect(desk.locator("#ticket-exists-text")).to_contain_text(number)
        expect(desk.locator("#ticket-form-submit")).to_be_disabled()
        desk.locator("#ticket-allow-additional").check()
        expect(desk.locator("#ticket-form-submit")).to_be_enabled()
        desk.locator("#ticket-allow-additional").uncheck()
        desk.locator("#ticket-open-existing").click()
        expect(dialog).to_be_hidden()

        # 处理中, then 已解决: chip, panel and the visitor's chat follow.
        desk.select_option("#ticket-status", "in_progress")
        expect(chip).to_have_text(f"{number} · In progress")
        expect(cards).to_have_count(2)
        expect(cards.nth(1)).to_contain_text("is being worked on")
        desk.select_option("#ticket-status", "resolved")
        expect(chip).to_have_text(f"{number} · Resolved")
        expect(cards).to_have_count(3)
        expect(cards.nth(2)).to_contain_text("has been resolved")

        # The visitor rates the service on the resolved card.
        form = cards.nth(2).locator("form.rate")
        form.get_by_role("button", name="5 of 5 stars").click()
        form.locator("textarea").fill("Quick and kind 很满意")
        form.get_by_role("button", name="Submit rating").click()
        expect(cards.nth(2).locator(".rate.done")).to_have_text("Thanks for your rating")

        # A refused change: the server's message, and the status stays.
        desk.select_option("#ticket-status", "pending")
        expect(desk.locator("#ticket-error")).to_have_text(
            "A ticket cannot go from “Resolved” to “Pending customer”."
        )
        expect(desk.locator("#ticket-status")).to_have_value("resolved")

        # A public reply reaches the visitor; an internal note does not.
        desk.fill("#ticket-reply-body", "A new one is on its way 新的已寄出")
        desk.locator("#ticket-reply-send").click()
        # The reply's request runs the domain events in the test server's request thread (eager
        # Celery): on a loaded CI machine that took longer than the default 5 s once.
        reply = widget.locator(".msg").filter(has_text="新的已寄出")
        expect(reply).to_have_count(1, timeout=15_000)
        desk.locator("#ticket-reply-internal").check()
        desk.fill("#ticket-reply-body", "Refund approved internally")
        desk.locator("#ticket-reply-send").click()
        expect(desk.locator("#ticket-timeline .kind-note")).to_contain_text("Refund approved")
        shop.wait_for_timeout(500)
        expect(widget.locator(".msg").filter(has_text="Refund approved")).to_have_count(0)

        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        desk.screenshot(path=str(SCREENSHOT))
        browser.close()

    assert in_thread(ticket_rows) == [(number, "resolved", conversation_id)]
    assert in_thread(csat_of, number) == (5, "Quick and kind 很满意")
    assert errors == []
