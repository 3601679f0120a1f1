"""An agent's first session in real Chromium against a real daphne: sign in, presence, sign out."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect, sync_playwright

from desk.tests.browser import launch_chromium, require_chromium, watched_context, watched_page
from desk.tests.live_server import server_password
from routing.models import AgentProfile

pytestmark = pytest.mark.browser

SCREENSHOT = settings.BASE_DIR / "var" / "screenshots" / "workspace.png"


def open_workspace(page, base_url):
    page.goto(f"{base_url}/desk/")
    expect(page.locator("#connection")).to_have_attribute("data-state", "connected")


def choose_presence(page, value):
    page.select_option("#presence", value)
    expect(page.locator("#presence-wrap")).not_to_have_class(re.compile("is-saving"))
    expect(page.locator("#toast")).to_be_hidden()


def test_agent_signs_in_sets_presence_in_two_tabs_and_signs_out(daphne_server, agent, password):
    require_chromium()
    agent.display_name = "Lina Wang"
    agent.save()
    server_password(agent.user, password)
    errors = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = watched_context(browser, errors, width=1440, height=900, locale="en-US")
        page = watched_page(context, errors)

        # Anonymous: the workspace sends us to the sign-in page.
        page.goto(f"{daphne_server}/desk/")
        expect(page).to_have_url(f"{daphne_server}/accounts/login/?next=/desk/")
        page.fill("#id_username", agent.user.username)
        page.fill("#id_password", password)
        page.click("button[type=submit]:has-text('Sign in')")

        # Signed in: name, avatar initial, live connection.
        expect(page).to_have_url(f"{daphne_server}/desk/")
        expect(page.locator("#agent-name")).to_have_text("Lina Wang")
        expect(page.locator(".me .avatar")).to_have_text("L")
        expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
        expect(page.locator("#connection-label")).to_have_text("Connected")
        expect(page.locator("#presence")).to_have_value("offline")
        expect(page.get_by_text("No conversations yet")).to_be_visible()
        expect(page.get_by_text("Select a conversation")).to_be_visible()

        # Side panel tabs switch.
        page.get_by_role("tab", name="Ticket").click()
        expect(page.locator("#panel-ticket")).to_be_visible()
        expect(page.locator("#panel-customer")).to_be_hidden()
        page.get_by_role("tab", name="Customer").click()
        expect(page.locator("#panel-customer")).to_be_visible()

        # Presence persists across a reload.
        choose_presence(page, "busy")
        page.reload()
        expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
        expect(page.locator("#presence")).to_have_value("busy")

        # A second tab: a change in either shows up live in the other.
        other = context.new_page()
        open_workspace(other, daphne_server)
        expect(other.locator("#presence")).to_have_value("busy")
        choose_presence(other, "away")
        expect(page.locator("#presence")).to_have_value("away")
        expect(page.locator("#presence-wrap")).to_have_attribute("data-presence", "away")
        choose_presence(page, "online")
        expect(other.locator("#presence")).to_have_value("online")

        # The indicator tells the truth when the network goes away and comes back.
        context.set_offline(True)
        expect(page.locator("#connection")).to_have_attribute("data-state", "offline")
        expect(page.locator("#connection-label")).to_have_text("Offline")
        context.set_offline(False)
        expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
        expect(page.locator("#presence")).to_have_value("online")

        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))

        # A change the server refuses: the selector goes back and the agent is told.
        page.evaluate("document.querySelector('#presence').add(new Option('Asleep', 'asleep'))")
        page.select_option("#presence", "asleep")
        expect(page.locator("#toast")).to_have_text(
            "Your status could not be changed. Please try again."
        )
        expect(page.locator("#presence")).to_have_value("online")
        expect(page.locator("#presence-wrap")).to_have_attribute("data-presence", "online")

        # Sign out: back to the sign-in page, and the workspace is closed to us.
        page.click("#logout")
        expect(page).to_have_url(f"{daphne_server}/accounts/login/")
        page.goto(f"{daphne_server}/desk/")
        expect(page).to_have_url(f"{daphne_server}/accounts/login/?next=/desk/")
        browser.close()

    assert errors == []
    assert AgentProfile.objects.get(pk=agent.pk).presence == "online"
