"""AI reply drafts in the workspace, in real Chromium against a daphne configured with a language
model (a local stand-in speaking the OpenAI chat-completions format): the agent clicks Draft
reply and the box fills with the model's answer, unsent. With the feature off (the shared
daphne), the button is not there."""

import json

import pytest
from playwright.sync_api import expect, sync_playwright

from chat import services as chat_services
from chat.models import Message, SenderType
from chat.tests.factories import ConversationFactory, CustomerFactory
from desk.tests.browser import launch_chromium, require_chromium, watched_context
from desk.tests.http_stub import HttpStub
from desk.tests.live_server import DaphneProcess, server_password
from desk.tests.test_browser_inbox import in_thread, sign_in

pytestmark = pytest.mark.browser

ANSWER = "王小明您好，很抱歉耳机出了问题，我们马上为您安排换货。"
FAILING: list[bool] = []  # non-empty: the stand-in answers 500


class AssistedDaphne(DaphneProcess):
    """A daphne of this test's own with ASSIST_LLM_* pointing at the stand-in."""

    def __init__(self, extra: dict[str, str]) -> None:
        super().__init__()
        self.extra = extra

    def environment(self) -> dict[str, str]:
        return {**super().environment(), **self.extra}


def new_chat(agent_user) -> int:
    conversation = ConversationFactory(
        customer=CustomerFactory(display_name="王小明"), assignee=agent_user
    )
    chat_services.message_create(
        conversation=conversation, sender_type=SenderType.CUSTOMER, body="我的耳机左边没有声音了"
    )
    return conversation.pk


def agent_messages() -> int:
    return Message.objects.filter(sender_type=SenderType.AGENT).count()


def completion(*_args) -> tuple[int, dict[str, str], bytes]:
    if FAILING:
        return 500, {}, b'{"error": "overloaded"}'
    body = {"choices": [{"index": 0, "message": {"role": "assistant", "content": ANSWER}}]}
    return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()


def test_draft_reply_fills_the_box_and_is_not_sent(transactional_db, agent, password):
    require_chromium()
    server_password(agent.user, password)
    conversation_id = in_thread(new_chat, agent.user)
    errors: list[str] = []
    with HttpStub() as model:
        model.handler("/v1/", completion)
        server = AssistedDaphne(
            {
                "ASSIST_LLM_URL": model.url("/v1"),
                "ASSIST_LLM_API_KEY": "sk-browser-test",
                "OUTBOUND_ALLOWLIST": "127.0.0.1",
            }
        ).start()
        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                context = watched_context(browser, errors, width=1440, height=900, locale="en-US")
                page = sign_in(context, server.url, agent.user, password)
                page.locator(f".conv-row[data-id='{conversation_id}']").click()
                button = page.locator("#composer-draft")
                expect(button).to_be_visible()
                expect(button).to_have_text("Draft reply")
                button.click()
                expect(page.locator("#composer-input")).to_have_value(ANSWER)
                expect(button).to_be_enabled()

                # The model fails: a toast says so, the box keeps what it had.
                FAILING.append(True)
                page.locator("#composer-input").fill("")
                button.click()
                expect(page.locator("#toast")).to_contain_text(
                    "The AI draft could not be written. The AI assistant did not answer."
                )
                expect(page.locator("#composer-input")).to_have_value("")
                expect(button).to_be_enabled()
                browser.close()
        finally:
            FAILING.clear()
            server.stop()
            server.log.unlink(missing_ok=True)
    assert errors == []
    assert in_thread(agent_messages) == 0  # filled, never sent
    (method, path, headers, _body), _failed = model.requests
    assert (method, path, headers["Authorization"]) == (
        "POST",
        "/v1/chat/completions",
        "Bearer sk-browser-test",
    )


def test_without_a_model_there_is_no_draft_button(daphne_server, agent, password):
    require_chromium()
    server_password(agent.user, password)
    conversation_id = in_thread(new_chat, agent.user)
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = watched_context(browser, errors, width=1440, height=900, locale="en-US")
        page = sign_in(context, daphne_server, agent.user, password)
        page.locator(f".conv-row[data-id='{conversation_id}']").click()
        expect(page.locator("#composer-input")).to_be_enabled()
        expect(page.locator("#composer-draft")).to_be_hidden()
        browser.close()
    assert errors == []
