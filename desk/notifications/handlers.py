"""The bell's domain-event handlers: what a ticket change tells which agent.

Registered in `desk/event_handlers.py`. The ticket services record `ticket.*` events in their
transaction (`desk.kernel.domain_events`); after it commits each handler here runs in its own
transaction, at least once, and the kernel's marker keeps its rows and pushes to one run per
event: the pushes are published inside that transaction, so a run that rolls back (or is skipped
as a repeat) sends nothing. Who hears what is `desk.notifications.services`; these only read the
event's ids back into rows. A ticket, timeline row or agent gone meanwhile tells nobody.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from chat.models import Conversation
from desk.kernel import domain_events
from desk.kernel.roles import supervisors
from desk.notifications import services
from tickets.models import Ticket, TicketEvent, TicketSource


def _user(user_id: Any) -> AbstractBaseUser | None:
    if not isinstance(user_id, int):
        return None
    return get_user_model().objects.select_related("agent_profile").filter(pk=user_id).first()


def _ticket(event: domain_events.Event) -> Ticket | None:
    if event.ticket_id is None:
        return None
    return Ticket.objects.filter(pk=event.ticket_id).first()


def _timeline_row(event: domain_events.Event) -> TicketEvent | None:
    row_id = event.payload.get("timeline_event_id")
    if not isinstance(row_id, int):
        return None
    return (
        TicketEvent.objects.select_related("ticket", "actor__agent_profile", "actor_customer")
        .filter(pk=row_id)
        .first()
    )


@transaction.atomic
def ticket_created(event: domain_events.Event) -> None:
    """`ticket.created`: a conversation that became a ticket (转工单, any source but `manual`)
    tells the agent it was assigned to then, unless they did it."""
    payload = event.payload
    if payload.get("source") == TicketSource.MANUAL or event.conversation_id is None:
        return
    agent = _user(payload.get("conversation_assignee_id"))
    ticket = _ticket(event)
    if agent is None or ticket is None:
        return
    services.notify_ticket_created(
        actor=_user(payload.get("actor_id")), ticket=ticket, conversation_agent=agent
    )


@transaction.atomic
def ticket_updated(event: domain_events.Event) -> None:
    """`ticket.updated` with a new assignee: they hear it, unless they took it themselves."""
    change = event.payload.get("changes", {}).get("assignee")
    if not change or change.get("new") is None or change.get("new") == change.get("old"):
        return
    assignee = _user(change["new"])
    ticket = _ticket(event)
    if assignee is None or ticket is None:
        return
    services.notify_assigned(
        actor=_user(event.payload.get("actor_id")), ticket=ticket, assignee=assignee
    )


@transaction.atomic
def ticket_comment_added(event: domain_events.Event) -> None:
    """`ticket.comment_added` (an agent's reply or note): the agents its text `@names` hear it.
    The text is read from the timeline row, which never changes."""
    row = _timeline_row(event)
    if row is None or not row.body:
        return
    services.notify_mentions(actor=row.actor, ticket=row.ticket, body=row.body)


@transaction.atomic
def ticket_customer_replied(event: domain_events.Event) -> None:
    """`ticket.customer_replied`: the ticket's assignee at that moment hears it (once while such
    a notification is unread)."""
    row = _timeline_row(event)
    if row is None:
        return
    assignee = _user(event.payload.get("assignee_id"))
    customer = row.actor_customer
    services.notify_customer_reply(
        ticket=row.ticket,
        assignee=assignee,
        customer_name=str(customer) if customer is not None else "",
        body=row.body,
    )


def _sla(event: domain_events.Event, *, breached: bool) -> None:
    ticket = _ticket(event)
    if ticket is None:
        return
    recipients = [user for user in [_user(event.payload.get("assignee_id"))] if user is not None]
    if breached or not recipients:  # a breach, or a warning nobody owns: the supervisors too
        recipients += list(supervisors())
    services.notify_sla(
        ticket=ticket,
        recipients=recipients,
        breached=breached,
        target=str(event.payload.get("target", "")),
    )


@transaction.atomic
def ticket_sla_warning(event: domain_events.Event) -> None:
    """`ticket.sla_warning`: the assignee hears that a target is at risk (the supervisors when
    nobody owns the ticket)."""
    _sla(event, breached=False)


@transaction.atomic
def ticket_sla_breached(event: domain_events.Event) -> None:
    """`ticket.sla_breached`: the assignee and the supervisors hear that a target was missed."""
    _sla(event, breached=True)


@transaction.atomic
def ticket_automation_notice(event: domain_events.Event) -> None:
    """`ticket.automation_notice`: each recipient the rule chose hears it (named after the
    rule), once per event."""
    ticket = _ticket(event)
    if ticket is None:
        return
    ids = [pk for pk in event.payload.get("recipient_ids", []) if isinstance(pk, int)]
    services.notify_automation(
        ticket=ticket,
        recipients=list(get_user_model().objects.filter(pk__in=ids, is_active=True).order_by("pk")),
        rule_name=str(event.payload.get("rule_name", "")),
        text=str(event.payload.get("text", "")),
    )


def _conversation_sla(event: domain_events.Event, *, breached: bool) -> None:
    conversation = (
        Conversation.objects.select_related("customer").filter(pk=event.conversation_id).first()
    )
    if conversation is None:
        return
    recipients = [user for user in [_user(event.payload.get("assignee_id"))] if user is not None]
    if breached or not recipients:  # a breach, or a warning nobody owns: the supervisors too
        recipients += list(supervisors())
    services.notify_conversation_sla(
        conversation=conversation,
        recipients=recipients,
        breached=breached,
        target=str(event.payload.get("target", "")),
    )


@transaction.atomic
def conversation_sla_warning(event: domain_events.Event) -> None:
    """`conversation.sla_warning`: the assignee hears that the first response is at risk (the
    supervisors when nobody owns the conversation)."""
    _conversation_sla(event, breached=False)


@transaction.atomic
def conversation_sla_breached(event: domain_events.Event) -> None:
    """`conversation.sla_breached`: the assignee and the supervisors hear that the first
    response is late."""
    _conversation_sla(event, breached=True)
