# ruff: noqa: S608  (the SQL names tables from code; every value is a parameter)
"""The knowledge base's term index (`KbTerm`): one row per term of an article, with the term's
weight there, its share of the title, and the article's status and language (copied: a search
reads the index alone, on PostgreSQL from covering indexes, never an article's row), written
with the article (`KbArticle.save`).

A search reads, for each of its terms, the `PER_TERM` articles where the term weighs most,
from the b-tree on (term, weight): a bounded number of rows however many articles have the
term (a word in a third of 50,000 articles costs what a rare word costs; bench/search.py).
These are the "champion lists" of the information-retrieval textbooks (Manning et al., 7.1.3):
the best articles for a query are nearly always among its terms' best articles; an article
that has every term but none of them strongly can be missed past `PER_TERM`. The same SQL
runs on PostgreSQL and SQLite.

A term's weight: in the title 1.0, in the body 0.4, each saturating with repeats
(`1 - 0.5 ** count`: the second mention adds half of the first, the third a quarter), so an
article that names its subject often is preferred, never one that only repeats a word.
"""

from collections import Counter
from collections.abc import Iterable

from django.db import connection, transaction

from desk.kernel.search import postings as term_postings
from desk.kernel.search.postings import term_key
from desk.models import KbArticle, KbTerm

PER_TERM = 100  # best articles read per term
TITLE_WEIGHT, BODY_WEIGHT = 1.0, 0.4
PREFIX_WORDS = 8  # the words a typed prefix stands for, at most (alphabetical)

Posting = tuple[str, int, float, float]  # (term, article id, weight, share of the title)


def weights(search_title: str, search_body: str) -> dict[str, tuple[float, float]]:
    """`{term: (weight, share of the title)}` of an article's pre-segmented title and body; the
    share is the part of the title's terms this term makes (0: not in the title)."""
    title, body = (
        Counter(map(term_key, search_title.split())),
        Counter(map(term_key, search_body.split())),
    )
    title_length = max(sum(title.values()), 1)
    return {
        term: (
            round(
                TITLE_WEIGHT * (1 - 0.5 ** title[term]) + BODY_WEIGHT * (1 - 0.5 ** body[term]), 4
            ),
            round(title[term] / title_length, 4),
        )
        for term in title.keys() | body.keys()
    }


@transaction.atomic
def article_terms_write(article: KbArticle) -> None:
    """Replace the article's rows in the term index with those of its current text, at once
    for a search (one transaction) and one save after the other (the article's row locked: two
    supervisors saving it together would otherwise insert the same terms twice)."""
    KbArticle.objects.select_for_update().filter(pk=article.pk).values_list("pk").first()
    KbTerm.objects.filter(article_id=article.pk).delete()
    KbTerm.objects.bulk_create(
        KbTerm(
            article_id=article.pk,
            term=term,
            weight=weight,
            title_share=share,
            status=article.status,
            language=article.language,
        )
        for term, (weight, share) in weights(article.search_title, article.search_body).items()
    )


def _scope(statuses: Iterable[str], language: str | None) -> tuple[str, list]:
    statuses = list(statuses)
    sql = f" AND status IN ({', '.join(['%s'] * len(statuses))})"
    params: list = list(statuses)
    if language:
        sql += " AND language = %s"
        params.append(language)
    return sql, params


def best_postings(
    terms: list[str], *, statuses: Iterable[str], language: str | None
) -> list[Posting]:
    """For each of `terms`, the `PER_TERM` heaviest postings among the articles of these
    statuses (and language): on PostgreSQL from the index alone. One query."""
    scope, scope_params = _scope(statuses, language)
    return term_postings.per_term_rows(
        "desk_kbterm",
        "term, article_id, weight, title_share",
        terms,
        where=scope,
        params=scope_params,
        order="weight DESC, article_id",
        per_term=PER_TERM,
    )


def article_postings(article_ids: list[int], terms: list[str]) -> list[Posting]:
    """Every posting of these articles for these terms (the (article, term) index; on
    PostgreSQL from the index alone). One query."""
    if not article_ids or not terms:
        return []
    ids = ", ".join(["%s"] * len(article_ids))
    words = ", ".join(["%s"] * len(terms))
    sql = (
        "SELECT term, article_id, weight, title_share FROM desk_kbterm "
        f"WHERE article_id IN ({ids}) AND term IN ({words})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*article_ids, *(term_key(t) for t in terms)])
        return cursor.fetchall()


def words_from(prefix: str, *, limit: int) -> list[str]:
    """The indexed terms starting with `prefix`, in code-point order, at most `limit`."""
    return term_postings.words_from("desk_kbterm", prefix, limit=limit)
