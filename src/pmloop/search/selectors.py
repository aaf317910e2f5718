"""Reads from the search index.

Permission filtering is the caller's: ``product_ids`` is the set of products the actor may
see (``accounts.permissions.visible_product_ids(actor)``; None = every product, for site
admins). Nothing outside it is ever returned.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet

from pmloop.core import text
from pmloop.search import fulltext
from pmloop.search.models import SearchDocument, kind_code

MAX_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Hit:
    kind: str
    object_id: int
    product_id: int
    title: str
    score: float
    """Higher is better. SQLite: -bm25; PostgreSQL: ts_rank (normalised by length). The two
    scales differ: compare scores only within one result list."""


def _ids(product_ids: Iterable[int] | None) -> list[int] | None:
    return None if product_ids is None else sorted({int(p) for p in product_ids})


def search(
    *,
    q: str,
    product_ids: Collection[int] | None,
    kinds: list[str] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Hit]:
    """Documents containing every term of ``q``, best first (one query).

    Returns ``[]`` without touching the database when ``q`` has no searchable term (empty,
    punctuation or stopwords only), when ``product_ids`` is empty, or when ``kinds`` is empty.
    """
    terms = text.query_tokens(q)
    ids = _ids(product_ids)
    if not terms or ids == [] or kinds == []:
        return []
    limit = max(0, min(int(limit), MAX_LIMIT))
    offset = max(0, int(offset))
    if limit == 0:
        return []
    sql, params = fulltext.ranked_sql(
        connection.vendor,
        terms=terms,
        product_ids=ids,
        kinds=None if kinds is None else list(dict.fromkeys(kinds)),
        limit=limit,
        offset=offset,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [Hit(k, int(o), int(p), t, float(s)) for k, o, p, t, s in cursor.fetchall()]


def count_matches(*, kind: str, q: str, product_ids: Collection[int] | None, limit: int) -> int:
    """How many documents of ``kind`` within the products match ``q``, counting at most
    ``limit`` (one query on the index; none when there is nothing to count).

    The count of a list whose only filters are the words and the products (the search box,
    an API search): every visible object of a searchable kind has exactly one document, kept
    in the same transaction as the object (``search.services``), so the two counts agree."""
    kind_code(kind)  # an unknown kind is refused even when there is nothing to count
    terms = text.query_tokens(q)
    ids = _ids(product_ids)
    if not terms or ids == [] or limit <= 0:
        return 0
    sql, params = fulltext.count_sql(
        connection.vendor, terms=terms, kind=kind, product_ids=ids, limit=int(limit)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])


def matching_documents(
    *, q: str, product_ids: Collection[int] | None, kinds: list[str] | None = None
) -> QuerySet[SearchDocument]:
    """SearchDocument rows matching ``q`` within the products, unordered, not yet run."""
    terms = text.query_tokens(q)
    ids = _ids(product_ids)
    if not terms or ids == [] or kinds == []:
        return SearchDocument.objects.none()
    fulltext.check_vendor(connection.vendor)
    qs = SearchDocument.objects.filter(fulltext.Matches(terms))
    if ids is not None:
        qs = qs.filter(product_id__in=ids)
    if kinds is not None:
        qs = qs.filter(kind__in=kinds)
    return qs


def matching_ids(*, kind: str, q: str, product_ids: Collection[int] | None) -> QuerySet:
    """A lazy queryset of the ``object_id`` of documents of ``kind`` that match ``q``.

    Combine it with your own filters; it runs as a subquery of your query, never in Python::

        Requirement.objects.filter(pk__in=matching_ids(kind="requirement", q=q, product_ids=ids),
                                   status=Status.ACTIVE)

    Empty when ``q`` has no searchable term (Django then skips the query altogether).
    """
    return matching_documents(q=q, product_ids=product_ids, kinds=[kind]).values("object_id")


def text_matches(*, kind: str, q: str, product_id: int | None = None) -> Q:
    """A filter for a queryset of ``kind`` objects: their search document matches ``q``
    (``Q(pk__in=[])``, matching nothing, when ``q`` has no searchable term). Give
    ``product_id`` when the queryset is one product's: the index then yields only that
    product's matches (``fulltext.ObjectMatches``), which is what a list's count and status
    tabs need.

    The fast path for lists: it reads the full-text index only (SQLite) or probes documents by
    primary key (PostgreSQL), and it does **not** filter by product: use it on a queryset
    already restricted to what the actor may see (``acl.visible_to``), as every list
    selector is::

        qs = visible.filter(text_matches(kind="requirement", q=q) | Q(number=42))
    """
    terms = text.query_tokens(q)
    if not terms:
        return Q(pk__in=[])
    fulltext.check_vendor(connection.vendor)
    return Q(fulltext.ObjectMatches(terms=terms, kind=kind, product_id=product_id))
