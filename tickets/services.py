"""Every write to tickets. Each state change adds a TicketEvent in the same transaction."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from chat.models import Conversation, Customer
from desk.choices import Priority
from routing.models import Team
from tickets.models import (
    Category,
    Tag,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketNumberSequence,
    TicketStatus,
)


def ticket_number_next(*, day: date | None = None) -> str:
    """`T-YYYYMMDD-NNNN`, gap-free per day and unique under concurrent callers.

    Must run inside the caller's transaction: the row lock taken by the UPDATE is held until it
    commits, so two transactions never read the same value.
    """
    day = day or timezone.localdate()
    if not TicketNumberSequence.objects.filter(day=day).exists():
        try:
            with transaction.atomic():
                TicketNumberSequence.objects.create(day=day, last=0)
        except IntegrityError:
            pass  # another transaction created today's row first
    TicketNumberSequence.objects.filter(day=day).update(last=F("last") + 1)
    last = TicketNumberSequence.objects.values_list("last", flat=True).get(day=day)
    return f"T-{day:%Y%m%d}-{last:04d}"


@dataclass
class TicketData:
    subject: str
    description: str = ""
    priority: int = Priority.P2
    category: Category | None = None
    tags: list[str] = field(default_factory=list)
    team: Team | None = None
    assignee: AbstractBaseUser | None = None
    custom_fields: dict = field(default_factory=dict)


@transaction.atomic
def ticket_create(
    *,
    actor: AbstractBaseUser | None,
    requester: Customer,
    data: TicketData,
    conversation: Conversation | None = None,
) -> Ticket:
    ticket = Ticket.objects.create(
        number=ticket_number_next(),
        subject=data.subject,
        description=data.description,
        priority=data.priority,
        category=data.category,
        team=data.team,
        assignee=data.assignee,
        requester=requester,
        conversation=conversation,
        custom_fields=data.custom_fields,
        created_by=actor,
    )
    if data.tags:
        ticket.tags.set([Tag.objects.get_or_create(name=name)[0] for name in data.tags])
    ticket_event_add(ticket=ticket, kind=TicketEventKind.CREATED, actor=actor)
    return ticket


def ticket_event_add(
    *,
    ticket: Ticket,
    kind: str,
    actor: AbstractBaseUser | None = None,
    actor_customer: Customer | None = None,
    body: str = "",
    old_value: str = "",
    new_value: str = "",
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor=actor,
        actor_customer=actor_customer,
        body=body,
        old_value=old_value,
        new_value=new_value,
    )


# Fields a person may change directly; status, priority and assignee changes go on the timeline.
TICKET_EDITABLE_FIELDS = frozenset(
    {
        "subject",
        "description",
        "status",
        "priority",
        "category",
        "team",
        "assignee",
        "requester",
        "custom_fields",
    }
)
TICKET_TRACKED_FIELDS = {
    "status": TicketEventKind.STATUS,
    "priority": TicketEventKind.PRIORITY,
    "assignee": TicketEventKind.ASSIGNMENT,
}


def _event_value(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name == "assignee":
        return value.get_username()
    return str(value)


@transaction.atomic
def ticket_update_fields(
    *, actor: AbstractBaseUser | None, ticket: Ticket, changes: Mapping[str, Any]
) -> Ticket:
    """Apply plain field changes; every status, priority or assignee change adds a TicketEvent.

    Values compare against the locked database row, so a field that did not really change writes
    nothing. Entering `resolved`/`closed` stamps `resolved_at`/`closed_at`; reopening clears them.
    """
    unknown = set(changes) - TICKET_EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"fields not editable: {sorted(unknown)}")
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    updated: list[str] = []
    events: list[tuple[str, str, str]] = []
    for name, value in changes.items():
        old = getattr(locked, name)
        if old == value:
            continue
        setattr(locked, name, value)
        updated.append(name)
        if name in TICKET_TRACKED_FIELDS:
            events.append(
                (TICKET_TRACKED_FIELDS[name], _event_value(name, old), _event_value(name, value))
            )
    if "status" in updated:
        updated += _status_timestamps(locked)
    if not updated:
        return locked
    locked.save(update_fields=[*updated, "updated_at"])
    for kind, old_value, new_value in events:
        ticket_event_add(
            ticket=locked, kind=kind, actor=actor, old_value=old_value, new_value=new_value
        )
    return locked


def _status_timestamps(ticket: Ticket) -> list[str]:
    now = timezone.now()
    if ticket.status == TicketStatus.RESOLVED:
        ticket.resolved_at = ticket.resolved_at or now
        ticket.closed_at = None
    elif ticket.status == TicketStatus.CLOSED:
        ticket.resolved_at = ticket.resolved_at or now
        ticket.closed_at = now
    else:
        ticket.resolved_at = None
        ticket.closed_at = None
    return ["resolved_at", "closed_at"]
