"""Ranking tickets by their subject, description, replies and notes, within a queryset the
caller has scoped."""

from dataclasses import dataclass

from django.db.models import QuerySet

from desk.kernel.search.snippets import snippet_html
from desk.kernel.search.text import query_terms, typed_prefixes
from tickets.models import Ticket
from tickets.search.models import TICKET_SEARCH_INDEX, TicketSearch

MAX_QUERY = 200  # characters of a query that are searched


@dataclass(frozen=True)
class TicketHit:
    ticket_id: int
    score: float  # higher is better: the subject weighs over the rest
    snippet_html: str  # a few words around the matches in <mark>, all else escaped


def ticket_hits(within: QuerySet[Ticket], query: str, *, limit: int) -> list[TicketHit]:
    """The tickets of `within` whose text matches `query`, best first, at most `limit`, each
    with a snippet. Two queries (none for a query of stop words only)."""
    query = query[:MAX_QUERY]
    terms = query_terms(query)
    if not terms or limit <= 0:
        return []
    prefixes = typed_prefixes(query, terms)
    ranked = TICKET_SEARCH_INDEX.rank(terms, within, limit=limit, prefixes=prefixes)
    if not ranked:
        return []
    texts = dict(
        TicketSearch.objects.filter(pk__in=[pk for pk, _ in ranked]).values_list("pk", "text")
    )
    return [
        TicketHit(
            ticket_id=pk,
            score=score,
            snippet_html=snippet_html(texts.get(pk, ""), terms, prefixes=prefixes),
        )
        for pk, score in ranked
    ]
