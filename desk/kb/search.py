"""Knowledge base search: `kb_search(query, audience=…, language=…, limit=…)`.

The query is cut into terms like the articles were (desk.kernel.search.text); a word being typed
stands for the indexed words it starts. Each term's best articles come from the term index
(desk/kb/terms.py: a bounded read per term, however large the knowledge base), among those the
audience may read; an article's first score is its terms' weights, a rarer term counting more
(fewer articles have it). The best candidates are ranked again: that score with how many of the
query's terms the article and its title have, and how much of the title the query names. A
misspelt English word is corrected from the index's words. Each hit carries a snippet of its
text with the matched terms in <mark>, all else escaped. The same on PostgreSQL and SQLite.
"""

import math
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import QuerySet

from desk.kb import terms as term_index
from desk.kernel.search.snippets import snippet_html
from desk.kernel.search.text import corrections, is_cjk, query_terms, typed_prefixes
from desk.models import Audience, KbArticle

MAX_QUERY = 200  # characters of a query an interface accepts
CANDIDATES = 50  # articles ranked again after the term index's first scores

# The final score: the first score (scaled to the best candidate's), the share of the query's
# terms found in the article and in its title, and the share of the title the query's terms make
# (a title that is about the question: 如何申请退款 over 手机退款到账时间查询 for 退款).
W_DATABASE, W_COVERAGE, W_TITLE, W_FOCUS = 0.35, 0.3, 0.15, 0.2


@dataclass(frozen=True)
class Hit:
    article: KbArticle
    score: float
    snippet_html: str


def kb_articles_for(audience: Audience, language: str | None = None) -> QuerySet[KbArticle]:
    """The articles `audience` may read (customers: published; agents: also internal-only),
    in one language or all."""
    articles = KbArticle.objects.filter(status__in=Audience(audience).statuses)
    if language:
        articles = articles.filter(language=language)
    return articles


def _words(terms: list[str], prefixes: frozenset[str]) -> dict[str, list[str]]:
    """`{query term: the indexed words it matches}`: itself, and for the word being typed the
    words it starts."""
    words = {term: [term_index.term_key(term)] for term in terms}
    for term in prefixes:
        longer = term_index.words_from(term, limit=term_index.PREFIX_WORDS + 1)
        words[term] = list(dict.fromkeys([term_index.term_key(term), *longer]))
    return words


def _first_scores(
    words: dict[str, list[str]], postings: list[term_index.Posting]
) -> tuple[dict[int, float], set[str]]:
    """Each article's first score: over the query's terms, the weight of its best word there
    times the term's rarity (1 for a term with a full list of best articles, more for one that
    fewer articles have); and the query terms that matched something."""
    term_of = {word: term for term, matched in words.items() for word in matched}
    best: dict[tuple[str, int], float] = {}
    listed: dict[str, int] = defaultdict(int)
    for word, pk, weight, _title in postings:
        term = term_of[word]
        listed[term] += 1
        best[term, pk] = max(best.get((term, pk), 0.0), weight)
    rarity = {
        term: 1 + math.log(term_index.PER_TERM / min(count, term_index.PER_TERM))
        for term, count in listed.items()
    }
    scores: dict[int, float] = defaultdict(float)
    for (term, pk), weight in best.items():
        scores[pk] += weight * rarity[term]
    return scores, set(listed)


def _spelling(terms: list[str], matched: set[str]) -> list[str]:
    """Indexed words one edit away from the query's Latin words that matched nothing (a query
    per such word; none when every word matched)."""
    fixes: list[str] = []
    for term in terms:
        if len(term) < 5 or is_cjk(term) or term.isdigit() or term in matched:
            continue
        vocabulary = term_index.words_from(term[0], limit=2000)
        fixes.extend(word for word in corrections(term, vocabulary) if word not in terms)
    return fixes


