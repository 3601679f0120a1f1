# ruff: noqa: S608  (the SQL names tables from code; every value is a parameter)
"""The knowledge base's term index (`KbTerm`): one row per term of an article, with the term's
weight there, written with the article (`KbArticle.save`).

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

from desk.models import KbArticle, KbTerm

PER_TERM = 100  # best articles read per term
TERM_CHARS = 64  # longer terms are cut (KbTerm.term's length): both sides the same
TITLE_WEIGHT, BODY_WEIGHT = 1.0, 0.4
PREFIX_WORDS = 8  # the words a typed prefix stands for, at most (alphabetical)

Posting = tuple[str, int, float, bool]  # (term, article id, weight, in the title)


def term_key(term: str) -> str:
    return term[:TERM_CHARS]


def weights(search_title: str, search_body: str) -> dict[str, tuple[float, bool]]:
    """`{term: (weight, in the title)}` of an article's pre-segmented title and body."""
    title, body = (
        Counter(map(term_key, search_title.split())),
        Counter(map(term_key, search_body.split())),
    )
    return {
        term: (
            round(
                TITLE_WEIGHT * (1 - 0.5 ** title[term]) + BODY_WEIGHT * (1 - 0.5 ** body[term]), 4
            ),
            title[term] > 0,
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
        KbTerm(article_id=article.pk, term=term, weight=weight, in_title=in_title)
        for term, (weight, in_title) in weights(article.search_title, article.search_body).items()
    )


def _scope(statuses: Iterable[str], language: str | None) -> tuple[str, list]:
    statuses = list(statuses)
    sql = f"a.status IN ({', '.join(['%s'] * len(statuses))})"
    params: list = list(statuses)
    if language:
        sql += " AND a.language = %s"
        params.append(language)
    return sql, params


def best_postings(
    terms: list[str], *, statuses: Iterable[str], language: str | None
) -> list[Posting]:
    """For each of `terms`, the `PER_TERM` heaviest postings among the articles of these
    statuses (and language). One query."""
    if not terms:
        return []
    scope, scope_params = _scope(statuses, language)
    branch = (
        "SELECT * FROM (SELECT t.term, t.article_id, t.weight, t.in_title FROM desk_kbterm t "
        f"JOIN desk_kbarticle a ON a.id = t.article_id WHERE t.term = %s AND {scope} "
        "ORDER BY t.weight DESC, t.article_id LIMIT %s) AS b{n}"
    )
    sql = " UNION ALL ".join(branch.format(n=n) for n in range(len(terms)))
    params: list = []
    for term in terms:
        params += [term_key(term), *scope_params, PER_TERM]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(t, int(pk), float(w), bool(title)) for t, pk, w, title in cursor.fetchall()]


def pool_postings(article_ids: list[int], terms: list[str]) -> tuple[dict[int, str], list[Posting]]:
    """The articles' pre-segmented titles, and every posting of theirs for these terms (the
    (article, term) index). One query."""
    if not article_ids or not terms:
        return {}, []
    ids = ", ".join(["%s"] * len(article_ids))
    words = ", ".join(["%s"] * len(terms))
    sql = (
        "SELECT a.id, a.search_title, t.term, t.weight, t.in_title FROM desk_kbarticle a "
        f"LEFT JOIN desk_kbterm t ON t.article_id = a.id AND t.term IN ({words}) "
        f"WHERE a.id IN ({ids})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*(term_key(t) for t in terms), *article_ids])
        rows = cursor.fetchall()
    titles = {int(pk): title for pk, title, *_ in rows}
    postings = [(t, int(pk), float(w), bool(title)) for pk, _, t, w, title in rows if t]
    return titles, postings


def words_from(prefix: str, *, limit: int) -> list[str]:
    """The indexed terms starting with `prefix`, in code-point order, at most `limit`: one index
    seek per term (a recursive "next term after this one"), not a read of every posting. One
    query. (On PostgreSQL the column's collation is "C", SQLite's is bytewise: the terms that
    start with the prefix are the range [prefix, prefix + U+FFFF).)"""
    prefix = term_key(prefix)
    upper = prefix + "\uffff"
    first = "SELECT term FROM desk_kbterm WHERE term >= %s AND term < %s ORDER BY term LIMIT 1"
    after = (
        "SELECT term FROM desk_kbterm WHERE term > words.term AND term < %s ORDER BY term LIMIT 1"
    )
    sql = (
        f"WITH RECURSIVE words(term, n) AS (SELECT ({first}), 1 "
        f"UNION ALL SELECT ({after}), n + 1 FROM words "
        "WHERE words.term IS NOT NULL AND n < %s) "
        "SELECT term FROM words WHERE term IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [prefix, upper, upper, limit])
        return [row[0] for row in cursor.fetchall()]
