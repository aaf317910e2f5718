from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status

from pmloop.core.http import ERRORS, READ_ERRORS, PageOut, actor_of, page_out, requires
from pmloop.core.pagination import paginate
from pmloop.products import permissions as perms
from pmloop.products import selectors, services
from pmloop.products.schemas import (
    ArchiveIn,
    ModuleIn,
    ModuleMove,
    ModuleOut,
    ModulePatch,
    ModuleTreeOut,
    ProductFilters,
    ProductIn,
    ProductOut,
    ProductPatch,
    VersionIn,
)

router = Router(tags=["products"])


@router.get("", response={200: PageOut[ProductOut], **READ_ERRORS}, summary="List the products you belong to")
def list_products(request: HttpRequest, filters: Query[ProductFilters]):
    qs = selectors.list_products(
        actor=actor_of(request), include_archived=filters.include_archived, q=filters.q
    )
    return page_out(paginate(qs, page=filters.page, page_size=filters.page_size))


@router.post("", response={201: ProductOut, **ERRORS}, summary="Create a product (you become its owner)")
def create_product(request: HttpRequest, body: ProductIn):
    return Status(201, services.create_product(actor=actor_of(request), **body.dict()))


@router.get(
    "/{int:product_id}",
    response={200: ProductOut, **READ_ERRORS},
    summary="Get a product",
    openapi_extra=requires(perms.VIEW),
)
def get_product(request: HttpRequest, product_id: int):
    return selectors.get_product(actor=actor_of(request), product_id=product_id)


@router.patch(
    "/{int:product_id}",
    response={200: ProductOut, **ERRORS},
    summary="Change a product",
    openapi_extra=requires(perms.EDIT),
)
def update_product(request: HttpRequest, product_id: int, body: ProductPatch):
    data = body.dict(exclude_unset=True)
    version = data.pop("version")
    return services.update_product(
        actor=actor_of(request), product_id=product_id, expected_version=version, **data
    )


@router.post(
    "/{int:product_id}/archive",
    response={200: ProductOut, **ERRORS},
    summary="Archive or restore",
    openapi_extra=requires(perms.ARCHIVE),
)
def archive_product(request: HttpRequest, product_id: int, body: ArchiveIn):
    return services.set_product_archived(
        actor=actor_of(request), product_id=product_id, expected_version=body.version, archived=body.archived
    )


def _tree_out(nodes) -> list[dict]:
    return [
        {
            "id": n.module.pk,
            "name": n.module.name,
            "description": n.module.description,
            "position": n.module.position,
            "version": n.module.version,
            "parent_id": n.module.parent_id,
            "depth": n.depth,
            "children": _tree_out(n.children),
        }
        for n in nodes
    ]


@router.get(
    "/{int:product_id}/modules",
    response={200: list[ModuleTreeOut], **READ_ERRORS},
    summary="The module tree",
    openapi_extra=requires(perms.VIEW),
)
def module_tree(request: HttpRequest, product_id: int):
    return _tree_out(selectors.module_tree(actor=actor_of(request), product_id=product_id))


@router.post(
    "/{int:product_id}/modules",
    response={201: ModuleOut, **ERRORS},
    summary="Add a module",
    openapi_extra=requires(perms.EDIT_MODULES),
)
def create_module(request: HttpRequest, product_id: int, body: ModuleIn):
    return Status(201, services.create_module(actor=actor_of(request), product_id=product_id, **body.dict()))


@router.get(
    "/modules/{int:module_id}",
    response={200: ModuleOut, **READ_ERRORS},
    summary="Get a module",
    openapi_extra=requires(perms.VIEW),
)
def get_module(request: HttpRequest, module_id: int):
    return selectors.get_module(actor=actor_of(request), module_id=module_id)


@router.patch(
    "/modules/{int:module_id}",
    response={200: ModuleOut, **ERRORS},
    summary="Rename or describe",
    openapi_extra=requires(perms.EDIT_MODULES),
)
def update_module(request: HttpRequest, module_id: int, body: ModulePatch):
    data = body.dict(exclude_unset=True)
    version = data.pop("version")
    return services.update_module(
        actor=actor_of(request), module_id=module_id, expected_version=version, **data
    )


@router.post(
    "/modules/{int:module_id}/move",
    response={200: ModuleOut, **ERRORS},
    summary="Move or reorder",
    openapi_extra=requires(perms.EDIT_MODULES),
)
def move_module(request: HttpRequest, module_id: int, body: ModuleMove):
    return services.move_module(
        actor=actor_of(request), module_id=module_id, expected_version=body.version,
        parent_id=body.parent_id, position=body.position,
    )  # fmt: skip


@router.delete(
    "/modules/{int:module_id}",
    response={204: None, **ERRORS},
    summary="Delete a module",
    openapi_extra=requires(perms.EDIT_MODULES),
)
def delete_module(request: HttpRequest, module_id: int, version: Query[VersionIn]):
    services.delete_module(actor=actor_of(request), module_id=module_id, expected_version=version.version)
    return Status(204, None)
