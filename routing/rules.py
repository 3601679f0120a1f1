"""Routing rules: which rule a new conversation or ticket matches (issue 12).

The callers (chat/assignment/rules.py for a conversation's first routing, tickets/routing.py for a
new ticket without an assignee) gather the facts into a `RuleFacts`; `rule_match` returns the
first active rule in position order whose conditions all hold. Nothing here writes.
"""

import datetime
import zoneinfo
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.utils import timezone

from routing.models import RoutingRule, RuleAppliesTo, RuleHours

CONVERSATIONS = RuleAppliesTo.CONVERSATIONS
TICKETS = RuleAppliesTo.TICKETS


@dataclass(frozen=True)
class RuleFacts:
    """What the rules look at, gathered by the caller."""

    kind: str  # RuleAppliesTo.CONVERSATIONS or .TICKETS
    channel: str = ""
    site_key: str = ""
    site_name: str = ""
    vip_level: int = 0
    attributes: Mapping[str, object] = field(default_factory=dict)
    text: str = ""  # the first customer message; a ticket's subject and description
    categories: Sequence[str] = ()
    language: str = ""  # zh, en, … (`text_language`, else the customer's)
    at: datetime.datetime | None = None  # now, unless given


# ---- the hook for detected categories ---------------------------------------------------------

CategoryDetector = Callable[[str], Iterable[str]]
_detectors: list[CategoryDetector] = []


def category_detector_register(detector: CategoryDetector) -> None:
    """A classifier (issue 13) that names categories for a text registers here from its app's
    `ready()`; a conversation's facts then carry what it detects, and category rules match."""
    if detector not in _detectors:
        _detectors.append(detector)


def categories_detected(text: str) -> list[str]:
    found: list[str] = []
    for detector in _detectors:
        found += [name for name in detector(text) if name not in found]
    return found


# ---- language ---------------------------------------------------------------------------------


def _script(char: str) -> str:
    code = ord(char)
    if 0x3040 <= code <= 0x30FF:
        return "ja"  # kana
    if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF:
        return "ko"  # hangul
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF:
        return "han"
    if char.isascii() and char.isalpha():
        return "latin"
    return ""


def text_language(text: str) -> str:
    """A cheap guess from the scripts of the letters: kana → ja, hangul → ko, a third or more Han
    characters → zh, else mostly Latin → en; "" when there are no letters to tell."""
    counts = {"ja": 0, "ko": 0, "han": 0, "latin": 0}
    for char in text[:500]:
        script = _script(char)
        if script:
            counts[script] += 1
    letters = sum(counts.values())
    if not letters:
        return ""
    if counts["ja"]:
        return "ja"
    if counts["ko"] * 3 >= letters:
        return "ko"
    # A Chinese character carries a word; Latin letters are counted one by one.
    if counts["han"] * 3 >= counts["han"] + counts["latin"] / 4:
        return "zh"
    return "en" if counts["latin"] else ""


def language_of(text: str, fallback: str = "") -> str:
    """The text's language, else the customer's (`zh-hans` → `zh`, `en-US` → `en`)."""
    return text_language(text) or fallback.lower().replace("_", "-").split("-")[0]


# ---- matching -------------------------------------------------------------------------------


def in_hours(rule: RoutingRule, at: datetime.datetime) -> bool:
    local = at.astimezone(zoneinfo.ZoneInfo(rule.timezone))
    if rule.start_time is None or rule.end_time is None:
        return False
    return (
        local.weekday() in (rule.weekdays or [])
        and rule.start_time <= local.time().replace(tzinfo=None) < rule.end_time
    )


def rule_matches(rule: RoutingRule, facts: RuleFacts) -> bool:
    """Every condition the rule gives holds for the facts."""
    if rule.channels and facts.channel not in rule.channels:
        return False
    if rule.site and rule.site.strip().lower() not in {
        facts.site_key.lower(),
        facts.site_name.strip().lower(),
    }:
        return False
    if rule.min_vip_level is not None and facts.vip_level < rule.min_vip_level:
        return False
    attributes = facts.attributes or {}
    for key, value in (rule.customer_attributes or {}).items():
        if key not in attributes or attributes[key] != value:
            return False
    if rule.keywords:
        text = facts.text.casefold()
        if not any(word.strip().casefold() in text for word in rule.keywords if word.strip()):
            return False
    if rule.categories:
        wanted = {name.strip().casefold() for name in rule.categories}
        if not wanted & {name.strip().casefold() for name in facts.categories}:
            return False
    if rule.languages and facts.language not in rule.languages:
        return False
    if rule.hours != RuleHours.ANY:
        inside = in_hours(rule, facts.at or timezone.now())
        if inside != (rule.hours == RuleHours.INSIDE):
            return False
    return True


def rules_active(kind: str) -> list[RoutingRule]:
    """The active rules for conversations or tickets, in the order they are tried."""
    return list(
        RoutingRule.objects.filter(is_active=True, applies_to__in=[kind, RuleAppliesTo.BOTH])
        .select_related("team", "skill")
        .order_by("position", "pk")
    )


def rule_match(facts: RuleFacts, rules: Iterable[RoutingRule] | None = None) -> RoutingRule | None:
    """The first rule (default: the active ones for `facts.kind`, in position order) whose
    conditions all hold, or None."""
    for rule in rules_active(facts.kind) if rules is None else rules:
        if rule_matches(rule, facts):
            return rule
    return None
