"""Knowledge base search: `kb_search(query, audience=…, language=…, limit=…)`.

The query is cut into terms like the articles were (desk.kernel.search.text), the database ranks
the articles the audience may read that contain any of them (PostgreSQL full-text search or
SQLite FTS5, desk.kernel.search.backends), and the best candidates are ranked again here the
same way on both databases: the database's score (title over body; SQLite's bm25 also weighs
rare terms over common ones) with how many of the query's terms the article and its title have,
and how much of the title the query names. A misspelt English word is corrected from the
index's words. Each hit carries a snippet of its text with the matched terms in <mark>, all
else escaped.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from desk.kernel.search.snippets import snippet_html
from desk.kernel.search.text import corrections, is_cjk, query_terms, typed_prefixes
from desk.models import KB_SEARCH_INDEX, Audience, KbArticle

MAX_QUERY = 200  # characters of a query an interface accepts
CANDIDATES = 50  # rows the database ranks before the final ranking here

# The final score: the database's (scaled to the best candidate's), the share of the query's
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


def _has(words: set[str], term: str, prefixes: frozenset[str]) -> bool:
    """Whether an article with these words matches the query term."""
    return term in words or (term in prefixes and any(w.startswith(term) for w in words))


def _matches(word: str, terms: list[str], prefixes: frozenset[str]) -> bool:
    """Whether a word of an article matches one of the query's terms."""
    return word in terms or any(word.startswith(term) for term in prefixes)


def _spelling(terms: list[str], found: Iterable[KbArticle], prefixes: frozenset[str]) -> list[str]:
    """Indexed words one edit away from the query's Latin words that no candidate has and the
    index does not know (a query per such word; none when every word matched)."""
    seen: set[str] = set()
    for article in found:
        seen.update(article.search_title.split(), article.search_body.split())
    fixes: list[str] = []
    for term in terms:
        if len(term) < 5 or is_cjk(term) or term.isdigit() or _has(seen, term, prefixes):
            continue
        vocabulary = KB_SEARCH_INDEX.vocabulary(term[0])
        if not any(word.startswith(term) for word in vocabulary):
            fixes.extend(word for word in corrections(term, vocabulary) if word not in terms)
    return fixes


def kb_search(
    query: str, *, audience: Audience, language: str | None = None, limit: int = 10
) -> list[Hit]:
    """The articles `audience` may read that match `query`, best first, at most `limit`. An
    empty query (or one of stop words only) finds nothing. Two queries (four or more when a
    word is misspelt)."""
    query = query[:MAX_QUERY]
    terms = query_terms(query)
    if not terms or limit <= 0:
        return []
    prefixes = typed_prefixes(query, terms)
    candidates = kb_articles_for(audience, language)
    pool = max(CANDIDATES, limit)
    ranked = KB_SEARCH_INDEX.rank(terms, candidates, limit=pool, prefixes=prefixes)
    articles = KbArticle.objects.select_related("category").in_bulk([pk for pk, _ in ranked])
    fixes = _spelling(terms, articles.values(), prefixes)
    if fixes:  # a misspelt word: search again with the words it may have meant
        terms = [*terms, *fixes]
        ranked = KB_SEARCH_INDEX.rank(terms, candidates, limit=pool, prefixes=prefixes)
        articles = KbArticle.objects.select_related("category").in_bulk([pk for pk, _ in ranked])
    if not ranked:
        return []
    best = max(score for _, score in ranked) or 1.0
    hits = []
    for pk, base in ranked:
        article = articles.get(pk)
        if article is None:  # deleted since it was ranked
            continue
        title_terms = set(article.search_title.split())
        all_terms = title_terms | set(article.search_body.split())
        coverage = sum(_has(all_terms, term, prefixes) for term in terms) / len(terms)
        in_title = sum(_has(title_terms, term, prefixes) for term in terms) / len(terms)
        focus = sum(_matches(w, terms, prefixes) for w in title_terms) / max(len(title_terms), 1)
        score = (
            W_DATABASE * max(base, 0.0) / best
            + W_COVERAGE * coverage
            + W_TITLE * in_title
            + W_FOCUS * focus
        )
        hits.append((score, article))
    hits.sort(key=lambda pair: (-pair[0], pair[1].pk))
    return [
        Hit(
            article=article,
            score=round(score, 4),
            snippet_html=snippet_html(article.body_text, terms, prefixes=prefixes),
        )
        for score, article in hits[:limit]
    ]
