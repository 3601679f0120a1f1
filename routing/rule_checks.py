"""What a routing rule may say: the codes it may name and the checks its model and its API share.

Routing sits below chat, so it cannot import chat's `Channel`: the codes are listed here and
chat/tests/test_routing_rules.py proves they equal `chat.models.Channel`.
"""

import zoneinfo
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from desk.kernel.choices import Priority

CHANNEL_CHOICES = [
    ("web", gettext_lazy("Web widget")),
    ("app", gettext_lazy("Mobile app")),
    ("wechat", gettext_lazy("WeChat")),
    ("whatsapp", gettext_lazy("WhatsApp")),
    ("telegram", gettext_lazy("Telegram")),
    ("email", gettext_lazy("Email")),
]
CHANNEL_CODES = tuple(code for code, _label in CHANNEL_CHOICES)
LANGUAGE_CHOICES = [
    ("zh", gettext_lazy("Chinese")),
    ("en", gettext_lazy("English")),
    ("ja", gettext_lazy("Japanese")),
    ("ko", gettext_lazy("Korean")),
]
LANGUAGE_CODES = tuple(code for code, _label in LANGUAGE_CHOICES)
WEEKDAYS = tuple(range(7))  # Monday = 0, as datetime.weekday()
MAX_KEYWORDS = 50
MAX_KEYWORD_LENGTH = 50
MAX_CATEGORIES = 50
MAX_CATEGORY_LENGTH = 100
MAX_ATTRIBUTES = 20


def _strings(
    value: Any, *, most: int, longest: int, known: tuple[str, ...] | None = None
) -> list[str]:
    """The problems of a list of strings (empty: none)."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return [_("Give a list of texts.")]
    problems = []
    if len(value) > most:
        problems.append(_("At most %(count)d entries.") % {"count": most})
    if any(not item.strip() for item in value):
        problems.append(_("An entry is empty."))
    too_long = [item for item in value if len(item) > longest]
    if too_long:
        problems.append(
            _("“%(item)s” is longer than %(count)d characters.")
            % {"item": too_long[0][:60], "count": longest}
        )
    if known is not None:
        unknown = [item for item in value if item not in known]
        if unknown:
            problems.append(
                _("Unknown: %(items)s. Known: %(known)s.")
                % {"items": ", ".join(unknown[:5]), "known": ", ".join(known)}
            )
    return problems


def _attributes(value: Any) -> list[str]:
    if not isinstance(value, Mapping):
        return [_('Give an object of attribute names and values, e.g. {"plan": "Gold"}.')]
    if len(value) > MAX_ATTRIBUTES:
        return [_("At most %(count)d attributes.") % {"count": MAX_ATTRIBUTES}]
    if any(isinstance(item, dict | list) for item in value.values()):
        return [_("Each value is a text, a number, true, false or null.")]
    return []


def _hours(rule: Any) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not isinstance(rule.timezone, str) or not _zone_known(rule.timezone):
        errors["timezone"] = [_("Unknown time zone; use a name like Asia/Shanghai.")]
    both = rule.start_time is not None and rule.end_time is not None
    if both and rule.start_time >= rule.end_time:
        errors["end_time"] = [_("The end of the hours must be after their start.")]
    if rule.hours == "any":
        return errors
    weekdays = rule.weekdays
    if (
        not isinstance(weekdays, list)
        or not weekdays
        or any(not isinstance(day, int) or isinstance(day, bool) for day in weekdays)
        or not set(weekdays) <= set(WEEKDAYS)
    ):
        errors["weekdays"] = [_("Give at least one weekday, Monday = 0 … Sunday = 6.")]
    if rule.start_time is None:
        errors["start_time"] = [_("Give the start of the hours.")]
    if rule.end_time is None:
        errors["end_time"] = [_("Give the end of the hours.")]
    return errors


def _zone_known(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return bool(name)


def rule_errors(rule: Any) -> dict[str, list[str]]:
    """Field → problems of a routing rule's conditions and targets (empty: it is fine). `rule`
    is a RoutingRule, saved or not; the model's `clean()` and the API's serializer call this."""
    errors: dict[str, list[str]] = {}
    checks = {
        "channels": _strings(rule.channels, most=len(CHANNEL_CODES), longest=16,
                             known=CHANNEL_CODES),
        "languages": _strings(rule.languages, most=len(LANGUAGE_CODES), longest=8,
                              known=LANGUAGE_CODES),
        "keywords": _strings(rule.keywords, most=MAX_KEYWORDS, longest=MAX_KEYWORD_LENGTH),
        "categories": _strings(rule.categories, most=MAX_CATEGORIES,
                               longest=MAX_CATEGORY_LENGTH),
        "customer_attributes": _attributes(rule.customer_attributes),
    }  # fmt: skip
    errors.update({name: problems for name, problems in checks.items() if problems})
    if rule.min_vip_level is not None and not 0 <= rule.min_vip_level <= 9:
        errors["min_vip_level"] = [_("A VIP level is 0-9.")]
    if not isinstance(rule.min_skill_level, int) or not 1 <= rule.min_skill_level <= 5:
        errors["min_skill_level"] = [_("A skill level is 1-5.")]
    if rule.priority is not None and rule.priority not in Priority.values:
        errors["priority"] = [_("Unknown priority; use 0 (P0) to 3 (P3).")]
    if rule.hours not in ("any", "inside", "outside"):
        errors["hours"] = [_("Unknown choice; use any, inside or outside.")]
    errors.update(_hours(rule))
    return errors
