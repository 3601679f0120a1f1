"""A first-time user in real Chromium against a real daphne. On a phone (390×844): one pane at a
time, nothing wider than the screen, every control of the top bar and the 转工单 dialog within
reach. On a desktop: a ticket link survives signing in, custom fields read as rows, and a ticket
and its chat show one clock (the agent's)."""

import datetime

import pytest
from django.conf import settings
from playwright.sync_api import expect, sync_playwright

from chat import services
from chat.models import Message, SenderType
from desk.tests.browser import launch_chromium, require_chromium, watched_context
from desk.tests.live_server import server_password
from desk.tests.test_browser_inbox import in_thread, sign_in
from routing.tests.factories import AgentProfileFactory

pytestmark = pytest.mark.browser

SCREENSHOTS = settings.BASE_DIR / "var" / "screenshots"
WIDTH, HEIGHT = 390, 844


def chat_answered_by_a_colleague():
    colleague = AgentProfileFactory(display_name="Mark Li")
    customer = services.customer_create(data=services.CustomerData(display_name="Zhou Min 周敏"))
    conversation = services.conversation_start(
        customer=customer,
        channel="web",
        context=services.ConversationContext(device="iPhone 15", browser="Safari"),
    )
    services.message_create(
        conversation=conversation, sender_type=SenderType.CUSTOMER, body="Where is my order?"
    )
    services.message_create(
        conversation=conversation, sender_type=SenderType.AGENT, sender_user=colleague.user,
        body="Checking it now",
    )  # fmt: skip
    return conversation.pk


