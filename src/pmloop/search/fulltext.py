"""The database-specific half of search: query strings and SQL for SQLite FTS5 and PostgreSQL.

Terms come from ``pmloop.core.text.query_tokens``: runs of letters and digits only. Each is
still quoted (FTS5: ``"term"``; tsquery: ``'term'``), so no user input is ever read as query
syntax. A single CJK character is matched as a prefix (``"群"*`` / ``'群':*``), so it finds the
words that start with it. Terms are ANDed.

The index also holds each document's product (migration 0005): SQLite in the FTS5 column
``scope`` (``p<product id>``; user terms are matched in the ``tokens`` column only), PostgreSQL
as the lexemes ``#p<product id>`` and ``#k<kind>`` in ``tsv`` (the 'simple' parser never makes
a lexeme with ``#``). A search inside one product's list then reads only that product's
matches from the index (``scope_tsquery``, ``fts5_query(product_id=…)``).

PostgreSQL matches and ranks on the stored generated column ``tsv`` =
``to_tsvector('simple'::regconfig, tokens)`` (migration 0003), which carries the GIN index
``search_doc_tsv_gin``. The model does not declare that column; ``Matches`` names it next to
the table alias Django chose, so it works inside subqueries too.

SQL is built from constants and Django-compiled column references only; every value (terms,
product ids, kinds, limits) is a query parameter (hence the ``noqa: S608``).
"""

from __future__ import annotations

from django.db.models import BooleanField, F, Func

from pmloop.core import text
from pmloop.search.models import KIND_BITS, kind_code

FTS_TABLE = "search_fts"
DOC_TABLE = "search_searchdocument"
PG_VECTOR_COLUMN = "tsv"
PG_QUERY = "to_tsquery('simple'::regconfig, %s)"
PG_SCOPED_QUERY = f"({PG_QUERY} && %s::tsquery)"


def _prefix(term: str) -> bool:
    return len(term) == 1 and text.is_cjk(term)


def fts5_query(terms: list[str], *, product_id: int | None = None) -> str:
    """``["权限", "群"]`` → ``tokens : ("权限" AND "群"*)`` (FTS5 MATCH syntax, every term quoted,
    matched in the ``tokens`` column only); with ``product_id`` 3 ``… AND scope : "p3"``."""
    words = " AND ".join('"' + t.replace('"', '""') + '"' + ("*" if _prefix(t) else "") for t in terms)
    scope = "" if product_id is None else f' AND scope : "p{int(product_id)}"'
    return f"tokens : ({words}){scope}"


def scope_tsquery(*, product_id: int, kind: str | None = None) -> str:
    """The literal tsquery of one product's documents (of one kind): ``'#p3' & '#kpool_item'``.
    Used as ``%s::tsquery`` (a cast, so the lexemes are taken as written, not parsed)."""
    parts = [f"'#p{int(product_id)}'"]
    if kind is not None:
        kind_code(kind)  # only a known kind's name goes into the literal
        parts.append(f"'#k{kind}'")
    return " & ".join(parts)


def tsquery(terms: list[str]) -> str:
    """``["权限", "群"]`` → ``'权限' & '群':*`` (to_tsquery syntax, every term quoted)."""
    quoted = (
        "'" + t.replace("\\", "\\\\").replace("'", "''") + "'" + (":*" if _prefix(t) else "") for t in terms
    )
    return " & ".join(quoted)


def check_vendor(vendor: str) -> None:
    if vendor not in {"sqlite", "postgresql"}:
        raise NotImplementedError(f"pmloop search supports SQLite and PostgreSQL, not {vendor}")


