"""The full-text index also holds each document's product (and, on PostgreSQL, its kind), so
one index lookup gives exactly one product's matches of one kind.

A search inside one product's list (the pool page with 权限, its status tabs, its count) had
to fetch every matching document of every product and then throw most away: on PostgreSQL
one probe per list row (40k probes, each reading a document's vector: 300 ms for the pool's
status tabs at 200k items), on SQLite one row lookup per match of any product (17k lookups:
37 ms). With the product in the index the lookup intersects it like any other word
(docs/search.md).

SQLite: the FTS5 table gets a second column ``scope`` = ``p<product id>``, read from the view
``search_fts_content`` (FTS5's external content must offer every column, and the view derives
it, so no column is added to the model). User words are always matched in the ``tokens``
column only (``search.fulltext.fts5_query``), so a search for "p1" never finds a scope.
The triggers also re-index a document whose product changes.

PostgreSQL: ``tsv`` also holds the lexemes ``#p<product id>`` and ``#k<kind>``. The 'simple'
parser never produces a lexeme with ``#``, so no user word can match them; the queries add
them with ``&& '…'::tsquery`` (a literal tsquery, not normalised). PostgreSQL 15 cannot change
a generated column's expression, so ``tsv`` is dropped and added back: this rewrites the table
(~50 s for 300k documents on the 2-core bench machine).

Careful (as 0002 says): a later migration that makes Django rebuild search_searchdocument on
SQLite must run ``SQLITE_FORWARD`` again.
"""

from django.db import migrations

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS search_doc_au",
    "DROP TRIGGER IF EXISTS search_doc_ad",
    "DROP TRIGGER IF EXISTS search_doc_ai",
    "DROP TABLE IF EXISTS search_fts",
    "DROP VIEW IF EXISTS search_fts_content",
]
SQLITE_FORWARD = [
    *SQLITE_DROP,
    "CREATE VIEW search_fts_content AS SELECT id, tokens, 'p' || product_id AS scope FROM search_searchdocument",
    "CREATE VIRTUAL TABLE search_fts USING fts5(tokens, scope, content='search_fts_content', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER search_doc_ai AFTER INSERT ON search_searchdocument BEGIN "
    "INSERT INTO search_fts(rowid, tokens, scope) VALUES (new.id, new.tokens, 'p' || new.product_id); END",
    "CREATE TRIGGER search_doc_ad AFTER DELETE ON search_searchdocument BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, tokens, scope) "
    "VALUES ('delete', old.id, old.tokens, 'p' || old.product_id); END",
    "CREATE TRIGGER search_doc_au AFTER UPDATE OF id, tokens, product_id ON search_searchdocument "
    "WHEN old.tokens IS NOT new.tokens OR old.id IS NOT new.id OR old.product_id IS NOT new.product_id BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, tokens, scope) "
    "VALUES ('delete', old.id, old.tokens, 'p' || old.product_id); "
    "INSERT INTO search_fts(rowid, tokens, scope) VALUES (new.id, new.tokens, 'p' || new.product_id); END",
    "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
]

POSTGRES_TSV = (
    "to_tsvector('simple'::regconfig, tokens) "
    "|| array_to_tsvector(ARRAY['#p' || product_id::text, '#k' || kind::text])"
)
POSTGRES_FORWARD = [
    "DROP INDEX IF EXISTS search_doc_tsv_gin",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS tsv",
    f"ALTER TABLE search_searchdocument ADD COLUMN tsv tsvector GENERATED ALWAYS AS ({POSTGRES_TSV}) STORED",
    "CREATE INDEX search_doc_tsv_gin ON search_searchdocument USING gin (tsv)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS search_doc_tsv_gin",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS tsv",
    "ALTER TABLE search_searchdocument ADD COLUMN tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, tokens)) STORED",
    "CREATE INDEX search_doc_tsv_gin ON search_searchdocument USING gin (tsv)",
]


def _sqlite_backward() -> list[str]:
    import importlib

    old = importlib.import_module("pmloop.search.migrations.0002_fulltext_index")
    return SQLITE_DROP + old.SQLITE_FTS + old.SQLITE_TRIGGERS + old.SQLITE_REBUILD


def _run(schema_editor, statements):
    for sql in statements:
        schema_editor.execute(sql, params=None)


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_FORWARD)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_FORWARD)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, _sqlite_backward())
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("search", "0004_document_id_encodes_object")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
