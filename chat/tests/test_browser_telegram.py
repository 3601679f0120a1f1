"""Telegram as an agent sees it, in real Chromium against a real daphne: an update posted to the
bot's webhook appears live in the workspace (labelled Telegram), the agent answers in the same
box, and the Bot API (a local stand-in) receives sendMessage with the text; the reply's tick
goes from pending to sent."""

import json
import time
import urllib.request

import pytest
from playwright.sync_api import expect, sync_playwright

from chat.models import Conversation
from chat.tests.telegram_stub import WEBHOOK_SECRET, BotApi, make_account, update
from desk.tests.browser import launch_chromium, require_chromium, watched_context
from desk.tests.http_stub import HttpStub
from desk.tests.live_server import server_password
from desk.tests.test_browser_inbox import in_thread, sign_in
from routing.tests.factories import AgentProfileFactory

pytestmark = pytest.mark.browser


def post_update(base_url: str, key: str, body: dict) -> int:
    request = urllib.request.Request(  # noqa: S310 (the local daphne)
        f"{base_url}/api/channels/v1/telegram/{key}/webhook/",
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET,
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status


def test_a_telegram_message_appears_live_and_the_reply_reaches_the_bot_api(
    daphne_processes, monkeypatch, password
):
    require_chromium()
    with HttpStub() as stub:
        bot_api = BotApi(stub)
        monkeypatch.setenv("TELEGRAM_API_BASE", bot_api.base)
        monkeypatch.setenv("OUTBOUND_ALLOWLIST", "127.0.0.1")
        server = daphne_processes()
        base_url = server.url
        account = make_account()
        agent = AgentProfileFactory(display_name="Carol 张", presence="online")
        server_password(agent.user, password)
        errors: list[str] = []

        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            context = watched_context(browser, errors, width=1440, height=900, locale="en-US")
            desk = sign_in(context, base_url, agent.user, password)

            assert (
                post_update(base_url, account.key, update(900, text="Where is my parcel?")) == 200
            )
            conversation = in_thread(lambda: Conversation.objects.get())
            row = desk.locator(f".conv-row[data-id='{conversation.pk}']")
            expect(row).to_be_visible()
            row.click()
            incoming = desk.locator("#messages .msg-in").last
            expect(incoming.locator(".msg-body")).to_have_text("Where is my parcel?")
            expect(incoming.locator(".msg-channel")).to_have_text("Telegram")

            desk.fill("#composer-input", "It ships today 今天发货")
            desk.press("#composer-input", "Enter")
            outgoing = desk.locator("#messages .msg-out").last
            expect(outgoing.locator(".msg-body")).to_have_text("It ships today 今天发货")
            expect(outgoing).to_have_attribute("data-state", "sent")
            browser.close()

        deadline = time.monotonic() + 10
        while "sendMessage" not in bot_api.methods() and time.monotonic() < deadline:
            time.sleep(0.05)
        sent = [fields for method, fields in bot_api.calls if method == "sendMessage"]
        assert sent == [{"chat_id": "1111111", "text": "It ships today 今天发货"}]
        assert errors == []