class Matches(Func):
    """A boolean ORM expression: this SearchDocument row matches all ``terms``.

    ``SearchDocument.objects.filter(Matches(terms))``. It compiles to an index lookup on both
    databases and keeps working when Django re-aliases the table inside a subquery (``U0``).
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, terms: list[str]):
        if not terms:
            raise ValueError("Matches() needs at least one term; an empty query matches nothing")
        self.terms = list(terms)
        super().__init__(F("id"), F("tokens"))

    def as_sql(self, compiler, connection, **extra):  # pragma: no cover - vendors below
        check_vendor(connection.vendor)
        raise AssertionError("unreachable")

    def as_sqlite(self, compiler, connection, **extra):
        id_sql, id_params = compiler.compile(self.source_expressions[0])
        sql = f"{id_sql} IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)"  # noqa: S608
        return sql, (*id_params, fts5_query(self.terms))

    def as_postgresql(self, compiler, connection, **extra):
        alias = self.source_expressions[
            1
        ].alias  # the resolved Col of "tokens": "search_searchdocument" or "U0"
        column = f"{compiler.quote_name_unless_alias(alias)}.{connection.ops.quote_name(PG_VECTOR_COLUMN)}"
        return f"{column} @@ {PG_QUERY}", (tsquery(self.terms),)


class ObjectMatches(Func):
    """A boolean ORM expression on another app's model: this object's search document (of
    ``kind``) matches every term. ``Requirement.objects.filter(Q(ObjectMatches(...)))``.

    Without ``product_id`` — SQLite: ``pk IN (SELECT rowid >> bits FROM search_fts WHERE …
    MATCH … AND rowid & mask = code)``: the matching object ids come from the FTS5 rowids
    alone (a document's id is ``object_id << bits | code``, ``search.models.document_id``), no
    document row is read. PostgreSQL: ``EXISTS`` on the document's primary key (``pk << bits |
    code``) and its ``tsv``; the planner then walks the outer list in its own order and stops
    at the page, instead of reading every matching document of every product (42k heap rows
    for 权限 at 100k: 150 ms → 3 ms for a page, docs/search.md).

    With ``product_id`` (the list is one product's) the index gives only that product's
    matches: SQLite adds ``scope : "p<id>"`` to the MATCH (17k → 3.5k rows looked up for 权限
    in one product's pool at 200k items); PostgreSQL takes them as a set, ``pk IN (SELECT id >>
    bits FROM documents WHERE tsv @@ words && '#p<id>' & '#k<kind>')``, which reads a few
    thousand documents once instead of probing one per list row (the pool's status tabs for
    权限: 300 → 35 ms, docs/benchmarks.md). Only use it on a queryset of that product."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, *, terms: list[str], kind: str, product_id: int | None = None):
        if not terms:
            raise ValueError("ObjectMatches() needs at least one term; an empty query matches nothing")
        self.terms, self.kind, self.kind_code = list(terms), kind, kind_code(kind)
        self.product_id = None if product_id is None else int(product_id)
        super().__init__(F("pk"))

    def as_sql(self, compiler, connection, **extra):  # pragma: no cover - vendors below
        check_vendor(connection.vendor)
        raise AssertionError("unreachable")

    def as_sqlite(self, compiler, connection, **extra):
        pk_sql, pk_params = compiler.compile(self.source_expressions[0])
        mask = (1 << KIND_BITS) - 1
        sql = (f"{pk_sql} IN (SELECT rowid >> {KIND_BITS} FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s "  # noqa: S608
               f"AND (rowid & {mask}) = %s)")  # fmt: skip
        return sql, (*pk_params, fts5_query(self.terms, product_id=self.product_id), self.kind_code)

    def as_postgresql(self, compiler, connection, **extra):
        pk_sql, pk_params = compiler.compile(self.source_expressions[0])
        if self.product_id is not None:
            sql = (f"{pk_sql} IN (SELECT sd.id >> {KIND_BITS} FROM {DOC_TABLE} sd "  # noqa: S608
                   f"WHERE sd.{PG_VECTOR_COLUMN} @@ {PG_SCOPED_QUERY})")  # fmt: skip
            scope = scope_tsquery(product_id=self.product_id, kind=self.kind)
            return sql, (*pk_params, tsquery(self.terms), scope)
        sql = (f"EXISTS (SELECT 1 FROM {DOC_TABLE} sd WHERE sd.id = (({pk_sql} << {KIND_BITS}) | %s) "  # noqa: S608
               f"AND sd.{PG_VECTOR_COLUMN} @@ {PG_QUERY})")  # fmt: skip
        return sql, (*pk_params, self.kind_code, tsquery(self.terms))


_SQLITE_SELECT = (
    "SELECT d.kind, d.object_id, d.product_id, d.title, -bm25(search_fts) AS score "
    "FROM search_fts JOIN search_searchdocument d ON d.id = search_fts.rowid"
)
# ts_rank normalisation 1 divides by 1 + log(document length), like bm25's length term.
_PG_SELECT = (
    "SELECT d.kind, d.object_id, d.product_id, d.title, "
    "ts_rank(d.tsv, to_tsquery('simple'::regconfig, %s), 1) AS score "
    "FROM search_searchdocument d"
)


def ranked_sql(
    vendor: str,
    *,
    terms: list[str],
    product_ids: list[int] | None,
    kinds: list[str] | None,
    limit: int,
    offset: int,
) -> tuple[str, list]:
    """SQL returning (kind, object_id, product_id, title, score), best first."""
    check_vendor(vendor)
    where: list[str] = []
    params: list = []
    if vendor == "sqlite":
        select = _SQLITE_SELECT
        where.append(f"{FTS_TABLE} MATCH %s")
        params.append(fts5_query(terms))
        order = f"ORDER BY bm25({FTS_TABLE}), d.id"
    else:
        select = _PG_SELECT
        params.append(tsquery(terms))  # for ts_rank
        where.append(f"d.{PG_VECTOR_COLUMN} @@ {PG_QUERY}")
        params.append(tsquery(terms))
        order = "ORDER BY score DESC, d.id"
    if product_ids is not None:
        where.append("d.product_id IN (" + ", ".join(["%s"] * len(product_ids)) + ")")
        params.extend(product_ids)
    if kinds is not None:
        where.append("d.kind IN (" + ", ".join(["%s"] * len(kinds)) + ")")
        params.extend(kinds)
    sql = f"{select} WHERE {' AND '.join(where)} {order} LIMIT %s OFFSET %s"
    params.extend([limit, offset])
    return sql, params


def count_sql(
    vendor: str,
    *,
    terms: list[str],
    kind: str,
    product_ids: list[int] | None,
    limit: int,
) -> tuple[str, list]:
    """SQL counting the documents of one kind that match, up to ``limit``, from the index side:
    the FTS5 rowids (SQLite) or the GIN bitmap plus one heap visit per counted document
    (PostgreSQL). One product is a term of the index (migration 0005), so its count reads only
    its own matches; several products are filtered on the document row. A list counted
    through its own rows probes one document per row instead until ``limit`` match: 8,000
    probes for a word in one requirement of eight (38 ms at 100k on PostgreSQL, 13 ms on
    SQLite, against 14 and 3 ms this way; docs/benchmarks.md)."""
    check_vendor(vendor)
    mask = (1 << KIND_BITS) - 1
    one = product_ids[0] if product_ids is not None and len(product_ids) == 1 else None
    many = product_ids is not None and one is None
    in_products = " AND d.product_id IN (" + ", ".join(["%s"] * len(product_ids)) + ")" if many else ""
    if vendor == "sqlite":
        source = f"{FTS_TABLE} f JOIN {DOC_TABLE} d ON d.id = f.rowid" if many else FTS_TABLE
        rowid = "f.rowid" if many else "rowid"
        inner = (f"SELECT 1 FROM {source} WHERE {FTS_TABLE} MATCH %s AND ({rowid} & {mask}) = %s"  # noqa: S608
                 f"{in_products} LIMIT %s")  # fmt: skip
        params: list = [fts5_query(terms, product_id=one)]
    elif one is not None:  # the product and kind are terms of the index: no row filter
        inner = (f"SELECT 1 FROM {DOC_TABLE} d WHERE d.{PG_VECTOR_COLUMN} @@ {PG_SCOPED_QUERY} "  # noqa: S608
                 f"AND (d.id & {mask}) = %s LIMIT %s")  # fmt: skip
        params = [tsquery(terms), scope_tsquery(product_id=one, kind=kind)]
    else:
        inner = (f"SELECT 1 FROM {DOC_TABLE} d WHERE d.{PG_VECTOR_COLUMN} @@ {PG_QUERY} "  # noqa: S608
                 f"AND (d.id & {mask}) = %s{in_products} LIMIT %s")  # fmt: skip
        params = [tsquery(terms)]
    params += [kind_code(kind), *(product_ids if many else []), limit]
    return f"SELECT COUNT(*) FROM ({inner}) AS counted", params  # noqa: S608
