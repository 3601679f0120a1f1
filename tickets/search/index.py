"""Keeping the ticket index up to date: after commit, per ticket (the handler of the ticket
events that change its text), and in batches for tickets stored before (the `search_reindex`
command). Idempotent: the document is rebuilt from the ticket as it is now."""

from collections.abc import Iterable

from django.db import transaction

from desk.kernel import domain_events
from desk.kernel.search.text import index_text
from tickets.models import Ticket, TicketEvent, TicketEventKind
from tickets.search.models import TicketSearch

BATCH = 500
# Timeline rows whose body is words someone wrote: public replies (the agent's and the
# customer's) and internal notes (agents see both; the list is agents only).
WRITTEN = (TicketEventKind.COMMENT, TicketEventKind.NOTE)


def tickets_index(ticket_ids: Iterable[int]) -> int:
    """Rebuild the search documents of these tickets; returns how many. Three queries."""
    tickets = list(Ticket.objects.filter(pk__in=list(ticket_ids)).only("subject", "description"))
    bodies: dict[int, list[str]] = {ticket.pk: [] for ticket in tickets}
    written = TicketEvent.objects.filter(ticket__in=tickets, kind__in=WRITTEN).exclude(body="")
    for ticket_id, body in written.order_by("id").values_list("ticket_id", "body"):
        bodies[ticket_id].append(body)
    rows = []
    for ticket in tickets:
        body = "\n".join([ticket.description, *bodies[ticket.pk]])
        rows.append(
            TicketSearch(
                ticket_id=ticket.pk,
                search_title=index_text(ticket.subject),
                search_body=index_text(body),
                text=f"{ticket.subject}\n{body}",
            )
        )
    TicketSearch.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["ticket"],
        update_fields=["search_title", "search_body", "text"],
    )
    return len(rows)


def ticket_changed_index(event: domain_events.Event) -> None:
    """Handler of `ticket.created`, `ticket.updated`, `ticket.comment_added` and
    `ticket.customer_replied`: rebuild the ticket's document after its transaction committed."""
    if event.ticket_id is not None:
        tickets_index([event.ticket_id])


def tickets_backfill(*, batch: int = BATCH, rebuild: bool = False) -> int:
    """Index the tickets without a document (all of them with `rebuild`), in batches, each in
    its own transaction; returns how many were written."""
    done, after = 0, 0
    while True:
        pending = Ticket.objects.filter(pk__gt=after).order_by("pk")
        if not rebuild:
            indexed = TicketSearch.objects.filter(ticket_id__gt=after).values("ticket_id")
            pending = pending.exclude(pk__in=indexed)
        ids = list(pending.values_list("pk", flat=True)[:batch])
        if not ids:
            return done
        with transaction.atomic():
            done += tickets_index(ids)
        after = ids[-1]
