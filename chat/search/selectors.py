"""Ranking conversations by their messages' text, within a queryset the caller has scoped."""

from dataclasses import dataclass

from django.db.models import QuerySet

from chat.models import Conversation, Message
from chat.search.models import MESSAGE_SEARCH_INDEX
from desk.kernel.search.snippets import snippet_html
from desk.kernel.search.text import query_terms, typed_prefixes

MAX_QUERY = 200  # characters of a query that are searched
# A search looks at the latest RECENT messages first and at older ones only when those make
# fewer conversations than a page: a common word in a million messages is ranked among its
# recent uses, so a search costs about the same however common the word (bench/search.py).
RECENT = 20000


@dataclass(frozen=True)
class ConversationHit:
    conversation_id: int
    score: float  # the best matching message's (higher is better)
    message_id: int  # that message
    snippet_html: str  # a few words of it, the matches in <mark>, all else escaped


def conversation_hits(
    within: QuerySet[Conversation], query: str, *, limit: int
) -> list[ConversationHit]:
    """The conversations of `within` with messages matching `query`, each scored by its best
    message, best first, at most `limit`, with a snippet of that message. Two queries (none for
    a query of stop words only)."""
    query = query[:MAX_QUERY]
    terms = query_terms(query)
    if not terms or limit <= 0:
        return []
    prefixes = typed_prefixes(query, terms)
    ranked = MESSAGE_SEARCH_INDEX.rank_groups(
        terms,
        group="conversation_id",
        within=within if within.query.where else None,  # unrestricted: no subquery to join
        limit=limit,
        recent=RECENT,
        prefixes=prefixes,
    )
    if not ranked:
        return []
    wanted = [message_id for _, _, message_id in ranked]
    bodies = dict(Message.objects.filter(pk__in=wanted).values_list("pk", "body"))
    hits = []
    for conversation_id, score, message_id in ranked:
        body = bodies.get(message_id, "")
        hits.append(
            ConversationHit(
                conversation_id=conversation_id,
                score=score,
                message_id=message_id,
                snippet_html=snippet_html(body, terms, prefixes=prefixes),
            )
        )
    return hits
