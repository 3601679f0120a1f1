# ruff: noqa: S608  (the SQL names tables and columns from code; every value is a parameter)
"""One full-text index over two columns of pre-segmented text (a title, weighted over a body),
on PostgreSQL or on SQLite, with the same ranking call.

- PostgreSQL: an expression GIN index on `setweight(to_tsvector('simple', title), 'A') ||
  setweight(to_tsvector('simple', body), 'B')`; a query is an OR of its terms (a `tsquery` built
  from the terms as they are, the word being typed as a prefix), ranked by `ts_rank` with the
  title weighted 1.0 and the body 0.4, not divided by length (the article that answers a question
  names its subject often; dividing by length preferred short near-misses). The index follows the
  row by itself. With `stored_vector` the vector is a stored generated column instead, indexed,
  so ranking reads it rather than parsing each matching row again (large tables). A table
  without titles (`title=""`) indexes its body alone.
- SQLite: an FTS5 table (`unicode61` tokenizer) with the table as its external content, kept in
  step by three triggers on the table; ranked by `bm25` with the title weighted 10 to 1.

`simple` and `unicode61` both read the stored text as exactly the terms of
`desk.kernel.search.text` (runs of Chinese, of letters, of digits separated by spaces), so both
databases find the same rows. `rank` ranks rows (tickets; the knowledge base and messages have
term indexes of their own: desk/kb/terms.py, chat/search/terms.py). A migration installs an
index with `FullTextIndex.install`; a later migration that rebuilds the table on SQLite (Django
remakes a table for most field changes there) must call it again, as the triggers go with the
old table.
"""

from dataclasses import dataclass

from django.db import connection
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models import QuerySet


@dataclass(frozen=True)
class FullTextIndex:
    table: str  # the model's table, with an integer primary key `id`
    title: str  # column of pre-segmented title text ("" for a table without titles)
    body: str  # column of pre-segmented body text
    # PostgreSQL: keep the vector in this stored generated column (the database fills it when
    # the row is written) and index the column, instead of an expression index; ranking then
    # reads the vector instead of parsing the text again for every matching row (large tables)
    stored_vector: str = ""

    @property
    def name(self) -> str:
        return f"{self.table}_fts"

    def _vector(self) -> str:
        return self.stored_vector or self._expression()

    def _expression(self) -> str:
        body = f"setweight(to_tsvector('simple'::regconfig, coalesce({self.body}, '')), 'B')"
        if not self.title:
            return f"({body})"
        return (
            f"(setweight(to_tsvector('simple'::regconfig, coalesce({self.title}, '')), 'A') || "
            f"{body})"
        )

    @property
    def _columns(self) -> list[str]:
        return [self.title, self.body] if self.title else [self.body]

    # ---- schema (migrations) ---------------------------------------------------------------

    def install(self, schema_editor: BaseDatabaseSchemaEditor) -> None:
        """Create the index (idempotent) and fill it from the rows there are."""
        execute = schema_editor.execute
        if schema_editor.connection.vendor == "postgresql":
            if self.stored_vector:
                execute(
                    f"ALTER TABLE {self.table} ADD COLUMN IF NOT EXISTS {self.stored_vector} "
                    f"tsvector GENERATED ALWAYS AS {self._expression()} STORED"
                )
            execute(
                f"CREATE INDEX IF NOT EXISTS {self.name} ON {self.table} "
                f"USING gin ({self._vector()})"
            )
            return
        if schema_editor.connection.vendor != "sqlite":
            return
        t, fts = self.table, self.name
        cols = ", ".join(self._columns)
        new = ", ".join(f"new.{c}" for c in self._columns)
        old = ", ".join(f"old.{c}" for c in self._columns)
        execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({cols}, content='{t}', "
            f"content_rowid='id', tokenize='unicode61 remove_diacritics 0')"
        )
        execute(
            f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {t} BEGIN INSERT INTO "
            f"{fts}(rowid, {cols}) VALUES (new.id, {new}); END"
        )
        execute(
            f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {t} BEGIN INSERT INTO "
            f"{fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END"
        )
        execute(
            f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE ON {t} BEGIN INSERT INTO "
            f"{fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
            f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"
        )
        execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")

    def uninstall(self, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {self.name}")
            if self.stored_vector:
                schema_editor.execute(
                    f"ALTER TABLE {self.table} DROP COLUMN IF EXISTS {self.stored_vector}"
                )
        elif schema_editor.connection.vendor == "sqlite":
            for suffix in ("ai", "ad", "au"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {self.name}_{suffix}")
            schema_editor.execute(f"DROP TABLE IF EXISTS {self.name}_vocab")  # made before 0011
            schema_editor.execute(f"DROP TABLE IF EXISTS {self.name}")

    # ---- ranking ---------------------------------------------------------------------------

    def rank(
        self,
        terms: list[str],
        candidates: QuerySet,
        *,
        limit: int,
        prefixes: frozenset[str] = frozenset(),
    ) -> list[tuple[int, float]]:
        """`(id, score)` of the rows of `candidates` matching any of `terms` (those in `prefixes`
        also match longer words), best first (a higher score is better), at most `limit`. One
        query."""
        if not terms:
            return []
        sub_sql, sub_params = candidates.order_by().values("pk").query.sql_with_params()
        if connection.vendor == "postgresql":
            sql = (
                f"SELECT id, ts_rank('{{0.1, 0.2, 0.4, 1.0}}', {self._vector()}, q, 0) AS score "
                f"FROM {self.table}, CAST(%s AS tsquery) AS q "
                f"WHERE {self._vector()} @@ q AND id IN ({sub_sql}) "
                "ORDER BY score DESC, id LIMIT %s"
            )
            params = [_tsquery(terms, prefixes), *sub_params, limit]
        else:
            fts = self.name
            sql = (
                f"SELECT rowid, -{self._bm25()} AS score FROM {fts} "
                f"WHERE {fts} MATCH %s AND rowid IN ({sub_sql}) "
                "ORDER BY score DESC, rowid LIMIT %s"
            )
            params = [_fts5_query(terms, prefixes), *sub_params, limit]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [(int(pk), float(score)) for pk, score in cursor.fetchall()]

    def _bm25(self) -> str:
        return f"bm25({self.name}, 10.0, 1.0)" if self.title else f"bm25({self.name})"


def _tsquery(terms: list[str], prefixes: frozenset[str]) -> str:
    """`'耳机' | '声音' | 'earph':*`: lexemes quoted as they are (a quote doubled)."""
    return " | ".join(
        "'"
        + term.replace("\\", "\\\\").replace("'", "''")
        + "'"
        + (":*" if term in prefixes else "")
        for term in terms
    )


def _fts5_query(terms: list[str], prefixes: frozenset[str]) -> str:
    """`"耳机" OR "声音" OR "earph"*`: each term a quoted string (FTS5 syntax is inert)."""
    return " OR ".join(
        '"' + term.replace('"', '""') + '"' + ("*" if term in prefixes else "") for term in terms
    )
