"""The widget menu and leave-a-message mode in real Chromium against a real daphne: with nobody
online the visitor is told to leave a message; choosing 报修 / Repair and answering its questions
brings the ticket card with its number into the chat."""

import pytest
from django.conf import settings
from playwright.sync_api import expect, sync_playwright

from desk.demo import demo_widget_site
from desk.tests.browser import (
    launch_chromium,
    open_demo_chat,
    require_chromium,
    watched_context,
    watched_page,
)
from desk.tests.test_browser_inbox import in_thread
from routing.selectors import team_has_agent_online_forget
from tickets.models import Ticket

pytestmark = pytest.mark.browser

SCREENSHOT = settings.BASE_DIR / "var" / "screenshots" / "widget-menu.png"
OFFLINE = "No agent is online now; leave a message and we'll reply by ticket."


def tickets():
    return list(Ticket.objects.order_by("pk").values_list("source", "number", "subject"))


def test_visitor_files_a_repair_from_the_menu_while_nobody_is_online(daphne_pushes):
    require_chromium()
    base_url = daphne_pushes
    demo_widget_site()
    team_has_agent_online_forget()
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = watched_page(watched_context(browser, errors), errors)
        frame = open_demo_chat(page, base_url, name="Li Lei")
        expect(frame.locator(".away")).to_have_text(OFFLINE)
        chips = frame.locator(".menu .chip")
        expect(chips).to_have_text(["Repair", "Returns", "Invoice"])

        chips.first.click()
        form = frame.locator("form.menu-form")
        expect(form.locator("h2")).to_have_text("Repair")
        expect(frame.locator(".composer")).to_be_hidden()
        form.get_by_role("button", name="Submit").click()
        expect(form.locator("#menu-model-error")).to_have_text("This field is required.")
        form.locator("#menu-model").fill("<b>K-200</b> 水壶")
        form.locator("#menu-problem").select_option("漏水 Leaks")
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))
        form.get_by_role("button", name="Submit").click()

        card = frame.locator(".msg.ticket")
        expect(card).to_have_count(1)
        [(source, number, subject)] = in_thread(tickets)
        assert (source, subject) == ("menu", "报修: <b>K-200</b> 水壶")
        expect(card.locator(".number")).to_have_text(number)
        expect(card.locator(".subject")).to_have_text(subject)  # text, not markup
        expect(frame.locator(".msg.from-customer .bubble")).to_contain_text("<b>K-200</b> 水壶")
        expect(form).to_be_hidden()
        expect(frame.locator(".composer")).to_be_visible()
        expect(chips.first).to_be_visible()
        browser.close()

    assert errors == []


def test_first_message_with_nobody_online_becomes_a_ticket(daphne_pushes):
    require_chromium()
    base_url = daphne_pushes
    demo_widget_site()
    team_has_agent_online_forget()
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = watched_page(watched_context(browser, errors, locale="zh-CN"), errors)
        page.goto(f"{base_url}/demo/")
        page.locator("div[data-unidesk] button").click()
        frame = page.frame_locator("div[data-unidesk] iframe")
        frame.locator("#prechat-name").fill("韩梅梅")
        frame.locator(".prechat button[type=submit]").click()
        expect(frame.locator(".away")).to_have_text(
            "当前无客服在线，请留言，我们将以工单形式回复您"
        )
        frame.locator("textarea").fill("水壶漏水了")
        frame.locator("textarea").press("Enter")
        card = frame.locator(".msg.ticket")
        expect(card).to_have_count(1)
        [(source, number, _)] = in_thread(tickets)
        assert source == "offline"
        expect(card.locator(".number")).to_have_text(number)
        expect(card.locator(".pill")).to_have_text("新建")
        browser.close()

    assert errors == []
