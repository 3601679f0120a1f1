"""The workspace, the login page and the admin run under a strict Content-Security-Policy
(desk/kernel/content_policy.py) with no violation in real Chromium: every script is our own file."""

import pytest
from playwright.sync_api import expect, sync_playwright

from chat.tests.factories import ConversationFactory, MessageFactory
from desk.tests.browser import launch_chromium, require_chromium, watched_context, watched_page
from desk.tests.live_server import server_password
from tickets.tests.factories import KeywordTriggerFactory, TagFactory

pytestmark = pytest.mark.browser

# Collects every violation the page reports, whether or not it reaches the console.
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def policy_of(response) -> str:
    return response.headers.get("content-security-policy", "")


def test_workspace_login_and_admin_pages_have_no_csp_violation(daphne_server, supervisor, password):
    require_chromium()
    server_password(supervisor.user, password)
    trigger = KeywordTriggerFactory(name="Refunds")
    trigger.tags.add(TagFactory(name="refund"), TagFactory(name="vip"))
    conversation = ConversationFactory()
    MessageFactory(conversation=conversation, body="Where is my parcel?")
    errors: list[str] = []
    policies: dict[str, str] = {}
    violations: list[str] = []

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = watched_context(browser, errors, locale="en-US")
        context.add_init_script(LISTEN)
        # The admin's pages link no icon; the browser's guess at /favicon.ico is not our concern.
        context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
        page = watched_page(context, errors)
        page.on("console", lambda message: "Content Security Policy" in message.text
                and errors.append(message.text))  # fmt: skip

        def visit(path: str) -> None:
            response = page.goto(f"{daphne_server}{path}")
            policies[path] = policy_of(response)

        def record() -> None:
            violations.extend(page.evaluate("window.__cspViolations"))

        visit("/accounts/login/?next=/desk/")
        page.fill("#id_username", supervisor.user.username)
        page.fill("#id_password", password)
        record()
        page.press("#id_password", "Enter")

        # The workspace: its modules load, its socket connects, a conversation opens.
        expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
        policies["/desk/"] = policy_of(page.request.get(f"{daphne_server}/desk/"))
        page.locator(f"[data-id='{conversation.pk}']").first.click()
        expect(page.locator("#messages").get_by_text("Where is my parcel?")).to_be_visible()
        record()

        # The admin: index, a changelist, a change form with the filter_horizontal widget.
        visit("/admin/")
        expect(page.locator("#site-name")).to_be_visible()
        record()
        visit("/admin/tickets/keywordtrigger/")
        expect(page.get_by_role("link", name="Refunds")).to_be_visible()
        record()
        visit(f"/admin/tickets/keywordtrigger/{trigger.pk}/change/")
        chosen = page.locator("#id_tags_to option")
        expect(chosen).to_have_count(2)  # SelectFilter2.js built the two-box picker
        expect(page.locator("#id_tags_filter")).to_be_visible()
        record()
        browser.close()

    assert violations == []
    assert errors == []
    for path, policy in policies.items():
        for directive in ("script-src 'self'", "object-src 'none'", "base-uri 'self'",
                          "frame-ancestors 'none'"):  # fmt: skip
            assert directive in policy, (path, policy)
        assert "'unsafe-inline'" not in policy, (path, policy)
        host = daphne_server.removeprefix("http://")
        assert f"connect-src 'self' ws://{host} wss://{host}" in policy, (path, policy)
