"""What a ticket field edit writes on its timeline, and the edits that are more than a setattr:
tags (the set of names is replaced) and custom fields (a patch merged into the stored dict).

`tickets.services.apply_changes` is the one caller that writes: it asks `field_events` which
timeline rows a change makes, and `tags_replace` / `CustomFieldsPatch` for the two special fields.
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from tickets.errors import TicketError
from tickets.models import Tag, Ticket, TicketEvent, TicketEventKind, TicketSystemAction

TAG_NAME_MAX = Tag._meta.get_field("name").max_length
CUSTOM_FIELDS_MAX = 30
CUSTOM_FIELD_KEY_MAX = 50
CUSTOM_FIELD_VALUE_MAX = 500
EVENT_VALUE_MAX = TicketEvent._meta.get_field("old_value").max_length

# Fields whose change goes on the timeline: the event kind, and the action of `system` events.
TRACKED_FIELDS: dict[str, tuple[str, str]] = {
    "status": (TicketEventKind.STATUS, ""),
    "priority": (TicketEventKind.PRIORITY, ""),
    "assignee": (TicketEventKind.ASSIGNMENT, ""),
    "team": (TicketEventKind.SYSTEM, TicketSystemAction.TEAM_CHANGED),
    "category": (TicketEventKind.SYSTEM, TicketSystemAction.CATEGORY_CHANGED),
    "subject": (TicketEventKind.SYSTEM, TicketSystemAction.SUBJECT_CHANGED),
}


@dataclass(frozen=True)
class FieldEvent:
    """One timeline row a change makes (written by `tickets.services.apply_changes`)."""

    kind: str
    old_value: str = ""
    new_value: str = ""
    action: str = ""
    body: str = ""  # the key, for a custom field change


def event_text(value: Any) -> str:
    """A value as the timeline stores it: agents by username, JSON for non-strings, cut short."""
    if value is None:
        return ""
    if hasattr(value, "get_username"):
        text = value.get_username()
    elif isinstance(value, str):
        text = value
    elif isinstance(value, bool | int | float | list | dict):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    return text if len(text) <= EVENT_VALUE_MAX else text[: EVENT_VALUE_MAX - 1] + "…"


def same_value(old: Any, new: Any) -> bool:
    """Equal and of the same JSON type (`1`, `1.0` and `true` differ in a custom field)."""
    if isinstance(old, dict | list) or isinstance(new, dict | list):
        return json.dumps(old, sort_keys=True) == json.dumps(new, sort_keys=True)
    return type(old) is type(new) and old == new


def field_events(name: str, old: Any, new: Any) -> list[FieldEvent]:
    """The timeline rows of one field going from `old` to `new` (none for untracked fields)."""
    if name == "custom_fields":
        return custom_field_events(old or {}, new or {})
    if name not in TRACKED_FIELDS:
        return []
    kind, action = TRACKED_FIELDS[name]
    return [FieldEvent(kind, event_text(old), event_text(new), action)]


def custom_field_events(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[FieldEvent]:
    """One `field_changed` row per key set, changed or removed (the key in `body`)."""
    events = []
    for key in dict.fromkeys([*old, *new]):
        if key in old and key in new and same_value(old[key], new[key]):
            continue
        events.append(
            FieldEvent(
                TicketEventKind.SYSTEM,
                event_text(old.get(key)),
                event_text(new.get(key)),
                TicketSystemAction.FIELD_CHANGED,
                body=str(key),
            )
        )
    return events


@dataclass(frozen=True)
class CustomFieldsPatch:
    """Custom field changes to merge into the stored ones under the ticket's lock; a `None`
    value removes its key. (A plain dict in `changes` replaces them all, as the admin does.)"""

    values: Mapping[str, Any]

    def applied_to(self, current: Mapping[str, Any]) -> dict[str, Any]:
        merged = dict(current)
        for key, value in self.values.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        if len(merged) > CUSTOM_FIELDS_MAX and len(merged) > len(current):
            raise TicketError(
                "too_many_fields",
                _("A ticket has at most %(n)s custom fields.") % {"n": CUSTOM_FIELDS_MAX},
            )
        return merged


def tag_name(name: str) -> str:
    """The name trimmed; refused when empty or too long."""
    name = name.strip()
    if not name:
        raise TicketError("empty_tag", _("The tag is empty."))
    if len(name) > TAG_NAME_MAX:
        raise TicketError(
            "tag_too_long", _("A tag has at most %(n)s characters.") % {"n": TAG_NAME_MAX}
        )
    return name


def tags_replace(ticket: Ticket, names: Iterable[str | Tag]) -> list[FieldEvent]:
    """Give a locked ticket exactly these tags (created if new): a `tagged` row per tag added,
    a `tag_removed` row per tag taken off."""
    wanted = list(dict.fromkeys(tag_name(getattr(name, "name", name)) for name in names))
    current = {tag.name: tag for tag in ticket.tags.all()}
    removed = [tag for name, tag in current.items() if name not in wanted]
    added = [Tag.objects.get_or_create(name=name)[0] for name in wanted if name not in current]
    if removed:
        ticket.tags.remove(*removed)
    if added:
        ticket.tags.add(*added)
    system = TicketEventKind.SYSTEM
    return [
        *(FieldEvent(system, t.name, "", TicketSystemAction.TAG_REMOVED) for t in removed),
        *(FieldEvent(system, "", t.name, TicketSystemAction.TAGGED) for t in added),
    ]
