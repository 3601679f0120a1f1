"""WeChat as an agent sees it, in real Chromium against a real daphne: a safe-mode (encrypted)
message posted to the account's server URL appears live in the workspace (labelled WeChat, with
the 48-hour reply window in the header), the agent answers, and the WeChat API (a local
stand-in) receives the customer-service send with the text."""

import time
import urllib.request

import pytest
from playwright.sync_api import expect, sync_playwright

from chat.models import Conversation
from chat.tests.wechat_stub import OPENID, WechatApi, make_account, message_xml, safe_request
from desk.tests.browser import launch_chromium, require_chromium, watched_context
from desk.tests.http_stub import HttpStub
from desk.tests.live_server import server_password
from desk.tests.test_browser_inbox import in_thread, sign_in
from routing.tests.factories import AgentProfileFactory

pytestmark = pytest.mark.browser


def post_message(base_url: str, key: str, plain: bytes) -> tuple[int, bytes]:
    query, body = safe_request(plain)
    request = urllib.request.Request(  # noqa: S310 (the local daphne)
        f"{base_url}/api/channels/v1/wechat/{key}/webhook/?{query}",
        data=body,
        headers={"Content-Type": "text/xml"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status, response.read()


def test_an_encrypted_wechat_message_appears_live_and_the_reply_reaches_custom_send(
    daphne_processes, monkeypatch, password
):
    require_chromium()
    with HttpStub() as stub:
        api = WechatApi(stub)
        monkeypatch.setenv("WECHAT_API_BASE", api.base)
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

            plain = message_xml(msg_id="6054768590064713728", Content="我的快递到哪了？")
            assert post_message(base_url, account.key, plain) == (200, b"success")
            conversation = in_thread(lambda: Conversation.objects.get())
            row = desk.locator(f".conv-row[data-id='{conversation.pk}']")
            expect(row).to_be_visible()
            row.click()
            incoming = desk.locator("#messages .msg-in").last
            expect(incoming.locator(".msg-body")).to_have_text("我的快递到哪了？")
            expect(incoming.locator(".msg-channel")).to_have_text("WeChat")
            expect(desk.locator("#conv-window")).to_have_text("Reply window: 47 h left")

            desk.fill("#composer-input", "今天发货 It ships today")
            desk.press("#composer-input", "Enter")
            outgoing = desk.locator("#messages .msg-out").last
            expect(outgoing.locator(".msg-body")).to_have_text("今天发货 It ships today")
            expect(outgoing).to_have_attribute("data-state", "sent")
            browser.close()

        deadline = time.monotonic() + 10
        while not api.sends() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert api.sends() == [
            {"touser": OPENID, "msgtype": "text", "text": {"content": "今天发货 It ships today"}}
        ]
        assert errors == []
