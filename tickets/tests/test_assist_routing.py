"""Offline assistance on the message path (issue 13), through the real services and the
`message.created` handlers after commit: the classifier feeds a routing rule on a category, an
urgent or angry customer's priority is raised by one level on the timeline, the conversation's
summary carries what was detected, and the 转工单 draft suggests the category with its
confidence and an extractive summary."""

import pytest

from chat import services
from chat.models import ContentType, Conversation, Message, SenderType
from chat.tests.factories import ConversationFactory
from desk.kernel import realtime
from desk.kernel.choices import Priority
from routing.models import AgentProfile
from routing.tests.factories import AgentProfileFactory, RoutingRuleFactory, TeamFactory
from tickets.assist import classifier
from tickets.models import CategoryKeywords
from tickets.tests.assist_data import resolved_tickets

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def pushes(monkeypatch):
    sent: list[tuple[list[str], dict]] = []
    monkeypatch.setattr(realtime, "send_now", lambda groups, event: sent.append((groups, event)))
    classifier._loaded.update(version=None, model=None)
    classifier._model_predict.cache_clear()
    return sent


@pytest.fixture
def sales():
    return TeamFactory(name="Sales")


@pytest.fixture
def trained():
    categories = resolved_tickets(30, seed=1)
    assert classifier.classifier_train() is not None
    return categories


def online(team, name) -> AgentProfile:
    return AgentProfileFactory(user__username=name, presence="online", teams=[team])


def new_chat(team, *bodies: str, **extra) -> Conversation:
    conversation = ConversationFactory(team=team, **extra)
    for body in bodies:
        services.message_create(
            conversation=conversation, sender_type=SenderType.CUSTOMER, body=body
        )
    conversation.refresh_from_db()
    return conversation


RAISED = "conversation.priority_raised"


def timeline(conversation: Conversation) -> list[Message]:
    return list(
        Message.objects.filter(
            conversation=conversation, content_type=ContentType.EVENT, is_internal=True
        ).order_by("seq")
    )


def test_an_invoice_chat_lands_in_the_finance_team_through_a_category_rule(sales, trained):
    finance = TeamFactory(name="财务组")
    online(sales, "sales1")
    accountant = online(finance, "finance1")
    rule = RoutingRuleFactory(name="财务", categories=["财务问题"], team=finance)

    conversation = new_chat(sales, "我要开发票")

    assert (conversation.team_id, conversation.routing_rule_id) == (finance.pk, rule.pk)
    assert conversation.assignee_id == accountant.user_id
    assert conversation.detected_category == "财务问题"
    assert 0.35 <= conversation.category_confidence <= 1
    # Routing's detector classified the message; the handler after it found it in the cache.
    cache = classifier._model_predict.cache_info()
    assert (cache.misses, cache.hits) == (1, 1)
    other = new_chat(sales, "my parcel has not arrived yet")
    assert (other.team_id, other.detected_category) == (sales.pk, "物流配送")


def test_without_a_model_the_categorys_keywords_feed_the_rule(sales):
    categories = resolved_tickets(1, seed=1)
    CategoryKeywords.objects.create(category=categories["财务问题"], keywords="发票, invoice")
    finance = TeamFactory(name="财务组")
    RoutingRuleFactory(name="财务", categories=["财务问题"], team=finance)

    conversation = new_chat(sales, "I need an invoice please")

    assert (conversation.team_id, conversation.detected_category) == (finance.pk, "财务问题")
    assert conversation.category_confidence == 0.6


