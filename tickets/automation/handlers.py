"""The domain-event handler of the event rules (registered in desk/event_handlers.py): it runs
after the ticket's transaction committed, in its own, with the kernel's idempotency marker."""

from django.db import transaction

from desk.kernel import domain_events
from tickets.automation import engine


@domain_events.takes(lambda event: event.ticket_id is not None)
@transaction.atomic
def ticket_event_rules(event: domain_events.Event) -> None:
    """`ticket.created`, `ticket.updated`, `ticket.customer_replied`, `ticket.sla_warning`,
    `ticket.sla_breached`: the active rules of that trigger, in order, on the event's ticket."""
    engine.event_rules_run(event)
