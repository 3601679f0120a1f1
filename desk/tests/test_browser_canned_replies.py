"""Canned replies in the composer, in real Chromium against a real daphne: the agent types
/退款, picks the reply with the keyboard, the customer's name is filled in, and the customer sees
it in the widget; a `/word` that matches nothing is never sent by a single Enter."""

import time

import pytest
from django.conf import settings
from playwright.sync_api import expect, sync_playwright

from chat.models import Message
from chat.tests.factories import ConversationFactory, CustomerFactory
from desk.demo import demo_widget_site
from desk.models import CannedReply
from desk.tests.browser import (
    launch_chromium,
    open_demo_chat,
    require_chromium,
    watched_context,
    watched_page,
)
from desk.tests.factories import CannedReplyFactory
from desk.tests.live_server import server_password
from desk.tests.test_browser_inbox import in_thread, sign_in
from tickets.models import TicketEvent, TicketSource
from tickets.services import TicketData, ticket_create_from_conversation

pytestmark = pytest.mark.browser

SCREENSHOT = settings.BASE_DIR / "var" / "screenshots" / "canned-replies.png"
REFUND = "{{customer.name}}您好，退款将在 3–5 个工作日内原路退回。{{ticket.number}}"


def agent_messages():
    return list(
        Message.objects.filter(sender_type="agent").order_by("seq").values_list("body", flat=True)
    )


def usage_count(pk):
    return CannedReply.objects.get(pk=pk).usage_count


def personal_replies(user):
    return list(CannedReply.objects.filter(owner=user).values_list("shortcut", "title"))


def eventually(function, *args, expected, seconds=5):
    """`function(*args)` (run off the browser's thread) once it returns `expected`."""
    deadline = time.monotonic() + seconds
    while (value := in_thread(function, *args)) != expected and time.monotonic() < deadline:
        time.sleep(0.1)
    return value


def test_agent_inserts_a_canned_reply_with_the_keyboard_and_exch_is_not_sent(
    daphne_pushes, agent, password
):
    require_chromium()
    base_url = daphne_pushes
    site = demo_widget_site(offline_tickets=False)
    if site.team_id:  # the agent must reach the chat the widget starts
        agent.teams.add(site.team_id)
    server_password(agent.user, password)
    refund = CannedReplyFactory(shortcut="退款", title="退款说明", body=REFUND, usage_count=5)
    CannedReplyFactory(shortcut="退款进度", title="退款进度查询", body="进度", usage_count=1)
    CannedReplyFactory(shortcut="refund", title="Refund", body="Hi {{customer.name}}")
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        customer_page = watched_page(watched_context(browser, errors), errors)
        frame = open_demo_chat(customer_page, base_url, name="王小明")
        frame.locator("textarea").fill("我要退款")
        frame.locator("textarea").press("Enter")
        expect(frame.locator(".msg.from-customer")).to_have_attribute("data-state", "delivered")

        context = watched_context(browser, errors, width=1440, height=900, locale="en-US")
        page = sign_in(context, base_url, agent.user, password)
        page.locator(".conv-row").first.click()
        expect(page.locator("#conv-name")).to_have_text("王小明")

        # "/退" lists the two 退款 replies (most used first); the keyboard moves and picks.
        box = page.locator("#composer-input")
        box.click()
        page.keyboard.type("/退")
        options = page.locator(".canned-picker .canned-option")
        expect(options).to_have_count(2)
        expect(options.nth(0)).to_have_attribute("data-shortcut", "退款")
        expect(options.nth(0)).to_have_attribute("aria-selected", "true")
        page.keyboard.type("款")
        expect(options).to_have_count(2)
        page.keyboard.press("ArrowDown")
        expect(options.nth(1)).to_have_attribute("aria-selected", "true")
        page.keyboard.press("ArrowUp")
        expect(options.nth(0)).to_have_attribute("aria-selected", "true")
        page.keyboard.press("Enter")

        # Inserted for review, not sent: the name filled, the missing ticket number left visible.
        expect(box).to_have_value("王小明您好，退款将在 3–5 个工作日内原路退回。{{ticket.number}}")
        expect(page.locator(".canned-picker").first).to_be_hidden()
        expect(page.locator("#toast")).to_contain_text("{{ticket.number}}")
        assert in_thread(agent_messages) == []
        assert eventually(usage_count, refund.pk, expected=6) == 6

        # The agent edits and sends with Enter; the customer sees it.
        box.press("End")
        for _ in range(len("{{ticket.number}}")):
            box.press("Backspace")
        box.press("Enter")
        sent = "王小明您好，退款将在 3–5 个工作日内原路退回。"
        expect(page.locator("#messages .msg-out .msg-body")).to_have_text(sent)
        expect(frame.locator(".msg.from-agent").last).to_contain_text(sent)

        # The button opens the picker with a search field; Esc closes it.
        page.locator("#composer-canned").click()
        search = page.locator(".canned-picker .canned-search").first
        expect(search).to_be_focused()
        expect(options).to_have_count(3)
        search.type("refund")
        expect(options).to_have_count(1)
        page.keyboard.press("Escape")
        expect(page.locator(".canned-picker").first).to_be_hidden()

        # /exch matches nothing: Enter sends nothing and says so, in the picker.
        box.click()
        page.keyboard.type("/exch")
        status = page.locator(".canned-picker .canned-status").first
        expect(status).to_have_text("No canned reply matches /exch.")
        page.keyboard.press("Enter")
        expect(page.locator(".canned-picker").first).to_have_class(
            "canned-picker is-empty is-armed"
        )
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))
        time.sleep(1)  # nothing may be on its way
        expect(box).to_have_value("/exch")
        assert in_thread(agent_messages) == [sent]
        expect(page.locator("#messages .msg-out")).to_have_count(1)
        expect(page.locator("#pending .msg")).to_have_count(0)

        # Enter typed straight after the word (before the search answers) sends nothing either.
        box.fill("")
        page.keyboard.type("/exch2")
        page.keyboard.press("Enter")
        time.sleep(0.5)
        assert in_thread(agent_messages) == [sent]

        # Sending it anyway is a deliberate choice: the "Send as text" button.
        box.fill("")
        page.keyboard.type("/exch")
        expect(status).to_have_text("No canned reply matches /exch.")
        page.locator(".canned-picker .canned-send-text").first.click()
        expect(page.locator("#messages .msg-out")).to_have_count(2)
        expect(frame.locator(".msg.from-agent").last).to_contain_text("/exch")
        assert in_thread(agent_messages) == [sent, "/exch"]

        # The agent saves /exch as a personal reply of their own, from the picker.
        page.keyboard.type("/exch")
        expect(status).to_have_text("No canned reply matches /exch.")
        page.locator(".canned-picker .canned-new").first.click()
        dialog = page.locator("#canned-dialog")
        expect(dialog).to_be_visible()
        expect(dialog.locator("#canned-form-shortcut")).to_have_value("exch")
        dialog.locator("#canned-form-title").fill("换货 Exchange")
        dialog.locator("#canned-form-body").fill("{{customer.name}}，换货请在“我的订单”中申请。")
        dialog.locator("#canned-form-save").click()
        expect(dialog).to_be_hidden()
        expect(page.locator("#toast")).to_have_text("Saved /exch.")
        assert in_thread(personal_replies, agent.user) == [("exch", "换货 Exchange")]
        box.fill("")
        page.keyboard.type("/exch")
        expect(options).to_have_count(1)
        expect(options.first.locator(".canned-edit")).to_be_visible()
        page.keyboard.press("Tab")
        expect(box).to_have_value("王小明，换货请在“我的订单”中申请。")
        browser.close()

    assert errors == []


