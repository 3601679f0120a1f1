"""The Tickets view in real Chromium against a real daphne: filter, select, bulk-set priority."""

import pytest
from django.conf import settings
from playwright.sync_api import expect, sync_playwright

from desk.tests.browser import launch_chromium, require_chromium, watched_context
from desk.tests.live_server import server_password
from desk.tests.test_browser_inbox import in_thread, sign_in
from tickets.models import Ticket, TicketStatus
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.browser

SCREENSHOT = settings.BASE_DIR / "var" / "screenshots" / "ticket-list.png"


def make_tickets():
    opened = [TicketFactory(subject=f"Open {n}", status=TicketStatus.OPEN) for n in range(3)]
    TicketFactory(subject="Brand new", status=TicketStatus.NEW)
    return [ticket.pk for ticket in opened]


def priorities():
    return dict(Ticket.objects.values_list("pk", "priority"))


def test_agent_filters_selects_and_bulk_sets_priority(daphne_server, agent, password):
    require_chromium()
    base_url = daphne_server
    server_password(agent.user, password)
    first, second, third = in_thread(make_tickets)
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = watched_context(browser, errors, width=1440, height=900)
        desk = sign_in(context, base_url, agent.user, password)
        desk.on("console", lambda m: m.type == "error" and errors.append(m.text))

        desk.locator("#view-tickets").click()
        rows = desk.locator("#tl-rows tr")
        expect(rows).to_have_count(4)
        desk.locator(".tl-chip", has_text="Open").locator("input").check()
        expect(rows).to_have_count(3)
        expect(desk.locator("#tl-rows tr[data-status='new']")).to_have_count(0)

        desk.locator(f"#tl-rows tr[data-id='{first}'] .tl-pick input").check()
        desk.locator(f"#tl-rows tr[data-id='{second}'] .tl-pick input").check()
        expect(desk.locator("#tl-selected")).to_have_text("2 selected")
        desk.select_option("#tl-bulk-priority", "0")

        expect(desk.locator(f"#tl-rows tr[data-id='{first}'] .tl-priority")).to_have_text(
            "P0 · Urgent"
        )
        expect(desk.locator(f"#tl-rows tr[data-id='{second}'] .tl-priority")).to_have_text(
            "P0 · Urgent"
        )
        expect(desk.locator(f"#tl-rows tr[data-id='{third}'] .tl-priority")).to_have_text(
            "P2 · Normal"
        )
        expect(desk.locator("#tl-bulk")).to_be_hidden()

        # A row opens the ticket panel.
        desk.locator(f"#tl-rows tr[data-id='{first}'] .tl-subject").click()
        expect(desk.locator("#ticket-panel")).to_be_visible()
        expect(desk.locator("#ticket-priority")).to_have_value("0")

        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        desk.screenshot(path=str(SCREENSHOT))
        browser.close()

    found = in_thread(priorities)
    assert (found[first], found[second], found[third]) == (0, 0, 2)
    assert errors == []
