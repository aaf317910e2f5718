"""PostgreSQL: keep the tsvector in a stored generated column ``tsv`` and index that.

With only an expression index (0002), ranking had to re-parse ``tokens`` for every matching
row: ts_rank over 6,400 matches of a common word took ~150 ms on 100k documents. Reading the
stored vector takes ~35 ms (bench/results/search.json, docs/search.md). The column is
maintained by PostgreSQL itself (GENERATED ALWAYS … STORED); Django's model does not list
it and never writes it. SQLite: nothing to do (FTS5 stores its own index).

Careful: PostgreSQL refuses to change the type of ``tokens`` while ``tsv`` is generated from
it; a migration that must do so drops ``tsv`` first and adds it back.
"""

from django.db import migrations

POSTGRES_FORWARD = [
    "DROP INDEX IF EXISTS search_doc_tokens_gin",
    "ALTER TABLE search_searchdocument ADD COLUMN tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, tokens)) STORED",
    "CREATE INDEX search_doc_tsv_gin ON search_searchdocument USING gin (tsv)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS search_doc_tsv_gin",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS tsv",
    "CREATE INDEX search_doc_tokens_gin ON search_searchdocument "
    "USING gin (to_tsvector('simple'::regconfig, tokens))",
]


def _run(schema_editor, statements):
    for sql in statements:
        schema_editor.execute(sql, params=None)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _run(schema_editor, POSTGRES_FORWARD)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _run(schema_editor, POSTGRES_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("search", "0002_fulltext_index")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
