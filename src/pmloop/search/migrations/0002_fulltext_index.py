"""The full-text index over SearchDocument.tokens, one kind per database.

SQLite: an external-content FTS5 table ``search_fts`` (tokenizer unicode61, accents kept:
pmloop.core.text has already folded them) whose rowid is SearchDocument.id, kept in sync by
three triggers. PostgreSQL: a GIN index on ``to_tsvector('simple'::regconfig, tokens)``
(replaced by 0003 with a stored generated column and a GIN index on it).

Careful: on SQLite any later AlterField/RemoveField on SearchDocument rebuilds the table
(create new, copy, drop old, rename), and dropping the old table drops these triggers. Such a
migration must run ``SQLITE_TRIGGERS`` again and rebuild the FTS table; the test
``test_sqlite_triggers_exist`` fails until it does.
"""

from django.db import migrations

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(tokens, content='search_searchdocument', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
]
SQLITE_TRIGGERS = [
    "CREATE TRIGGER search_doc_ai AFTER INSERT ON search_searchdocument BEGIN "
    "INSERT INTO search_fts(rowid, tokens) VALUES (new.id, new.tokens); END",
    "CREATE TRIGGER search_doc_ad AFTER DELETE ON search_searchdocument BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, tokens) VALUES ('delete', old.id, old.tokens); END",
    "CREATE TRIGGER search_doc_au AFTER UPDATE OF id, tokens ON search_searchdocument "
    "WHEN old.tokens IS NOT new.tokens OR old.id IS NOT new.id BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, tokens) VALUES ('delete', old.id, old.tokens); "
    "INSERT INTO search_fts(rowid, tokens) VALUES (new.id, new.tokens); END",
]
SQLITE_REBUILD = ["INSERT INTO search_fts(search_fts) VALUES ('rebuild')"]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS search_doc_au",
    "DROP TRIGGER IF EXISTS search_doc_ad",
    "DROP TRIGGER IF EXISTS search_doc_ai",
    "DROP TABLE IF EXISTS search_fts",
]

POSTGRES_INDEX = [
    "CREATE INDEX search_doc_tokens_gin ON search_searchdocument "
    "USING gin (to_tsvector('simple'::regconfig, tokens))",
]
POSTGRES_DROP = ["DROP INDEX IF EXISTS search_doc_tokens_gin"]


def _run(schema_editor, statements):
    for sql in statements:
        schema_editor.execute(sql, params=None)


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_FTS + SQLITE_TRIGGERS + SQLITE_REBUILD)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_INDEX)
    else:
        raise NotImplementedError(f"pmloop search supports SQLite and PostgreSQL, not {vendor}")


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_DROP)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_DROP)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
