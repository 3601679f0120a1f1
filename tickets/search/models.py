"""The search document of one ticket (imported by tickets.models so Django finds it)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from desk.kernel.search.backends import FullTextIndex


class TicketSearch(models.Model):
    """A ticket's pre-segmented subject (`search_title`) and description, replies and notes
    (`search_body`), and the plain text snippets are cut from; rebuilt after the transaction
    that changed the ticket commits (tickets.search.index), never inside it."""

    # the row's primary key column is `id`, the ticket's id (FullTextIndex reads `id`)
    ticket = models.OneToOneField(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        primary_key=True,
        db_column="id",
        related_name="+",
    )
    search_title = models.TextField(blank=True)
    search_body = models.TextField(blank=True)
    text = models.TextField(blank=True)

    class Meta:
        app_label = "tickets"
        verbose_name = _("ticket search row")

    def __str__(self) -> str:
        return f"{self.ticket_id}"


TICKET_SEARCH_INDEX = FullTextIndex(
    table="tickets_ticketsearch", title="search_title", body="search_body"
)
