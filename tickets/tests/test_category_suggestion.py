"""The 转工单 form suggests a category and says why: a keyword rule, the category's name in the
customer's words, or the customer's previous ticket."""

import pytest

from chat import services as chat_services
from chat.models import SenderType
from chat.tests.factories import ConversationFactory
from tickets.sources import keywords as triggers
from tickets.tests.factories import (
    CategoryFactory,
    KeywordTriggerFactory,
    TicketFactory,
    conversation_ticket,
)

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture(autouse=True)
def fresh_rules():
    triggers.active_triggers_forget()
    yield
    triggers.active_triggers_forget()


def said(*bodies: str, **kwargs):
    conversation = ConversationFactory(**kwargs)
    for body in bodies:
        chat_services.message_create(
            conversation=conversation, sender_type=SenderType.CUSTOMER, body=body
        )
    return conversation


def draft(client, conversation, headers=EN) -> dict:
    response = client.get(f"/api/v1/conversations/{conversation.pk}/ticket-draft/", **headers)
    assert response.status_code == 200, response.content
    return response.json()


def test_a_matching_keyword_rule_suggests_its_category(agent_client):
    refunds = CategoryFactory(name="Refunds")
    CategoryFactory(name="Orders")  # named by the customer too, but the rule comes first
    conversation = said("Hello", "I want a refund for my orders")
    # Made after the messages, so it did not turn the chat into a ticket on its own.
    KeywordTriggerFactory(name="Money back", keywords="refund", category=refunds)
    data = draft(agent_client, conversation)
    assert data["category"] == {"id": refunds.pk, "name": "Refunds"}
    assert data["category_reason"] == {
        "code": "keyword_rule",
        "text": "A keyword rule matches what the customer wrote",
        "detail": "Money back",
    }


def test_a_rule_without_category_or_that_does_not_match_suggests_nothing(agent_client):
    KeywordTriggerFactory(keywords="invoice")  # no category
    KeywordTriggerFactory(keywords="broken", category=CategoryFactory(name="Repairs"))
    conversation = said("Where is my parcel?")
    data = draft(agent_client, conversation)
    assert (data["category"], data["category_reason"]) == (None, None)


def test_the_longest_category_name_the_customer_wrote_wins(agent_client):
    CategoryFactory(name="退货")
    exchange = CategoryFactory(name="退换货")
    CategoryFactory(name="发票", is_active=False)
    conversation = said("你好，我想办理退换货，顺便开发票")
    data = draft(agent_client, conversation, ZH)
    assert data["category"] == {"id": exchange.pk, "name": "退换货"}
    assert data["category_reason"]["code"] == "mentioned"
    assert data["category_reason"]["detail"] == "退换货"
    assert data["category_reason"]["text"] == "客户提到了该分类的名称"


def test_agent_words_do_not_count(agent, agent_client):
    CategoryFactory(name="Invoices")
    conversation = said("Hi there")
    chat_services.message_create(
        conversation=conversation,
        sender_type=SenderType.AGENT,
        sender_user=agent.user,
        body="Do you need Invoices?",
    )
    assert draft(agent_client, conversation)["category"] is None


def test_otherwise_the_previous_tickets_category(agent_client):
    conversation = said("It happened again")
    older = CategoryFactory(name="Network")
    newer = CategoryFactory(name="Billing")
    TicketFactory(requester=conversation.customer, category=older)
    previous = conversation_ticket(conversation, category=newer)
    conversation_ticket(conversation, category=None)  # newest, but without a category
    TicketFactory(category=CategoryFactory(name="Other customer"))
    data = draft(agent_client, conversation)
    assert data["category"] == {"id": newer.pk, "name": "Billing"}
    assert data["category_reason"]["code"] == "previous_ticket"
    assert data["category_reason"]["detail"] == previous.number
