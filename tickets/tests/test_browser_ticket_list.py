"""The Tickets view in real Chromium against a real daphne: filter, select, bulk-set priority,
come back to it after a reload, and see tickets created elsewhere announced live."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect, sync_playwright

from chat.tests.factories import ConversationFactory, CustomerFactory
from desk.tests.browser import launch_chromium, require_chromium, watched_context
from desk.tests.live_server import server_password
from desk.tests.test_browser_inbox import in_thread, sign_in
from routing.tests.factories import AgentProfileFactory
from tickets.models import Ticket, TicketStatus
from tickets.services import TicketData, ticket_create
from tickets.tests.factories import (
    CategoryFactory,
    TagFactory,
    TicketFactory,
    conversation_ticket,
)

pytestmark = pytest.mark.browser

SCREENSHOT = settings.BASE_DIR / "var" / "screenshots" / "ticket-list.png"


def make_tickets():
    AgentProfileFactory(display_name="Han Mei")
    chat = ConversationFactory(customer=CustomerFactory(display_name="Zhao Min 赵敏"))
    refunds = CategoryFactory(name="Refunds 退款")
    opened = [
        conversation_ticket(chat, subject="Open 0", status=TicketStatus.OPEN, category=refunds)
    ]
    opened[0].tags.add(TagFactory(name="vip"))
    opened += [TicketFactory(subject=f"Open {n}", status=TicketStatus.OPEN) for n in (1, 2)]
    TicketFactory(subject="Brand new", status=TicketStatus.NEW)
    return [ticket.pk for ticket in opened]


def make_ticket_elsewhere():
    ticket_create(
        actor=None,
        requester=CustomerFactory(),
        data=TicketData(subject="Made elsewhere"),
    )


def priorities():
    return dict(Ticket.objects.values_list("pk", "priority"))


def test_agent_filters_selects_and_bulk_sets_priority(daphne_pushes, agent, password):
    require_chromium()
    base_url = daphne_pushes
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
        desk.select_option("#tl-category", label="Refunds 退款")
        expect(rows).to_have_count(1)
        desk.select_option("#tl-category", "")
        desk.select_option("#tl-channel", "web")
        expect(rows).to_have_count(1)  # the only ticket made from a (web) chat
        desk.select_option("#tl-channel", "")
        desk.fill("#tl-tag", "vip")
        expect(rows).to_have_count(1)
        desk.fill("#tl-tag", "")
        expect(rows).to_have_count(3)

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

        # Bulk-assign to a colleague.
        desk.locator(f"#tl-rows tr[data-id='{first}'] .tl-pick input").check()
        desk.locator(f"#tl-rows tr[data-id='{third}'] .tl-pick input").check()
        desk.select_option("#tl-bulk-assign", label="Han Mei")
        expect(desk.locator(f"#tl-rows tr[data-id='{first}'] .tl-assignee")).to_have_text("Han Mei")
        expect(desk.locator(f"#tl-rows tr[data-id='{third}'] .tl-assignee")).to_have_text("Han Mei")
        expect(desk.locator(f"#tl-rows tr[data-id='{second}'] .tl-assignee")).to_have_text(
            "Unassigned"
        )

        # A row opens the ticket panel.
        desk.locator(f"#tl-rows tr[data-id='{first}'] .tl-subject").click()
        expect(desk.locator("#ticket-panel")).to_be_visible()
        expect(desk.locator("#ticket-priority")).to_have_value("0")

        # The view and the open ticket are in the URL: a reload comes back to them.
        assert desk.url.endswith(f"/desk/#t={first}")
        desk.reload()
        expect(desk.locator("#view-tickets")).to_have_attribute("aria-pressed", "true")
        expect(desk.locator("#ticket-panel")).to_have_attribute("data-ticket-id", str(first))
        expect(rows).to_have_count(4)

        # The requester is one click away in the Customer tab, the chat in the Conversations view.
        desk.locator("#ticket-requester").click()
        expect(desk.locator("#customer-panel .customer-name")).to_have_text("Zhao Min 赵敏")
        expect(desk.locator("#customer-panel .history-list a")).to_have_count(2)  # chat, ticket
        desk.locator("#tab-ticket").click()
        desk.locator("#ticket-conversation").click()
        expect(desk.locator("#view-conversations")).to_have_attribute("aria-pressed", "true")
        expect(desk.locator("#conv-name")).to_have_text("Zhao Min 赵敏")
        assert re.search(r"/desk/#c=\d+$", desk.url)
        desk.locator("#view-tickets").click()

        # A ticket created elsewhere is announced; "Show" brings it into the list.
        in_thread(make_ticket_elsewhere)
        expect(desk.locator("#tl-fresh")).to_have_text("1 new or changed tickets · Show")
        expect(rows).to_have_count(4)
        desk.locator("#tl-fresh").click()
        expect(rows).to_have_count(5)
        expect(desk.locator("#tl-rows tr", has_text="Made elsewhere")).to_have_count(1)
        expect(desk.locator("#tl-fresh")).to_be_hidden()

        desk.locator("#view-conversations").click()  # back to the chat opened above
        assert re.search(r"/desk/#c=\d+$", desk.url)
        expect(desk.locator("#customer-panel .customer-name")).to_have_text("Zhao Min 赵敏")

        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        desk.screenshot(path=str(SCREENSHOT))
        browser.close()

    found = in_thread(priorities)
    assert (found[first], found[second], found[third]) == (0, 0, 2)
    assert errors == []


def make_ticket_near_its_warning():
    """Made 9 min 10 s ago under a 10-minute first-response target that warns at 95%: the
    countdown reads ~50 s, turns "at risk" ~20 s from now, "breached" ~50 s from now."""
    from datetime import timedelta
    from unittest import mock

    from django.utils import timezone

    from tickets.tests.factories import SlaPolicyFactory

    SlaPolicyFactory(
        name="Fast", priority=None, first_response_minutes=10, resolution_minutes=600,
        warn_percent=95,
    )  # fmt: skip
    made = timezone.now() - timedelta(minutes=9, seconds=10)
    with mock.patch.object(timezone, "now", return_value=made):
        ticket_create(actor=None, requester=CustomerFactory(), data=TicketData(subject="Racing"))


def test_a_tickets_sla_countdown_is_shown_and_turns_at_risk_live(daphne_pushes, agent, password):
    require_chromium()
    base_url = daphne_pushes
    server_password(agent.user, password)
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = watched_context(browser, errors, width=1440, height=900)
        desk = sign_in(context, base_url, agent.user, password)
        desk.on("console", lambda m: m.type == "error" and errors.append(m.text))
        desk.locator("#view-tickets").click()
        expect(desk.locator("#tl-empty")).to_be_visible()

        in_thread(make_ticket_near_its_warning)
        desk.locator("#tl-fresh").click()
        countdown = desk.locator("#tl-rows tr", has_text="Racing").locator(".sla")
        expect(countdown).to_have_attribute("data-state", "ok")
        expect(countdown).to_have_text(re.compile(r"^\d+s left$"))

        # No reload: the row turns amber when the warning time comes.
        expect(countdown).to_have_attribute("data-state", "at_risk", timeout=40_000)
        desk.locator("#tl-rows tr", has_text="Racing").locator(".tl-subject").click()
        expect(desk.locator("#ticket-sla")).to_contain_text("First response")
        expect(desk.locator("#ticket-sla .sla")).to_have_attribute("data-state", "at_risk")
        browser.close()
    assert errors == []
