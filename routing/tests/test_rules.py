"""The routing rules' matcher, condition by condition, and their checks (issue 12)."""

import datetime
import zoneinfo

import pytest
from django.core.exceptions import ValidationError

from routing.models import RoutingRule, RuleAppliesTo, RuleHours
from routing.rules import (
    RuleFacts,
    categories_detected,
    category_detector_register,
    language_of,
    rule_match,
    rule_matches,
    text_language,
)
from routing.tests.factories import RoutingRuleFactory, SkillFactory, TeamFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def rule(**conditions) -> RoutingRule:
    """An unsaved rule: the matcher needs no database."""
    return RoutingRule(name="r", team_id=1, **conditions)


def facts(**given) -> RuleFacts:
    return RuleFacts(kind=RuleAppliesTo.CONVERSATIONS, **given)


def test_a_rule_without_conditions_matches_everything():
    assert rule_matches(rule(), facts())


@pytest.mark.parametrize(
    "conditions,yes,no",
    [
        ({"channels": ["wechat", "app"]}, {"channel": "wechat"}, {"channel": "web"}),
        ({"site": "shop-cn"}, {"site_key": "shop-cn"}, {"site_key": "shop-en"}),
        ({"site": "商城 Shop"}, {"site_name": "商城 shop"}, {"site_name": "Blog"}),
        ({"min_vip_level": 3}, {"vip_level": 3}, {"vip_level": 2}),
        (
            {"customer_attributes": {"plan": "Gold", "region": "EU"}},
            {"attributes": {"plan": "Gold", "region": "EU", "x": 1}},
            {"attributes": {"plan": "Gold"}},
        ),
        ({"keywords": ["退款", "Refund"]}, {"text": "我要申请退款"}, {"text": "我要换货"}),
        ({"keywords": ["退款", "Refund"]}, {"text": "a REFUND please"}, {"text": "hello"}),
        ({"categories": ["售后 After-sales"]}, {"categories": ["售后 after-sales"]}, {}),
        ({"languages": ["en"]}, {"language": "en"}, {"language": "zh"}),
    ],
)
def test_each_condition_holds_or_not(conditions, yes, no):
    assert rule_matches(rule(**conditions), facts(**yes))
    assert not rule_matches(rule(**conditions), facts(**no))


def hours_rule(**extra) -> RoutingRule:
    return rule(
        hours=RuleHours.INSIDE,
        weekdays=[0, 1, 2, 3, 4],
        start_time=datetime.time(9),
        end_time=datetime.time(18),
        timezone="Asia/Shanghai",
        **extra,
    )


def test_business_hours_are_read_in_the_rules_time_zone():
    inside = hours_rule()
    # Monday 2026-12-07 10:00 in Shanghai is 03:00 in Berlin: inside the Shanghai hours.
    at = datetime.datetime(2026, 12, 7, 3, 0, tzinfo=BERLIN)
    assert rule_matches(inside, facts(at=at))
    # 19:00 Shanghai (12:00 Berlin) is outside, however it looks in Berlin.
    assert not rule_matches(inside, facts(at=datetime.datetime(2026, 12, 7, 12, tzinfo=BERLIN)))
    # Saturday in Shanghai while it is still Friday in Berlin.
    friday_night_berlin = datetime.datetime(2026, 12, 11, 18, 30, tzinfo=BERLIN)
    assert friday_night_berlin.astimezone(SHANGHAI).weekday() == 5
    assert not rule_matches(inside, facts(at=friday_night_berlin))
    outside = rule(
        hours=RuleHours.OUTSIDE,
        weekdays=[0, 1, 2, 3, 4],
        start_time=datetime.time(9),
        end_time=datetime.time(18),
        timezone="Asia/Shanghai",
    )
    assert rule_matches(outside, facts(at=friday_night_berlin))
    assert not rule_matches(outside, facts(at=at))