@dataclass(frozen=True)
class Ranking:
    ranked: list[tuple[float, int]]  # (score, article id), best first
    terms: list[str]  # the query's terms, with the words a misspelt one may have meant
    prefixes: frozenset[str]  # the word being typed


def kb_rank(
    query: str, *, audience: Audience, language: str | None = None, limit: int = 10
) -> Ranking:
    """The ids of the articles `audience` may read that match `query`, best first, at most
    `limit`, with their scores: the search without loading the articles. Two queries (one more
    for a word being typed, two more when a word is misspelt), whatever the size of the
    knowledge base."""
    query = query[:MAX_QUERY]
    terms = query_terms(query)
    if not terms or limit <= 0:
        return Ranking([], terms, frozenset())
    prefixes = typed_prefixes(query, terms)
    scope = {"statuses": Audience(audience).statuses, "language": language}
    words = _words(terms, prefixes)
    flat = [word for matched in words.values() for word in matched]
    scores, matched = _first_scores(words, term_index.best_postings(flat, **scope))
    fixes = _spelling(terms, matched)
    if fixes:  # a misspelt word: search again with the words it may have meant
        terms = [*terms, *fixes]
        words.update({fix: [term_index.term_key(fix)] for fix in fixes})
        flat += [term_index.term_key(fix) for fix in fixes]
        scores, matched = _first_scores(words, term_index.best_postings(flat, **scope))
    if not scores:
        return Ranking([], terms, prefixes)
    pool = sorted(scores, key=lambda pk: (-scores[pk], pk))[: max(CANDIDATES, limit)]
    return Ranking(_reranked(pool, scores, words, terms, prefixes)[:limit], terms, prefixes)


def kb_search(
    query: str, *, audience: Audience, language: str | None = None, limit: int = 10
) -> list[Hit]:
    """The articles `audience` may read that match `query`, best first, at most `limit`, each
    with a snippet. An empty query (or one of stop words only) finds nothing. Three queries
    (one more for a word being typed, two more when a word is misspelt), whatever the size of
    the knowledge base."""
    ranking = kb_rank(query, audience=audience, language=language, limit=limit)
    if not ranking.ranked:
        return []
    articles = (
        KbArticle.objects.select_related("category")
        .defer("body", "body_html", "search_title", "search_body")  # long, and not shown
        .in_bulk([pk for _, pk in ranking.ranked])
    )
    return [
        Hit(
            article=articles[pk],
            score=round(score, 4),
            snippet_html=snippet_html(
                articles[pk].body_text, ranking.terms, prefixes=ranking.prefixes
            ),
        )
        for score, pk in ranking.ranked
        if pk in articles
    ]


def _reranked(
    pool: list[int],
    scores: dict[int, float],
    words: dict[str, list[str]],
    terms: list[str],
    prefixes: frozenset[str],
) -> list[tuple[float, int]]:
    """The candidates ranked again (see the module's docstring), best first. One query."""
    term_of = {word: term for term, matched in words.items() for word in matched}
    has: dict[int, set[str]] = defaultdict(set)
    in_title: dict[int, set[str]] = defaultdict(set)
    titles, postings = term_index.pool_postings(pool, list(term_of))
    for word, pk, _weight, title in postings:
        has[pk].add(term_of[word])
        if title:
            in_title[pk].add(term_of[word])
    best = max(scores[pk] for pk in pool) or 1.0
    words_typed = set(term_of)
    ranked = []
    for pk in pool:
        if pk not in titles:  # deleted since it was found
            continue
        title_words = titles[pk].split()
        focus = sum(
            word in words_typed or any(word.startswith(p) for p in prefixes) for word in title_words
        ) / max(len(title_words), 1)
        score = (
            W_DATABASE * scores[pk] / best
            + W_COVERAGE * len(has[pk]) / len(terms)
            + W_TITLE * len(in_title[pk]) / len(terms)
            + W_FOCUS * focus
        )
        ranked.append((score, pk))
    ranked.sort(key=lambda pair: (-pair[0], pair[1]))
    return ranked
