"""A waiting conversation's SLA countdown as chat shows it, and what the tickets layer adds.

The first-response clock of a wait lives on the conversation row (`sla_started_at`,
`sla_due_at`, `sla_warn_at`), set and cleared by the tickets layer after commit
(tickets/sla/conversations.py). Every conversation summary carries the clock from those fields
alone, so the message path reads nothing more (chat/tests/test_message_path.py). The business-time
part (`left_seconds`, `open_spans`: the policy's calendar) belongs to tickets, which chat may not
import (CONTRIBUTING.md, "Layers"): tickets registers a function from its `AppConfig.ready()`
that gives the full clocks of a page of conversations, and the inbox list uses it.
"""

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.utils import timezone

from chat.models import Conversation, ConversationStatus

FIRST_RESPONSE = "first_response"

Clocks = Callable[[Sequence[Conversation]], dict[int, dict[str, Any]]]
_clocks: list[Clocks] = []


def clocks_register(build: Clocks) -> None:
    """The one function that gives full clocks (registering again replaces it)."""
    _clocks[:] = [build]


def clocks_for(conversations: Sequence[Conversation]) -> dict[int, dict[str, Any]]:
    """The full clocks of the conversations that have one, by id ({} when nobody registered)."""
    running = [conv for conv in conversations if conversation_sla_json(conv) is not None]
    if not running or not _clocks:
        return {}
    return _clocks[0](running)


def conversation_sla_json(
    conversation: Conversation, now: datetime | None = None
) -> dict[str, Any] | None:
    """The first-response clock of the current wait from the row alone (no business time), or
    None while nobody waits, without a policy, or once closed."""
    due = conversation.sla_due_at
    if due is None or conversation.status == ConversationStatus.CLOSED:
        return None
    now = now or timezone.now()
    warn = conversation.sla_warn_at
    return {
        "target": FIRST_RESPONSE,
        "due_at": due.isoformat(),
        "warn_at": warn.isoformat() if warn else None,
        "paused_at": None,
        "risk": sla_risk(due_at=due, warn_at=warn, paused_at=None, now=now),
        "as_of": now.isoformat(),
    }


def sla_risk(
    *, due_at: datetime, warn_at: datetime | None, paused_at: datetime | None, now: datetime
) -> str:
    """`breached`, `at_risk` or `on_track` as of `now`, or as of the moment a paused clock
    stopped: the one rule of every SLA clock, a chat's or a ticket's (tickets.sla.display), and
    of the Tickets list's filter (`tickets.listing.selectors.with_sla_risk`)."""
    moment = paused_at or now
    if due_at <= moment:
        return "breached"
    if warn_at is not None and warn_at <= moment:
        return "at_risk"
    return "on_track"
