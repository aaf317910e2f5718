"""Cross-app endpoints: health (the benchmark floor) and the one search box."""

from __future__ import annotations

from typing import Literal

from django.db import connection
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

import pmloop
from pmloop.core.http import READ_ERRORS, PageOut, actor_of, page_out
from pmloop.pool.schemas import PoolItemOut
from pmloop.requirements.schemas import RequirementOut, requirement_row
from pmloop.web import search as one_search

router = Router(tags=["system"])


class HealthOut(Schema):
    ok: bool
    version: str
    database: str


def _health() -> dict:
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
        cur.fetchone()
    return {"ok": True, "version": pmloop.__version__, "database": connection.vendor}


@router.get(
    "/health", auth=None, response={200: HealthOut}, summary="Health check for load balancers (no login)"
)
def health(request: HttpRequest):
    return _health()


@router.get("/health/auth", response={200: HealthOut, **READ_ERRORS},
            summary="Authenticated health check: the cheapest authenticated call (the benchmark floor)")  # fmt: skip
def health_authenticated(request: HttpRequest):
    return _health()


# ---- one search box ----------------------------------------------------------------------------
AnyStatus = Literal[
    "draft", "reviewing", "active", "changing", "closed", "new", "triaged", "linked", "merged", "declined"
]
assert set(AnyStatus.__args__) == {*one_search.REQUIREMENT_STATUSES, *one_search.POOL_STATUSES}


class SearchFilters(Schema):
    q: str = Field("", max_length=one_search.Q_MAX,
                   description="Words (Chinese or English) or a key like IMSDK-42; empty: nothing is searched")  # fmt: skip
    product: int | None = Field(None, description="Product id; left out: every product you are a member of")
    module: int | None = Field(None, description="Module id (both kinds)")
    status: list[AnyStatus] = Field(
        default_factory=list,
        description="Repeat for several. A status applies to the kind that has it (requirement: draft, "
        "reviewing, active, changing, closed; pool item: new, triaged, linked, merged, declined); a kind "
        "given none of its own statuses is not searched (null, with a note)",
    )
    priority: int | None = Field(
        None, ge=1, le=4, description="Requirement priority; pool items by importance (1 critical … 4 low)"
    )
    owner: str | None = Field(None, max_length=150, description="Owner's user name (requirements only)")
    page: int = Field(1, ge=1, description="The same page of both kinds")
    limit: int = Field(one_search.PAGE_ROWS, ge=1, le=one_search.MAX_PAGE_SIZE, description="Rows per kind")


class SearchNote(Schema):
    kind: Literal["requirements", "pool_items"]
    code: str = Field(..., description="status_not_applicable or owner_not_applicable")
    message: str


class SearchOut(Schema):
    q: str
    requirements: PageOut[RequirementOut] | None = Field(..., description="null: not searched (see notes)")
    pool_items: PageOut[PoolItemOut] | None = Field(..., description="null: not searched (see notes)")
    notes: list[SearchNote]


@router.get("/search", response={200: SearchOut, **READ_ERRORS}, tags=["search"],
            summary="Search requirements and pool items at once (one search box)")  # fmt: skip
def search(request: HttpRequest, filters: Query[SearchFilters]):
    """Both kinds through their list endpoints' rules (newest first, only products you are a
    member of; counts stop at 1,000: ``count_capped``). ``product`` of a product you may not see
    is a 404."""
    actor = actor_of(request)
    params = one_search.check(
        actor,
        one_search.SearchParams(
            q=filters.q.strip(), product_id=filters.product, module_id=filters.module,
            status=[str(s) for s in filters.status], priority=filters.priority, owner=filters.owner or None,
        ),
    )  # fmt: skip
    result = one_search.search(actor, params, page=filters.page, page_size=filters.limit, for_api=True)
    reqs, pool = result.requirements, result.pool_items
    return {
        "q": params.q,
        "requirements": page_out(reqs.page, requirement_row) if reqs.page is not None else None,
        "pool_items": page_out(pool.page) if pool.page is not None else None,
        "notes": [
            {"kind": section.kind, "code": code, "message": message}
            for section in (reqs, pool)
            for code, message in section.notes
        ],
    }
