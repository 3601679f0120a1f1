"""From a resolved ticket, one click drafts a KB article: POST /api/v1/tickets/<id>/kb-draft/."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from chat.tests.factories import ConversationFactory, CustomerFactory, MessageFactory
from desk.kb.drafts import DRAFTS_CATEGORY
from desk.models import KbArticle
from desk.tests.factories import KbCategoryFactory
from routing.tests.factories import TeamFactory
from tickets.models import Category, TicketEventKind
from tickets.tests.factories import TicketEventFactory, TicketFactory

pytestmark = pytest.mark.django_db


def draft_url(ticket):
    return reverse("api:ticket-kb-draft", args=[ticket.pk])


@pytest.fixture
def ticket(agent):
    customer = CustomerFactory(display_name="王芳", language="zh-CN")
    conversation = ConversationFactory(customer=customer)
    MessageFactory(conversation=conversation, body="我想申请退款，订单 12345")
    MessageFactory(conversation=conversation, body="耳机没有声音")
    reply = MessageFactory(
        conversation=conversation, sender_type="agent", body="请在“我的订单”中点击“申请退款”。"
    )
    MessageFactory(
        conversation=conversation, sender_type="agent", body="内部备注", is_internal=True
    )
    ticket = TicketFactory(
        subject="申请退款的步骤",
        description="转工单记录……",
        requester=customer,
        conversation=conversation,
        status="resolved",
        category=Category.objects.create(name="退款"),
    )
    # A public reply sent into the chat counts once; an internal note not at all.
    TicketEventFactory(
        ticket=ticket, kind=TicketEventKind.COMMENT, actor=agent.user,
        body=reply.body, message=reply,
    )  # fmt: skip
    TicketEventFactory(
        ticket=ticket, kind=TicketEventKind.COMMENT, actor=agent.user, body="退款已原路退回。"
    )
    TicketEventFactory(ticket=ticket, kind=TicketEventKind.NOTE, actor=agent.user, body="备注")
    return ticket


def test_a_resolved_ticket_drafts_an_article_with_its_question_and_answer(
    agent_client, agent, ticket
):
    refunds = KbCategoryFactory(name="退款 Refunds")
    response = agent_client.post(draft_url(ticket))
    assert response.status_code == 201, response.content
    article = KbArticle.objects.get()
    assert response.json() == {
        "article_id": article.pk,
        "title": "申请退款的步骤",
        "status": "draft",
        "language": "zh-hans",
        "created": True,
        "admin_url": reverse("admin:desk_kbarticle_change", args=[article.pk]),
    }
    assert (article.status, article.source_ticket, article.author) == (
        "draft",
        ticket,
        agent.user,
    )
    assert article.category == refunds
    assert article.body == (
        "## 问题\n\n我想申请退款，订单 12345\n\n耳机没有声音\n\n"
        "## 解答\n\n请在“我的订单”中点击“申请退款”。\n\n退款已原路退回。\n"
    )
    assert "<h2>问题</h2>" in article.body_html
    [entry] = LogEntry.objects.filter(object_id=str(article.pk))
    assert (entry.user, entry.is_addition(), entry.change_message) == (
        agent.user,
        True,
        '[{"added": {}}]',
    )


def test_a_second_click_returns_the_same_draft(agent_client, ticket):
    first = agent_client.post(draft_url(ticket)).json()
    again = agent_client.post(draft_url(ticket))
    assert again.status_code == 200
    assert again.json() == {**first, "created": False}
    assert KbArticle.objects.count() == 1


def test_an_english_ticket_without_a_chat_drafts_in_english_in_the_drafts_category(
    agent_client, agent
):
    ticket = TicketFactory(
        subject="Refund to a closed card",
        description="My card was closed; where does my refund go?",
        requester=CustomerFactory(language="en-GB"),
        status="closed",
    )
    TicketEventFactory(
        ticket=ticket, kind=TicketEventKind.COMMENT, actor=agent.user,
        body="The bank forwards it to your new card.",
    )  # fmt: skip
    assert agent_client.post(draft_url(ticket)).status_code == 201
    article = KbArticle.objects.get()
    assert article.language == "en"
    assert article.category.name == DRAFTS_CATEGORY
    assert article.body == (
        "## Question\n\nMy card was closed; where does my refund go?\n\n"
        "## Answer\n\nThe bank forwards it to your new card.\n"
    )


def test_a_ticket_outside_the_agents_scope_is_not_found(agent_client, ticket):
    ticket.team = TeamFactory()
    ticket.save(update_fields=["team"])
    response = agent_client.post(draft_url(ticket))
    assert response.status_code == 404
    assert not KbArticle.objects.exists()
    assert agent_client.post(reverse("api:ticket-kb-draft", args=[999999])).status_code == 404


def test_an_unresolved_ticket_is_refused(agent_client, ticket):
    ticket.status = "in_progress"
    ticket.save(update_fields=["status"])
    response = agent_client.post(draft_url(ticket))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "ticket_not_resolved"
    assert not KbArticle.objects.exists()


def test_only_agents_draft(client, ticket):
    assert client.post(draft_url(ticket)).status_code in (401, 403)
    assert not KbArticle.objects.exists()
