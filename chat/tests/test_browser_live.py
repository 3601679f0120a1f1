"""The supervisors' Live view in real Chromium against a real daphne (issue 12): a chat that
waits in the queue appears in the open view without a reload, its wait ticks, an assignment to a
full agent is refused in plain words, and one to an agent with room takes it out of the queue
and shows on the agent's load."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect, sync_playwright

from chat import services
from chat.models import Conversation
from chat.tests.factories import ConversationFactory
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
from routing.tests.factories import AgentProfileFactory, SupervisorProfileFactory

pytestmark = pytest.mark.browser

SCREENSHOT = settings.BASE_DIR / "var" / "screenshots" / "live-view.png"


def waiting_conversation() -> Conversation:
    return Conversation.objects.filter(assignee=None).get()


def test_the_supervisor_sees_the_chat_wait_and_assigns_it_from_the_queue(daphne_pushes, password):
    require_chromium()
    base_url = daphne_pushes
    demo_widget_site(offline_tickets=False)
    boss = SupervisorProfileFactory(display_name="Boss 王", presence="offline")
    server_password(boss.user, password)
    # Nobody is online, so nobody has room: the chat waits. Carol (away) may be given chats by
    # hand; Dan is at his limit already.
    carol = AgentProfileFactory(display_name="Carol 张", presence="away", max_concurrent_chats=2)
    dan = AgentProfileFactory(display_name="Dan", presence="busy", max_concurrent_chats=1)
    services.conversation_update_fields(
        actor=None, conversation=ConversationFactory(), changes={"assignee": dan.user}
    )
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        desk = sign_in(
            watched_context(browser, errors, width=1440, height=900), base_url, boss.user, password
        )
        desk.locator("#view-live").click()
        expect(desk).to_have_url(re.compile("#live$"))
        carol_row = desk.locator(f"#live-agents tr[data-id='{carol.user_id}']")
        expect(carol_row.locator(".live-load-text")).to_have_text("0/2")
        expect(carol_row.locator(".live-presence")).to_have_text("Away")
        expect(desk.locator("#live-queue-empty")).to_be_visible()

        # A customer writes; nobody has room. The row appears without a reload (the 15 s poll is
        # slower than this expectation's 10 s: the push did it).
        customer = watched_page(watched_context(browser, errors), errors)
        chat = open_demo_chat(customer, base_url, name="Li Lei")
        chat.locator("textarea").fill("Is anyone there?")
        chat.locator("textarea").press("Enter")
        conversation = in_thread(waiting_conversation)
        row = desk.locator(f"#live-queue tr[data-id='{conversation.pk}']")
        expect(row).to_be_visible()
        expect(row.locator(".live-customer-name")).to_have_text("Li Lei")
        expect(row.locator(".live-position")).to_have_text("1")
        expect(row.locator(".live-waited")).to_have_text(re.compile(r"^00:0[1-9]$"))
        expect(desk.locator(".live-chip[data-team='none'] .live-chip-waiting")).to_have_text(
            "1 waiting"
        )
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        desk.screenshot(path=str(SCREENSHOT))

        # Dan is full: the transfer service refuses, and the view says why.
        row.locator(".live-assign").select_option(str(dan.user_id))
        expect(desk.locator("#toast")).to_contain_text("Not assigned: Dan already has 1 open")
        expect(row).to_be_visible()

        # Carol has room: the chat is hers, it leaves the queue, her load shows it.
        row = desk.locator(f"#live-queue tr[data-id='{conversation.pk}']")
        row.locator(".live-assign").select_option(str(carol.user_id))
        expect(desk.locator("#toast")).to_contain_text("Li Lei assigned to Carol 张")
        expect(row).to_have_count(0)
        expect(carol_row.locator(".live-load-text")).to_have_text("1/2")
        expect(carol_row.locator(".live-open")).to_have_text("1")
        expect(desk.locator("#live-queue-empty")).to_be_visible()
        browser.close()

    assert in_thread(lambda: Conversation.objects.get(pk=conversation.pk).assignee_id) == (
        carol.user_id
    )
    assert errors == []
