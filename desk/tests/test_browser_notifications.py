"""Notifications in real Chromium against a real daphne: Carol writes a ticket note mentioning
Lina through the @ suggestions; Lina's open workspace shows the bell's badge and a toast, and a
click on the notification opens the ticket and marks it read."""

import pytest
from django.conf import settings
from playwright.sync_api import expect, sync_playwright

from desk.models import Notification
from desk.tests.browser import launch_chromium, require_chromium, watched_context
from desk.tests.live_server import server_password
from desk.tests.test_browser_inbox import in_thread, sign_in
from routing.tests.factories import AgentProfileFactory
from tickets.models import TicketEvent
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.browser

SCREENSHOT = settings.BASE_DIR / "var" / "screenshots" / "notifications.png"


def notes():
    return list(TicketEvent.objects.filter(kind="note").values_list("body", flat=True))


def notification_state():
    return list(Notification.objects.values_list("recipient__username", "kind", "read_at"))


def test_a_mention_rings_the_bell_and_opens_the_ticket(daphne_server, password):
    require_chromium()
    base_url = daphne_server
    carol = AgentProfileFactory(user__username="carol", display_name="Carol")
    lina = AgentProfileFactory(user__username="lina", display_name="Lina Wang")
    for profile in (carol, lina):
        server_password(profile.user, password)
    ticket = TicketFactory(subject="Parcel lost 包裹丢失")
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        lina_desk = sign_in(
            watched_context(browser, errors, width=1440), base_url, lina.user, password
        )
        lina_desk.on("console", lambda m: m.type == "error" and errors.append(m.text))
        badge = lina_desk.locator("#bell-badge")
        expect(badge).to_be_hidden()

        carol_desk = sign_in(
            watched_context(browser, errors, width=1440), base_url, carol.user, password
        )
        carol_desk.on("console", lambda m: m.type == "error" and errors.append(m.text))
        carol_desk.locator("#view-tickets").click()
        carol_desk.locator(f"#tl-rows tr[data-id='{ticket.pk}'] .tl-subject").click()
        expect(carol_desk.locator("#ticket-number")).to_have_text(ticket.number)
        carol_desk.locator("#ticket-reply-internal").check()
        box = carol_desk.locator("#ticket-reply-body")
        box.press_sequentially("Please call the customer @li")
        options = carol_desk.locator("#ticket-reply-body-mentions .mention-option")
        expect(options).to_have_count(1)  # Carol is not offered herself
        expect(options.first).to_contain_text("Lina Wang")
        box.press("Enter")
        expect(box).to_have_value("Please call the customer @lina ")
        expect(carol_desk.locator("#ticket-reply-body-mentions")).to_be_hidden()
        box.press_sequentially("today @zz")
        box.press("Escape")
        expect(carol_desk.locator("#ticket-reply-body-mentions")).to_be_hidden()
        carol_desk.locator("#ticket-reply-send").click()
        expect(carol_desk.locator("#ticket-timeline .kind-note")).to_have_count(1)

        # Lina's workspace hears it live.
        expect(badge).to_have_text("1")
        expect(lina_desk.locator("#toast")).to_contain_text("Carol mentioned you on")
        lina_desk.locator("#bell").click()
        item = lina_desk.locator("#bell-list .bell-item")
        expect(item).to_have_count(1)
        expect(item).to_contain_text(f"Carol mentioned you on {ticket.number}")
        expect(item).to_contain_text("Please call the customer @lina today @zz")
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        lina_desk.screenshot(path=str(SCREENSHOT))
        item.click()
        expect(lina_desk.locator("#ticket-panel")).to_be_visible()
        expect(lina_desk.locator("#ticket-number")).to_have_text(ticket.number)
        expect(badge).to_be_hidden()
        expect(lina_desk.locator("#bell-menu")).to_be_hidden()
        browser.close()

    assert in_thread(notes) == ["Please call the customer @lina today @zz"]
    ((recipient, kind, read_at),) = in_thread(notification_state)
    assert (recipient, kind) == ("lina", "mention")
    assert read_at is not None
    assert errors == []
