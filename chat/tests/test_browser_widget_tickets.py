"""The visitor follows a ticket made from their chat in the widget and rates it (real Chromium,
real daphne): the card with number and status arrives live, a resolved ticket offers the rating,
and a reload remembers it was rated."""

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
from desk.tests.test_browser_inbox import in_thread
from routing.tests.factories import AgentProfileFactory
from tickets.models import Ticket, TicketSource
from tickets.services import TicketData, ticket_create_from_conversation, ticket_update_fields

pytestmark = pytest.mark.browser

SCREENSHOT = settings.BASE_DIR / "var" / "screenshots" / "widget-ticket.png"
XSS_SUBJECT = "<img src=x onerror=window.__xss=1> 水壶坏了"


def make_ticket():
    conversation = Conversation.objects.get()
    return ticket_create_from_conversation(
        actor=None,
        conversation=conversation,
        data=TicketData(subject=XSS_SUBJECT),
        source=TicketSource.BUTTON,
    ).ticket


def move(ticket_id, status, assignee=None):
    changes = {"status": status}
    if assignee is not None:
        changes["assignee"] = assignee
    ticket_update_fields(actor=None, ticket=Ticket.objects.get(pk=ticket_id), changes=changes)


def rating(ticket_id):
    return Ticket.objects.values_list("csat_score", "csat_comment", "status").get(pk=ticket_id)


def test_visitor_follows_the_ticket_and_rates_it(daphne_pushes):
    require_chromium()
    base_url = daphne_pushes
    demo_widget_site(offline_tickets=False)  # these tests make their own tickets
    carol = AgentProfileFactory(display_name="Carol 张").user
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = watched_page(watched_context(browser, errors), errors)
        frame = open_demo_chat(page, base_url, name="Li Lei")
        box = frame.locator("textarea")
        box.fill("My kettle is broken")
        box.press("Enter")
        expect(frame.locator(".msg.from-customer")).to_have_attribute("data-state", "delivered")

        ticket = in_thread(make_ticket)
        cards = frame.locator(".msg.ticket")
        expect(cards).to_have_count(1)
        first = cards.first
        expect(first.locator(".number")).to_have_text(ticket.number)
        expect(first.locator(".pill")).to_have_text("New")
        expect(first.locator(".subject")).to_have_text(XSS_SUBJECT)  # text, not markup
        expect(first.locator("img")).to_have_count(0)

        in_thread(move, ticket.pk, "open", carol)
        expect(cards).to_have_count(2)
        expect(cards.nth(1).locator(".pill")).to_have_text("Open")
        expect(cards.nth(1).locator(".handler")).to_have_text("Handled by Carol 张")
        in_thread(move, ticket.pk, "in_progress")
        expect(cards.nth(2).locator(".pill")).to_have_text("In progress")
        expect(frame.locator(".rate")).to_have_count(0)
        in_thread(move, ticket.pk, "resolved")
        resolved = cards.nth(3)
        expect(resolved.locator(".pill")).to_have_text("Resolved")
        expect(frame.locator("form.rate")).to_have_count(1)

        form = resolved.locator("form.rate")
        submit = form.get_by_role("button", name="Submit rating")
        expect(submit).to_be_disabled()
        form.get_by_role("button", name="5 of 5 stars").click()
        expect(form.locator(".star[aria-pressed=true]")).to_have_count(5)
        form.locator("textarea").fill("Fast and friendly 很满意")
        submit.click()
        expect(resolved.locator(".rate.done")).to_have_text("Thanks for your rating")
        assert in_thread(rating, ticket.pk) == (5, "Fast and friendly 很满意", "resolved")

        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))

        # A reload remembers the rating: thanks, no form.
        page.reload()
        frame = page.frame_locator("div[data-unidesk] iframe")
        expect(frame.locator(".msg.ticket")).to_have_count(4)
        expect(frame.locator(".msg.ticket").nth(3).locator(".rate.done")).to_have_text(
            "Thanks for your rating"
        )
        expect(frame.locator("form.rate")).to_have_count(0)
        assert page.frames[1].evaluate("typeof window.__xss") == "undefined"
        browser.close()

    assert errors == []


def test_a_chinese_visitor_sees_chinese_statuses_and_rates_after_a_reload(daphne_pushes):
    require_chromium()
    base_url = daphne_pushes
    demo_widget_site(offline_tickets=False)  # these tests make their own tickets
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = watched_page(watched_context(browser, errors, locale="zh-CN"), errors)
        page.goto(f"{base_url}/demo/")
        page.locator("div[data-unidesk] button").click()
        frame = page.frame_locator("div[data-unidesk] iframe")
        frame.locator("#prechat-name").fill("韩梅梅")
        frame.locator(".prechat button[type=submit]").click()
        frame.locator("textarea").fill("你好")
        frame.locator("textarea").press("Enter")
        expect(frame.locator(".msg.from-customer")).to_have_attribute("data-state", "delivered")
        ticket = in_thread(make_ticket)
        in_thread(move, ticket.pk, "resolved")
        expect(frame.locator(".msg.ticket .pill")).to_have_text(["新建", "已解决"])

        page.reload()  # the rating is offered after a reload too
        frame = page.frame_locator("div[data-unidesk] iframe")
        form = frame.locator("form.rate")
        expect(form.locator(".rate-title")).to_have_text("请为本次服务评分")
        form.locator(".star").nth(2).click()
        form.locator("button[type=submit]").click()
        expect(frame.locator(".rate.done")).to_have_text("感谢您的评价")
        browser.close()

    assert in_thread(rating, ticket.pk) == (3, "", "resolved")
    assert errors == []
