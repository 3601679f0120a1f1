"""A rule's notification: sent at once as the domain event `ticket.automation_notice` (the bell
reacts after commit), or held until the receiving team's working hours begin (`TeamHours`) —
except for urgent tickets, which notify at once whatever the hour. The held ones are rows the
beat sweep sends once."""

import logging
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from desk.kernel import domain_events
from desk.kernel.choices import Priority
from desk.kernel.roles import supervisors
from tickets.automation.origin import RuleOrigin
from tickets.models import (
    HeldNotice,
    NotifyWhom,
    TeamHours,
    Ticket,
    TicketEventKind,
    TicketSystemAction,
)
from tickets.services import ticket_event_add
from tickets.sla.calendar import NoWorkingTime, working_spans
from tickets.sla.calendars import calendar_of

logger = logging.getLogger(__name__)
SWEEP_BATCH = 200
# Never held: the top priority notifies at once, day or night.
URGENT_PRIORITIES = frozenset({Priority.P0})


def recipients(whom: str, ticket: Ticket) -> list[int]:
    """The user ids a rule's `notify` reaches for this ticket (active users only)."""
    users = get_user_model().objects.filter(is_active=True)
    if whom == NotifyWhom.ASSIGNEE:
        ids = [ticket.assignee_id] if ticket.assignee_id else []
        return list(users.filter(pk__in=ids).values_list("pk", flat=True))
    if whom == NotifyWhom.TEAM:
        if ticket.team_id is None:
            return []
        found = users.filter(agent_profile__teams=ticket.team_id)
        return sorted(set(found.values_list("pk", flat=True)))
    if whom == NotifyWhom.SUPERVISORS:
        return sorted(set(supervisors().values_list("pk", flat=True)))
    raise ValueError(f"unknown notify target {whom!r}")


def team_opens_at(team_id: int | None, now: datetime) -> datetime | None:
    """When the team's working hours next begin, or None when it is open now (or keeps no
    hours, or its calendar has no working time at all: then nothing is held forever)."""
    if team_id is None:
        return None
    hours = TeamHours.objects.filter(team_id=team_id).select_related("business_hours").first()
    if hours is None:
        return None
    try:
        begins, _ends = next(working_spans(calendar_of(hours.business_hours), now))
    except NoWorkingTime:
        return None
    return None if begins <= now else begins


def notice_send(
    *, ticket: Ticket, recipient_ids: list[int], text: str, origin: RuleOrigin, now: datetime
) -> HeldNotice | None:
    """Notify now, or hold the notice until the ticket's team opens (urgent tickets never
    wait). Either way the timeline says so, with the rule's name. Must run in a transaction."""
    if not recipient_ids:
        return None
    opens = None if ticket.priority in URGENT_PRIORITIES else team_opens_at(ticket.team_id, now)
    if opens is not None:
        held = HeldNotice.objects.create(
            ticket=ticket,
            rule_name=origin.rule_name,
            recipient_ids=recipient_ids,
            text=text,
            send_at=opens,
        )
        ticket_event_add(
            ticket=ticket,
            kind=TicketEventKind.SYSTEM,
            action=TicketSystemAction.NOTICE_HELD,
            body=text,
            new_value=opens.isoformat(),
            origin=origin,
        )
        return held
    _record(ticket=ticket, recipient_ids=recipient_ids, text=text, rule_name=origin.rule_name)
    ticket_event_add(
        ticket=ticket,
        kind=TicketEventKind.SYSTEM,
        action=TicketSystemAction.NOTIFIED,
        body=text,
        origin=origin,
    )
    return None


def _record(*, ticket: Ticket, recipient_ids: list[int], text: str, rule_name: str) -> None:
    domain_events.record(
        "ticket.automation_notice",
        ticket_id=ticket.pk,
        conversation_id=ticket.conversation_id,
        payload={"recipient_ids": recipient_ids, "text": text, "rule_name": rule_name},
    )


def held_notices_sweep(*, now: datetime | None = None, batch: int = SWEEP_BATCH) -> int:
    """Send every held notice whose team has opened: claimed with `FOR UPDATE SKIP LOCKED` and
    stamped sent in the transaction that records it, so each goes out once however many
    sweepers run. Returns how many were sent."""
    sent = 0
    while True:
        with transaction.atomic():
            due = list(
                HeldNotice.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(sent_at=None, send_at__lte=now or timezone.now())
                .select_related("ticket")
                .order_by("send_at", "id")[:batch]
            )
            HeldNotice.objects.filter(pk__in=[n.pk for n in due]).update(
                sent_at=now or timezone.now()
            )
            for notice in due:
                _record(
                    ticket=notice.ticket,
                    recipient_ids=notice.recipient_ids,
                    text=notice.text,
                    rule_name=notice.rule_name,
                )
        sent += len(due)
        if len(due) < batch:
            return sent
