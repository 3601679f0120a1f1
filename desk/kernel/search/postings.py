# ruff: noqa: S608  (the table comes from code; every value is a parameter)
"""Reading a term index: any table of postings with a `term` column, the knowledge base's
(desk/kb/terms.py) and the messages' (chat/search/terms.py). Each term's first rows in an order
(`per_term_rows`), and the indexed words that start with a prefix (the word being typed, a
misspelt word's neighbours: `words_from`)."""

from django.db import connection

TERM_CHARS = 64  # a term column's length: longer terms are cut, on both sides the same


def term_key(term: str) -> str:
    return term[:TERM_CHARS]


def words_from(table: str, prefix: str, *, limit: int) -> list[str]:
    """The terms of `table` starting with `prefix`, in code-point order, at most `limit`: one
    index seek per term (a recursive "next term after this one"), not a read of every posting.
    One query. (On PostgreSQL the column's collation is "C", SQLite's is bytewise: the terms
    that start with the prefix are the range [prefix, prefix + U+FFFF).)"""
    prefix = term_key(prefix)
    upper = prefix + "\uffff"
    first = f"SELECT term FROM {table} WHERE term >= %s AND term < %s ORDER BY term LIMIT 1"
    after = f"SELECT term FROM {table} WHERE term > words.term AND term < %s ORDER BY term LIMIT 1"
    sql = (
        f"WITH RECURSIVE words(term, n) AS (SELECT ({first}), 1 "
        f"UNION ALL SELECT ({after}), n + 1 FROM words "
        "WHERE words.term IS NOT NULL AND n < %s) "
        "SELECT term FROM words WHERE term IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [prefix, upper, upper, limit])
        return [row[0] for row in cursor.fetchall()]


def per_term_rows(
    table: str,
    columns: str,
    terms: list[str],
    *,
    where: str,
    params: list,
    order: str,
    per_term: int,
) -> list[tuple]:
    """For each of `terms`, the first `per_term` rows of `table` with that term (and `where`, an
    SQL condition with its `params`) in `order`: a bounded read of an index on (term, the
    order's columns) per term, however many rows have it, as one `UNION ALL` statement."""
    if not terms:
        return []
    branch = (
        f"SELECT * FROM (SELECT {columns} FROM {table} WHERE term = %s{where} "
        f"ORDER BY {order} LIMIT %s) AS b{{n}}"
    )
    sql = " UNION ALL ".join(branch.format(n=n) for n in range(len(terms)))
    values: list = []
    for term in terms:
        values += [term_key(term), *params, per_term]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.fetchall()
