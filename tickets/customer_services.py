"""Customer-side writes to tickets: replies, chat messages that continue a ticket, ratings (CSAT).

The customer is the actor here (`TicketEvent.actor_customer`); interfaces resolve who the customer
is (widget token, verified email sender) before calling. Lock order as in `tickets.services`.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chat.models import Customer, Message, SenderType
from desk.kernel import domain_events
from tickets import chat_link, errors
from tickets import events as ticket_events
from tickets.errors import TicketError
from tickets.models import (
    CSAT_MAX,
    CSAT_MIN,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
    TicketSystemAction,
)
from tickets.selectors import message_text, ticket_for_conversation
from tickets.services import (
    apply_changes,
    lock_conversations,
    lock_tickets,
    ticket_event_add,
    ticket_merged_refusal,
)
from tickets.sla import services as sla_services
from tickets.sla import timers as sla_timers
from tickets.transitions import DONE_STATUSES

# The customer has answered: a ticket waiting for them, or one called solved, goes back to work.
REOPEN_ON_CUSTOMER_REPLY = frozenset({TicketStatus.RESOLVED, TicketStatus.PENDING})


def _customer_comment(
    locked: Ticket, *, customer: Customer, body: str, message: Message | None = None
) -> TicketEvent:
    """The customer's `comment` row and the domain event `ticket.customer_replied` (the
    assignee hears of it after commit); a resolved or pending ticket reopens (`ticket.updated`),
    and the next-response clock starts unless an earlier reply is still unanswered."""
    event = ticket_event_add(
        ticket=locked,
        kind=TicketEventKind.COMMENT,
        actor_customer=customer,
        body=body,
        message=message,
    )
    locked.customer_replied_at = event.created_at  # the time rules count from it
    domain_events.record(
        "ticket.customer_replied",
        ticket_id=locked.pk,
        conversation_id=locked.conversation_id,
        message_id=None if message is None else message.pk,
        payload={
            "timeline_event_id": event.pk,
            "customer_id": customer.pk,
            "assignee_id": locked.assignee_id,  # who owned the ticket then (they hear of it)
        },
    )
    if locked.status in REOPEN_ON_CUSTOMER_REPLY:
        old_status = apply_changes(
            locked, {"status": TicketStatus.OPEN}, actor=None, actor_customer=customer
        )
        chat_link.conversation_post_ticket_status(ticket=locked, old_status=old_status or "")
    clock = sla_services.sla_on_customer_reply(locked, now=timezone.now())
    locked.save(update_fields=["customer_replied_at", *clock, "updated_at"])
    if "next_response_due_at" in clock:
        sla_timers.timers_reset(locked)
    ticket_events.publish_ticket(locked)
    return event


@transaction.atomic
def ticket_customer_reply(*, ticket: Ticket, customer: Customer, body: str) -> TicketEvent:
    """The requester writes on their ticket (outside the chat, e.g. an email or the ticket page):
    a `comment` event by the customer; a resolved or pending ticket goes back to `open` with a
    `status` event, and the chat hears it. A closed or merged ticket takes no replies."""
    text = body.strip()
    if not text:
        raise errors.empty_body()
    (locked,) = lock_tickets(ticket)
    if locked.requester_id != customer.pk:
        raise errors.not_requester()
    if locked.merged_into_id is not None:
        raise ticket_merged_refusal()
    if locked.status == TicketStatus.CLOSED:
        raise errors.ticket_closed()
    return _customer_comment(locked, customer=customer, body=text)


@transaction.atomic
def ticket_on_customer_message(*, message: Message) -> TicketEvent | None:
    """A customer's chat message continues the conversation's ticket: it is appended to the
    ticket's timeline as a `comment` by the customer (linked to the message), and a resolved or
    pending ticket goes back to `open`. The ticket is the conversation's newest one that still
    needs work, else its newest resolved one, following merges (`ticket_for_conversation`).

    Returns the event, or None when the message is not a public customer message or there is no
    such ticket. Offering the same message twice returns the first event (a unique constraint
    backs this up).

    Called after commit by the `message.created` domain-event handler
    (`tickets.handlers.message_created_continue_ticket`) for every new customer message, from
    any channel; it takes the conversation lock itself."""
    if message.sender_type != SenderType.CUSTOMER or message.is_internal:
        return None
    lock_conversations([message.conversation_id])
    ticket = ticket_for_conversation(message.conversation_id)
    if ticket is None:
        return None
    (locked,) = lock_tickets(ticket)
    if locked.status == TicketStatus.CLOSED:
        return None
    existing = TicketEvent.objects.filter(ticket=locked, message=message).first()
    if existing is not None:
        return existing
    customer = message.conversation.customer
    return _customer_comment(locked, customer=customer, body=message_text(message), message=message)


@transaction.atomic
def ticket_rate(*, ticket: Ticket, customer: Customer, score: int, comment: str = "") -> Ticket:
    """The requester rates a resolved or closed ticket once (CSAT, 1–5 with an optional comment):
    `csat_score`, `csat_comment`, `csat_at` and a `system` event `rated` (new value: the score,
    body: the comment)."""
    if isinstance(score, bool) or not isinstance(score, int) or not CSAT_MIN <= score <= CSAT_MAX:
        raise TicketError(
            "invalid_score",
            _("The score must be a whole number from %(min)s to %(max)s.")
            % {"min": CSAT_MIN, "max": CSAT_MAX},
        )
    (locked,) = lock_tickets(ticket)
    if locked.requester_id != customer.pk:
        raise errors.not_requester()
    if locked.status not in DONE_STATUSES:
        raise TicketError("not_rateable", _("Only a resolved or closed ticket can be rated."))
    if locked.csat_score is not None:
        raise TicketError("already_rated", _("This ticket has already been rated."))
    locked.csat_score = score
    locked.csat_comment = comment.strip()
    locked.csat_at = timezone.now()
    locked.save(update_fields=["csat_score", "csat_comment", "csat_at", "updated_at"])
    ticket_event_add(
        ticket=locked,
        kind=TicketEventKind.SYSTEM,
        actor_customer=customer,
        action=TicketSystemAction.RATED,
        new_value=str(score),
        body=locked.csat_comment,
    )
    ticket_events.publish_ticket(locked)
    return locked
