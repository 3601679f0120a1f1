"""PostgreSQL: the knowledge base's search vector in a stored generated column with the GIN index
on it, instead of an expression index, so ranking reads the vector instead of parsing every
matching article again (bench/search.py: 50,000 articles). SQLite's FTS5 table is unchanged."""

from django.db import migrations

from desk.kernel.search.backends import FullTextIndex

# As desk.models.KB_SEARCH_INDEX before and after (a migration keeps its own copies).
BEFORE = FullTextIndex(table="desk_kbarticle", title="search_title", body="search_body")
AFTER = FullTextIndex(
    table="desk_kbarticle",
    title="search_title",
    body="search_body",
    stored_vector="search_vector",
)


def store_vector(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        BEFORE.uninstall(schema_editor)
        AFTER.install(schema_editor)


def expression_again(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        AFTER.uninstall(schema_editor)
        BEFORE.install(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("desk", "0009_kb_views_drafts")]

    operations = [migrations.RunPython(store_vector, expression_again)]
