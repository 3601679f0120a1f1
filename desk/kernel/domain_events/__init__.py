"""Domain events: a change others react to is recorded as a typed event in the same transaction
(an outbox row) and handed to its handlers after commit.

    from desk.kernel import domain_events

    with transaction.atomic():
        ...  # the change itself
        domain_events.record(
            "message.created", conversation_id=conv.pk, message_id=msg.pk,
            payload={"sender_type": "customer", "seq": 3},
        )

- `EVENT_TYPES` below is the catalogue: every type that may be recorded, with one line on what it
  means. `record()` refuses any other type.
- Handlers are plain functions `handler(event: Event) -> None`, registered in one place:
  `desk/event_handlers.py` (`HANDLERS`, dotted paths per type), found through
  `settings.DOMAIN_EVENT_HANDLERS`. No Django signals.
- After commit a Celery task (`desk.kernel.tasks.domain_events_drain`) takes every new event,
  in batches claimed with one conditional UPDATE, until none is left. A commit queues it only
  when none is queued already (a Redis `SET NX` key, `DOMAIN_EVENT_WAKE_KEY`), so under load one
  task handles many commits' events instead of a task per commit. Each handler runs in its own
  transaction together with a `HandledEvent` marker (unique per event and handler), so a second
  dispatch of the same event skips what is already done: at least once, with its database
  effect once.
- A failing handler is logged with the event id and retried with exponential backoff
  (`DOMAIN_EVENT_RETRY_SECONDS` doubling up to `DOMAIN_EVENT_RETRY_MAX_SECONDS`); the others run
  anyway. After `DOMAIN_EVENT_MAX_ATTEMPTS` failed rounds the event stays failed (logged as an
  error, listed in the admin under "Domain events").
- A beat sweep (every `DOMAIN_EVENT_SWEEP_SECONDS`) re-dispatches events not done whose due time
  has come: a process that died between commit and handling, a retry. `record()` makes the first
  due time `DOMAIN_EVENT_SWEEP_AFTER_SECONDS` after creation so the sweep does not race the
  immediate dispatch. Done events are pruned after `DOMAIN_EVENT_KEEP_DAYS` days.

What a handler pushes through `desk.kernel.realtime` (or any `transaction.on_commit`) goes out
only when its transaction commits, and the marker commits with it: a re-dispatch repeats nothing.
A handler that reaches outside directly (an HTTP call) may repeat it and must make it idempotent.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from desk.kernel.domain_events.models import OutboxEvent

# The catalogue: type -> what happened. Add a type here before recording it.
EVENT_TYPES: dict[str, str] = {
    "message.created": (
        "A message was stored (any sender, internal notes included); ids: conversation, message; "
        "payload: sender_type, is_internal, seq, channel, assigned (someone had the conversation)."
    ),
    "agent.presence_changed": (
        "An agent's presence changed (by the agent, a sign-in or the heartbeat sweep); no ids; "
        "payload: user_id, old, new."
    ),
    "conversation.released": (
        "A conversation stopped holding an agent's slot or lost its assignee while open (closed, "
        "unassigned, transferred, reassigned); ids: conversation; payload: agent_id (who held it, "
        "or None), requeue (open and unassigned now: route it again)."
    ),
    "ticket.created": (
        "A ticket was made (any source); ids: ticket, conversation (None without a chat); "
        "payload: source, actor_id, priority, team_id, assignee_id, conversation_assignee_id "
        "(who had the chat then)."
    ),
    "ticket.updated": (
        "Ticket fields changed (by an agent, a rule, a merge or the customer's reopening reply); "
        "ids: ticket, conversation; payload: actor_id, actor_customer_id, fields (every changed "
        "name), changes ({name: {old, new}} for status, priority, assignee, team, category, "
        "requester (ids) and subject)."
    ),
    "ticket.comment_added": (
        "An agent replied on a ticket or wrote an internal note; ids: ticket, conversation, "
        "message (the chat message a public reply became); payload: timeline_event_id (the "
        "TicketEvent row, its body is the text), actor_id, internal, first_response."
    ),
    "ticket.customer_replied": (
        "The customer wrote on a ticket (a reply, or a chat message continuing it); ids: ticket, "
        "conversation, message (None outside the chat); payload: timeline_event_id, customer_id, "
        "assignee_id (who owned the ticket then)."
    ),
    "ticket.sla_warning": (
        "An SLA target of a ticket reached its warning share (the beat sweep, once per timer); "
        "ids: ticket, conversation; payload: target, due_at, assignee_id, team_id, priority."
    ),
    "ticket.sla_breached": (
        "An SLA target of a ticket passed its due time (the beat sweep, once per timer); ids: "
        "ticket, conversation; payload: target, due_at, assignee_id, team_id, priority."
    ),
    "ticket.automation_notice": (
        "An automation rule notifies agents about a ticket (at once, or when the receiving team "
        "opened); ids: ticket, conversation; payload: recipient_ids, text, rule_name."
    ),
    "conversation.sla_warning": (
        "A waiting conversation's first response entered its policy's warning share (the beat "
        "sweep, once per timer); ids: conversation; payload: target, due_at, assignee_id, "
        "team_id, priority."
    ),
    "conversation.sla_breached": (
        "A waiting conversation's first response passed its due time (the beat sweep, once per "
        "timer); ids: conversation; payload: target, due_at, assignee_id, team_id, priority."
    ),
}


@dataclass(frozen=True)
class Event:
    """What a handler receives: a read-only view of the outbox row."""

    id: int
    type: str
    conversation_id: int | None
    message_id: int | None
    ticket_id: int | None
    payload: dict[str, Any]
    created_at: datetime
    attempts: int = 0


def record(
    type: str,
    *,
    conversation_id: int | None = None,
    message_id: int | None = None,
    ticket_id: int | None = None,
    payload: dict[str, Any] | None = None,
    using: str | None = None,
) -> int:
    """Insert one outbox row in the current transaction (one INSERT) and hand it to its handlers
    after commit. Returns the event id. Must be called inside `transaction.atomic()`: an event
    outside a transaction could be dispatched for a change that then rolls back."""
    row = _row(type, conversation_id, message_id, ticket_id, payload)
    connection = _connection(using)
    row.save(using=using, force_insert=True)
    _dispatch_after_commit(connection, [row.pk])
    return row.pk


def record_many(type: str, events: list[dict[str, Any]], *, using: str | None = None) -> list[int]:
    """`record` for many events of one type in one INSERT: each of `events` holds the keyword
    arguments of `record` (conversation_id, message_id, ticket_id, payload). Returns the ids."""
    rows = [_row(type, **{"payload": None, **fields}) for fields in events]
    if not rows:
        return []
    connection = _connection(using)
    made = OutboxEvent.objects.using(using).bulk_create(rows)
    ids = [row.pk for row in made]
    _dispatch_after_commit(connection, ids)
    return ids


def _row(
    type: str,
    conversation_id: int | None = None,
    message_id: int | None = None,
    ticket_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> OutboxEvent:
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown domain event type {type!r}: add it to EVENT_TYPES")
    now = timezone.now()
    return OutboxEvent(
        type=type,
        conversation_id=conversation_id,
        message_id=message_id,
        ticket_id=ticket_id,
        payload=payload or {},
        created_at=now,
        next_attempt_at=now + timedelta(seconds=settings.DOMAIN_EVENT_SWEEP_AFTER_SECONDS),
    )


def _connection(using: str | None):
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        raise RuntimeError("domain_events.record() must be called inside transaction.atomic()")
    return connection


def _dispatch_after_commit(connection, ids: list[int]) -> None:
    from desk.kernel.domain_events.dispatch import after_commit  # it imports Event from here

    for event_id in ids:
        after_commit(connection, event_id)


def takes(accepts: "Callable[[Event], bool]"):
    """Declare which events a handler takes, decided on the event alone (type, ids, payload):
    the dispatcher calls it only for those, and an event it does not take costs it no
    transaction and no idempotency marker (the decision never changes, so skipping is safe).

        @domain_events.takes(lambda event: event.payload.get("seq") == 1)
        def first_message(event): ...
    """

    def mark(handler):
        handler.accepts = accepts
        return handler

    return mark


__all__ = ["EVENT_TYPES", "Event", "record", "record_many", "takes"]
