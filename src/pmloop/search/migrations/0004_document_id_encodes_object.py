"""Renumber search documents: id = object_id << 5 | kind code (search.models.document_id).

Lists then take the matching object ids straight from the FTS5 rowids instead of looking up
each matching document (docs/search.md). The codes are frozen here as they were when this
migration was written. Rows of a kind without a code cannot have been written by pmloop's
services (they only index these kinds) and are dropped.

SQLite: the sync triggers would rewrite the FTS5 index row by row; they are dropped, the ids
renumbered, the triggers put back and the index rebuilt once. Ids go through negative values
first so that no new id meets an old one mid-update.
"""

import importlib

from django.db import migrations

CODES = {"requirement": 1, "pool_item": 2, "customer": 3, "product": 4, "plan": 5, "release": 6,
         "launch_kit": 7}  # fmt: skip
BITS = 5


def _new_id_sql() -> str:
    cases = " ".join(f"WHEN '{kind}' THEN {code}" for kind, code in CODES.items())
    return f"((object_id * {1 << BITS}) + CASE kind {cases} END)"


def _statements(vendor: str) -> list[str]:
    kinds = ", ".join(f"'{k}'" for k in CODES)
    renumber = [
        f"DELETE FROM search_searchdocument WHERE kind NOT IN ({kinds})",  # noqa: S608 (constants)
        f"UPDATE search_searchdocument SET id = -{_new_id_sql()}",  # noqa: S608
        "UPDATE search_searchdocument SET id = -id",
    ]
    if vendor != "sqlite":
        return renumber
    fts = importlib.import_module("pmloop.search.migrations.0002_fulltext_index")
    drop_triggers = [sql for sql in fts.SQLITE_DROP if sql.startswith("DROP TRIGGER")]
    return drop_triggers + renumber + fts.SQLITE_TRIGGERS + fts.SQLITE_REBUILD


def forwards(apps, schema_editor):
    for sql in _statements(schema_editor.connection.vendor):
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("search", "0003_postgres_stored_tsvector")]

    # Backwards keeps the new ids: they are valid ids under the old scheme too.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
