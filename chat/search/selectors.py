"""Ranking conversations by their messages' words, within a queryset the caller has scoped."""

import math
from collections import Counter
from dataclasses import dataclass
from functools import cache
from operator import itemgetter

from django.db.models import QuerySet

from chat.models import Conversation
from chat.search import terms as term_index
from desk.kernel.search.postings import term_key
from desk.kernel.search.snippets import snippet_html
from desk.kernel.search.text import query_terms, typed_prefixes

MAX_QUERY = 200  # characters of a query that are searched
# Each word's newest PER_TERM messages are read; only when they make fewer conversations than
# asked for (a word common in a scope that holds few of its uses) are its newest DEEP read.
PER_TERM = 1000
DEEP = 20000


@dataclass(frozen=True)
class ConversationHit:
    conversation_id: int
    score: float  # the best matching message's (higher is better)
    message_id: int  # that message
    snippet_html: str  # a few words of it, the matches in <mark>, all else escaped


def _ranked(
    postings: list[term_index.Posting], words: dict[str, str], per_term: int, limit: int
) -> list[tuple[int, float, int]]:
    """`(conversation id, score, message id)`, best first, at most `limit`: a message scores
    the rarity of each query term it has (1 for a term with a full list of newest postings,
    more for one that fewer messages have), a conversation its best message's score, the newer
    message first on a tie."""
    per_word = Counter(map(itemgetter(0), postings))
    listed: Counter[str] = Counter()
    for word, count in per_word.items():
        listed[words[word]] += count
    rarity = {term: 1 + math.log(per_term / min(count, per_term)) for term, count in listed.items()}
    if len(rarity) == 1:  # every match scores the same: the newest conversations
        score = round(next(iter(rarity.values())), 4)
        best: dict[int, int] = {}
        for _, message_id, conversation_id in sorted(postings, key=lambda p: -p[1]):
            best.setdefault(conversation_id, message_id)
            if len(best) == limit:
                break
        return [(group, score, message_id) for group, message_id in best.items()]
    # which of the query's terms a message has, as the bits of a number
    bit = {term: 1 << n for n, term in enumerate(rarity)}
    word_bit = {word: bit[words[word]] for word in per_word}
    has: dict[int, int] = {}
    group_of: dict[int, int] = {}
    for word, message_id, conversation_id in postings:
        has[message_id] = has.get(message_id, 0) | word_bit[word]
        group_of[message_id] = conversation_id

    @cache
    def value(terms: int) -> float:
        return sum(rarity[term] for term, mask in bit.items() if terms & mask)

    scores = {pk: value(terms) for pk, terms in has.items()}
    ranked = _best_per_group(scores, group_of, limit)
    # A message may have a term it was not listed for only when a word of that term had a full
    # list (then the message is older than all of it). Those that could reach the page with it
    # are looked up (one query): a tie would go to the newer message already on the page.
    unsure = 0
    for word, count in per_word.items():
        if count >= per_term:
            unsure |= word_bit[word]
    floor = ranked[-1][1] if len(ranked) == limit else -1.0
    bounds = {
        pk: scores[pk] + value(unsure & ~terms)
        for pk, terms in has.items()
        if unsure & ~terms and scores[pk] + value(unsure & ~terms) > floor
    }
    lookups = sorted(bounds, key=lambda pk: (-bounds[pk], -pk))[:limit]
    if not lookups:
        return ranked
    for message_id, word in term_index.message_terms(lookups, words):
        has[message_id] |= bit[words[word]]
        scores[message_id] = value(has[message_id])
    return _best_per_group(scores, group_of, limit)


def _best_per_group(
    scores: dict[int, float], group_of: dict[int, int], limit: int
) -> list[tuple[int, float, int]]:
    ranked: dict[int, tuple[float, int]] = {}
    for negative_score, negative_id in sorted((-score, -pk) for pk, score in scores.items()):
        ranked.setdefault(group_of[-negative_id], (round(-negative_score, 4), -negative_id))
        if len(ranked) == limit:
            break
    return [(group, score, message_id) for group, (score, message_id) in ranked.items()]


def _a_list_is_full(postings: list[term_index.Posting], per_term: int) -> bool:
    counts = Counter(map(itemgetter(0), postings))
    return bool(counts) and max(counts.values()) >= per_term


def conversation_ranks(
    within: QuerySet[Conversation] | None, query: str, *, limit: int
) -> tuple[list[tuple[int, float, int]], list[str], frozenset[str]]:
    """The ranking alone: `(conversation id, score, best message id)` best first, at most
    `limit`, and the query's terms and typed prefix. One read of the index for the query's
    words (one more query to look up the best messages' other words); the word being typed
    stands for the words it starts when it finds fewer than `limit` messages by itself (two
    queries more); a second read, deeper, only when the first made fewer than `limit`
    conversations from a full list."""
    query = query[:MAX_QUERY]
    terms = query_terms(query)
    if not terms or limit <= 0:
        return [], terms, frozenset()
    prefixes = typed_prefixes(query, terms)
    words = {term_key(term): term for term in terms}
    postings = term_index.newest_postings(words, within=within, per_term=PER_TERM)
    found = Counter(map(itemgetter(0), postings))
    longer = {
        word: term
        for term in prefixes
        if found[term_key(term)] < limit
        for word in term_index.words_from(term)
        if word not in words
    }
    if longer:
        words.update(longer)
        postings += term_index.newest_postings(longer, within=within, per_term=PER_TERM)
    ranked = _ranked(postings, words, PER_TERM, limit)
    if len(ranked) < limit and _a_list_is_full(postings, PER_TERM):
        postings = term_index.newest_postings(words, within=within, per_term=DEEP)
        ranked = _ranked(postings, words, DEEP, limit)
    return ranked, terms, prefixes


def conversation_hits(
    within: QuerySet[Conversation], query: str, *, limit: int
) -> list[ConversationHit]:
    """The conversations of `within` with messages matching `query`, each scored by its best
    message, best first, at most `limit`, with a snippet of that message. Two queries for a
    word (none for a query of stop words only), see `conversation_ranks` for more."""
    ranked, terms, prefixes = conversation_ranks(
        within if within.query.where else None,  # unrestricted: no subquery to join
        query,
        limit=limit,
    )
    if not ranked:
        return []
    wanted = [message_id for _, _, message_id in ranked]
    bodies = term_index.message_bodies(wanted)
    return [
        ConversationHit(
            conversation_id=conversation_id,
            score=score,
            message_id=message_id,
            snippet_html=snippet_html(bodies.get(message_id, ""), terms, prefixes=prefixes),
        )
        for conversation_id, score, message_id in ranked
    ]