def test_the_end_of_the_hours_is_not_inside():
    at = datetime.datetime(2026, 12, 7, 18, 0, tzinfo=SHANGHAI)
    assert not rule_matches(hours_rule(), facts(at=at))
    assert rule_matches(hours_rule(), facts(at=at - datetime.timedelta(seconds=1)))


def test_all_given_conditions_must_hold():
    vip_refund = rule(min_vip_level=5, keywords=["退款"])
    assert rule_matches(vip_refund, facts(vip_level=6, text="退款"))
    assert not rule_matches(vip_refund, facts(vip_level=6, text="换货"))
    assert not rule_matches(vip_refund, facts(vip_level=1, text="退款"))


@pytest.mark.parametrize(
    "text,language",
    [
        ("我要申请退款", "zh"),
        ("iPhone 屏幕坏了", "zh"),
        ("Hello, my order has not arrived", "en"),
        ("注文がまだ届きません", "ja"),
        ("주문이 도착하지 않았어요", "ko"),
        ("123 !!!", ""),
    ],
)
def test_the_language_is_guessed_from_the_script(text, language):
    assert text_language(text) == language


def test_without_letters_the_customers_language_decides():
    assert language_of("👍", "zh-hans") == "zh"
    assert language_of("👍", "en-US") == "en"
    assert language_of("hello", "zh-hans") == "en"


def test_detected_categories_come_from_registered_detectors(monkeypatch):
    import routing.rules

    monkeypatch.setattr(routing.rules, "_detectors", [])
    category_detector_register(lambda text: ["物流 Shipping"] if "快递" in text else [])
    assert categories_detected("我的快递到哪了") == ["物流 Shipping"]
    assert categories_detected("hello") == []


@pytest.mark.django_db
def test_the_first_active_matching_rule_in_position_order_wins():
    vip = RoutingRuleFactory(name="VIP", position=20, min_vip_level=5)
    refund = RoutingRuleFactory(name="Refund", position=10, keywords=["退款"])
    RoutingRuleFactory(name="Off", position=1, is_active=False)
    RoutingRuleFactory(name="Tickets", position=2, applies_to=RuleAppliesTo.TICKETS)
    catch_all = RoutingRuleFactory(name="All", position=30)

    assert rule_match(facts(vip_level=9, text="我要退款")) == refund
    assert rule_match(facts(vip_level=9, text="hi")) == vip
    assert rule_match(facts(text="hi")) == catch_all
    tickets = RuleFacts(kind=RuleAppliesTo.TICKETS)
    assert rule_match(tickets).name == "Tickets"
    RoutingRule.objects.filter(pk=catch_all.pk).update(applies_to=RuleAppliesTo.BOTH)
    RoutingRule.objects.filter(name="Tickets").update(is_active=False)
    assert rule_match(tickets) == catch_all


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field,value",
    [
        ("channels", ["fax"]),
        ("languages", ["klingon"]),
        ("keywords", ["x"] * 51),
        ("keywords", ["x" * 51]),
        ("keywords", [""]),
        ("timezone", "Mars/Olympus"),
        ("min_vip_level", 10),
        ("customer_attributes", ["plan"]),
    ],
)
def test_clean_refuses_what_cannot_match(field, value):
    bad = RoutingRule(name="bad", team=TeamFactory(), **{field: value})
    with pytest.raises(ValidationError) as refused:
        bad.full_clean()
    assert field in refused.value.message_dict


@pytest.mark.django_db
def test_clean_refuses_hours_that_end_before_they_start_and_a_level_over_5():
    bad = RoutingRule(
        name="bad",
        team=TeamFactory(),
        skill=SkillFactory(),
        min_skill_level=6,
        hours=RuleHours.INSIDE,
        start_time=datetime.time(18),
        end_time=datetime.time(9),
    )
    with pytest.raises(ValidationError) as refused:
        bad.full_clean()
    assert set(refused.value.message_dict) == {"end_time", "min_skill_level"}
