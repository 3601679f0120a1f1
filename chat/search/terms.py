# ruff: noqa: S608  (the SQL names tables from code; every value is a parameter)
"""Reading the message term index (`MessageTerm`): each term's newest postings, and the terms a
few messages have. The same SQL on PostgreSQL and SQLite.

A search reads, for each of its words, the `per_term` newest messages that have it, from the
b-tree on (term, message id descending): a bounded number of index entries however many messages
have the word (a word in a tenth of a million messages costs what a rare word costs;
bench/search.py). On PostgreSQL the index carries the conversation id, so the read touches no
table rows."""

from collections.abc import Iterable

from django.db import connection
from django.db.models import QuerySet

from desk.kernel.search import postings as term_postings
from desk.kernel.search.postings import term_key

TABLE = "chat_messageterm"
PREFIX_WORDS = 8  # the words a typed prefix stands for, at most (alphabetical)

Posting = tuple[str, int, int]  # (term, message id, conversation id)


def words_from(prefix: str, *, limit: int = PREFIX_WORDS) -> list[str]:
    return term_postings.words_from(TABLE, prefix, limit=limit)


def _scope(within: QuerySet | None) -> tuple[str, list]:
    if within is None:
        return "", []
    inner, params = within.order_by().values("pk").query.sql_with_params()
    return f" AND conversation_id IN ({inner})", list(params)


def newest_postings(
    words: Iterable[str], *, within: QuerySet | None, per_term: int
) -> list[Posting]:
    """For each of `words`, its `per_term` newest postings in the conversations of `within`
    (None: all). One query."""
    scope, scope_params = _scope(within)
    return term_postings.per_term_rows(
        TABLE,
        "term, message_id, conversation_id",
        list(dict.fromkeys(term_key(word) for word in words)),
        where=scope,
        params=scope_params,
        order="message_id DESC",
        per_term=per_term,
    )


def message_terms(message_ids: list[int], words: Iterable[str]) -> list[tuple[int, str]]:
    """`(message id, term)` for each of `words` these messages have (the (message, term)
    index). One query."""
    words = list(dict.fromkeys(term_key(word) for word in words))
    if not message_ids or not words:
        return []
    ids = ", ".join(["%s"] * len(message_ids))
    terms = ", ".join(["%s"] * len(words))
    sql = f"SELECT message_id, term FROM {TABLE} WHERE message_id IN ({ids}) AND term IN ({terms})"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*message_ids, *words])
        return cursor.fetchall()


def message_bodies(message_ids: list[int]) -> dict[int, str]:
    """`{message id: its text}`, for the snippets. One query (plain SQL: the ORM's compile
    would cost as much as the read)."""
    if not message_ids:
        return {}
    ids = ", ".join(["%s"] * len(message_ids))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, body FROM chat_message WHERE id IN ({ids})", message_ids)
        return dict(cursor.fetchall())
