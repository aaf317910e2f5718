from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from pmloop.products.choices import ReviewRule


class ProductIn(Schema):
    code: str = Field(..., min_length=2, max_length=20, description="2–20 capitals/digits, e.g. IMSDK")
    name: str = Field(..., min_length=1, max_length=100)
    description: str = Field("", max_length=20000)
    review_rule: ReviewRule = ReviewRule.ALL_PASS


class ProductPatch(Schema):
    version: int = Field(..., ge=1, description="The version you read; a stale one gets 409")
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=20000)
    review_rule: ReviewRule | None = None
    owner_id: int | None = None


class ArchiveIn(Schema):
    version: int = Field(..., ge=1)
    archived: bool = True


class UserRef(Schema):
    id: int
    username: str
    display_name: str


class ProductOut(Schema):
    id: int
    code: str
    name: str
    description: str
    review_rule: ReviewRule
    archived: bool
    owner: UserRef
    version: int
    created_at: datetime
    updated_at: datetime


class ProductFilters(Schema):
    q: str = Field("", max_length=100, description="Part of the name or code")
    include_archived: bool = False
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=200)


class ModuleIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    parent_id: int | None = None
    description: str = Field("", max_length=20000)
    position: int | None = Field(None, ge=0)


class ModulePatch(Schema):
    version: int = Field(..., ge=1)
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=20000)


class ModuleMove(Schema):
    version: int = Field(..., ge=1)
    parent_id: int | None = Field(None, description="The new parent; null for the top level")
    position: int | None = Field(
        None, ge=0, description="0-based place among the new siblings; end if omitted"
    )


class VersionIn(Schema):
    version: int = Field(..., ge=1)


class ModuleOut(Schema):
    id: int
    product_id: int
    parent_id: int | None
    name: str
    description: str
    position: int
    version: int


class ModuleTreeOut(Schema):
    id: int
    name: str
    description: str
    position: int
    version: int
    parent_id: int | None
    depth: int
    children: list[ModuleTreeOut] = []