def no_overflow(page):
    """Nothing sticks out to the right: the page never scrolls sideways."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"the page is {width} px wide"


def within_screen(locator):
    """The element is shown and wholly on the screen."""
    expect(locator).to_be_in_viewport(ratio=1)  # waits out a slide-in
    box = locator.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= WIDTH + 0.5, box
    assert box["y"] + box["height"] <= HEIGHT + 0.5, box


def shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"phone-{name}.png"))


def test_the_workspace_works_one_handed_on_a_phone(daphne_server, agent, password):
    require_chromium()
    agent.display_name = "Lina Wang"
    agent.save()
    server_password(agent.user, password)
    conversation_id = in_thread(chat_answered_by_a_colleague)
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = watched_context(browser, errors, width=WIDTH, height=HEIGHT, locale="zh-CN")
        page = sign_in(context, daphne_server, agent.user, password)
        shot(page, "inbox")
        no_overflow(page)
        for control in ("#logout", "#presence", "#bell", ".me .avatar", "#view-tickets"):
            within_screen(page.locator(control))
        # The view tabs read on one line each (not a character per line).
        for tab in ("#view-conversations", "#view-tickets"):
            assert page.locator(tab).bounding_box()["height"] <= 32
        # A colleague's reply is theirs, not "me".
        row = page.locator(f".conv-row[data-id='{conversation_id}']")
        expect(row.locator(".conv-preview")).to_have_text("Mark Li：Checking it now")

        # Open the conversation: it takes the screen, the list steps aside.
        row.click()
        expect(page.locator("#conv-name")).to_have_text("Zhou Min 周敏")
        expect(page.locator(".pane-list")).to_be_hidden()
        within_screen(page.locator("#conv-back"))
        within_screen(page.locator("#composer-send"))
        no_overflow(page)

        # Reply with the Send button.
        page.fill("#composer-input", "马上查")
        page.click("#composer-send")
        expect(page.locator("#messages .msg-out .msg-body").last).to_have_text("马上查")
        expect(row.locator(".conv-preview")).to_have_text("我：马上查")
        shot(page, "conversation")

        # The customer panel is a tap away, and closes again.
        page.click("#side-toggle")
        within_screen(page.locator("#side-pane"))
        expect(page.locator("#customer-panel")).to_contain_text("iPhone 15")
        shot(page, "customer")
        page.click("#side-close")
        expect(page.locator("#side-pane")).not_to_be_in_viewport()

        # 转工单: the dialog fits the screen, its buttons within reach.
        page.click("#action-ticket")
        dialog = page.locator("#ticket-dialog")
        expect(page.locator("#ticket-form-subject")).to_have_value("Where is my order?")
        within_screen(dialog)
        within_screen(page.locator("#ticket-form-subject"))
        page.locator("#ticket-form-submit").scroll_into_view_if_needed()
        within_screen(page.locator("#ticket-form-submit"))
        within_screen(page.locator("#ticket-form-cancel"))
        no_overflow(page)
        shot(page, "ticket-dialog")
        page.click("#ticket-form-cancel")
        expect(dialog).to_be_hidden()

        # Back to the inbox, and sign out from there.
        page.click("#conv-back")
        expect(page.locator(".pane-list")).to_be_visible()
        expect(page.locator("#conversation")).to_be_hidden()
        no_overflow(page)
        within_screen(page.locator("#logout"))
        page.click("#logout")
        expect(page).to_have_url(f"{daphne_server}/accounts/login/")
        no_overflow(page)
        browser.close()
    assert errors == []


# ---- a first session on a desktop: a ticket link, its fields, one clock -----------------------

BERLIN = "Europe/Berlin"  # the agent's browser; the site is at Asia/Shanghai


def ticket_with_fields_and_a_chat():
    from tickets.field_changes import CustomFieldsPatch
    from tickets.services import ticket_update_fields
    from tickets.tests.factories import TicketFactory

    customer = services.customer_create(data=services.CustomerData(display_name="Wang Fang"))
    conversation = services.conversation_start(customer=customer, channel="web")
    message = services.message_create(
        conversation=conversation, sender_type=SenderType.CUSTOMER, body="My parcel is broken"
    ).message
    pinned = datetime.datetime(2026, 3, 1, 2, 0, 5, tzinfo=datetime.UTC)  # 03:00:05 in Berlin
    Message.objects.filter(pk=message.pk).update(created_at=pinned)
    ticket = TicketFactory(
        number="T-20260301-0001",
        requester=customer,
        custom_fields={
            "order": "SO-1001",
            "paid": True,
            "gift": None,
            "customer_attributes": {"plan": "Gold", "vip_level": 2},
        },
    )
    ticket_update_fields(
        actor=None,
        ticket=ticket,
        changes={"custom_fields": CustomFieldsPatch({"context": {"device": "iPhone 15"}})},
    )
    return ticket.pk, conversation.pk


def field_rows(page):
    return page.locator("#ticket-custom-fields > .custom-field").evaluate_all(
        "rows => rows.map(r => [r.querySelector('dt').textContent,"
        " r.querySelector('dd').innerText.replace(/\\s*(Edit|Remove)/g, '').trim()])"
    )


def test_a_ticket_link_survives_sign_in_and_the_ticket_reads_in_one_clock(
    daphne_server, agent, password
):
    require_chromium()
    server_password(agent.user, password)
    ticket_id, conversation_id = in_thread(ticket_with_fields_and_a_chat)
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(
            viewport={"width": 1280, "height": 860}, locale="en-US", timezone_id=BERLIN
        )
        context.set_default_timeout(10_000)
        context.on("weberror", lambda error: errors.append(str(error.error)))
        page = context.new_page()

        # Signed out, a link to a ticket: after signing in, that ticket is open. (The browser
        # keeps the fragment through the redirect; the server never hears it.)
        page.goto(f"{daphne_server}/desk/#t={ticket_id}")
        expect(page).to_have_url(f"{daphne_server}/accounts/login/?next=/desk/#t={ticket_id}")
        page.fill("#id_username", agent.user.username)
        page.fill("#id_password", password)
        page.press("#id_password", "Enter")
        expect(page).to_have_url(f"{daphne_server}/desk/#t={ticket_id}")
        expect(page.locator("#ticket-number")).to_have_text("T-20260301-0001")

        # Custom fields read as rows: words, not JSON; nothing for a null. (innerText follows
        # the layout: wait for the stylesheets, which a busy machine may still be loading.)
        expect(page.locator("#ticket-custom-fields > .custom-field")).to_have_count(4)
        page.wait_for_load_state("load")
        assert field_rows(page) == [
            ["order", "SO-1001"],
            ["paid", "Yes"],
            ["Device and page", "Device\niPhone 15"],
            ["Attributes", "plan\nGold\nvip_level\n2"],
        ]
        fields_text = page.locator("#ticket-custom-fields").inner_text()
        assert "{" not in fields_text and "null" not in fields_text, fields_text
        # … and so does their change on the timeline, its time in the agent's zone, named.
        change = page.locator("#ticket-timeline .ticket-event[data-kind='system']")
        expect(change.locator("span")).to_have_text("System set context to device: iPhone 15")
        expect(change.locator("time")).to_contain_text("GMT+1")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "ticket-fields-readable.png"))

        # The chat and its 转工单 transcript show the same clock: the agent's.
        page.goto(f"{daphne_server}/desk/#c={conversation_id}")
        expect(page.locator("#messages .msg-in time")).to_have_text("03:00 AM")
        page.click("#action-ticket")
        expect(page.locator("#ticket-form-description")).to_have_value(
            "Summary:\nMy parcel is broken\n\n"  # the extractive summary above the transcript
            "[2026-03-01 03:00:05 UTC+01:00] Wang Fang: My parcel is broken"
        )
        browser.close()

    assert errors == []
