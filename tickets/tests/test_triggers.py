"""Keyword triggers (转工单 way 2): a supervisor's rule turns a customer's words into a ticket once,
tells the customer in the chat, and a bad rule is refused in the admin, not at message time."""

import pytest
from django.test import TestCase
from django.urls import reverse

from chat.services import message_create
from chat.tests.factories import ConversationFactory
from desk.kernel.choices import Priority
from routing.tests.factories import TeamFactory
from tickets.models import (
    Category,
    KeywordTrigger,
    Tag,
    Ticket,
    TicketEvent,
    TicketSource,
    TicketStatus,
    TriggerMatch,
)
from tickets.services import ticket_update_fields
from tickets.sources import keywords as triggers
from tickets.tests.helpers import ticket_cards

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_rules():
    triggers.active_triggers_forget()
    yield
    triggers.active_triggers_forget()


@pytest.fixture
def refund_rule():
    rule = KeywordTrigger.objects.create(
        name="Refunds 退款",
        keywords="退款，投诉\nrefund",
        priority=Priority.P1,
        category=Category.objects.create(name="Billing"),
        team=TeamFactory(name="Billing team"),
    )
    rule.tags.set([Tag.objects.create(name="refund"), Tag.objects.create(name="vip-watch")])
    return rule


def customer_says(conversation, body, sender_type="customer", **extra):
    """A stored message, and its `message.created` handlers run as after the commit."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return message_create(
            conversation=conversation, sender_type=sender_type, body=body, **extra
        ).message


def test_a_chinese_keyword_makes_a_ticket_with_the_rules_fields(refund_rule):
    conversation = ConversationFactory()
    customer_says(conversation, "你好")
    assert not Ticket.objects.exists()

    customer_says(conversation, "我要退款，订单 A-1001")
    ticket = Ticket.objects.get()
    assert (ticket.source, ticket.priority, ticket.conversation_id) == (
        TicketSource.KEYWORD,
        Priority.P1,
        conversation.pk,
    )
    assert (ticket.category.name, ticket.team.name) == ("Billing", "Billing team")
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["refund", "vip-watch"]
    assert ticket.requester_id == conversation.customer_id
    assert "我要退款，订单 A-1001" in ticket.description  # the transcript
    assert (
        TicketEvent.objects.filter(ticket=ticket, action="triggered")
        .values_list("body", flat=True)
        .get()
        == "Refunds 退款"
    )
    # The customer is told in the chat: a ticket card with the number.
    (card,) = ticket_cards(conversation)
    assert (card.payload["event"], card.payload["number"]) == ("ticket.created", ticket.number)
    assert not card.is_internal


def test_english_keywords_ignore_case_and_a_rule_firing_again_makes_no_second_ticket(refund_rule):
    conversation = ConversationFactory()
    customer_says(conversation, "I want a REFUND")
    customer_says(conversation, "refund refund refund!")
    customer_says(conversation, "我要投诉")
    ticket = Ticket.objects.get()
    assert len(ticket_cards(conversation)) == 1
    # The later messages continue the ticket instead.
    comments = TicketEvent.objects.filter(ticket=ticket, kind="comment").order_by("id")
    assert [event.body for event in comments] == ["refund refund refund!", "我要投诉"]


def test_after_the_ticket_is_closed_a_new_complaint_makes_a_new_ticket(refund_rule):
    conversation = ConversationFactory()
    customer_says(conversation, "refund please")
    first = Ticket.objects.get()
    ticket_update_fields(actor=None, ticket=first, changes={"status": TicketStatus.CLOSED})
    customer_says(conversation, "another refund, different order")
    assert Ticket.objects.count() == 2


def test_inactive_rules_are_skipped_and_the_first_rule_by_position_wins(refund_rule):
    KeywordTrigger.objects.create(name="Off", keywords="退款", is_active=False, priority=0)
    KeywordTrigger.objects.create(
        name="Faults 故障",
        match=TriggerMatch.REGEX,
        pattern=r"(故障|outage|down)",
        position=0,
        priority=Priority.P0,
    )
    refund_rule.position = 5
    refund_rule.save()
    conversation = ConversationFactory()
    customer_says(conversation, "系统故障了，我要退款")
    ticket = Ticket.objects.get()
    assert ticket.priority == Priority.P0
    assert TicketEvent.objects.get(ticket=ticket, action="triggered").body == "Faults 故障"


def test_agent_messages_and_internal_notes_trigger_nothing(refund_rule):
    conversation = ConversationFactory()
    customer_says(conversation, "refund done?", sender_type="agent")
    customer_says(conversation, "refund", sender_type="agent", is_internal=True)
    customer_says(conversation, "refund", sender_type="customer", is_internal=True)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"match": "regex", "pattern": "(退款"}, "not a valid regular expression"),
        ({"match": "regex", "pattern": "a*"}, "matches an empty message"),
        ({"match": "regex", "pattern": ""}, "Give a regular expression"),
        ({"match": "keywords", "keywords": " ,，\n"}, "Give at least one keyword"),
    ],
)
def test_the_admin_refuses_a_bad_rule_and_saves_nothing(admin_client, fields, error):
    data = {"name": "Bad", "is_active": "on", "position": "0", "priority": "2", **fields}
    data.setdefault("keywords", "")
    data.setdefault("pattern", "")
    response = admin_client.post(
        reverse("admin:tickets_keywordtrigger_add"), data, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200  # the form again, with the error
    assert error in response.content.decode()
    assert not KeywordTrigger.objects.exists()


def test_the_admin_saves_a_good_rule_and_it_applies_at_once(admin_client):
    response = admin_client.post(
        reverse("admin:tickets_keywordtrigger_add"),
        {"name": "Invoices", "is_active": "on", "position": "0", "priority": "2",
         "match": "keywords", "keywords": "发票、invoice", "pattern": ""},
    )  # fmt: skip
    assert response.status_code == 302
    conversation = ConversationFactory()
    customer_says(conversation, "Need an Invoice")
    assert Ticket.objects.get().source == TicketSource.KEYWORD


def test_the_ticket_subject_is_the_message_that_matched_not_the_first_words(refund_rule):
    conversation = ConversationFactory()
    customer_says(conversation, "你好")
    customer_says(conversation, "在吗？")
    customer_says(conversation, "  我要退款，\n订单 A-1001 " + "很长的说明" * 20)
    ticket = Ticket.objects.get()
    assert ticket.subject == ("我要退款， 订单 A-1001 " + "很长的说明" * 20)[:59].rstrip() + "…"
    assert ticket.subject.startswith("我要退款， 订单 A-1001 很长的说明")
    assert len(ticket.subject) == 60
