"""Offer mode as the agent sees it, in real Chromium against a real daphne (issue 12): a
customer writes, the agent gets an offer card with the customer, their first words and a
countdown, clicks Accept, and the chat opens in 我的 (Mine), assigned to them."""

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
from desk.tests.live_server import server_password
from desk.tests.test_browser_inbox import in_thread, sign_in
from routing.tests.factories import AgentProfileFactory, TeamFactory

pytestmark = pytest.mark.browser

SCREENSHOT = settings.BASE_DIR / "var" / "screenshots" / "routing-offer.png"


def only_conversation() -> Conversation:
    return Conversation.objects.get()


def test_the_agent_accepts_an_offered_chat_and_it_opens_in_mine(daphne_pushes, password):
    require_chromium()
    base_url = daphne_pushes
    team = TeamFactory(name="售前 Sales", offer_seconds=120)
    demo_widget_site(offline_tickets=False)
    agent = AgentProfileFactory(
        display_name="Carol 张", presence="online", chosen_presence="online", teams=[team]
    )
    server_password(agent.user, password)
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        desk_context = watched_context(browser, errors, width=1440, height=900, locale="en-US")
        desk = sign_in(desk_context, base_url, agent.user, password)
        desk.locator("#filter-mine").click()

        customer = watched_page(watched_context(browser, errors, locale="en-US"), errors)
        chat = open_demo_chat(customer, base_url, name="Li Lei")
        chat.locator("textarea").fill("My kettle is broken")
        chat.locator("textarea").press("Enter")

        card = desk.locator(".offer-card")
        expect(card).to_be_visible()
        expect(card).to_contain_text("Chat offered: Li Lei")
        expect(card.locator(".offer-first")).to_have_text("My kettle is broken")
        expect(card.locator(".offer-countdown")).to_contain_text("s left")
        conversation = in_thread(only_conversation)
        assert conversation.offered_to_id == agent.user_id
        # offered, not yet theirs: the customer still waits in line
        expect(chat.locator("#app")).to_have_attribute("data-queue", "1")
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        desk.screenshot(path=str(SCREENSHOT))

        card.locator(".offer-accept").click()
        expect(card).to_have_count(0)
        row = desk.locator(f".conv-row[data-id='{conversation.pk}']")
        expect(row).to_be_visible()
        expect(desk.locator("#conv-name")).to_have_text("Li Lei")
        expect(desk.locator("#conv-meta")).to_contain_text("Assigned to you")
        expect(chat.locator(".head .sub")).to_have_text("Carol 张 is here to help")
        browser.close()

    conversation = in_thread(only_conversation)
    assert (conversation.assignee_id, conversation.offered_to_id) == (agent.user_id, None)
    assert errors == []
