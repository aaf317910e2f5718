from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status

from pmloop.core.http import ERRORS, READ_ERRORS, PageOut, actor_of, page_out, requires
from pmloop.core.pagination import paginate
from pmloop.customers import permissions as perms
from pmloop.customers import selectors, services
from pmloop.customers.schemas import (
    ArchiveIn,
    ContactIn,
    ContactOut,
    ContactPatch,
    CustomerDetailOut,
    CustomerFilters,
    CustomerIn,
    CustomerOut,
    CustomerPatch,
)

router = Router(tags=["customers"])


@router.get("", response={200: PageOut[CustomerOut], **READ_ERRORS}, summary="List customers")
def list_customers(request: HttpRequest, filters: Query[CustomerFilters]):
    data = filters.dict()
    page, page_size = data.pop("page"), data.pop("page_size")
    qs = selectors.list_customers(actor=actor_of(request), **data)
    return page_out(paginate(qs, page=page, page_size=page_size))


@router.post(
    "",
    response={201: CustomerDetailOut, **ERRORS},
    summary="Add a customer",
    openapi_extra=requires(perms.EDIT),
)
def create_customer(request: HttpRequest, body: CustomerIn):
    customer = services.create_customer(actor=actor_of(request), **body.dict())
    return Status(201, selectors.get_customer(actor=actor_of(request), customer_id=customer.pk))


@router.get(
    "/{int:customer_id}",
    response={200: CustomerDetailOut, **READ_ERRORS},
    summary="A customer and contacts",
    openapi_extra=requires(perms.VIEW),
)
def get_customer(request: HttpRequest, customer_id: int):
    return selectors.get_customer(actor=actor_of(request), customer_id=customer_id)


@router.patch(
    "/{int:customer_id}",
    response={200: CustomerDetailOut, **ERRORS},
    summary="Change a customer",
    openapi_extra=requires(perms.EDIT),
)
def update_customer(request: HttpRequest, customer_id: int, body: CustomerPatch):
    data = body.dict(exclude_unset=True)
    version = data.pop("version")
    services.update_customer(
        actor=actor_of(request), customer_id=customer_id, expected_version=version, **data
    )
    return selectors.get_customer(actor=actor_of(request), customer_id=customer_id)


@router.post(
    "/{int:customer_id}/archive",
    response={200: CustomerDetailOut, **ERRORS},
    summary="Archive or restore",
    openapi_extra=requires(perms.EDIT),
)
def archive_customer(request: HttpRequest, customer_id: int, body: ArchiveIn):
    services.archive_customer(
        actor=actor_of(request),
        customer_id=customer_id,
        expected_version=body.version,
        archived=body.archived,
    )
    return selectors.get_customer(actor=actor_of(request), customer_id=customer_id)


@router.get(
    "/{int:customer_id}/contacts",
    response={200: list[ContactOut], **READ_ERRORS},
    summary="Contacts",
    openapi_extra=requires(perms.VIEW),
)
def list_contacts(request: HttpRequest, customer_id: int):
    return list(selectors.list_contacts(actor=actor_of(request), customer_id=customer_id))


@router.post(
    "/{int:customer_id}/contacts",
    response={201: ContactOut, **ERRORS},
    summary="Add a contact",
    openapi_extra=requires(perms.EDIT),
)
def add_contact(request: HttpRequest, customer_id: int, body: ContactIn):
    return Status(201, services.add_contact(actor=actor_of(request), customer_id=customer_id, **body.dict()))


@router.patch(
    "/contacts/{int:contact_id}",
    response={200: ContactOut, **ERRORS},
    summary="Change a contact",
    openapi_extra=requires(perms.EDIT),
)
def update_contact(request: HttpRequest, contact_id: int, body: ContactPatch):
    return services.update_contact(
        actor=actor_of(request), contact_id=contact_id, **body.dict(exclude_unset=True)
    )


@router.delete(
    "/contacts/{int:contact_id}",
    response={204: None, **ERRORS},
    summary="Remove a contact",
    openapi_extra=requires(perms.EDIT),
)
def remove_contact(request: HttpRequest, contact_id: int):
    services.remove_contact(actor=actor_of(request), contact_id=contact_id)
    return Status(204, None)
