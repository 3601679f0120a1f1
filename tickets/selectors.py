"""Reads of tickets, scoped to what the agent may see.

The 转工单 reads (`conversation_transcript`, `ticket_prefill_from_conversation`) take a conversation
the caller has already reached through `chat.selectors.conversation_get_for_agent` (or a service
that owns it); they add no scope of their own.
"""

from datetime import datetime, tzinfo
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from chat import context as conversation_context
from chat.models import Conversation, Customer, Message, SenderType
from chat.selectors import conversation_get_for_agent, conversations_for_agent
from desk.kernel.access import team_scope
from desk.kernel.choices import Priority
from routing.selectors import agent_display_name
from tickets.models import Category, Ticket, TicketEvent, TicketStatus
from tickets.transitions import ACTIVE_STATUSES


def tickets_for_agent(user: AbstractBaseUser) -> QuerySet[Ticket]:
    queryset = Ticket.objects.select_related("requester", "assignee", "team", "category")
    scope = team_scope(user)
    return queryset if scope is None else queryset.filter(scope)


def ticket_get_for_agent(user: AbstractBaseUser, pk: int) -> Ticket | None:
    """The ticket, or None when it does not exist or the agent may not see it."""
    return tickets_for_agent(user).filter(pk=pk).first()


def ticket_chat_reachable(user: AbstractBaseUser, ticket: Ticket) -> bool:
    """May the agent's public reply on this ticket go into its chat? Only if they may read that
    chat (the ticket may have moved to their team while the chat stayed with another). A ticket
    without a chat has nothing to reach."""
    if ticket.conversation_id is None:
        return True
    return conversation_get_for_agent(user, ticket.conversation_id) is not None


def conversation_open_ticket(conversation: Conversation) -> Ticket | None:
    """The conversation's newest ticket that still needs work (what 转工单 would hand back)."""
    return (
        Ticket.objects.select_related("assignee", "team", "category")
        .filter(conversation=conversation, status__in=ACTIVE_STATUSES)
        .order_by("-created_at", "-id")
        .first()
    )


def categories_active() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).select_related("parent").order_by("name")


# ---- timeline -----------------------------------------------------------------------------

MAX_MERGE_DEPTH = 20


def ticket_merged_ids(ticket: Ticket) -> list[int]:
    """The ticket and every ticket merged into it, directly or through a chain of merges."""
    ids, frontier = [ticket.pk], [ticket.pk]
    for _depth in range(MAX_MERGE_DEPTH):
        merged = Ticket.objects.filter(merged_into__in=frontier)
        frontier = list(merged.values_list("pk", flat=True))
        if not frontier:
            break
        ids += frontier
    return ids


def ticket_timeline(ticket: Ticket) -> QuerySet[TicketEvent]:
    """The ticket's timeline, including the events of tickets merged into it, oldest first.

    Events stay on the ticket they happened to (they are append-only); each row's `ticket` tells
    which ticket that was."""
    return (
        TicketEvent.objects.filter(ticket_id__in=ticket_merged_ids(ticket))
        .select_related("ticket", "actor__agent_profile", "actor_customer", "message")
        .order_by("created_at", "id")
    )


def ticket_timeline_for_agent(user: AbstractBaseUser, pk: int) -> QuerySet[TicketEvent] | None:
    """The timeline of a ticket the agent may see, or None (not found and forbidden look alike)."""
    ticket = ticket_get_for_agent(user, pk)
    return None if ticket is None else ticket_timeline(ticket)


def ticket_final(ticket: Ticket) -> Ticket:
    """Where a ticket's thread lives now: the ticket itself, or the one it was merged into."""
    for _depth in range(MAX_MERGE_DEPTH):
        if ticket.merged_into_id is None:
            break
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
    return ticket


def ticket_for_conversation(conversation_id: int) -> Ticket | None:
    """The ticket a customer message in this conversation belongs to: the newest ticket (after
    following merges) that still needs work, else the newest resolved one; never a closed one."""
    resolved = None
    seen: set[int] = set()
    linked = Ticket.objects.filter(conversation_id=conversation_id).order_by("-created_at", "-id")
    for ticket in linked[:MAX_MERGE_DEPTH]:
        final = ticket_final(ticket)
        if final.pk in seen:
            continue
        seen.add(final.pk)
        if final.status in ACTIVE_STATUSES:
            return final
        if final.status == TicketStatus.RESOLVED and resolved is None:
            resolved = final
    return resolved


# ---- 转工单: what a conversation gives a new ticket ----------------------------------------