def new_ticket():
    customer = CustomerFactory(display_name="Tom Baker")
    conversation = ConversationFactory(customer=customer)
    return ticket_create_from_conversation(
        actor=None,
        conversation=conversation,
        data=TicketData(subject="Broken kettle"),
        source=TicketSource.BUTTON,
    ).ticket


def ticket_replies(ticket_id):
    return list(
        TicketEvent.objects.filter(ticket_id=ticket_id, kind="comment").values_list(
            "body", flat=True
        )
    )


def test_ticket_reply_box_fills_the_ticket_and_ime_composition_never_picks(
    daphne_server, supervisor, password
):
    require_chromium()
    server_password(supervisor.user, password)
    ticket = in_thread(new_ticket)
    CannedReplyFactory(
        shortcut="ticket", title="Ticket made", body="{{customer.name}}: {{ticket.number}}"
    )
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = watched_context(browser, errors, width=1440, height=900, locale="en-US")
        page = sign_in(context, daphne_server, supervisor.user, password)
        page.goto(f"{daphne_server}/desk/#t={ticket.pk}")
        expect(page.locator("#ticket-panel")).to_have_attribute("data-ticket-id", str(ticket.pk))
        box = page.locator("#ticket-reply-body")
        box.click()
        page.keyboard.type("/tick")
        options = page.locator("#ticket-reply .canned-option")
        expect(options).to_have_count(1)

        # A key of an input method mid-composition (Chinese input) neither picks nor sends.
        box.evaluate(
            """box => box.dispatchEvent(new KeyboardEvent("keydown",
                {key: "Enter", isComposing: true, bubbles: true, cancelable: true}))"""
        )
        expect(box).to_have_value("/tick")
        expect(options).to_have_count(1)

        # Enter picks: the ticket's number and the requester's name, for review.
        page.keyboard.press("Enter")
        expect(box).to_have_value(f"Tom Baker: {ticket.number}")
        box.fill("")

        # A /word with no reply: the Send button sends nothing and the picker says so.
        page.keyboard.type("/nope")
        page.keyboard.press("Escape")
        page.locator("#ticket-reply-send").click()
        expect(page.locator("#ticket-reply .canned-status")).to_have_text(
            "No canned reply matches /nope."
        )
        page.wait_for_timeout(500)
        assert in_thread(ticket_replies, ticket.pk) == []
        page.locator("#ticket-reply .canned-send-text").click()
        expect(page.locator("#toast")).to_have_text("Reply sent to the customer.")
        assert in_thread(ticket_replies, ticket.pk) == ["/nope"]
        browser.close()

    assert errors == []
