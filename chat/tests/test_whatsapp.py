"""WhatsApp Cloud API webhooks replayed against the real endpoint, and replies against a local
Graph API: verification, signatures, dedupe on wamid, media, statuses moving delivery ticks, the
24-hour window and the template (docs/channels.md)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from chat import services
from chat.channels.models import EarlyReceipt, InboundEvent
from chat.channels.receipts import EARLY_RECEIPT_KEEP
from chat.channels.services import whatsapp_template_send
from chat.channels.tasks import channel_sweep
from chat.models import Attachment, Conversation, Customer, CustomerIdentity, Message
from chat.tests import whatsapp_stub
from chat.tests.whatsapp_stub import (
    JPEG,
    VERIFY_TOKEN,
    WA_ID,
    make_account,
    sign,
    status,
    text,
    webhook,
)
from desk.kernel import http
from routing.selectors import agent_display_name

pytestmark = pytest.mark.django_db
graph_api = whatsapp_stub.graph_api


def url(account) -> str:
    return f"/api/channels/v1/whatsapp/{account.key}/webhook/"


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    def run(account, body, *, signature: str | None = "ok"):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {}
        if signature is not None:
            headers["HTTP_X_HUB_SIGNATURE_256"] = sign(raw) if signature == "ok" else signature
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url(account), raw, content_type="application/json", **headers)

    return run


@pytest.fixture
def waits(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(http, "_sleep", slept.append)
    return slept


def nothing_stored() -> bool:
    return not (
        InboundEvent.objects.exists() or Message.objects.exists() or Customer.objects.exists()
    )


def test_the_verification_challenge(client):
    account = make_account()
    ok = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    response = client.get(url(account), ok)
    assert response.status_code == 200 and response.content == b"1158201444"
    assert client.get(url(account), {**ok, "hub.verify_token": "x"}).status_code == 401


def test_a_text_becomes_the_customers_message_named_from_the_profile(deliver, graph_api):
    account = make_account()
    response = deliver(account, webhook(messages=[text("wamid.A1", "我的订单呢")]))
    assert response.status_code == 200
    message = Message.objects.get()
    assert (message.body, message.channel, message.provider_message_id) == (
        "我的订单呢", "whatsapp", f"{account.pk}:wamid.A1",
    )  # fmt: skip
    identity = CustomerIdentity.objects.get()
    assert (identity.kind, identity.external_id) == ("whatsapp", WA_ID)
    assert identity.customer.display_name == "李雷"


def test_duplicates_are_stored_once(deliver, graph_api):
    account = make_account()
    for _ in range(3):
        deliver(account, webhook(messages=[text("wamid.D1")]))
    assert InboundEvent.objects.count() == 1 and Message.objects.count() == 1


@pytest.mark.parametrize("signature", [None, "sha256=00", "sha1=abc"])
def test_missing_or_wrong_signatures_store_nothing(deliver, signature):
    account = make_account()
    response = deliver(account, webhook(messages=[text("wamid.S1")]), signature=signature)
    assert response.status_code == 401 and nothing_stored()


@pytest.mark.parametrize(
    "body", [b"{not json", {"object": "page", "entry": []}, {"object": "whatsapp_business_account",
             "entry": [{"changes": [{"value": {"messages": [{"type": "text"}]}}]}]}],
)  # fmt: skip
def test_malformed_bodies_are_400(deliver, body):
    assert deliver(make_account(), body).status_code == 400 and nothing_stored()


def test_media_location_buttons_and_reactions(deliver, graph_api):
    account = make_account()
    messages = [
        {"from": WA_ID, "id": "wamid.I", "timestamp": "1", "type": "image",
         "image": {"id": "media-img", "mime_type": "image/jpeg", "caption": "坏了"}},
        {"from": WA_ID, "id": "wamid.L", "timestamp": "2", "type": "location",
         "location": {"latitude": 23.13, "longitude": 113.35, "name": "天河"}},
        {"from": WA_ID, "id": "wamid.B", "timestamp": "3", "type": "interactive",
         "interactive": {"type": "button_reply", "button_reply": {"id": "b1", "title": "是"}}},
        {"from": WA_ID, "id": "wamid.R", "timestamp": "4", "type": "reaction",
         "reaction": {"message_id": "wamid.I", "emoji": "👍"}},
    ]  # fmt: skip
    deliver(account, webhook(messages=messages))
    bodies = list(Message.objects.order_by("seq").values_list("body", flat=True))
    assert bodies == ["坏了", "[location] 天河 (23.13, 113.35)", "是"]
    assert Attachment.objects.get().file.read() == JPEG
    auth = [headers.get("Authorization") for _, _, headers, _ in graph_api.calls]
    assert auth == ["Bearer EAAG-permanent-token"] * 2


@pytest.fixture
def run_commits(django_capture_on_commit_callbacks):
    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def conversation(deliver, graph_api) -> Conversation:
    deliver(make_account(), webhook(messages=[text("wamid.C1", "在吗")]))
    return Conversation.objects.get()


def reply(run_commits, conversation, actor, body="您好") -> Message:
    result = run_commits(
        services.message_send_as_agent, actor=actor, conversation=conversation, body=body,
        client_msg_id=f"c-{Message.objects.count()}",
    )  # fmt: skip
    result.message.refresh_from_db()
    return result.message


def test_a_reply_is_sent_and_statuses_move_its_ticks(
    conversation, graph_api, run_commits, supervisor, deliver
):
    message = reply(run_commits, conversation, supervisor.user)
    expected = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": WA_ID}
    assert graph_api.sends() == [{**expected, "type": "text", "text": {"body": "您好"}}]
    assert message.delivery_state == "sent"
    account = conversation.channel_account
    deliver(account, webhook(statuses=[status("wamid.OUT1", "delivered")]))
    message.refresh_from_db()
    assert message.delivery_state == "delivered" and message.delivered_at is not None
    deliver(account, webhook(statuses=[status("wamid.OUT1", "read")]))
    deliver(account, webhook(statuses=[status("wamid.OUT1", "delivered")]))  # late: no change
    message.refresh_from_db()
    assert message.delivery_state == "read"


def test_a_failed_status_gives_the_reason(
    conversation, graph_api, run_commits, supervisor, deliver
):
    message = reply(run_commits, conversation, supervisor.user)
    error = {"code": 131026, "title": "Message undeliverable"}
    deliver(conversation.channel_account,
            webhook(statuses=[status("wamid.OUT1", "failed", errors=[error])]))  # fmt: skip
    message.refresh_from_db()
    assert message.delivery_state == "failed"
    assert "Message undeliverable" in message.payload["delivery_error"]["reason"]


def test_429_waits_for_retry_after_and_400_is_not_retried(
    conversation, graph_api, run_commits, supervisor, waits
):
    path = f"/{whatsapp_stub.PHONE_NUMBER_ID}/messages"
    graph_api.answers[path] = [(429, {"error": {"code": 130429}}, {"Retry-After": "2"})]
    assert reply(run_commits, conversation, supervisor.user).delivery_state == "sent"
    assert 2.0 in waits and len(graph_api.sends()) == 2
    graph_api.answers[path] = [(400, {"error": {"code": 131009, "message": "bad param"}}, {})]
    failed = reply(run_commits, conversation, supervisor.user, body="x")
    assert failed.delivery_state == "failed" and len(graph_api.sends()) == 3
    assert failed.payload["delivery_error"]["code"] == "bad_request"


def test_outside_24_hours_free_text_is_refused_and_the_template_goes(
    conversation, graph_api, run_commits, supervisor
):
    Message.objects.update(created_at=timezone.now() - timedelta(hours=25))
    refused = reply(run_commits, conversation, supervisor.user)
    assert refused.delivery_state == "failed" and graph_api.sends() == []
    assert refused.payload["delivery_error"]["code"] == "reply_window_closed"
    result = run_commits(
        whatsapp_template_send, actor=supervisor.user, conversation=conversation,
        client_msg_id="tpl-1",
    )  # fmt: skip
    result.message.refresh_from_db()
    assert result.message.delivery_state == "sent"
    assert graph_api.sends()[-1]["template"] == {"name": "hello_world",
                                                 "language": {"code": "en_US"}}  # fmt: skip


def test_the_template_endpoint(
    conversation, graph_api, supervisor_client, django_capture_on_commit_callbacks
):
    Message.objects.update(created_at=timezone.now() - timedelta(hours=25))
    with django_capture_on_commit_callbacks(execute=True):
        response = supervisor_client.post(
            f"/api/v1/conversations/{conversation.pk}/whatsapp-template/",
            {"client_msg_id": "tpl-9"}, content_type="application/json",
        )  # fmt: skip
    assert response.status_code == 200 and response.json()["body"] == "[template] hello_world"
    assert graph_api.sends()[-1]["type"] == "template"


def test_a_status_is_pushed_to_the_agents(
    conversation, graph_api, run_commits, supervisor, deliver, monkeypatch
):
    from chat.channels import receipts

    pushed: list[tuple[int, str]] = []
    monkeypatch.setattr(
        receipts, "publish_message_update", lambda m: pushed.append((m.pk, m.delivery_state))
    )
    message = reply(run_commits, conversation, supervisor.user)
    deliver(conversation.channel_account, webhook(statuses=[status("wamid.OUT1", "read")]))
    assert pushed == [(message.pk, "read")]


def test_statuses_that_arrive_before_the_send_is_recorded_are_applied_when_it_is(
    conversation, graph_api, run_commits, supervisor, deliver
):
    """WhatsApp may call the webhook with a reply's statuses before its own answer to the
    send reaches us: they are kept (EarlyReceipt) and applied once the wamid is recorded."""
    account = conversation.channel_account
    deliver(account, webhook(statuses=[status("wamid.OUT1", "delivered")]))
    deliver(account, webhook(statuses=[status("wamid.OUT1", "read")]))
    assert EarlyReceipt.objects.count() == 2
    assert InboundEvent.objects.filter(processed_at__isnull=True).count() == 0

    message = reply(run_commits, conversation, supervisor.user)

    assert message.provider_message_id.endswith(":wamid.OUT1")
    assert message.delivery_state == "read" and message.read_at is not None
    assert not EarlyReceipt.objects.exists()


def test_early_statuses_nobody_claims_are_dropped_after_a_while(deliver, conversation):
    deliver(conversation.channel_account, webhook(statuses=[status("wamid.ELSEWHERE", "read")]))
    EarlyReceipt.objects.update(received_at=timezone.now() - EARLY_RECEIPT_KEEP)
    channel_sweep()
    assert not EarlyReceipt.objects.exists()


def test_the_template_goes_with_its_parameters_filled_for_the_customer_and_agent(
    conversation, graph_api, run_commits, supervisor
):
    account = conversation.channel_account
    account.set_secrets(template_parameters=["{{customer.name}}", "{{ agent.name }} · SO-1"])
    account.save()
    Message.objects.update(created_at=timezone.now() - timedelta(hours=25))
    result = run_commits(
        whatsapp_template_send, actor=supervisor.user, conversation=conversation,
        client_msg_id="tpl-p",
    )  # fmt: skip
    agent = agent_display_name(supervisor.user)
    assert result.message.body == f"[template] hello_world: 李雷 · {agent} · SO-1"
    assert graph_api.sends()[-1]["template"]["components"] == [
        {"type": "body", "parameters": [{"type": "text", "text": "李雷"},
                                        {"type": "text", "text": f"{agent} · SO-1"}]}
    ]  # fmt: skip


def test_a_parameter_that_cannot_be_filled_is_409_and_sends_nothing(
    conversation, graph_api, supervisor_client
):
    account = conversation.channel_account
    account.set_secrets(template_parameters=["{{customer.name}}"])
    account.save()
    Customer.objects.update(display_name="")
    before = Message.objects.count()
    response = supervisor_client.post(
        f"/api/v1/conversations/{conversation.pk}/whatsapp-template/",
        {"client_msg_id": "tpl-x"}, content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "template_parameter_missing"
    assert "{{customer.name}}" in response.json()["error"]["message"]
    assert Message.objects.count() == before and graph_api.sends() == []


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("{{customer.name}}\n\n  {{agent.name}}  ", None),
        ("{{ticket.number}}", "Unknown variable {{ticket.number}}"),
        ("\n".join(["x"] * 11), "At most 10 parameters."),
        ("x" * 201, "at most 200 characters"),
    ],
)
def test_the_admin_keeps_the_parameters_one_a_line(supervisor_client, typed, error):
    account = make_account()
    url = f"/admin/chat/channelaccount/{account.pk}/change/"
    form = {"name": account.name, "channel": "whatsapp", "is_active": "on",
            "template_parameters": typed}  # fmt: skip
    response = supervisor_client.post(url, form, HTTP_ACCEPT_LANGUAGE="en")
    account.refresh_from_db()
    if error is None:
        assert response.status_code == 302
        assert account.secrets["template_parameters"] == ["{{customer.name}}", "{{agent.name}}"]
        page = supervisor_client.get(url).content.decode()
        assert "{{customer.name}}\n{{agent.name}}</textarea>" in page
    else:
        assert response.status_code == 200 and error in response.content.decode()
        assert "template_parameters" not in account.secrets


def test_a_status_kept_in_the_moment_before_the_send_committed_is_applied_by_the_sweep(
    conversation, graph_api, run_commits, supervisor
):
    message = reply(run_commits, conversation, supervisor.user)
    EarlyReceipt.objects.create(
        channel="whatsapp", provider_message_id=message.provider_message_id, state="read"
    )
    channel_sweep()
    message.refresh_from_db()
    assert message.delivery_state == "read" and not EarlyReceipt.objects.exists()
