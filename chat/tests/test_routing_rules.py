"""Routing rules on a new conversation's first routing, and skills in assignment (issue 12),
through the real services and the `message.created` handler after commit."""

import pytest

from chat import services
from chat.assignment import selectors as queue
from chat.assignment import services as assignment
from chat.models import Channel, ContentType, Conversation, Message, SenderType
from chat.tests.factories import ConversationFactory, CustomerFactory
from desk.kernel import realtime
from routing import capacity
from routing.models import AgentProfile
from routing.rule_checks import CHANNEL_CODES
from routing.tests.factories import (
    AgentProfileFactory,
    AgentSkillFactory,
    RoutingRuleFactory,
    SkillFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def pushes(monkeypatch):
    sent: list[tuple[list[str], dict]] = []
    monkeypatch.setattr(realtime, "send_now", lambda groups, event: sent.append((groups, event)))
    return sent


@pytest.fixture
def sales():
    return TeamFactory(name="Sales")


def online(team, name, **extra) -> AgentProfile:
    return AgentProfileFactory(user__username=name, presence="online", teams=[team], **extra)


def skilled(profile: AgentProfile, skill, level: int) -> AgentProfile:
    AgentSkillFactory(agent=profile, skill=skill, level=level)
    return profile


def new_chat(team, body: str = "hello", **extra) -> Conversation:
    conversation = ConversationFactory(team=team, **extra)
    services.message_create(conversation=conversation, sender_type=SenderType.CUSTOMER, body=body)
    conversation.refresh_from_db()
    return conversation


def timeline_events(conversation: Conversation) -> list[Message]:
    return list(
        Message.objects.filter(
            conversation=conversation, content_type=ContentType.EVENT, is_internal=True
        ).order_by("seq")
    )


def test_routings_channel_codes_are_chats_channels():
    assert set(CHANNEL_CODES) == set(Channel.values)


def test_a_refund_request_lands_in_the_finance_team_with_its_agent_and_the_timeline_row(
    sales, settings
):
    settings.LANGUAGE_CODE = "en"  # the timeline row is written in the site's language
    finance = TeamFactory(name="财务组")
    online(sales, "sales1")
    accountant = online(finance, "finance1")
    rule = RoutingRuleFactory(name="退款", keywords=["退款"], team=finance, priority=1)

    conversation = new_chat(sales, body="你好，我要退款")

    assert (conversation.team_id, conversation.routing_rule_id) == (finance.pk, rule.pk)
    assert conversation.assignee_id == accountant.user_id
    assert conversation.priority == 1
    assert conversation.rules_checked_at is not None
    decision, assigned = timeline_events(conversation)
    assert decision.body == "Routing rule “退款” → team 财务组, P1"
    assert decision.payload["event"] == "conversation.routing_rule"
    assert (decision.payload["rule"], decision.payload["team"]) == ("退款", "财务组")
    assert decision.payload["priority"] == 1
    assert assigned.payload["event"] == "conversation.assignee"


def test_a_vip_customer_goes_to_the_gold_team(sales):
    gold = TeamFactory(name="金牌客服组")
    vip_agent = online(gold, "gold1")
    online(sales, "sales2")
    RoutingRuleFactory(name="VIP", min_vip_level=3, team=gold, position=1)
    RoutingRuleFactory(name="Refund", keywords=["退款"], team=sales, position=2)

    conversation = new_chat(sales, customer=CustomerFactory(vip_level=5), body="我要退款")
    plain = new_chat(sales, customer=CustomerFactory(vip_level=1), body="hello")

    assert (conversation.team_id, conversation.assignee_id) == (gold.pk, vip_agent.user_id)
    assert "VIP" in timeline_events(conversation)[0].body
    assert (plain.team_id, plain.routing_rule_id) == (sales.pk, None)
    assert [m.payload["event"] for m in timeline_events(plain)] == ["conversation.assignee"]


def test_the_rules_run_once_before_the_first_routing(sales):
    conversation = new_chat(sales)  # nobody online: queued, rules checked (none)
    RoutingRuleFactory(name="Late", keywords=["again"], team=TeamFactory(name="Other"))

    services.message_create(
        conversation=conversation, sender_type=SenderType.CUSTOMER, body="again"
    )

    conversation.refresh_from_db()
    assert (conversation.team_id, conversation.routing_rule_id) == (sales.pk, None)
    assert conversation.queued_at is not None


def test_a_chat_needing_a_skill_goes_to_the_agent_with_it(sales, settings):
    settings.LANGUAGE_CODE = "en"
    english = SkillFactory(name="English")
    online(sales, "plain1")  # less busy, but no English
    speaker = skilled(online(sales, "english1", active_chats=2), english, 3)
    RoutingRuleFactory(name="English", languages=["en"], team=sales, skill=english)

    conversation = new_chat(sales, body="Hello, where is my order?")

    assert conversation.required_skill_id == english.pk
    assert conversation.assignee_id == speaker.user_id
    assert timeline_events(conversation)[0].body == (
        "Routing rule “English” → team Sales, skill English ≥ 1"
    )


def test_the_higher_skill_level_wins_a_tie_and_the_lower_busy_one_waits(sales):
    english = SkillFactory(name="English")
    skilled(online(sales, "level2"), english, 2)
    best = skilled(online(sales, "level4"), english, 4)
    too_low = skilled(online(sales, "level1"), english, 1)
    RoutingRuleFactory(name="English", languages=["en"], team=sales, skill=english,
                       min_skill_level=2)  # fmt: skip

    conversation = new_chat(sales, body="Hello there")

    assert conversation.assignee_id == best.user_id
    too_low.refresh_from_db()
    assert too_low.active_chats == 0


def test_without_a_required_skill_levels_do_not_matter(sales):
    english = SkillFactory(name="English")
    first = online(sales, "a-novice")
    skilled(online(sales, "b-expert"), english, 5)

    assert capacity.agent_claim(team=sales).pk == first.pk  # least busy, then id


def test_nobody_with_the_skill_the_chat_waits_in_the_queue(sales):
    english = SkillFactory(name="English")
    plain = online(sales, "plain2")
    RoutingRuleFactory(name="English", languages=["en"], team=sales, skill=english)

    conversation = new_chat(sales, body="Hello, anyone?")

    assert conversation.assignee_id is None and conversation.queued_at is not None
    assert queue.queue_place(conversation).agents_online is False  # nobody who can take it
    # a chat that needs no skill still goes to the free agent: the skill head holds nothing up
    chinese = new_chat(sales, body="你好")
    assert chinese.assignee_id == plain.user_id
    # an English speaker comes online: the drain gives them the waiting chat
    speaker = skilled(online(sales, "english2"), english, 3)
    assert assignment.queue_drain() == 1
    conversation.refresh_from_db()
    assert conversation.assignee_id == speaker.user_id


def test_a_skill_head_does_not_hold_up_its_team_in_a_drain(sales):
    english = SkillFactory(name="English")
    waiting_for_skill = ConversationFactory(team=sales, required_skill=english, priority=0)
    plain = ConversationFactory(team=sales, priority=2)
    agent = online(sales, "plain3")

    assert assignment.queue_drain() == 1

    waiting_for_skill.refresh_from_db()
    plain.refresh_from_db()
    assert (waiting_for_skill.assignee_id, plain.assignee_id) == (None, agent.user_id)


def test_a_transfer_to_another_team_drops_the_skill_the_rule_asked_for(sales):
    from chat.assignment.transfer import conversation_transfer

    english = SkillFactory(name="English")
    support = TeamFactory(name="Support")
    RoutingRuleFactory(name="English", languages=["en"], team=sales, skill=english)
    conversation = new_chat(sales, body="Hello?")  # nobody with English: waits
    assert conversation.required_skill_id == english.pk
    helper = online(support, "support1")

    conversation_transfer(actor=helper.user, conversation=conversation, team=support)

    conversation.refresh_from_db()
    assert (conversation.required_skill_id, conversation.assignee_id) == (None, helper.user_id)
