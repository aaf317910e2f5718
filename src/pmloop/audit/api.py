from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router

from pmloop.audit import selectors
from pmloop.audit.schemas import AuditEntryOut, AuditFilters
from pmloop.core.http import READ_ERRORS, PageOut, actor_of, page_out
from pmloop.core.pagination import paginate

router = Router(tags=["audit"])


@router.get(
    "/entries", response={200: PageOut[AuditEntryOut], **READ_ERRORS}, summary="Browse the operation log"
)
def list_entries(request: HttpRequest, filters: Query[AuditFilters]):
    data = filters.dict()
    page, page_size = data.pop("page"), data.pop("page_size")
    qs = selectors.list_entries(actor=actor_of(request), **data)
    return page_out(paginate(qs, page=page, page_size=page_size))
