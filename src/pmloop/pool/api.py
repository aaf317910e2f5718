from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status

from pmloop.core.http import ERRORS, READ_ERRORS, PageOut, actor_of, page_out, requires
from pmloop.pool import permissions as perms
from pmloop.pool import selectors, services
from pmloop.pool.choices import BulkAction
from pmloop.pool.schemas import (
    BulkIn,
    BulkOut,
    DeclineIn,
    MergeIn,
    PoolItemDetailOut,
    PoolItemFilters,
    PoolItemIn,
    PoolItemMatch,
    PoolItemOut,
    PoolItemPatch,
    ReopenIn,
    SourceFilters,
    SourceIn,
    SourceOut,
    StatusCountsOut,
    TriageIn,
)

router = Router(tags=["pool"])


def _detail(request: HttpRequest, pool_item_id: int):
    actor = actor_of(request)
    item = selectors.get_item(actor=actor, item_id=pool_item_id)
    item.voices_detail = selectors.voices_of(actor=actor, item=item)
    item.requirement_id_list = selectors.requirement_ids_of(actor=actor, item=item)
    return item


@router.get("/items", response={200: PageOut[PoolItemOut], **READ_ERRORS}, summary="List pool items")
def list_items(request: HttpRequest, filters: Query[PoolItemFilters]):
    actor = actor_of(request)
    return page_out(selectors.list_page(actor=actor, filters=filters))


@router.get(
    "/items/counts",
    response={200: StatusCountsOut, **READ_ERRORS},
    summary="Items per status for the filters",
)
def status_counts(request: HttpRequest, filters: Query[PoolItemMatch]):
    return {"counts": selectors.status_counts(actor=actor_of(request), filters=filters)}


@router.post(
    "/items",
    response={201: PoolItemDetailOut, **ERRORS},
    summary="File a pool item",
    openapi_extra=requires(perms.CREATE),
)
def create_item(request: HttpRequest, body: PoolItemIn):
    item = services.create_item(actor=actor_of(request), **body.dict())
    return Status(201, _detail(request, item.pk))


@router.post(
    "/items/bulk",
    response={200: BulkOut, **ERRORS},
    summary="Triage, decline or merge many items",
    openapi_extra=requires(perms.TRIAGE),
)
def bulk(request: HttpRequest, body: BulkIn):
    """All or nothing: if any item is refused, nothing changes and the message names it."""
    actor = actor_of(request)
    if body.action == BulkAction.TRIAGE:
        data = body.dict(include={"module_id", "importance", "tags"}, exclude_unset=True)
        services.bulk_triage(actor=actor, item_ids=body.pool_item_ids, **data)
    elif body.action == BulkAction.DECLINE:
        services.bulk_decline(actor=actor, item_ids=body.pool_item_ids, reason=body.reason)
    else:
        services.bulk_merge(actor=actor, item_ids=body.pool_item_ids, target_id=body.merge_into_id)
    items = list(selectors.items_by_ids(actor=actor, item_ids=body.pool_item_ids))
    return {"action": body.action, "count": len(items), "items": items}


@router.get(
    "/items/{int:pool_item_id}",
    response={200: PoolItemDetailOut, **READ_ERRORS},
    summary="A pool item",
    openapi_extra=requires(perms.VIEW),
)
def get_item(request: HttpRequest, pool_item_id: int):
    return _detail(request, pool_item_id)


@router.patch(
    "/items/{int:pool_item_id}",
    response={200: PoolItemDetailOut, **ERRORS},
    summary="Change a pool item",
    openapi_extra=requires(perms.EDIT),
)
def update_item(request: HttpRequest, pool_item_id: int, body: PoolItemPatch):
    data = body.dict(exclude_unset=True)
    version = data.pop("version")
    services.update_item(actor=actor_of(request), item_id=pool_item_id, expected_version=version, **data)
    return _detail(request, pool_item_id)


@router.post(
    "/items/{int:pool_item_id}/triage",
    response={200: PoolItemDetailOut, **ERRORS},
    summary="Triage (new → triaged)",
    openapi_extra=requires(perms.TRIAGE),
)
def triage_item(request: HttpRequest, pool_item_id: int, body: TriageIn):
    data = body.dict(exclude_unset=True)
    version = data.pop("version", None)
    services.triage_item(actor=actor_of(request), item_id=pool_item_id, expected_version=version, **data)
    return _detail(request, pool_item_id)


@router.post(
    "/items/{int:pool_item_id}/decline",
    response={200: PoolItemDetailOut, **ERRORS},
    summary="Decline",
    openapi_extra=requires(perms.TRIAGE),
)
def decline_item(request: HttpRequest, pool_item_id: int, body: DeclineIn):
    services.decline_item(
        actor=actor_of(request), item_id=pool_item_id, reason=body.reason, expected_version=body.version
    )
    return _detail(request, pool_item_id)


@router.post(
    "/items/{int:pool_item_id}/merge",
    response={200: PoolItemDetailOut, **ERRORS},
    summary="Merge into a duplicate",
    openapi_extra=requires(perms.TRIAGE),
)
def merge_item(request: HttpRequest, pool_item_id: int, body: MergeIn):
    """Returns the item merged into (the target), with its voices."""
    target = services.merge_item(
        actor=actor_of(request),
        item_id=pool_item_id,
        target_id=body.merge_into_id,
        expected_version=body.version,
    )
    return _detail(request, target.pk)


@router.post(
    "/items/{int:pool_item_id}/reopen",
    response={200: PoolItemDetailOut, **ERRORS},
    summary="Reopen",
    openapi_extra=requires(perms.TRIAGE),
)
def reopen_item(request: HttpRequest, pool_item_id: int, body: ReopenIn):
    services.reopen_item(
        actor=actor_of(request), item_id=pool_item_id, expected_version=body.version, note=body.note
    )
    return _detail(request, pool_item_id)


@router.get("/sources", response={200: list[SourceOut], **READ_ERRORS}, summary="Sources of feedback")
def list_sources(request: HttpRequest, filters: Query[SourceFilters]):
    return list(selectors.list_sources(actor=actor_of(request), include_inactive=filters.include_inactive))


@router.post(
    "/sources",
    response={201: SourceOut, **ERRORS},
    summary="Add a source (site admins)",
    openapi_extra=requires(perms.MANAGE_SOURCES),
)
def create_source(request: HttpRequest, body: SourceIn):
    return Status(201, services.create_source(actor=actor_of(request), **body.dict()))


@router.post(
    "/sources/{int:pool_source_id}/deactivate",
    response={200: SourceOut, **ERRORS},
    summary="Stop offering a source (site admins)",
    openapi_extra=requires(perms.MANAGE_SOURCES),
)
def deactivate_source(request: HttpRequest, pool_source_id: int):
    """Items that have it keep it; it can no longer be chosen for new ones."""
    return services.set_source_active(actor=actor_of(request), source_id=pool_source_id, active=False)


@router.post(
    "/sources/{int:pool_source_id}/activate",
    response={200: SourceOut, **ERRORS},
    summary="Offer a source again (site admins)",
    openapi_extra=requires(perms.MANAGE_SOURCES),
)
def activate_source(request: HttpRequest, pool_source_id: int):
    return services.set_source_active(actor=actor_of(request), source_id=pool_source_id, active=True)
