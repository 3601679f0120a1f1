"""What a change made by an automation rule carries through the ticket services: the rule's name
for the timeline, and the root of its chain for the domain events it records.

The root is the event a person's change recorded (or, for a time rule, its firing): every rule
fires at most once per ticket per root (`RuleExecution` is unique on it), so the events a rule's
own changes record can trigger other rules but never the same rule again — rules cannot loop.
`MAX_DEPTH` bounds the chain whatever the rules say."""

from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 5


@dataclass(frozen=True)
class RuleOrigin:
    rule_id: int
    rule_name: str
    root: int  # the root event's id; a time rule's firing: minus its execution's id
    depth: int = 1  # how many rules led to this change, this one included

    def payload(self) -> dict[str, Any]:
        """The `automation` entry of the domain events the change records."""
        return {
            "rule_id": self.rule_id,
            "rule_name": self.rule_name,
            "root": self.root,
            "depth": self.depth,
        }


def root_of(event_id: int, payload: dict[str, Any]) -> tuple[int, int]:
    """(root, depth) of the chain an event belongs to: its own id and 0 when a person (or the
    system, not a rule) caused it."""
    automation = payload.get("automation")
    if isinstance(automation, dict):
        root, depth = automation.get("root"), automation.get("depth")
        if isinstance(root, int) and isinstance(depth, int):
            return root, depth
    return event_id, 0
