"""The SLA clock's alarms: a warning at the policy's share of each target and the breach at its
due time, kept as `SlaTimer` rows and fired by the beat sweep.

- `timers_reset(ticket)` after the clock changed (made, recomputed, paused, resumed, answered):
  the pending timers go, the ones the clock needs now are made.
- `sweep()` every `SLA_SWEEP_SECONDS`: claims due timers with `SELECT … FOR UPDATE SKIP LOCKED`
  (two sweepers never take the same row) and fires a batch in a few statements together with
  its `fired_at` (one by one if the batch fails): a sweeper that dies mid-batch leaves its rows
  to the next sweep, and a fired timer never fires again, not even when the clock's timers are
  made anew for the same due time.
- Firing records the domain event `ticket.sla_warning` or `ticket.sla_breached` (notifications
  and, later, escalations react after commit); a breach also goes on the timeline, and the
  agents who see the ticket hear `ticket.update` so its countdown turns red.
- A waiting conversation's first-response timers (no ticket; tickets/sla/conversations.py) fire
  in the same sweep: `conversation.sla_warning` / `conversation.sla_breached`, and the inboxes
  that see the conversation hear `conversation.update`.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet, prefetch_related_objects
from django.utils import timezone

from chat import events as chat_events
from chat.models import ConversationStatus
from desk.kernel import domain_events
from tickets import events as ticket_events
from tickets.models import (
    SlaPhase,
    SlaTarget,
    SlaTimer,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketSystemAction,
)
from tickets.sla.calendar import NoWorkingTime, add_business_time, business_time_between
from tickets.sla.calendars import calendar_of, calendars_load
from tickets.sla.conversations import conversation_clocks
from tickets.sla.display import warning_timers

logger = logging.getLogger(__name__)
SWEEP_BATCH = 500


def _due_targets(ticket: Ticket) -> list[tuple[str, datetime, int]]:
    """(target, due time, target minutes) of each clock still running."""
    policy = ticket.sla_policy
    if policy is None or ticket.sla_paused_at is not None:
        return []
    running = []
    if ticket.first_responded_at is None and ticket.first_response_due_at is not None:
        running.append(
            (SlaTarget.FIRST_RESPONSE, ticket.first_response_due_at, policy.first_response_minutes)
        )
    if ticket.next_response_due_at is not None and policy.next_response_minutes is not None:
        running.append(
            (SlaTarget.NEXT_RESPONSE, ticket.next_response_due_at, policy.next_response_minutes)
        )
    if ticket.resolution_due_at is not None:
        running.append((SlaTarget.RESOLUTION, ticket.resolution_due_at, policy.resolution_minutes))
    return running


def timers_reset(ticket: Ticket, *, now: datetime | None = None) -> list[SlaTimer]:
    """Replace the ticket's pending timers with the ones its clock needs now: for each running
    target its breach, and its warning when the target's remaining working time is still more
    than the warning leaves (100% - `warn_percent` of the target): the warning fires when only
    that much is left, however the clock got here (made, paused, resumed, recomputed)."""
    now = now or timezone.now()
    SlaTimer.objects.filter(ticket=ticket, fired_at=None).delete()
    targets = _due_targets(ticket)
    if not targets:
        return []
    # A warning or breach that has fired for this very due time does not fire again (say the
    # resolution breached, then the first reply reset the clock's timers).
    fired = set(
        SlaTimer.objects.filter(ticket=ticket, fired_at__isnull=False).values_list(
            "target", "phase", "due_at"
        )
    )
    policy = ticket.sla_policy
    calendar = calendar_of(policy.business_hours)
    wanted: list[SlaTimer] = []
    for target, due, minutes in targets:
        if (target, SlaPhase.BREACH, due) in fired:
            continue  # breached already: its warning is long past too
        wanted.append(
            SlaTimer(ticket=ticket, target=target, phase=SlaPhase.BREACH, due_at=due, fire_at=due)
        )
        if (target, SlaPhase.WARNING, due) in fired:
            continue
        left_at_warning = timedelta(minutes=minutes * (100 - policy.warn_percent) / 100)
        until_warning = business_time_between(calendar, now, due) - left_at_warning
        if until_warning <= timedelta(0):
            # Already within the warning's share: no warning fires now, but a row fired as of
            # now marks the clock at risk, so the list's risk filter and the countdown's colour
            # (`warn_at`) say so.
            wanted.append(
                SlaTimer(
                    ticket=ticket,
                    target=target,
                    phase=SlaPhase.WARNING,
                    due_at=due,
                    fire_at=now,
                    fired_at=now,
                )
            )
            continue
        try:
            warn_at = add_business_time(calendar, now, until_warning)
        except NoWorkingTime:
            continue
        wanted.append(
            SlaTimer(
                ticket=ticket, target=target, phase=SlaPhase.WARNING, due_at=due, fire_at=warn_at
            )
        )
    return SlaTimer.objects.bulk_create(wanted)


def sweep(*, now: datetime | None = None, batch: int = SWEEP_BATCH) -> int:
    """Fire every due timer (at most `batch` per claim, claims until none is due). Returns how
    many fired."""
    fired = 0
    while True:
        taken = _sweep_once(now or timezone.now(), batch)
        fired += taken
        if taken < batch:
            return fired


def due_timers(now: datetime, batch: int) -> QuerySet[SlaTimer]:
    """The claim (run it inside a transaction): up to `batch` pending timers due by `now`,
    oldest first, locked, skipping those another sweeper holds. Only the timers' rows are
    locked (`of`): the tickets stay free for the agents working them, and the sweep never waits
    for (or deadlocks with) a ticket's own lock order."""
    return (
        SlaTimer.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(fired_at=None, fire_at__lte=now)
        .select_related(
            "ticket__assignee__agent_profile",
            "ticket__team",
            "ticket__category",
            "ticket__sla_policy__business_hours",
            "conversation__customer",
            "conversation__team",
            "conversation__assignee__agent_profile",
        )
        .order_by("fire_at", "id")[:batch]
    )


