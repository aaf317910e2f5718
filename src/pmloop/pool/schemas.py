from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.db.models import Q
from django.utils import timezone
from ninja import Field, FilterSchema, Schema

from pmloop.pool.choices import SORTS, BulkAction, Importance, Status
from pmloop.pool.normalise import normalise_tag


def _aware(moment: datetime) -> datetime:
    """A date from a form (2025-01-31) means midnight where the user is."""
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


SortKey = Literal["-created", "created", "-voices", "-importance", "-number"]


class PoolItemMatch(FilterSchema):
    """Which items: the filter fields of the pool list without sorting and paging (the
    status counts take only these). ``q`` (words in the text, title or number) is resolved
    by the selector through the search index; every other field becomes one Q expression."""

    product: int | None = Field(None, description="Product id")
    q: str = Field("", max_length=200, description="Words from the title or text, or a number like P12")
    status: list[Status] = Field(
        default_factory=list, description="Repeat for several: status=new&status=triaged"
    )
    source: str | None = Field(None, max_length=40, description="Source code, e.g. customer")
    customer: int | None = Field(None, description="Customer id")
    module: int | None = Field(None, description="Module id")
    importance: Importance | None = None
    tag: str | None = Field(None, max_length=30, description="One tag (whole-tag match)")
    reporter: int | None = Field(None, description="User id of the reporter")
    created_since: datetime | None = Field(None, description="Created at or after (ISO date or date-time)")
    created_until: datetime | None = Field(None, description="Created before")

    def custom_expression(self) -> Q:
        q = Q()
        if self.product is not None:
            q &= Q(product_id=self.product)
        if self.status:
            q &= Q(status__in=[str(s) for s in self.status])
        if self.source:
            q &= Q(source__code=self.source)
        if self.customer is not None:
            q &= Q(customer_id=self.customer)
        if self.module is not None:
            q &= Q(module_id=self.module)
        if self.importance:
            q &= Q(importance=self.importance)
        if self.tag and normalise_tag(self.tag):
            q &= Q(tags__contains=f",{normalise_tag(self.tag)},")
        if self.reporter is not None:
            q &= Q(reporter_id=self.reporter)
        if self.created_since is not None:
            q &= Q(created_at__gte=_aware(self.created_since))
        if self.created_until is not None:
            q &= Q(created_at__lt=_aware(self.created_until))
        return q

    def active(self) -> dict[str, object]:
        """The filters that are set (not page or sort), for "clear filters" and summaries."""
        skip = {"page", "page_size", "sort", "product"}
        return {k: v for k, v in self.dict().items() if k not in skip and v not in (None, "", [])}


class PoolItemFilters(PoolItemMatch):
    """The filters of the pool list, shared by the API (query string) and the page (URL)."""

    sort: SortKey = Field("-created", description=", ".join(SORTS))
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=200)


class Ref(Schema):
    id: int
    name: str


class UserRef(Schema):
    id: int
    username: str
    display_name: str


class SourceOut(Schema):
    id: int
    code: str
    label: str
    label_en: str
    label_zh: str
    builtin: bool
    active: bool
    position: int


class SourceIn(Schema):
    code: str = Field(
        ..., min_length=1, max_length=40, description="Letters, digits, - or _ (stored lower-case)"
    )
    label_en: str = Field(..., min_length=1, max_length=60)
    label_zh: str = Field(..., min_length=1, max_length=60)
    position: int | None = Field(None, ge=0)


class SourceFilters(Schema):
    include_inactive: bool = False


class PoolItemOut(Schema):
    id: int
    key: str = Field(..., description="e.g. IMSDK-P12")
    number: int
    product_id: int
    source: str = Field(..., description="Source code")
    title: str
    text: str
    customer: Ref | None
    reporter: UserRef | None
    module: Ref | None
    importance: Importance
    tags: list[str]
    status: Status
    merged_into_id: int | None
    decline_reason: str
    voices: int
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_source(obj) -> str:
        return obj.source.code

    @staticmethod
    def resolve_tags(obj) -> list[str]:
        return obj.tag_list


class VoiceOut(Schema):
    id: int
    key: str
    title: str
    customer: Ref | None
    voices: int
    created_at: datetime


class PoolItemDetailOut(PoolItemOut):
    """An item with its voices. Built from an item on which the API sets ``voices_detail``
    (selectors.voices_of) and ``requirement_id_list`` (selectors.requirement_ids_of)."""

    merged_items: list[VoiceOut] = Field(default_factory=list, description="Items merged into this one")
    customers: list[Ref] = Field(default_factory=list, description="Every customer behind this item")
    requirement_ids: list[int] = Field(default_factory=list, description="Requirements that cover it")

    @staticmethod
    def resolve_merged_items(obj) -> list:
        return obj.voices_detail.merged

    @staticmethod
    def resolve_customers(obj) -> list:
        return obj.voices_detail.customers

    @staticmethod
    def resolve_requirement_ids(obj) -> list[int]:
        return obj.requirement_id_list


class PoolItemIn(Schema):
    product_id: int
    text: str = Field(..., min_length=1, max_length=20000, description="The words as they were said")
    source: str | None = Field(None, max_length=40, description="Source code; default from your role")
    title: str = Field("", max_length=200, description="Default: the text's first sentence")
    customer_id: int | None = None
    module_id: int | None = None
    importance: Importance = Importance.MEDIUM
    tags: list[str] = Field(default_factory=list)


class PoolItemPatch(Schema):
    version: int = Field(..., ge=1, description="The version you read; a stale one gets 409")
    text: str | None = Field(None, min_length=1, max_length=20000)
    title: str | None = Field(None, max_length=200)
    source: str | None = Field(None, max_length=40)
    customer_id: int | None = Field(None, description="null clears it; leave out to keep it")
    module_id: int | None = Field(None, description="null clears it; leave out to keep it")
    importance: Importance | None = None
    tags: list[str] | None = None


class TriageIn(Schema):
    version: int | None = Field(None, ge=1, description="The version you read (checked when given)")
    module_id: int | None = Field(None, description="Module guess; leave out to keep it")
    importance: Importance | None = None
    tags: list[str] | None = None


class DeclineIn(Schema):
    version: int | None = Field(None, ge=1)
    reason: str = Field(
        ..., max_length=2000, description="Why it is declined (not empty): the askers read it"
    )


class MergeIn(Schema):
    version: int | None = Field(None, ge=1)
    merge_into_id: int = Field(..., description="The pool item it duplicates (id)")


class ReopenIn(Schema):
    version: int | None = Field(None, ge=1)
    note: str = Field("", max_length=2000)


class BulkIn(Schema):
    action: BulkAction
    pool_item_ids: list[int] = Field(..., min_length=1, max_length=500)
    reason: str = Field("", max_length=2000, description="decline: required")
    merge_into_id: int | None = Field(None, description="merge: the pool item to merge into (id)")
    module_id: int | None = Field(None, description="triage: module guess to set")
    importance: Importance | None = Field(None, description="triage: importance to set")
    tags: list[str] | None = Field(None, description="triage: tags to set")


class BulkOut(Schema):
    action: BulkAction
    count: int
    items: list[PoolItemOut]


class StatusCountsOut(Schema):
    counts: dict[str, int]
