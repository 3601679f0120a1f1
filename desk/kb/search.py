# ruff: noqa: S608  (the SQL names tables from code; every value is a parameter)
"""Knowledge base search: `kb_search(query, audience=…, language=…, limit=…)`.

The query is cut into terms like the articles were (desk.kernel.search.text); a word being typed
stands for the indexed words it starts when it finds fewer articles than asked for itself. Each
term's best articles come from the term index (desk/kb/terms.py: a bounded read per term,
however large the knowledge base), among those the audience may read; an article's first score
is its terms' weights, a rarer term counting more (fewer articles have it). The best candidates
are ranked again: that score with how many of the query's terms the article and its title have,
and how much of the title the query names. A misspelt English word is corrected from the
index's words. Each hit carries a snippet of its text with the matched terms in <mark>, all else
escaped. The same on PostgreSQL and SQLite.
"""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet

from desk.kb import terms as term_index
from desk.kernel.search.postings import term_key
from desk.kernel.search.snippets import snippet_html
from desk.kernel.search.text import corrections, is_cjk, query_terms, typed_prefixes
from desk.models import Audience, KbArticle, KbCategory

MAX_QUERY = 200  # characters of a query an interface accepts
CANDIDATES = 50  # articles ranked again after the term index's first scores
# the fields of a hit's article (desk/kb/serializers.py shows them, with its category's name)
HIT_FIELDS = frozenset(
    ["id", "title", "language", "status", "tags", "body_text", "translation_of", "category"]
)

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
    `limit`, with their scores: the search without loading the articles. One query for a
    query's words (one more to look up the best candidates' other words when a word is common;
    two more for a word being typed that finds fewer than `limit` articles itself; two more
    when a word is misspelt), whatever the size of the knowledge base."""
    query = query[:MAX_QUERY]
    terms = query_terms(query)
    if not terms or limit <= 0:
        return Ranking([], terms, frozenset())
    prefixes = typed_prefixes(query, terms)
    scope = {"statuses": Audience(audience).statuses, "language": language}
    words = {term_key(term): term for term in terms}
    postings = term_index.best_postings(list(words), **scope)
    found = Counter(word for word, *_ in postings)
    longer: dict[str, str] = {}
    for term in prefixes:  # the word being typed, when it is not a word of its own yet
        if found[term_key(term)] < limit:
            starts = term_index.words_from(term, limit=term_index.PREFIX_WORDS + 1)
            longer.update((word, term) for word in starts if word not in words)
    if longer:
        words.update(longer)
        postings += term_index.best_postings(list(longer), **scope)
    fixes = _spelling(terms, {words[word] for word, *_ in postings})
    if fixes:  # a misspelt word: its likely meanings are searched too
        terms = [*terms, *fixes]
        fixed = {term_key(fix): fix for fix in fixes if term_key(fix) not in words}
        words.update(fixed)
        postings += term_index.best_postings(list(fixed), **scope)
    if not postings:
        return Ranking([], terms, prefixes)
    return Ranking(_ranked(postings, words, terms, limit), terms, prefixes)


def _ranked(
    postings: list[term_index.Posting], words: dict[str, str], terms: list[str], limit: int
) -> list[tuple[float, int]]:
    """`(score, article id)`, best first, at most `limit` (the module's docstring): first
    scores from the terms' best postings, then the best `CANDIDATES` ranked again. A candidate
    that lacks a term whose list of best articles was full may have it all the same (less
    heavily): those are looked up in one query."""
    listed = Counter(words[word] for word, *_ in postings)
    rarity = {
        term: 1 + math.log(term_index.PER_TERM / min(count, term_index.PER_TERM))
        for term, count in listed.items()
    }
    weight_of: dict[tuple[str, int], float] = {}
    for word, pk, weight, _share in postings:
        key = (words[word], pk)
        weight_of[key] = max(weight_of.get(key, 0.0), weight)
    scores: dict[int, float] = defaultdict(float)
    for (term, pk), weight in weight_of.items():
        scores[pk] += weight * rarity[term]
    pool = sorted(scores, key=lambda pk: (-scores[pk], pk))[: max(CANDIDATES, limit)]
    full = Counter(word for word, *_ in postings)
    unsure = [word for word, count in full.items() if count >= term_index.PER_TERM]
    lacking = [pk for pk in pool if any((words[word], pk) not in weight_of for word in unsure)]
    seen = {(word, pk) for word, pk, *_ in postings}
    more = [
        posting
        for posting in term_index.article_postings(lacking, unsure)
        if (posting[0], posting[1]) not in seen
    ]
    has: dict[int, set[str]] = defaultdict(set)
    in_title: dict[int, set[str]] = defaultdict(set)
    focus: dict[int, float] = defaultdict(float)
    wanted = set(pool)
    for word, pk, _weight, share in [*postings, *more]:
        if pk not in wanted:
            continue
        has[pk].add(words[word])
        if share:
            in_title[pk].add(words[word])
            focus[pk] += share
    best = max(scores[pk] for pk in pool) or 1.0
    ranked = [
        (
            W_DATABASE * scores[pk] / best
            + W_COVERAGE * len(has[pk]) / len(terms)
            + W_TITLE * len(in_title[pk]) / len(terms)
            + W_FOCUS * min(focus[pk], 1.0),
            pk,
        )
        for pk in pool
    ]
    ranked.sort(key=lambda pair: (-pair[0], pair[1]))
    return ranked[:limit]


def kb_search(
    query: str, *, audience: Audience, language: str | None = None, limit: int = 10
) -> list[Hit]:
    """The articles `audience` may read that match `query`, best first, at most `limit`, each
    with a snippet. An empty query (or one of stop words only) finds nothing. `kb_rank`'s
    queries and one more, whatever the size of the knowledge base."""
    ranking = kb_rank(query, audience=audience, language=language, limit=limit)
    if not ranking.ranked:
        return []
    articles = _hit_articles([pk for _, pk in ranking.ranked])
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


def _hit_articles(ids: list[int]) -> dict[int, KbArticle]:
    """The articles of these ids with what a hit shows (`HIT_FIELDS`; the rest deferred) and
    their category's name, in one plain query: ten model instances cost the ORM's query
    building more than the read (bench/search.py)."""
    fields = [field for field in KbArticle._meta.concrete_fields if field.name in HIT_FIELDS]
    columns = ", ".join(f"a.{field.column}" for field in fields)
    marks = ", ".join(["%s"] * len(ids))
    sql = (
        f"SELECT {columns}, c.name FROM desk_kbarticle a "
        f"JOIN desk_kbcategory c ON c.id = a.category_id WHERE a.id IN ({marks})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        rows = cursor.fetchall()
    names = [field.attname for field in fields]
    articles = {}
    for *values, category_name in rows:
        article = KbArticle.from_db(connection.alias, names, values)
        article.category = KbCategory(pk=article.category_id, name=category_name)
        articles[article.pk] = article
    return articles