@transaction.atomic
def _sweep_once(now: datetime, batch: int) -> int:
    due = list(due_timers(now, batch))
    if not due:
        return 0
    try:
        with transaction.atomic():
            _fire(due, now)  # the whole batch in a few statements
    except Exception:
        logger.exception("SLA timers: a batch of %s failed; firing them one by one", len(due))
        for timer in due:
            try:
                with transaction.atomic():
                    _fire([timer], now)
            except Exception:
                logger.exception("SLA timer %s of ticket %s failed", timer.pk, timer.ticket_id)
    return len(due)


def _fire(due: list[SlaTimer], now: datetime) -> None:
    """Stamp the timers fired, then act on the tickets' and the waiting conversations'."""
    SlaTimer.objects.filter(pk__in=[timer.pk for timer in due]).update(fired_at=now)
    of_tickets = [timer for timer in due if timer.ticket_id is not None]
    if of_tickets:
        _fire_tickets(of_tickets)
    of_conversations = [timer for timer in due if timer.ticket_id is None]
    if of_conversations:
        _fire_conversations(of_conversations, now)


def _fire_conversations(due: list[SlaTimer], now: datetime) -> None:
    """Record `conversation.sla_warning` / `conversation.sla_breached` for each timer of a wait
    still running (not for a closed conversation, nor a wait that ended), and tell the inboxes
    that see each conversation (its countdown redrawn)."""
    live = [
        timer
        for timer in due
        if timer.conversation.status != ConversationStatus.CLOSED
        and timer.conversation.sla_due_at == timer.due_at
    ]
    for phase, event_type in (
        (SlaPhase.WARNING, "conversation.sla_warning"),
        (SlaPhase.BREACH, "conversation.sla_breached"),
    ):
        domain_events.record_many(
            event_type,
            [
                {
                    "conversation_id": timer.conversation_id,
                    "payload": {
                        "target": timer.target,
                        "due_at": timer.due_at.isoformat(),
                        "assignee_id": timer.conversation.assignee_id,
                        "team_id": timer.conversation.team_id,
                        "priority": int(timer.conversation.priority),
                    },
                }
                for timer in live
                if timer.phase == phase
            ],
        )
    conversations = list({timer.conversation_id: timer.conversation for timer in live}.values())
    if not conversations:
        return
    clocks = conversation_clocks(conversations, now)
    for conversation in conversations:
        chat_events.publish_conversation(
            conversation, current=True, sla=clocks.get(conversation.pk)
        )


def _fire_tickets(due: list[SlaTimer]) -> None:
    """Put the breaches on their tickets' timelines, record one domain event each and tell the
    agents who see each ticket (its countdown redrawn)."""
    TicketEvent.objects.bulk_create(
        [
            TicketEvent(
                ticket=timer.ticket,
                kind=TicketEventKind.SLA,
                action=TicketSystemAction.SLA_BREACHED,
                body=timer.target,
                new_value=timer.due_at.isoformat(),
            )
            for timer in due
            if timer.phase == SlaPhase.BREACH
        ]
    )
    for phase, event_type in (
        (SlaPhase.WARNING, "ticket.sla_warning"),
        (SlaPhase.BREACH, "ticket.sla_breached"),
    ):
        domain_events.record_many(
            event_type,
            [
                {
                    "ticket_id": timer.ticket_id,
                    "conversation_id": timer.ticket.conversation_id,
                    "payload": {
                        "target": timer.target,
                        "due_at": timer.due_at.isoformat(),
                        "assignee_id": timer.ticket.assignee_id,
                        "team_id": timer.ticket.team_id,
                        "priority": int(timer.ticket.priority),
                    },
                }
                for timer in due
                if timer.phase == phase
            ],
        )
    tickets = list({timer.ticket_id: timer.ticket for timer in due}.values())
    prefetch_related_objects(tickets, warning_timers())  # their countdowns, in one query
    calendars_load(t.sla_policy.business_hours for t in tickets if t.sla_policy_id)
    ticket_events.publish_tickets(tickets)
