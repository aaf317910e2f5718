from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema
from pydantic import model_validator


class NotificationOut(Schema):
    id: int
    kind: str = Field(
        ..., description="e.g. review_requested, verdict_given, change_requested, requirement_released"
    )
    params: dict[str, Any] | None = Field(
        None, description="What happened (ids, keys, titles, names); null on notifications older than kinds"
    )
    title: str = Field(..., description="Rendered now, in the language of this request")
    body: str = Field(..., description="Rendered now, in the language of this request")
    url: str = Field(..., description="Where the notification points (a page of pmloop)")
    product_id: int | None
    object_type: str
    object_id: str
    created_at: datetime
    read_at: datetime | None
    read: bool

    @staticmethod
    def resolve_read(obj) -> bool:
        return obj.read_at is not None

    @staticmethod
    def resolve_title(obj) -> str:
        return obj.rendered().title

    @staticmethod
    def resolve_body(obj) -> str:
        return obj.rendered().body

    @staticmethod
    def resolve_url(obj) -> str:
        return obj.rendered().url


class NotificationFilters(Schema):
    unread: bool = Field(False, description="Only unread notifications")
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=200)


class UnreadCountOut(Schema):
    unread: int


class MarkReadIn(Schema):
    """``{"ids": [1, 2]}`` marks those; ``{"all": true}`` (or an empty body) marks every unread one."""

    ids: list[int] | None = Field(None, min_length=1, max_length=500, description="Your notifications' ids")
    all: bool | None = Field(None, description="Mark every unread notification read")

    model_config = {"extra": "forbid"}

    @model_validator(mode="after")
    def one_of(self):
        if self.ids is not None and self.all:
            raise ValueError("give either ids or all, not both")
        if self.ids is None and self.all is False:
            raise ValueError("give ids, or all: true")
        return self


class MarkReadOut(Schema):
    marked: int = Field(..., description="How many were unread and are now read")
    unread: int = Field(..., description="How many remain unread")
