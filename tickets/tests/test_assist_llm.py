"""The optional language model (issue 13): summaries with an extractive fallback, reply drafts,
against a local server speaking the OpenAI chat-completions format (never the internet)."""

import json
import logging
import time

import pytest

from chat import services as chat_services
from chat.models import SenderType
from chat.tests.factories import ConversationFactory
from desk.tests.http_stub import HttpStub
from routing.tests.factories import AgentProfileFactory, TeamFactory
from tickets.assist import llm

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
KEY = "sk-test-secret-0123456789"


def completion(text: str) -> tuple[int, dict[str, str], bytes]:
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}}],
    }
    return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()


@pytest.fixture
def stub():
    with HttpStub() as server:
        yield server


@pytest.fixture
def model(settings, stub):
    """The language model configured at the stub (loopback allowed for the test only)."""
    settings.OUTBOUND_ALLOWLIST = ["127.0.0.1"]
    settings.ASSIST_LLM_URL = stub.url("/v1")
    settings.ASSIST_LLM_API_KEY = KEY
    settings.ASSIST_LLM_MODEL = "test-model"
    settings.ASSIST_LLM_TIMEOUT_SECONDS = 1
    settings.ASSIST_LLM_MAX_TOKENS = 123
    return stub


def chat(*bodies: str, **kwargs):
    conversation = ConversationFactory(**kwargs)
    for body in bodies:
        sender = SenderType.AGENT if body.startswith("A:") else SenderType.CUSTOMER
        chat_services.message_create(
            conversation=conversation, sender_type=sender, body=body.removeprefix("A:")
        )
    return conversation


def sent(stub: HttpStub) -> dict:
    ((method, path, headers, body),) = stub.requests
    assert (method, path) == ("POST", "/v1/chat/completions")
    assert headers["Authorization"] == f"Bearer {KEY}"
    return json.loads(body)


def draft_url(conversation) -> str:
    return f"/api/v1/conversations/{conversation.pk}/ticket-draft/"


def reply_url(conversation) -> str:
    return f"/api/v1/conversations/{conversation.pk}/reply-draft/"


# ---- masking and bounds -------------------------------------------------------------------


def test_emails_and_phone_numbers_are_masked_order_numbers_kept():
    text = "写信到 li.ming+shop@example.com.cn 或打 13800138000, +86 21 5555 1234, (555) 123-4567"
    assert llm.mask(text + " 订单 A20241102") == (
        "写信到 [email] 或打 [phone], [phone], [phone] 订单 A20241102"
    )


def test_the_transcript_is_the_newest_messages_within_the_budget():
    lines = [f"Customer: message {i} " + "x" * 500 for i in range(40)]
    kept = llm.bounded(lines, budget=2000)
    assert len(kept) == 3
    assert kept[-1].startswith("Customer: message 39 ")


# ---- summaries ----------------------------------------------------------------------------


def test_the_ticket_draft_summary_comes_from_the_model_with_masked_input(
    model, agent, agent_client
):
    model.script("/v1/chat/completions", completion("客户的耳机左边没有声音，想换货。"))
    conversation = chat(
        "你好",
        "我的耳机左边没有声音了，电话 13800138000，邮箱 a.b@example.com",
    )
    response = agent_client.get(draft_url(conversation), **EN)
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["summary"], data["summary_source"]) == ("客户的耳机左边没有声音，想换货。", "llm")
    body = sent(model)
    assert body["model"] == "test-model" and body["max_tokens"] == 123
    assert 0 <= body["temperature"] <= 1
    system, user = body["messages"]
    assert system["role"] == "system" and "300" in system["content"]
    assert (
        user["content"]
        == "Customer: 你好\nCustomer: 我的耳机左边没有声音了，电话 [phone]，邮箱 [email]"
    )
    assert "13800138000" not in json.dumps(body, ensure_ascii=False)


@pytest.mark.parametrize(
    "answer",
    [
        (500, {}, b'{"error": {"message": "overloaded"}}'),
        (200, {"Content-Type": "application/json"}, b"{not json"),
        (200, {"Content-Type": "application/json"}, b'{"choices": []}'),
        (401, {}, b'{"error": "bad key"}'),
    ],
    ids=["500", "malformed-json", "no-choices", "401"],
)
def test_the_summary_falls_back_to_the_extractive_one(model, agent_client, answer):
    model.script("/v1/chat/completions", answer)
    conversation = chat("我要开发票，公司报销用。")
    data = agent_client.get(draft_url(conversation), **EN).json()
    assert (data["summary"], data["summary_source"]) == ("我要开发票，公司报销用。", "extractive")
    assert len(model.requests) == 1  # a POST is not retried after the model may have acted