SUBJECT_LENGTH = 60
TRANSCRIPT_LIMIT = 500  # messages; a longer chat keeps its newest ones
TRANSCRIPT_SENDERS = (SenderType.CUSTOMER, SenderType.AGENT, SenderType.BOT)
CONTEXT_FIELDS = ("channel", *conversation_context.CONTEXT_FIELDS)  # chat/context.py
# A VIP's ticket starts at least this urgent (lower number = more urgent).
VIP_PRIORITY = Priority.P1


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _truncate(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def message_text(message: Message) -> str:
    """The message as plain text: its body, then the names of its attachments."""
    names = [f"[{a.original_name}]" for a in message.attachments.all()]
    return "\n".join(part for part in [message.body.strip(), " ".join(names)] if part)


def _author(message: Message, customer: Customer) -> str:
    if message.sender_type == SenderType.CUSTOMER:
        return customer.display_name or _("Customer")
    if message.sender_type == SenderType.BOT:
        return _("Bot")
    user = message.sender_user
    return agent_display_name(user) if user else _("Agent")


def utc_offset(moment: datetime) -> str:
    """The zone of an aware time as readers everywhere understand it: `UTC+08:00`."""
    offset = moment.strftime("%z")  # +0800
    return f"UTC{offset[:3]}:{offset[3:5]}"


def conversation_transcript(conversation: Conversation, *, zone: tzinfo | None = None) -> str:
    """The chat as the customer saw it, one line per message:
    `[2026-03-01 10:00:05 UTC+08:00] Name: text`.

    Customer, agent and bot messages only: internal notes, activity rows and ticket cards are left
    out. Times are in `zone` (the reader's; the site's time zone by default) and name it, so the
    stored text stays clear to a reader elsewhere; continuation lines are indented."""
    rows = list(
        Message.objects.filter(
            conversation=conversation, is_internal=False, sender_type__in=TRANSCRIPT_SENDERS
        )
        .select_related("sender_user__agent_profile")
        .prefetch_related("attachments")
        .order_by("-seq")[: TRANSCRIPT_LIMIT + 1]
    )
    lines = []
    if len(rows) > TRANSCRIPT_LIMIT:
        rows = rows[:TRANSCRIPT_LIMIT]
        lines.append(_("(earlier messages left out)"))
    customer = conversation.customer
    for message in reversed(rows):
        moment = timezone.localtime(message.created_at, zone)
        when = f"{moment:%Y-%m-%d %H:%M:%S} {utc_offset(moment)}"
        text = message_text(message).replace("\n", "\n    ")
        lines.append(f"[{when}] {_author(message, customer)}: {text}")
    return "\n".join(lines)


def ticket_subject_from_text(text: str) -> str:
    """`text` as a ticket subject: on one line, at most 60 characters ("" if blank)."""
    return _truncate(_one_line(text), SUBJECT_LENGTH)


def conversation_ticket_subject(conversation: Conversation) -> str:
    """The first thing the customer wrote, on one line, at most 60 characters."""
    bodies = Message.objects.filter(
        conversation=conversation, sender_type=SenderType.CUSTOMER, is_internal=False
    ).order_by("seq")
    for body in bodies.values_list("body", flat=True)[:20]:
        subject = ticket_subject_from_text(body)
        if subject:
            return subject
    if conversation.subject.strip():
        return _truncate(_one_line(conversation.subject), SUBJECT_LENGTH)
    return _("Conversation #%(id)s") % {"id": conversation.pk}


def conversation_context_fields(conversation: Conversation) -> dict[str, str]:
    """Where the customer was: channel, device, OS, browser, app version, page (non-empty only)."""
    values = {name: getattr(conversation, name) for name in CONTEXT_FIELDS}
    return {name: str(value) for name, value in values.items() if value}


def customer_ticket_attributes(customer: Customer) -> dict[str, Any]:
    """The customer's custom attributes (order number, membership …) plus the VIP level."""
    attributes = dict(customer.attributes or {})
    if customer.vip_level:
        attributes.setdefault("vip_level", customer.vip_level)
    return attributes


def suggested_priority(conversation: Conversation) -> int:
    """The conversation's priority; a VIP customer's ticket is at least P1 (high)."""
    if conversation.customer.vip_level:
        return min(conversation.priority, VIP_PRIORITY)
    return conversation.priority


def ticket_custom_fields_from_conversation(conversation: Conversation) -> dict[str, Any]:
    """What a ticket keeps of its conversation in `custom_fields`: `context` and
    `customer_attributes` (each left out when empty)."""
    fields: dict[str, Any] = {}
    context = conversation_context_fields(conversation)
    if context:
        fields["context"] = context
    attributes = customer_ticket_attributes(conversation.customer)
    if attributes:
        fields["customer_attributes"] = attributes
    return fields


def ticket_prefill_from_conversation(
    conversation: Conversation, *, zone: tzinfo | None = None
) -> dict[str, Any]:
    """Everything a 转工单 form starts with. Keys: `subject`, `description` (the transcript, its
    times in `zone`),
    `requester`, `identities` (kind, external_id, verified), `context`, `attributes`, `priority`,
    `team`, `custom_fields`."""
    customer = conversation.customer
    identities = [
        {"kind": i.kind, "external_id": i.external_id, "verified": i.verified}
        for i in customer.identities.all()
    ]
    return {
        "subject": conversation_ticket_subject(conversation),
        "description": conversation_transcript(conversation, zone=zone),
        "requester": customer,
        "identities": identities,
        "context": conversation_context_fields(conversation),
        "attributes": customer_ticket_attributes(customer),
        "priority": suggested_priority(conversation),
        "team": conversation.team,
        "custom_fields": ticket_custom_fields_from_conversation(conversation),
    }


# ---- the customer panel (conversation and customer detail) --------------------------------

HISTORY_LIMIT = 10


def customer_history_for_agent(
    user: AbstractBaseUser, customer_id: int, *, exclude_conversation_id: int | None = None
) -> tuple[list[Conversation], list[Ticket]]:
    """The customer's conversations (but the excluded one) and tickets the agent may see,
    newest first, at most HISTORY_LIMIT of each."""
    conversations = (
        conversations_for_agent(user)
        .filter(customer_id=customer_id)
        .exclude(pk=exclude_conversation_id)
        .order_by("-created_at", "-id")[:HISTORY_LIMIT]
    )
    tickets = (
        tickets_for_agent(user)
        .filter(requester_id=customer_id)
        .order_by("-created_at", "-id")[:HISTORY_LIMIT]
    )
    return list(conversations), list(tickets)


def customer_get_for_agent(user: AbstractBaseUser, pk: int) -> Customer | None:
    """The customer, or None when it does not exist or the agent sees none of its
    conversations and tickets (the two look alike)."""
    visible = conversations_for_agent(user).filter(customer_id=pk).exists() or (
        tickets_for_agent(user).filter(requester_id=pk).exists()
    )
    if not visible:
        return None
    return Customer.objects.prefetch_related("identities").filter(pk=pk).first()
