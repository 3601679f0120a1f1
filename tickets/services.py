"""Every write to tickets. Each state change adds a TicketEvent in the same transaction."""

from dataclasses import dataclass, field
from datetime import date

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
