"""Routing as people see it, in real Chromium against a real daphne (issue 12): a customer writes
in the widget and the online agent with room gets the chat in 我的 (Mine) without reloading;
with the agent full, the next customer sees their place in the queue, and is answered as soon as
the agent closes the first chat."""

import pytest
from django.conf import settings
from playwright.sync_api import expect, sync_playwright

from chat import services
from chat.models import Conversation, ConversationStatus
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
from routing.tests.factories import AgentProfileFactory

pytestmark = pytest.mark.browser

SCREENSHOT = settings.BASE_DIR / "var" / "screenshots" / "routing-queue.png"


def close_first(conversation_id: int) -> None:
    services.conversation_update_fields(
        actor=None,
        conversation=Conversation.objects.get(pk=conversation_id),
        changes={"status": ConversationStatus.CLOSED},
    )


def first_conversation() -> Conversation:
    return Conversation.objects.order_by("pk").first()


def test_the_agent_gets_the_chat_live_and_the_next_customer_waits_in_line(daphne_pushes, password):
    require_chromium()
    base_url = daphne_pushes
    demo_widget_site(offline_tickets=True)
    # Offline since their last shift, but online is what they chose: signing in restores it.
    agent = AgentProfileFactory(
        display_name="Carol 张",
        presence="offline",
        chosen_presence="online",
        max_concurrent_chats=1,
    )
    server_password(agent.user, password)
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        desk_context = watched_context(browser, errors, width=1440, height=900, locale="en-US")
        desk = sign_in(desk_context, base_url, agent.user, password)
        expect(desk.locator("#presence")).to_have_value("online")
        desk.locator("#filter-mine").click()

        # The first customer writes: the chat appears in Mine, assigned, without a reload.
        first = watched_page(watched_context(browser, errors, locale="en-US"), errors)
        first_chat = open_demo_chat(first, base_url, name="Li Lei")
        first_chat.locator("textarea").fill("My kettle is broken")
        first_chat.locator("textarea").press("Enter")
        conversation = in_thread(first_conversation)
        row = desk.locator(f".conv-row[data-id='{conversation.pk}']")
        expect(row).to_be_visible()
        expect(row.locator(".conv-name")).to_have_text("Li Lei")
        expect(desk.locator("#toast")).to_contain_text("New chat for you")
        expect(first_chat.locator(".head .sub")).to_have_text("Carol 张 is here to help")
        expect(first_chat.locator(".away")).to_be_hidden()

        # The agent is full: the next customer sees their place in line, not "nobody online".
        second = watched_page(watched_context(browser, errors, locale="en-US"), errors)
        second_chat = open_demo_chat(second, base_url, name="Han Meimei")
        second_chat.locator("textarea").fill("Is anyone there?")
        second_chat.locator("textarea").press("Enter")
        expect(second_chat.locator("#app")).to_have_attribute("data-queue", "1")
        expect(second_chat.locator(".head .sub")).to_contain_text("You are number 1 in line")
        expect(second_chat.locator(".away")).to_be_hidden()
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        second.screenshot(path=str(SCREENSHOT))

        # The first chat closes: the head of the queue is answered at once.
        in_thread(close_first, conversation.pk)
        expect(second_chat.locator(".head .sub")).to_have_text("Carol 张 is here to help")
        expect(second_chat.locator("#app")).to_have_attribute("data-queue", "")
        browser.close()

    assert errors == []


def come_online(user_id: int) -> None:
    from routing.models import AgentProfile
    from routing.services import agent_set_presence

    profile = AgentProfile.objects.get(user_id=user_id)
    agent_set_presence(actor=profile.user, profile=profile, presence="online")


def test_with_nobody_online_the_widget_says_one_true_thing_until_an_agent_comes(daphne_pushes):
    require_chromium()
    base_url = daphne_pushes
    demo_widget_site(offline_tickets=True)
    agent = AgentProfileFactory(display_name="Carol 张", presence="offline")
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = watched_page(watched_context(browser, errors, locale="en-US"), errors)
        chat = open_demo_chat(page, base_url, name="Li Lei")
        chat.locator("textarea").fill("Anyone there?")
        chat.locator("textarea").press("Enter")
        # Leave-a-message: the notice alone, no "waiting" and no place in line beside it.
        expect(chat.locator(".away")).to_be_visible()
        expect(chat.locator(".msg.ticket")).to_have_count(1)  # the leave-a-message ticket
        expect(chat.locator(".head .sub")).to_have_text("")

        # An agent comes online: the waiting chat is theirs at once, and the widget says so.
        in_thread(come_online, agent.user_id)
        expect(chat.locator(".head .sub")).to_have_text("Carol 张 is here to help")
        expect(chat.locator(".away")).to_be_hidden()
        browser.close()

    assert errors == []
