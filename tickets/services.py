"""Every agent-side write to tickets. Each state change adds a TicketEvent in the same transaction.

Customer-side writes (replies, chat messages, ratings) are in `tickets.customer_services`; what a
ticket tells its conversation is in `tickets.chat_link`; allowed status changes in
`tickets.transitions`.

Lock order, everywhere: the ticket's conversation, then the ticket(s) in id order, then the number
sequence. `message_create` locks the conversation too, so a service that posts into the chat while
holding a ticket lock would otherwise deadlock against a customer message arriving at that moment.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from chat.models import Conversation, ConversationStatus, Customer, Message
from chat.services import conversation_update_fields
from desk.kernel import domain_events
from desk.kernel.choices import Priority
from routing.models import Team
from tickets import chat_link, errors, field_changes
from tickets import events as ticket_events
from tickets.automation.origin import RuleOrigin
from tickets.errors import TicketError
from tickets.models import (
    Category,
    Tag,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketNumberSequence,
    TicketSource,
    TicketStatus,
    TicketSystemAction,
)
from tickets.selectors import (
    conversation_ticket_subject,
    conversation_transcript,
    ticket_chat_reachable,
    ticket_custom_fields_from_conversation,
)
from tickets.sla import services as sla_services
from tickets.sla import timers as sla_timers
from tickets.transitions import ACTIVE_STATUSES, transition_check


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
    source: str = TicketSource.MANUAL,
    origin: RuleOrigin | None = None,
) -> Ticket:
    """A new ticket (status `new`) with its number and a `created` event (new value: the source);
    the agents who may see it hear `ticket.update` with `created`, and the domain event
    `ticket.created` is recorded. It does not speak to the conversation;
    `ticket_create_from_conversation` does."""
    if source not in TicketSource.values:
        raise ValueError(f"unknown source {source!r}")
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
        source=source,
        created_by=actor,
    )
    clock = sla_services.sla_apply(ticket)  # counted from created_at, known only now
    if clock:
        ticket.save(update_fields=clock)
        sla_timers.timers_reset(ticket)
    if data.tags:
        ticket.tags.set([Tag.objects.get_or_create(name=name)[0] for name in data.tags])
    ticket_event_add(
        ticket=ticket, kind=TicketEventKind.CREATED, actor=actor, new_value=source, origin=origin
    )
    ticket_events.publish_ticket(ticket, created=True)
    domain_events.record(
        "ticket.created",
        ticket_id=ticket.pk,
        conversation_id=ticket.conversation_id,
        payload={
            "source": str(source),
            "actor_id": _pk(actor),
            "priority": int(ticket.priority),
            "team_id": ticket.team_id,
            "assignee_id": ticket.assignee_id,
            # who had the chat when it became a ticket (they hear of it; automation may use it)
            "conversation_assignee_id": conversation.assignee_id if conversation else None,
            **({"automation": origin.payload()} if origin is not None else {}),
        },
    )
    return ticket


def _pk(obj: Any) -> int | None:
    return None if obj is None else obj.pk


def ticket_event_add(
    *,
    ticket: Ticket,
    kind: str,
    actor: AbstractBaseUser | None = None,
    actor_customer: Customer | None = None,
    body: str = "",
    old_value: str = "",
    new_value: str = "",
    action: str = "",
    message: Message | None = None,
    origin: RuleOrigin | None = None,
) -> TicketEvent:
    return TicketEvent.objects.create(
        rule_name=origin.rule_name if origin is not None else "",
        ticket=ticket,
        kind=kind,
        actor=actor,
        actor_customer=actor_customer,
        body=body,
        old_value=old_value,
        new_value=new_value,
        action=action,
        message=message,
    )


# ---- locks and field changes ----------------------------------------------------------------


def lock_conversations(conversation_ids: Iterable[int | None]) -> None:
    """Take the row locks of these conversations, in id order (the first step of the lock order)."""
    wanted = sorted({pk for pk in conversation_ids if pk is not None})
    if wanted:
        list(
            Conversation.objects.select_for_update()
            .filter(pk__in=wanted)
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def lock_tickets(*tickets: Ticket) -> list[Ticket]:
    """Lock the tickets' conversations, then the tickets (in id order); return the locked rows in
    the order given. A ticket's conversation is set at creation and never edited, so the caller's
    copy names the right one."""
    lock_conversations(ticket.conversation_id for ticket in tickets)
    rows = Ticket.objects.select_for_update().filter(pk__in=[t.pk for t in tickets]).order_by("pk")
    by_pk = {row.pk: row for row in rows}
    if len(by_pk) != len({ticket.pk for ticket in tickets}):
        raise Ticket.DoesNotExist("Ticket matching query does not exist.")
    return [by_pk[ticket.pk] for ticket in tickets]


# Fields a person may change directly; changes of the tracked ones go on the timeline
# (`tickets.field_changes.TRACKED_FIELDS`), as do tags and custom fields.
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
        "tags",
    }
)


def ticket_merged_refusal() -> TicketError:
    return TicketError(
        "ticket_merged", _("This ticket was merged into another one; work on that one instead.")
    )


def apply_changes(
    locked: Ticket,
    changes: Mapping[str, Any],
    *,
    actor: AbstractBaseUser | None,
    actor_customer: Customer | None = None,
    origin: RuleOrigin | None = None,
) -> str | None:
    """Change fields of a locked ticket and write their timeline rows; return the old status if
    the status changed (the caller tells the conversation), else None.

    `tags` takes the full list of names (tags are created if new); `custom_fields` a dict that
    replaces them or a `CustomFieldsPatch` merged into them. A status change must be allowed by
    `tickets.transitions` (TransitionError before anything is touched); a merged ticket keeps its
    status. Entering `resolved`/`closed` stamps `resolved_at`/`closed_at`; leaving them clears
    both. A refusal (TicketError) raised midway is undone by the caller's transaction.

    A change records the domain event `ticket.updated`: `fields` names every field changed,
    `changes` has the old and new values of the small ones (`EVENT_VALUE_FIELDS`; ids for
    the related rows). A change an automation rule made (`origin`) names the rule on its
    timeline rows and its chain in the event (`automation`), so rules never loop."""
    unknown = set(changes) - TICKET_EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"fields not editable: {sorted(unknown)}")
    old_status = locked.status
    if "status" in changes and changes["status"] != old_status:
        if locked.merged_into_id is not None:
            raise ticket_merged_refusal()
        transition_check(old_status, changes["status"])
    updated: list[str] = []
    events: list[field_changes.FieldEvent] = []
    values: dict[str, dict[str, Any]] = {}
    tags_changed = False
    for name, value in changes.items():
        if name == "tags":
            tag_events = field_changes.tags_replace(locked, value)
            tags_changed = bool(tag_events)
            events += tag_events
            continue
        old = getattr(locked, name)
        if isinstance(value, field_changes.CustomFieldsPatch):
            value = value.applied_to(old or {})
        if field_changes.same_value(old, value) if name == "custom_fields" else old == value:
            continue
        setattr(locked, name, value)
        updated.append(name)
        events += field_changes.field_events(name, old, value)
        if name in EVENT_VALUE_FIELDS:
            values[name] = {"old": _event_value(old), "new": _event_value(value)}
    if not updated and not events:
        return None
    clock: list[str] = []
    now = timezone.now()
    if "status" in updated:
        clock += sla_services.sla_on_status(locked, old_status, now=now)
    if sla_services.CLOCK_FIELDS.intersection(updated):
        recomputed = sla_services.sla_apply(locked, now=now)
        events += clock_events(locked, recomputed)
        clock += recomputed
    updated += [name for name in dict.fromkeys(clock) if name not in updated]
    domain_events.record(
        "ticket.updated",
        ticket_id=locked.pk,
        conversation_id=locked.conversation_id,
        payload={
            "actor_id": _pk(actor),
            "actor_customer_id": _pk(actor_customer),
            "fields": sorted([*updated, *(["tags"] if tags_changed else [])]),
            "changes": values,
            **({"automation": origin.payload()} if origin is not None else {}),
        },
    )
    if "status" in updated:
        updated += _status_timestamps(locked)
        locked.status_changed_at = timezone.now()
        updated.append("status_changed_at")
    locked.save(update_fields=[*updated, "updated_at"])
    if clock:
        sla_timers.timers_reset(locked)
    for event in events:
        ticket_event_add(
            ticket=locked,
            kind=event.kind,
            actor=actor,
            actor_customer=actor_customer,
            action=event.action,
            body=event.body,
            old_value=event.old_value,
            new_value=event.new_value,
            origin=origin,
        )
    return old_status if "status" in updated else None


def clock_events(ticket: Ticket, changed: list[str]) -> list[field_changes.FieldEvent]:
    """The timeline row of a recomputed SLA clock: the policy now applying (its name, or
    nothing), the old and new resolution due times."""
    if not changed:
        return []
    policy = ticket.sla_policy
    return [
        field_changes.FieldEvent(
            kind=TicketEventKind.SLA,
            action=TicketSystemAction.SLA_RECOMPUTED,
            body=policy.name if policy is not None else "",
            new_value=_iso(ticket.resolution_due_at),
        )
    ]


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


# Fields whose old and new values `ticket.updated` carries (ids for related rows); the others
# (description, custom fields, tags) are only named: read the ticket.
EVENT_VALUE_FIELDS = frozenset(
    {"status", "priority", "assignee", "team", "category", "requester", "subject"}
)


def _event_value(value: Any) -> str | int | None:
    """A field value as plain JSON: choices as their str/int value, related rows as their id."""
    if value is None:
        return None
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    return value.pk


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


@transaction.atomic
def ticket_update_fields(
    *,
    actor: AbstractBaseUser | None,
    ticket: Ticket,
    changes: Mapping[str, Any],
    origin: RuleOrigin | None = None,
) -> Ticket:
    """Apply field changes (see `apply_changes`); each change adds its TicketEvent.

    Values compare against the locked database row, so a field that did not really change writes
    nothing. A status change must be allowed (`tickets.transitions`, else TransitionError and
    nothing changes), and is told to the customer in the linked conversation."""
    (locked,) = lock_tickets(ticket)
    before = locked.updated_at
    # Who could see it before a change of team or assignee hears it too, so lists drop it.
    was_seen_by = ticket_events.ticket_groups(locked)
    old_status = apply_changes(locked, changes, actor=actor, origin=origin)
    if old_status is not None:
        chat_link.conversation_post_ticket_status(ticket=locked, old_status=old_status)
    if locked.updated_at != before:
        ticket_events.publish_ticket(locked, also_groups=was_seen_by)
    return locked


# ---- 转工单 --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketFromConversation:
    ticket: Ticket
    created: bool  # False: the conversation's open ticket was returned instead


CONVERSATION_SOURCES = frozenset(TicketSource.values) - {TicketSource.MANUAL}


@transaction.atomic
def ticket_create_from_conversation(
    *,
    actor: AbstractBaseUser | None,
    conversation: Conversation,
    data: TicketData,
    allow_additional: bool = False,
    source: str,
    origin: RuleOrigin | None = None,
) -> TicketFromConversation:
    """Turn a conversation into a ticket (转工单), at most one open ticket per conversation.

    The conversation row is locked first, so concurrent calls (a double click, a keyword trigger
    racing the button) queue up: the first creates, the others find its ticket and get it back
    with `created=False`, unless `allow_additional`. An open ticket is one not resolved or
    closed. The requester is the conversation's customer. Left empty in `data`: the subject
    becomes the customer's first words, the description the transcript, the team the
    conversation's. The conversation's context and the customer's attributes go into
    `custom_fields` (`data.custom_fields` wins on a clash). The customer sees a ticket card in
    the chat."""
    if source not in CONVERSATION_SOURCES:
        raise ValueError(f"unknown source {source!r}")
    locked = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("customer", "team")
        .get(pk=conversation.pk)
    )
    if not allow_additional:
        existing = (
            Ticket.objects.filter(conversation=locked, status__in=ACTIVE_STATUSES)
            .order_by("-created_at", "-id")
            .first()
        )
        if existing is not None:
            return TicketFromConversation(existing, False)
    filled = replace(
        data,
        subject=data.subject.strip() or conversation_ticket_subject(locked),
        description=data.description
        if data.description.strip()
        else conversation_transcript(locked),
        team=data.team or locked.team,
        custom_fields={**ticket_custom_fields_from_conversation(locked), **data.custom_fields},
    )
    ticket = ticket_create(
        actor=actor,
        requester=locked.customer,
        data=filled,
        conversation=locked,
        source=source,
        origin=origin,
    )
    chat_link.conversation_post_ticket_created(ticket=ticket)
    return TicketFromConversation(ticket, True)


@transaction.atomic
def conversation_close_unresolved(
    *, actor: AbstractBaseUser, conversation: Conversation
) -> Conversation:
    """转工单 way 4, by hand: the agent closes a chat that ended without a solution, and it becomes
    a ticket (source `unresolved`) in the same transaction, so the problem is not forgotten. A
    conversation that already has an open ticket keeps just that one."""
    closed = conversation_update_fields(
        actor=actor, conversation=conversation, changes={"status": ConversationStatus.CLOSED}
    )
    ticket_create_from_conversation(
        actor=actor,
        conversation=closed,
        data=TicketData(subject=""),
        source=TicketSource.UNRESOLVED,
    )
    return closed


# ---- replies ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketReply:
    event: TicketEvent
    message: Message | None  # the chat message a public reply became, if the ticket has a chat


@transaction.atomic
def ticket_reply(
    *,
    actor: AbstractBaseUser | None,
    ticket: Ticket,
    body: str,
    internal: bool,
    origin: RuleOrigin | None = None,
) -> TicketReply:
    """An agent's public reply (`comment` event, sent to the customer through the linked
    conversation) or internal note (`note` event, never shown to the customer), and the domain
    event `ticket.comment_added` (agents named with `@username` hear of it after commit).

    The first public reply stamps `first_responded_at`; a public reply stops the next-response
    clock a customer's reply started (tickets/sla/services.py). A closed ticket takes notes only. A
    public reply is refused (`chat_out_of_scope`) when the ticket's chat is out of the agent's
    reach: it would land in a chat they cannot read (docs/api.md). An automation rule replies
    with no actor and its `origin` (its name on the timeline row); its reply is no response
    for the SLA clocks."""
    if actor is None and origin is None:
        raise ValueError("a reply needs an agent or an automation rule")
    text = body.strip()
    if not text:
        raise errors.empty_body()
    (locked,) = lock_tickets(ticket)
    if internal:
        event = ticket_event_add(
            ticket=locked, kind=TicketEventKind.NOTE, actor=actor, body=text, origin=origin
        )
        ticket_events.publish_ticket(locked)
        _comment_added(event, actor=actor, internal=True, origin=origin)
        return TicketReply(event, None)
    if locked.status == TicketStatus.CLOSED:
        raise errors.ticket_closed()
    if actor is not None and not ticket_chat_reachable(actor, locked):
        raise errors.chat_out_of_scope()
    message = chat_link.conversation_post_ticket_reply(ticket=locked, actor=actor, body=text)
    # An agent's answer stops the response clocks; a rule's automatic reply does not.
    first_response = actor is not None and locked.first_responded_at is None
    clock = sla_services.sla_on_agent_reply(locked) if actor is not None else []
    if first_response:
        locked.first_responded_at = timezone.now()  # the first-response clock stops for good
        clock.append("first_responded_at")
    if clock:
        locked.save(update_fields=[*clock, "updated_at"])
        sla_timers.timers_reset(locked)
    event = ticket_event_add(
        ticket=locked,
        kind=TicketEventKind.COMMENT,
        actor=actor,
        body=text,
        message=message,
        origin=origin,
    )
    ticket_events.publish_ticket(locked)
    _comment_added(event, actor=actor, internal=False, first_response=first_response, origin=origin)
    return TicketReply(event, message)


def _comment_added(
    row: TicketEvent,
    *,
    actor: AbstractBaseUser | None,
    internal: bool,
    first_response: bool = False,
    origin: RuleOrigin | None = None,
) -> None:
    """The domain event of an agent's reply or note; its text is the timeline row's body."""
    domain_events.record(
        "ticket.comment_added",
        ticket_id=row.ticket_id,
        conversation_id=row.ticket.conversation_id,
        message_id=row.message_id,
        payload={
            "timeline_event_id": row.pk,
            "actor_id": _pk(actor),
            "internal": internal,
            "first_response": first_response,
            **({"automation": origin.payload()} if origin is not None else {}),
        },
    )


# ---- merge and links ----------------------------------------------------------------------


@transaction.atomic
def ticket_merge(*, actor: AbstractBaseUser | None, source: Ticket, target: Ticket) -> Ticket:
    """Merge `source` into `target` and return the target.

    Events stay where they happened (the timeline is append-only): `source.merged_into` points at
    the target and `tickets.selectors.ticket_timeline(target)` reads both. The source is closed
    (a `status` event if it was not closed yet) and gets a `system` event `merged_into`; the target
    gets `merged_from`. The source's customer is told in its chat. Refused: merging a ticket into
    itself, into a closed ticket, or a ticket that was already merged."""
    if source.pk == target.pk:
        raise TicketError("merge_into_itself", _("A ticket cannot be merged into itself."))
    locked_source, locked_target = lock_tickets(source, target)
    if locked_target.status == TicketStatus.CLOSED:
        raise TicketError("merge_into_closed", _("A ticket cannot be merged into a closed ticket."))
    if locked_source.merged_into_id is not None:
        raise ticket_merged_refusal()
    old_status = apply_changes(locked_source, {"status": TicketStatus.CLOSED}, actor=actor)
    locked_source.merged_into = locked_target
    locked_source.save(update_fields=["merged_into", "updated_at"])
    ticket_event_add(
        ticket=locked_source,
        kind=TicketEventKind.SYSTEM,
        actor=actor,
        action=TicketSystemAction.MERGED_INTO,
        new_value=locked_target.number,
    )
    ticket_event_add(
        ticket=locked_target,
        kind=TicketEventKind.SYSTEM,
        actor=actor,
        action=TicketSystemAction.MERGED_FROM,
        new_value=locked_source.number,
    )
    chat_link.conversation_post_ticket_status(
        ticket=locked_source,
        old_status=old_status or locked_source.status,
        merged_into=locked_target,
    )
    ticket_events.publish_ticket(locked_source)
    ticket_events.publish_ticket(locked_target)
    return locked_target


@transaction.atomic
def ticket_link(*, actor: AbstractBaseUser | None, ticket: Ticket, other: Ticket) -> bool:
    """Mark two tickets as related (both ways); a `system` event `linked` on each, naming the
    other. Returns False, writing nothing, when they were related already."""
    if ticket.pk == other.pk:
        raise TicketError("link_to_itself", _("A ticket cannot be linked to itself."))
    locked, locked_other = lock_tickets(ticket, other)
    if locked.related.filter(pk=locked_other.pk).exists():
        return False
    locked.related.add(locked_other)
    for one, two in ((locked, locked_other), (locked_other, locked)):
        ticket_event_add(
            ticket=one,
            kind=TicketEventKind.SYSTEM,
            actor=actor,
            action=TicketSystemAction.LINKED,
            new_value=two.number,
        )
    return True
