"""Writes to the search index. Called by other apps' services, inside their transaction, so a
rolled-back change leaves the index as it was.

    from pmloop.search import services as search_services
    search_services.index_document(kind="requirement", object_id=req.pk, product_id=req.product_id,
                                   title=req.title, text=spec.text_of(req.spec))
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from pmloop.core import text as text_mod
from pmloop.search.models import KIND_CODES, SearchDocument, document_id

MAX_TEXT_CHARS = 100_000
"""Only the first 100,000 characters of title + text are indexed (bounds jieba time and keeps
a PostgreSQL tsvector far below its 1 MB limit)."""

TITLE_MAX = SearchDocument._meta.get_field("title").max_length
_KIND_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_UPDATE_FIELDS = ["product", "title", "tokens", "updated_at"]


@dataclass(frozen=True, slots=True)
class Doc:
    kind: str
    object_id: int
    product_id: int
    title: str
    text: str = ""


def _check_kind(kind: str) -> str:
    if not isinstance(kind, str) or not _KIND_RE.match(kind):
        raise ValueError(f"search kind must be a lower-case identifier of 1–32 characters, not {kind!r}")
    if kind not in KIND_CODES:
        raise ValueError(f"unknown search kind {kind!r}: add it to search.models.KIND_CODES")
    return kind


def build_tokens(title: str, text: str) -> str:
    """The stored terms of a document: its title counts twice (a small, database-neutral boost)."""
    title = title or ""
    body = f"{title}\n{title}\n{text or ''}"[:MAX_TEXT_CHARS]
    return text_mod.index_string(body)


def _row(doc: Doc, now) -> SearchDocument:
    return SearchDocument(
        id=document_id(_check_kind(doc.kind), doc.object_id),
        kind=doc.kind,
        object_id=int(doc.object_id),
        product_id=int(doc.product_id),
        title=(doc.title or "").replace("\x00", "")[:TITLE_MAX],  # PostgreSQL text cannot hold NUL
        tokens=build_tokens(doc.title, doc.text),
        updated_at=now,
    )


def _upsert(rows: list[SearchDocument]) -> None:
    for row in rows:
        if row.id is None:
            row.id = document_id(row.kind, row.object_id)
    SearchDocument.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["kind", "object_id"], update_fields=_UPDATE_FIELDS
    )


def index_document(*, kind: str, object_id: int, product_id: int, title: str, text: str) -> None:
    """Add or replace the document (kind, object_id): one INSERT … ON CONFLICT DO UPDATE.

    Safe against a concurrent writer of the same document (no read-then-write race), and
    it does not break the caller's transaction.
    """
    _upsert([_row(Doc(kind, object_id, product_id, title, text), timezone.now())])


def remove_document(*, kind: str, object_id: int) -> bool:
    """Remove the document; True when there was one."""
    deleted, _ = SearchDocument.objects.filter(kind=_check_kind(kind), object_id=int(object_id)).delete()
    return deleted > 0


def remove_documents(*, kind: str, object_ids: Iterable[int]) -> int:
    """Remove many documents of one kind; returns how many there were."""
    ids = [int(i) for i in object_ids]
    if not ids:
        return 0
    deleted, _ = SearchDocument.objects.filter(kind=_check_kind(kind), object_id__in=ids).delete()
    return deleted


def bulk_index(docs: Iterable[Doc | Mapping], *, batch_size: int = 1000) -> int:
    """Index many documents (imports, re-indexing, benchmarks): tokenise, then upsert
    ``batch_size`` rows at a time (Django splits a batch further to respect the database's
    parameter limit). A document given twice keeps its last version. Returns how many
    documents were given. Runs in one transaction unless the caller already opened one.
    """
    now = timezone.now()
    count = 0
    batch: dict[tuple[str, int], SearchDocument] = {}
    with transaction.atomic():
        for doc in docs:
            if isinstance(doc, Mapping):
                doc = Doc(**doc)
            row = _row(doc, now)
            batch[(row.kind, row.object_id)] = row  # PostgreSQL refuses a row twice in one upsert
            count += 1
            if len(batch) >= batch_size:
                _upsert(list(batch.values()))
                batch = {}
        if batch:
            _upsert(list(batch.values()))
    return count


def rebuild_index() -> None:
    """Rebuild the database's full-text structure from the SearchDocument rows.

    SQLite: FTS5 'rebuild' (e.g. after restoring a file copied without the FTS table in a
    consistent state). PostgreSQL: REINDEX of the GIN index. Does not re-tokenise: after a
    change to pmloop.core.text, the owning apps re-index their objects.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
        elif connection.vendor == "postgresql":
            cursor.execute("REINDEX INDEX search_doc_tsv_gin")


def check_index() -> None:
    """Raise if the full-text structure disagrees with the rows (SQLite FTS5 integrity-check)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO search_fts(search_fts, rank) VALUES ('integrity-check', 1)")
