"""Running rules: once per (rule, ticket, occurrence) — the root event of the chain for event
rules (tickets/automation/origin.py), the moment the hours count from for time rules — made sure
by a unique `RuleExecution` row written in the transaction of the actions. The events a rule's
changes record carry their root, so they may trigger other rules but never the same one again,
and no chain runs deeper than `MAX_DEPTH`: rules cannot loop."""

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from desk.kernel import domain_events
from tickets.automation.actions import rule_apply
from tickets.automation.conditions import anchor_of, rule_matches, tickets_due
from tickets.automation.origin import MAX_DEPTH, RuleOrigin, root_of
from tickets.errors import TicketError
from tickets.models import (
    EVENT_TRIGGERS,
    TIME_TRIGGER_ANCHORS,
    AutomationRule,
    RuleExecution,
    Ticket,
)

logger = logging.getLogger(__name__)
SWEEP_BATCH = 200


class _NoLongerMatches(Exception):
    """The ticket changed since it was picked: undo the execution row, fire later if due."""


def active_rules(triggers) -> QuerySet[AutomationRule]:
    return (
        AutomationRule.objects.filter(is_active=True, trigger__in=list(triggers))
        .select_related("set_assignee", "set_team")
        .prefetch_related("if_tags", "add_tags")
        .order_by("position", "id")
    )


def rule_fire(
    rule: AutomationRule,
    ticket_id: int,
    *,
    event_id: int | None = None,
    anchor_at: datetime | None = None,
    depth: int = 0,
    now: datetime | None = None,
) -> bool:
    """Fire `rule` on the ticket once for this occurrence, if its conditions still hold.
    Returns whether it fired (False: fired before, or the ticket does not match)."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    execution = RuleExecution.objects.create(
                        rule=rule, ticket_id=ticket_id, event_id=event_id, anchor_at=anchor_at
                    )
            except IntegrityError:
                return False  # this occurrence fired already (another sweeper, a redelivery)
            ticket = (
                Ticket.objects.select_related("conversation", "requester")
                .filter(pk=ticket_id)
                .first()
            )
            if ticket is None or not rule_matches(rule, ticket):
                raise _NoLongerMatches
            if anchor_at is not None and anchor_of(rule, ticket) != anchor_at:
                raise _NoLongerMatches
            root = event_id if event_id is not None else -execution.pk
            origin = RuleOrigin(rule_id=rule.pk, rule_name=rule.name, root=root, depth=depth + 1)
            rule_apply(rule, ticket, origin=origin, now=now)
    except _NoLongerMatches:
        return False
    except TicketError as exc:  # a refusal of the services (say, a reply to a closed ticket)
        logger.warning("automation rule %s on ticket %s refused: %s", rule.pk, ticket_id, exc)
        return False
    return True


def event_rules_run(event: domain_events.Event) -> list[int]:
    """The rules of this event's type, in order, on its ticket; returns the ids of those that
    fired. Each fires once per root: an event a rule's change caused runs only the rules that
    have not fired in its chain yet."""
    if event.ticket_id is None or event.type not in EVENT_TRIGGERS:
        return []
    root, depth = root_of(event.id, event.payload)
    if depth >= MAX_DEPTH:
        logger.warning("automation: event %s ends a chain of %s rules", event.id, depth)
        return []
    fired = []
    for rule in active_rules([event.type]):
        if rule_fire(rule, event.ticket_id, event_id=root, depth=depth):
            fired.append(rule.pk)
    return fired


def time_rules_sweep(*, now: datetime | None = None, batch: int = SWEEP_BATCH) -> int:
    """Fire every time rule on the tickets whose hours have passed (up to `batch` per rule per
    sweep; the next sweep takes the rest). Returns how many firings there were."""
    now = now or timezone.now()
    fired = 0
    for rule in active_rules(TIME_TRIGGER_ANCHORS):
        for ticket in tickets_due(rule, now=now).only("pk", "created_at", "status_changed_at",
                                                      "customer_replied_at")[:batch]:  # fmt: skip
            anchor = anchor_of(rule, ticket)
            if anchor is not None and rule_fire(rule, ticket.pk, anchor_at=anchor, now=now):
                fired += 1
    return fired