@pytest.mark.parametrize(
    ("body", "priority", "urgent", "angry", "words"),
    [
        ("我要投诉你们，马上给我处理！", Priority.P1, True, True, ["马上", "投诉"]),
        ("This is unacceptable. Refund now!", Priority.P1, False, True,
         ["refund now", "unacceptable"]),
        ("不急，有空帮我看看发票", Priority.P2, False, False, []),
    ],
)  # fmt: skip
def test_an_upset_customer_is_raised_one_level_on_the_timeline(
    sales, settings, body, priority, urgent, angry, words
):
    settings.LANGUAGE_CODE = "en"
    conversation = new_chat(sales, body, priority=Priority.P2)

    assert conversation.priority == priority
    assert (conversation.urgent, conversation.angry) == (urgent, angry)
    assert conversation.mood_words == words
    raised = [
        m for m in timeline(conversation) if m.payload["event"] == "conversation.priority_raised"
    ]
    if not words:
        assert raised == []
        return
    (event,) = raised
    assert event.payload == {"event": "conversation.priority_raised", "old": 2, "priority": 1,
                             "urgent": urgent, "angry": angry, "words": words}  # fmt: skip
    assert event.body.startswith("Priority raised to P1: the customer sounds ")
    assert event.body.endswith(f"({', '.join(words)})")


def test_the_rules_priority_comes_first_then_the_raise_and_p0_stays(sales, settings):
    settings.LANGUAGE_CODE = "en"
    RoutingRuleFactory(name="VIP", keywords=["订单"], team=sales, priority=1)
    conversation = new_chat(sales, "订单还没到，紧急！")
    assert conversation.priority == Priority.P0
    rule, raised = timeline(conversation)[:2]
    assert rule.payload["event"] == "conversation.routing_rule"
    assert raised.payload["event"] == "conversation.priority_raised"
    assert raised.body == "Priority raised to P0: the customer sounds urgent (紧急)"

    top = new_chat(sales, "ASAP please", priority=Priority.P0)
    assert (top.priority, top.urgent) == (Priority.P0, True)
    assert not [m for m in timeline(top) if m.payload["event"] == "conversation.priority_raised"]


def test_later_messages_add_flags_and_the_summary_carries_them(sales, pushes, trained):
    conversation = new_chat(sales, "发票什么时候能开好")
    assert (conversation.urgent, conversation.angry) == (False, False)
    pushes.clear()
    services.message_create(
        conversation=conversation, sender_type=SenderType.CUSTOMER, body="太差了!!!"
    )
    conversation.refresh_from_db()
    assert (conversation.angry, conversation.mood_words) == (True, ["太差", "!!!"])
    assert conversation.priority == Priority.P2  # raised only before the first routing
    updates = [e for g, e in pushes if e["type"] == "conversation.update" and "inbox.all" in g]
    assist = updates[-1]["conversation"]["assist"]
    assert assist == {"category": "财务问题", "confidence": conversation.category_confidence,
                      "urgent": False, "angry": True, "words": ["太差", "!!!"]}  # fmt: skip


def test_the_ticket_draft_suggests_the_category_with_confidence_and_a_summary(
    sales, client, trained
):
    agent = online(sales, "agent1")
    client.force_login(agent.user)
    conversation = new_chat(
        sales,
        "你好",
        "我上个月买的耳机需要开发票，公司报销用。",
        "发票抬头是上海某某科技有限公司。",
        "谢谢",
    )
    response = client.get(
        f"/api/v1/conversations/{conversation.pk}/ticket-draft/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200, response.content
    data = response.json()
    percent = round(data["category_confidence"] * 100)
    assert data["category"]["name"] == "财务问题"
    assert data["category_reason"] == {
        "code": "classifier",
        "text": "Learned from resolved tickets",
        "detail": f"财务问题 · {percent}%",
    }
    assert data["summary"] == (
        "我上个月买的耳机需要开发票，公司报销用。发票抬头是上海某某科技有限公司。"
    )
    assert "发票抬头是上海某某科技有限公司。" in data["description"]  # the transcript stays


def test_the_inbox_list_row_carries_the_flags_for_its_badge(sales, client):
    agent = online(sales, "agent2")
    client.force_login(agent.user)
    new_chat(sales, "我要投诉，马上处理!!!")
    (row,) = client.get("/api/v1/conversations/").json()["results"]
    assert row["assist"] == {
        "category": "",
        "confidence": None,
        "urgent": True,
        "angry": True,
        "words": ["马上", "投诉", "!!!"],
    }
