"""Reads of the pool for the fronts. Every query is restricted to the actor's products and
loads what the list shows in the same query (no N+1)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from pmloop.accounts import permissions as acl
from pmloop.core.actor import Actor
from pmloop.core.errors import InvalidInput, NotFound, PermissionDenied
from pmloop.core.pagination import Counter, Page, count_limit_for, paginate, statuses_total
from pmloop.customers.models import Customer
from pmloop.pool.choices import IMPORTANCE_RANK, SORTS, Status
from pmloop.pool.models import PoolItem, PoolLink, PoolSource
from pmloop.pool.schemas import PoolItemFilters, PoolItemMatch
from pmloop.products.models import Module
from pmloop.search import selectors as search_selectors

_NUMBER = re.compile(r"^(?:[A-Za-z][A-Za-z0-9_-]*-)?[Pp](\d+)$|^#?(\d+)$")
LIST_RELATED = ("product", "source", "customer", "module", "reporter")


def _visible(actor: Actor) -> QuerySet[PoolItem]:
    if not actor.is_authenticated:
        raise PermissionDenied(_("Log in first."), code="unauthenticated")
    return acl.visible_to(actor, PoolItem.objects.all())


def _text_filter(qs: QuerySet[PoolItem], q: str, *, product_id: int | None) -> QuerySet[PoolItem]:
    """``qs`` narrowed to the items ``q`` finds (by key, number or words); ``qs`` must already be
    limited to ``product_id`` when it is given (the index then reads only its matches)."""
    q = (q or "").strip()
    if not q:
        return qs
    number = _NUMBER.match(q)
    if number and number.group(1):  # IMSDK-P12, P12: that item
        return qs.filter(number=int(number.group(1)))
    words = search_selectors.text_matches(kind="pool_item", q=q, product_id=product_id)
    if number:  # a bare number: that item, or the number in the words
        words |= Q(number=int(number.group(2)))
    return qs.filter(words)


# The filters that narrow which items match, besides the words and the product (any field added
# to PoolItemMatch joins them, so it turns the index count off until handled).
_NARROWING = set(PoolItemMatch.model_fields) - {"q", "product"}
_NOT_NARROWED = PoolItemMatch().model_dump(include=_NARROWING)


def search_counter(*, actor: Actor, filters: PoolItemMatch) -> Counter | None:
    """Counts a list that only words (no item number) and the product narrow from the search
    index (as ``requirements.selectors.search_counter``); None for any other list."""
    text = (filters.q or "").strip()
    if not text or _NUMBER.match(text) or filters.model_dump(include=_NARROWING) != _NOT_NARROWED:
        return None
    scope = acl.visible_within(actor, filters.product)
    return lambda n: search_selectors.count_matches(kind="pool_item", q=text, product_ids=scope, limit=n)


def list_page(*, actor: Actor, filters: PoolItemFilters) -> Page:
    """The page of ``list_items`` that ``filters`` asks for: a text search counts at most
    ``SEARCH_COUNT_LIMIT`` rows, from the index where it can. Every list front pages through
    here, so the rows and their count always come from the same filters."""
    return paginate(list_items(actor=actor, filters=filters), page=filters.page, page_size=filters.page_size,
                    count_limit=count_limit_for(filters.q), counter=search_counter(actor=actor, filters=filters))  # fmt: skip


def list_page_with_tabs(*, actor: Actor, filters: PoolItemFilters) -> tuple[Page, dict[str, int]]:
    """The list page and its status tabs (``status_counts``) with one counting query instead of
    two: the page's count is the sum of its statuses' tabs, counted under the same filters.
    A search inside the pool read every match three times (count, page, tabs): 36 ms of the
    PostgreSQL pool page for 权限 at 200k items (docs/benchmarks.md)."""
    counts = status_counts(actor=actor, filters=filters)
    total = statuses_total(counts, [str(s) for s in filters.status])
    page = paginate(list_items(actor=actor, filters=filters), page=filters.page, page_size=filters.page_size,
                    count_limit=count_limit_for(filters.q), total=total)  # fmt: skip
    return page, counts


def list_items(*, actor: Actor, filters: PoolItemFilters | None = None) -> QuerySet[PoolItem]:
    """Pool items the actor may see, filtered and sorted, with everything a row shows."""
    filters = filters or PoolItemFilters()
    qs = _visible(actor).filter(filters.get_filter_expression())
    qs = _text_filter(qs, filters.q, product_id=filters.product)
    if filters.sort == "-importance":
        qs = qs.annotate(
            importance_rank=Case(
                *[When(importance=k, then=Value(v)) for k, v in IMPORTANCE_RANK.items()],
                default=Value(9),
                output_field=IntegerField(),
            )
        )
    return qs.select_related(*LIST_RELATED).order_by(*SORTS[filters.sort])


def status_counts(*, actor: Actor, filters: PoolItemMatch) -> dict[str, int]:
    """How many items of each status match the filters (ignoring the status filter): one
    query, for the tabs above the list."""
    without_status = filters.model_copy(update={"status": []})
    qs = _visible(actor).filter(without_status.get_filter_expression())
    qs = _text_filter(qs, filters.q, product_id=filters.product)
    rows = qs.order_by().values("status").annotate(n=Count("id"))
    counts = dict.fromkeys(Status.values, 0)
    counts.update({r["status"]: r["n"] for r in rows})
    return counts


def get_item(*, actor: Actor, item_id: int) -> PoolItem:
    item = _visible(actor).select_related(*LIST_RELATED, "merged_into__product").filter(pk=item_id).first()
    if item is None:
        raise NotFound(_("No such pool item, or you may not see it."), code="item_not_found")
    return item


def items_by_ids(*, actor: Actor, item_ids: list[int]) -> QuerySet[PoolItem]:
    return _visible(actor).filter(pk__in=item_ids).select_related(*LIST_RELATED).order_by("number")


def get_item_by_key(*, actor: Actor, product_id: int, number: int) -> PoolItem:
    item = _visible(actor).filter(product_id=product_id, number=number).only("pk").first()
    if item is None:
        raise NotFound(_("No pool item P%(n)s in this product.") % {"n": number}, code="item_not_found")
    return get_item(actor=actor, item_id=item.pk)


@dataclass
class Voices:
    """One problem and everyone behind it: the item, the items merged into it, and the
    distinct customers (with the weight each brings)."""

    item: PoolItem
    merged: list[PoolItem] = field(default_factory=list)
    customers: list[Customer] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.item.voices

    @property
    def customer_weight(self) -> int:
        return sum(c.weight for c in self.customers)


def voices_of(*, actor: Actor, item: PoolItem) -> Voices:
    """The item and the items merged into it (chains never form, so one level is all), with
    their customers: two queries whatever the count."""
    if not acl.can_see(actor, item.product_id):
        raise NotFound(_("No such pool item, or you may not see it."), code="item_not_found")
    merged = list(
        PoolItem.objects.filter(merged_into_id=item.pk)
        .select_related("product", "customer", "source")
        .order_by("created_at", "id")
    )
    customers: dict[int, Customer] = {}
    for it in [item, *merged]:
        if it.customer_id is not None and it.customer is not None:
            customers.setdefault(it.customer_id, it.customer)
    return Voices(
        item=item, merged=merged, customers=sorted(customers.values(), key=lambda c: (-c.weight, c.name))
    )


def requirement_ids_of(*, actor: Actor, item: PoolItem) -> list[int]:
    """The requirements that cover this item (ids; the requirements app resolves them)."""
    if not acl.can_see(actor, item.product_id):
        raise NotFound(_("No such pool item, or you may not see it."), code="item_not_found")
    return list(
        PoolLink.objects.filter(item_id=item.pk)
        .order_by("requirement_id")
        .values_list("requirement_id", flat=True)
    )


def items_linked_to(*, actor: Actor, requirement_id: int) -> QuerySet[PoolItem]:
    """The pool items a requirement covers (for the requirement's "who asked")."""
    return (
        _visible(actor)
        .filter(links__requirement_id=requirement_id)
        .select_related(*LIST_RELATED)
        .order_by("-voices", "number")
    )


def list_for_customer(*, actor: Actor, customer_id: int) -> QuerySet[PoolItem]:
    """What a customer asked, newest first, with where each went (merged into which)."""
    return (
        _visible(actor)
        .filter(customer_id=customer_id)
        .select_related("product", "source", "module", "merged_into__product")
        .order_by("-created_at", "-id")
    )


def counts_by_customer(*, actor: Actor, customer_ids: list[int]) -> dict[int, dict[str, int]]:
    """customer id → {'items': n, 'open': n}: one query for a whole customer list."""
    rows = (
        _visible(actor)
        .filter(customer_id__in=customer_ids)
        .order_by()
        .values("customer_id")
        .annotate(items=Count("id"), open=Count("id", filter=Q(status__in=[Status.NEW, Status.TRIAGED])))
    )
    return {r["customer_id"]: {"items": r["items"], "open": r["open"]} for r in rows}


def list_sources(*, actor: Actor, include_inactive: bool = False) -> QuerySet[PoolSource]:
    if not actor.is_authenticated:
        raise PermissionDenied(_("Log in first."), code="unauthenticated")
    qs = PoolSource.objects.all()
    if not include_inactive:
        qs = qs.filter(active=True)
    return qs.order_by("position", "id")


def get_source(*, actor: Actor, source_id: int) -> PoolSource:
    source = list_sources(actor=actor, include_inactive=True).filter(pk=source_id).first()
    if source is None:
        raise NotFound(_("No such source."), code="source_not_found")
    return source


def resolve_module(*, actor: Actor, product_id: int, ref: str) -> int:
    """A module of the product by path ('群聊/群公告') or by a name that is unique in it;
    InvalidInput naming the field 'module' otherwise."""
    if not acl.can_see(actor, product_id):
        raise NotFound(_("No such product, or you are not a member of it."), code="product_not_found")
    modules = list(Module.objects.filter(product_id=product_id).values("pk", "name", "parent_id"))
    by_pk = {m["pk"]: m for m in modules}

    def path(m: dict[str, Any]) -> str:
        parts = [m["name"]]
        while m["parent_id"] is not None:
            m = by_pk[m["parent_id"]]
            parts.append(m["name"])
        return "/".join(reversed(parts))

    wanted = "/".join(p.strip() for p in ref.replace(">", "/").split("/") if p.strip())
    hits = [m for m in modules if path(m).lower() == wanted.lower()]
    if not hits and "/" not in wanted:
        hits = [m for m in modules if m["name"].lower() == wanted.lower()]
    if len(hits) == 1:
        return hits[0]["pk"]
    if hits:
        raise InvalidInput(
            _("'%(m)s' names several modules; write its path: %(paths)s.")
            % {"m": ref, "paths": ", ".join(path(h) for h in hits)},
            field="module",
        )
    raise InvalidInput(_("This product has no module '%(m)s'.") % {"m": ref}, field="module")
