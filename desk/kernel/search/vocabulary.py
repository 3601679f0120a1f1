# ruff: noqa: S608  (the table comes from code; every value is a parameter)
"""The words of a term index that start with a prefix (the word being typed, a misspelt word's
neighbours), for any table of postings with a `term` column: the knowledge base's
(desk/kb/terms.py) and the messages' (chat/search/terms.py)."""

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
