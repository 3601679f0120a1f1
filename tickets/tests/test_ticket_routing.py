"""Routing rules give a new ticket nobody has its team and assignee (issue 12), through the
`ticket.created` handler after commit."""

import pytest

from chat.tests.factories import ConversationFactory, CustomerFactory
from routing.models import RuleAppliesTo
from routing.tests.factories import (
    AgentProfileFactory,
    AgentSkillFactory,
    RoutingRuleFactory,
    SkillFactory,
    TeamFactory,
)
from tickets.models import Ticket, TicketEvent, TicketEventKind
from tickets.routing import ticket_rules_apply
from tickets.services import TicketData, ticket_create
from tickets.tests.factories import CategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def finance():
    return TeamFactory(name="财务组")


def agent(team, name, presence="online"):
    return AgentProfileFactory(user__username=name, presence=presence, teams=[team])


def new_ticket(subject: str, **data) -> Ticket:
    customer = data.pop("requester", None) or CustomerFactory()
    ticket = ticket_create(actor=None, requester=customer, data=TicketData(subject=subject, **data))
    ticket.refresh_from_db()
    return ticket


def test_a_refund_ticket_goes_to_the_finance_agent_with_the_fewest_open_tickets(finance, settings):
    settings.LANGUAGE_CODE = "en"
    busy = agent(finance, "busy")
    TicketFactory(assignee=busy.user, status="open")
    free = agent(finance, "free")
    agent(finance, "away", presence="offline")
    RoutingRuleFactory(name="退款", keywords=["退款"], team=finance,
                       applies_to=RuleAppliesTo.TICKETS)  # fmt: skip

    ticket = new_ticket("申请退款", description="订单 SO-1")

    assert (ticket.team_id, ticket.assignee_id) == (finance.pk, free.user_id)
    rows = TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.SYSTEM, action="")
    assert [row.body for row in rows] == ["Routing rule “退款” → team 财务组"]
    assert TicketEvent.objects.filter(
        ticket=ticket, kind=TicketEventKind.ASSIGNMENT, new_value="free"
    ).exists()


def test_a_ticket_keeps_its_team_and_a_conversation_only_rule_does_not_apply(finance):
    support = TeamFactory(name="Support")
    helper = agent(support, "helper")
    agent(finance, "accountant")
    RoutingRuleFactory(name="chat only", keywords=["退款"], team=finance)  # conversations
    RoutingRuleFactory(name="both", keywords=["退款"], team=finance, position=999,
                       applies_to=RuleAppliesTo.BOTH)  # fmt: skip

    ticket = new_ticket("退款", team=support)

    assert (ticket.team_id, ticket.assignee_id) == (support.pk, helper.user_id)


def test_category_vip_and_skill_pick_the_rule_and_the_agent():
    gold = TeamFactory(name="金牌客服组")
    english = SkillFactory(name="English")
    agent(gold, "no-english")
    AgentSkillFactory(agent=agent(gold, "english-2"), skill=english, level=2)
    best = agent(gold, "english-5")
    AgentSkillFactory(agent=best, skill=english, level=5)
    invoices = CategoryFactory(name="发票 Invoice")
    RoutingRuleFactory(name="VIP invoices", categories=["发票 Invoice"], min_vip_level=3,
                       team=gold, skill=english, min_skill_level=2,
                       applies_to=RuleAppliesTo.TICKETS)  # fmt: skip

    vip = new_ticket("Invoice please", category=invoices, requester=CustomerFactory(vip_level=4))
    plain = new_ticket("Invoice please", category=invoices, requester=CustomerFactory())

    assert (vip.team_id, vip.assignee_id) == (gold.pk, best.user_id)
    assert (plain.team_id, plain.assignee_id) == (None, None)


def test_a_ticket_with_an_assignee_or_run_twice_is_left_alone(finance):
    accountant = agent(finance, "acc")
    other = agent(TeamFactory(name="Other"), "other")
    rule = RoutingRuleFactory(keywords=["退款"], team=finance, applies_to=RuleAppliesTo.BOTH)

    mine = new_ticket("退款", assignee=other.user)
    ticket = new_ticket("退款")

    assert mine.assignee_id == other.user_id
    assert ticket.assignee_id == accountant.user_id
    assert ticket_rules_apply(ticket_id=ticket.pk) is None  # assigned now: nothing again
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.SYSTEM,
                                      body__contains=rule.name).count() == 1  # fmt: skip


def test_a_channel_rule_reads_the_tickets_conversation(finance):
    accountant = agent(finance, "wx")
    RoutingRuleFactory(channels=["wechat"], team=finance, applies_to=RuleAppliesTo.TICKETS)
    chat = ConversationFactory(channel="wechat")

    from_wechat = ticket_create(
        actor=None, requester=chat.customer, data=TicketData(subject="help"), conversation=chat
    )
    from_mail = new_ticket("help")

    from_wechat.refresh_from_db()
    assert from_wechat.assignee_id == accountant.user_id
    assert from_mail.assignee_id is None
