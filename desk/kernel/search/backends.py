# ruff: noqa: S608  (the SQL names tables and columns from code; every value is a parameter)
"""One full-text index over two columns of pre-segmented text (a title, weighted over a body),
on PostgreSQL or on SQLite, with the same ranking call.

- PostgreSQL: an expression GIN index on `setweight(to_tsvector('simple', title), 'A') ||
  setweight(to_tsvector('simple', body), 'B')`; a query is an OR of its terms (a `tsquery` built
  from the terms as they are, the word being typed as a prefix), ranked by `ts_rank` with the
  title weighted 1.0 and the body 0.4, not divided by length (the article that answers a question
  names its subject often; dividing by length preferred short near-misses). The index follows the
  row by itself.
- SQLite: an FTS5 table (`unicode61` tokenizer) with the table as its external content, kept in
  step by three triggers on the table; ranked by `bm25` with the title weighted 10 to 1.

`simple` and `unicode61` both read the stored text as exactly the terms of
`desk.kernel.search.text` (runs of Chinese, of letters, of digits separated by spaces), so both
databases find the same rows. A migration installs an index with `FullTextIndex.install`; a later
migration that rebuilds the table on SQLite (Django remakes a table for most field changes there)
must call it again, as the triggers go with the old table.
"""

from dataclasses import dataclass

from django.db import connection
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models import QuerySet


@dataclass(frozen=True)
class FullTextIndex:
    table: str  # the model's table, with an integer primary key `id`
    title: str  # column of pre-segmented title text
    body: str  # column of pre-segmented body text

    @property
    def name(self) -> str:
        return f"{self.table}_fts"

    def _vector(self) -> str:
        return (
            f"(setweight(to_tsvector('simple'::regconfig, coalesce({self.title}, '')), 'A') || "
            f"setweight(to_tsvector('simple'::regconfig, coalesce({self.body}, '')), 'B'))"
        )

    # ---- schema (migrations) ---------------------------------------------------------------

    def install(self, schema_editor: BaseDatabaseSchemaEditor) -> None:
        """Create the index (idempotent) and fill it from the rows there are."""
        execute = schema_editor.execute
        if schema_editor.connection.vendor == "postgresql":
            execute(
                f"CREATE INDEX IF NOT EXISTS {self.name} ON {self.table} "
                f"USING gin ({self._vector()})"
            )
            return
        if schema_editor.connection.vendor != "sqlite":
            return
        t, a, b, fts = self.table, self.title, self.body, self.name
        execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({a}, {b}, content='{t}', "
            f"content_rowid='id', tokenize='unicode61 remove_diacritics 0')"
        )
        execute(
            f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {t} BEGIN INSERT INTO "
            f"{fts}(rowid, {a}, {b}) VALUES (new.id, new.{a}, new.{b}); END"
        )
        execute(
            f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {t} BEGIN INSERT INTO "
            f"{fts}({fts}, rowid, {a}, {b}) VALUES ('delete', old.id, old.{a}, old.{b}); END"
        )
        execute(
            f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE ON {t} BEGIN INSERT INTO "
            f"{fts}({fts}, rowid, {a}, {b}) VALUES ('delete', old.id, old.{a}, old.{b}); "
            f"INSERT INTO {fts}(rowid, {a}, {b}) VALUES (new.id, new.{a}, new.{b}); END"
        )
        execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts}_vocab USING fts5vocab({fts}, 'row')")
        execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")

    def uninstall(self, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {self.name}")
        elif schema_editor.connection.vendor == "sqlite":
            for suffix in ("ai", "ad", "au"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {self.name}_{suffix}")
            schema_editor.execute(f"DROP TABLE IF EXISTS {self.name}_vocab")
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
                f"SELECT rowid, -bm25({fts}, 10.0, 1.0) AS score FROM {fts} "
                f"WHERE {fts} MATCH %s AND rowid IN ({sub_sql}) "
                "ORDER BY score DESC, rowid LIMIT %s"
            )
            params = [_fts5_query(terms, prefixes), *sub_params, limit]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [(int(pk), float(score)) for pk, score in cursor.fetchall()]

    def vocabulary(self, prefix: str, *, limit: int = 2000) -> list[str]:
        """The indexed terms that start with `prefix` (for spelling corrections). One query;
        on PostgreSQL it reads every row's vector (ts_stat), so it is for small tables like the
        knowledge base and only runs when a word of a query matched nothing."""
        upper = prefix + "\uffff"
        if connection.vendor == "postgresql":
            inner = f"SELECT {self._vector()} FROM {self.table}"
            sql = "SELECT word FROM ts_stat(%s) WHERE word >= %s AND word < %s LIMIT %s"
            params = [inner, prefix, upper, limit]
        else:
            sql = f"SELECT term FROM {self.name}_vocab WHERE term >= %s AND term < %s LIMIT %s"
            params = [prefix, upper, limit]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [row[0] for row in cursor.fetchall()]


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