def test_a_slow_model_falls_back_within_the_timeout(model, agent_client):
    def slow(*_args):
        time.sleep(2)
        return completion("too late")

    model.handler("/v1/", slow)
    conversation = chat("我要开发票，公司报销用。")
    started = time.monotonic()
    data = agent_client.get(draft_url(conversation), **EN).json()
    assert time.monotonic() - started < 2
    assert (data["summary"], data["summary_source"]) == ("我要开发票，公司报销用。", "extractive")


def test_nothing_said_asks_nothing(model, agent_client):
    data = agent_client.get(draft_url(chat("A:您好，有什么可以帮您？")), **EN).json()
    assert (data["summary"], data["summary_source"]) == ("", "extractive")
    assert model.requests == []


def test_off_by_default_the_summary_is_extractive_and_nothing_is_sent(settings, agent_client):
    assert settings.ASSIST_LLM_URL == ""
    data = agent_client.get(draft_url(chat("我要开发票，公司报销用。")), **EN).json()
    assert (data["summary"], data["summary_source"]) == ("我要开发票，公司报销用。", "extractive")


def test_the_key_is_never_logged(model, caplog):
    model.script("/v1/chat/completions", (500, {}, KEY.encode()))
    conversation = chat("我要开发票，公司报销用。")
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(llm.LlmProviderError) as failure:
            llm.LlmSummariser().summarise(["我要开发票"], max_chars=100)
        assert failure.value.status == 500
        llm.summary_with_source(conversation)
    assert caplog.records
    assert KEY not in caplog.text
    assert all(KEY not in str(record.args) for record in caplog.records)


# ---- reply drafts -------------------------------------------------------------------------


def test_a_reply_draft_from_the_model(model, agent_client):
    model.script("/v1/chat/completions", completion("您好，很抱歉给您带来不便，我们马上为您换货。"))
    conversation = chat("耳机坏了，我的邮箱 x@y.cn", "A:请提供订单号。", "A20241102")
    response = agent_client.post(reply_url(conversation), **EN)
    assert response.status_code == 200, response.content
    assert response.json() == {"draft": "您好，很抱歉给您带来不便，我们马上为您换货。"}
    system, user = sent(model)["messages"]
    assert "customer's language" in system["content"]
    assert user["content"] == (
        "Conversation so far:\nCustomer: 耳机坏了，我的邮箱 [email]\nAgent: 请提供订单号。\n"
        "Customer: A20241102"
    )
    assert KEY not in response.content.decode()


def test_reply_drafts_are_409_when_off(agent_client):
    response = agent_client.post(reply_url(chat("hello")), **EN)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "assist_off"


@pytest.mark.parametrize(
    "answer",
    [(500, {}, b"{}"), (200, {}, b'{"choices": [{"message": {"content": ""}}]}')],
    ids=["500", "empty"],
)
def test_reply_drafts_are_502_when_the_model_fails(model, agent_client, answer):
    model.script("/v1/chat/completions", answer)
    response = agent_client.post(reply_url(chat("hello")), **EN)
    assert response.status_code == 502
    error = response.json()["error"]
    assert error["code"] == "assist_unavailable"
    assert error["message"] == (
        "The AI assistant did not answer. Try again, or write the reply yourself."
    )


def test_reply_drafts_outside_the_agents_scope_look_missing(model, client):
    sales, support = TeamFactory(), TeamFactory()
    seller = AgentProfileFactory(teams=[sales])
    conversation = chat("hello", team=support)
    client.force_login(seller.user)
    for url in (reply_url(conversation), reply_url(ConversationFactory.build(pk=999999))):
        response = client.post(url, **EN)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert model.requests == []


def test_reply_drafts_are_rate_limited_per_agent(model, settings, agent_client):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "assist_draft.agent": (2, 60)}
    model.script("/v1/chat/completions", completion("Hello!"))
    conversation = chat("hello")
    codes = [agent_client.post(reply_url(conversation), **EN).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert len(model.requests) == 2
