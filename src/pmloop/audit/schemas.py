from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema


class AuditFilters(Schema):
    product_id: int | None = None
    object_type: str | None = Field(None, max_length=80, description="e.g. products.product")
    object_id: str | None = Field(None, max_length=64)
    actor_id: int | None = None
    action: str | None = Field(None, max_length=80, description="An action or a prefix, e.g. products.")
    since: datetime | None = None
    until: datetime | None = None
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=200)


class AuditEntryOut(Schema):
    seq: int
    created_at: datetime
    actor_id: int | None
    actor_label: str
    via: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    product_id: int | None
    before: Any | None
    after: Any | None
    note: str
    hash: str


class VerifyOut(Schema):
    ok: bool
    checked: int
    first_bad_seq: int | None
    reason: str
