"""The inbox over the API: your notifications, the unread count, marking them read.

Every operation acts on the caller's own notifications only (another user's id is not found)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router

from pmloop.core.http import ERRORS, READ_ERRORS, PageOut, actor_of, page_out
from pmloop.core.pagination import paginate
from pmloop.notifications import selectors, services
from pmloop.notifications.schemas import (
    MarkReadIn,
    MarkReadOut,
    NotificationFilters,
    NotificationOut,
    UnreadCountOut,
)

router = Router(tags=["notifications"])


@router.get(
    "", response={200: PageOut[NotificationOut], **READ_ERRORS}, summary="Your notifications, newest first"
)
def list_notifications(request: HttpRequest, filters: Query[NotificationFilters]):
    qs = selectors.inbox(actor=actor_of(request), unread_only=filters.unread)
    return page_out(paginate(qs, page=filters.page, page_size=filters.page_size))


@router.get("/unread-count", response={200: UnreadCountOut, **READ_ERRORS}, summary="How many are unread")
def unread_count(request: HttpRequest):
    return {"unread": selectors.unread_count(actor=actor_of(request))}


@router.post("/read", response={200: MarkReadOut, **ERRORS}, summary="Mark notifications read (some, or all)")
def mark_read(request: HttpRequest, body: MarkReadIn):
    actor = actor_of(request)
    marked = services.mark_read(actor=actor, notification_ids=body.ids)
    return {"marked": marked, "unread": selectors.unread_count(actor=actor)}
