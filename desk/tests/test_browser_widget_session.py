"""The widget's session in real Chromium against a real daphne: nothing can be written before
the session answers (a message typed too early used to show twice and never leave), what was
written waits for the pre-chat form, a refused message offers a retry, and the host page's
sign-out ends the visitor for good."""

import json

import pytest
from django.test import Client
from playwright.sync_api import expect, sync_playwright

from chat.models import Customer, Message
from desk.demo import demo_widget_site
from desk.tests.browser import launch_chromium, require_chromium, watched_context, watched_page
from desk.tests.test_browser_inbox import in_thread

pytestmark = pytest.mark.browser

SESSIONS = "**/api/widget/v1/sessions/"


def customer_bodies():
    return list(Message.objects.filter(sender_type="customer").values_list("body", flat=True))


def mine(frame, text):
    return frame.locator(".msg.from-customer").filter(has_text=text)


def start_chat(frame, name):
    expect(frame.locator(".prechat")).to_be_visible()
    frame.locator("#prechat-name").fill(name)
    frame.get_by_role("button", name="Start chat").click()
    expect(frame.locator("textarea")).to_be_enabled()


def send(frame, text):
    box = frame.locator("textarea")
    box.fill(text)
    box.press("Enter")


def test_nothing_is_written_before_the_session_answers(daphne_server):
    require_chromium()
    demo_widget_site(offline_tickets=False)
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = watched_context(browser, errors)
        held = []
        # The session answers only when the test says so.
        context.route(SESSIONS, lambda route: held.append(route))
        page = watched_page(context, errors)
        page.goto(f"{daphne_server}/demo/")
        page.locator("div[data-unidesk] button").click()
        frame = page.frame_locator("div[data-unidesk] iframe")
        box = frame.locator("textarea")

        # The launcher is open, the session has not answered: the composer says it is
        # connecting and takes nothing (this is where a message used to get stuck).
        expect(frame.locator(".banner")).to_have_text("Connecting…")
        expect(box).to_be_disabled()
        expect(box).to_have_attribute("placeholder", "Connecting…")
        expect(frame.get_by_role("button", name="Send")).to_be_disabled()
        expect(frame.get_by_role("button", name="Attach a file")).to_be_disabled()
        for _ in range(50):
            if held:
                break
            page.wait_for_timeout(100)
        assert len(held) == 1
        held[0].continue_()
        context.unroute(SESSIONS)

        # The session says the form comes first: the form, then the chat; sent exactly once.
        start_chat(frame, "Early Bird")
        expect(box).to_have_attribute("placeholder", "Type a message…")
        send(frame, "Hello, anyone there?")
        expect(mine(frame, "Hello, anyone there?")).to_have_count(1)
        expect(mine(frame, "Hello, anyone there?")).to_have_attribute("data-state", "delivered")
        browser.close()

    assert errors == []
    assert in_thread(customer_bodies) == ["Hello, anyone there?"]


def test_a_message_written_before_the_form_is_sent_once_the_form_is_done(daphne_server):
    """A message already in the outbox (written before the form was asked for, e.g. by a widget
    that let the visitor type too early) is shown once, waits, and goes after the form."""
    require_chromium()
    demo_widget_site(offline_tickets=False)
    errors = []
    waiting = {
        "client_msg_id": "early-1",
        "body": "Typed too early",
        "attachment_ids": [],
        "attachments": [],
        "created_at": "2026-01-01T00:00:00Z",
    }

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = watched_page(watched_context(browser, errors), errors)
        page.goto(f"{daphne_server}/demo/")  # the frame has the same origin as this page
        page.evaluate(
            "item => localStorage.setItem('unidesk:demo:outbox', JSON.stringify([item]))", waiting
        )
        page.locator("div[data-unidesk] button").click()
        frame = page.frame_locator("div[data-unidesk] iframe")
        expect(frame.locator("#app")).to_have_attribute("data-state", "connected")
        expect(mine(frame, "Typed too early")).to_have_count(1)
        expect(mine(frame, "Typed too early")).to_have_attribute("data-state", "pending")

        start_chat(frame, "Early Bird")
        expect(mine(frame, "Typed too early")).to_have_attribute("data-state", "delivered")
        expect(mine(frame, "Typed too early")).to_have_count(1)
        page.reload()
        frame = page.frame_locator("div[data-unidesk] iframe")
        expect(frame.locator("#app")).to_have_attribute("data-state", "connected")
        expect(mine(frame, "Typed too early")).to_have_count(1)
        browser.close()

    assert errors == []
    assert in_thread(customer_bodies) == ["Typed too early"]


def test_a_refused_message_is_shown_failed_with_a_retry(daphne_server):
    require_chromium()
    demo_widget_site(offline_tickets=False)
    errors = []
    refused = []

    def refuse_once(ws):
        server = ws.connect_to_server()

        def from_page(message):
            frame = json.loads(message)
            if frame.get("type") == "message.send" and not refused:
                refused.append(frame["client_msg_id"])
                error = {"type": "error", "code": "invalid_message", "message": "no"}
                ws.send(json.dumps({**error, "ref": frame["ref"]}))
            else:
                server.send(message)

        ws.on_message(from_page)

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = watched_context(browser, errors)
        context.route_web_socket("**/ws/widget/", refuse_once)
        page = watched_page(context, errors)
        page.goto(f"{daphne_server}/demo/")
        page.locator("div[data-unidesk] button").click()
        frame = page.frame_locator("div[data-unidesk] iframe")
        start_chat(frame, "Unlucky")
        send(frame, "Please arrive")
        failed = mine(frame, "Please arrive")
        expect(failed).to_have_attribute("data-state", "failed")
        expect(frame.locator(".notice")).to_have_text("The message could not be sent.")

        failed.get_by_role("button", name="Retry").click()
        expect(mine(frame, "Please arrive")).to_have_count(1)
        expect(mine(frame, "Please arrive")).to_have_attribute("data-state", "delivered")
        browser.close()

    assert errors == []
    assert in_thread(customer_bodies) == ["Please arrive"]


def test_sign_out_from_the_host_page_ends_the_visitor(daphne_server):
    require_chromium()
    demo_widget_site(offline_tickets=False)
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = watched_page(watched_context(browser, errors), errors)
        page.goto(f"{daphne_server}/demo/")
        page.locator("div[data-unidesk] button").click()
        frame = page.frame_locator("div[data-unidesk] iframe")
        start_chat(frame, "Shared Computer")
        send(frame, "My private question")
        expect(mine(frame, "My private question")).to_have_attribute("data-state", "delivered")
        old_token = page.evaluate("JSON.parse(localStorage.getItem('unidesk:demo:token'))")

        page.evaluate("Unidesk.signOut()")
        frame = page.frame_locator("div[data-unidesk] iframe")
        expect(frame.locator(".prechat")).to_be_visible()  # a new visitor, asked afresh
        expect(frame.locator(".msg")).to_have_count(0)
        new_token = page.evaluate("JSON.parse(localStorage.getItem('unidesk:demo:token'))")
        assert new_token and new_token != old_token
        page.reload()
        frame = page.frame_locator("div[data-unidesk] iframe")
        expect(frame.locator(".prechat")).to_be_visible()
        expect(frame.locator(".msg")).to_have_count(0)
        browser.close()

    assert errors == []
    answer = Client().get(
        "/api/widget/v1/conversations/1/messages/", HTTP_X_VISITOR_TOKEN=old_token
    )
    assert answer.status_code == 403
    assert in_thread(Customer.objects.count) == 2
