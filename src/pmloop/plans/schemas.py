from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema

from pmloop.plans.choices import GroupBy, MilestoneStatus, ReleaseStatus


class UserRef(Schema):
    id: int
    username: str
    display_name: str


class PlanIn(Schema):
    product_id: int
    title: str = Field(..., min_length=1, max_length=200)
    start_date: date
    end_date: date
    capacity: Decimal | None = Field(None, ge=0, description="Person-days")
    description: str = Field("", max_length=20000)
    parent_id: int | None = Field(None, description="The plan this one lies within (a quarter for a sprint)")
    owner_id: int | None = Field(None, description="A product owner or manager; default: you")


class PlanPatch(Schema):
    version: int = Field(..., ge=1, description="The version you read; a stale one gets 409")
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=20000)
    start_date: date | None = None
    end_date: date | None = None
    capacity: Decimal | None = Field(None, ge=0, description="Person-days; send null to clear")
    owner_id: int | None = None


class PlanFilters(Schema):
    product_id: int | None = None
    top_only: bool = Field(False, description="Only plans without a parent")
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=200)


class PlanOut(Schema):
    id: int
    product_id: int
    parent_id: int | None
    title: str
    description: str
    start_date: date
    end_date: date
    capacity: Decimal | None
    owner: UserRef
    version: int
    created_at: datetime
    updated_at: datetime


class MilestoneIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    date: dt.date
    status: MilestoneStatus = MilestoneStatus.OPEN


class MilestonePatch(Schema):
    version: int = Field(..., ge=1)
    name: str | None = Field(None, min_length=1, max_length=200)
    date: dt.date | None = None
    status: MilestoneStatus | None = None


class MilestoneOut(Schema):
    id: int
    plan_id: int
    name: str
    date: dt.date
    status: MilestoneStatus
    version: int


class RequirementRef(Schema):
    id: int
    key: str
    title: str
    status: str
    stage: str
    estimate: Decimal | None
    module: str


class PlanItemOut(Schema):
    plan_id: int
    requirement: RequirementRef
    planned_at: datetime
    unconfirmed_change_id: int | None


class PlanDetailOut(PlanOut):
    items: list[PlanItemOut]
    sub_plan_items: list[PlanItemOut]
    sub_plans: list[PlanOut]
    milestones: list[MilestoneOut]
    load: Decimal = Field(description="Sum of the estimates in the plan and its sub-plans (person-days)")
    over_capacity: bool
    unestimated: list[str]
    stage_counts: dict[str, int]


class ItemsIn(Schema):
    requirement_ids: list[int] = Field(..., min_length=1, max_length=500)
    note: str = Field("", max_length=500)


class MoveIn(Schema):
    to_plan_id: int
    note: str = Field("", max_length=500)


class NoteIn(Schema):
    note: str = Field("", max_length=500)


class VersionIn(Schema):
    version: int = Field(..., ge=1)


class FlowPointOut(Schema):
    day: date
    scope: int
    done: int
    counts: dict[str, int]


class FlowOut(Schema):
    plan_id: int
    stages: list[str]
    points: list[FlowPointOut]


# ---- releases ---------------------------------------------------------------------------------
class ReleaseIn(Schema):
    product_id: int
    version_name: str = Field(
        ..., min_length=1, max_length=50, description="e.g. v3.2; unique in the product"
    )
    planned_date: date | None = None
    title: str = Field("", max_length=200)
    description: str = Field("", max_length=20000)
    plan_id: int | None = None
    manager_id: int | None = Field(None, description="The release manager; default: you")


class ReleasePatch(Schema):
    version: int = Field(..., ge=1)
    version_name: str | None = Field(None, min_length=1, max_length=50)
    planned_date: date | None = None
    title: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=20000)
    manager_id: int | None = None


class ReleaseFilters(Schema):
    product_id: int | None = None
    status: ReleaseStatus | None = None
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=200)


class ReleaseOut(Schema):
    id: int
    product_id: int
    plan_id: int | None
    version_name: str
    title: str
    description: str
    planned_date: date | None
    status: ReleaseStatus
    manager: UserRef
    released_at: datetime | None
    version: int


class ReleaseItemOut(Schema):
    requirement: RequirementRef
    stage_before: str
    override_reason: str
    snapshot: dict


class ReleaseDetailOut(ReleaseOut):
    items: list[ReleaseItemOut]


class PublishIn(Schema):
    version: int = Field(..., ge=1, description="The release version you read; a stale one gets 409")
    overrides: dict[int, str] = Field(
        default_factory=dict,
        description="Requirement id → reason, for requirements shipped before reaching testing "
        "(release manager or product owner only)",
    )
    note: str = Field("", max_length=2000)


# ---- roadmap ----------------------------------------------------------------------------------
class RoadmapFilters(Schema):
    product_id: list[int] = Field(default_factory=list, description="Repeat for several; none = all yours")
    group_by: GroupBy = GroupBy.MODULE
    start: date | None = None
    end: date | None = None


class RoadmapRowOut(Schema):
    requirement_id: int
    key: str
    title: str
    stage: str
    product: str
    module: str
    plan: str
    release: str
    start: date | None
    end: date | None


class RoadmapLaneOut(Schema):
    label: str
    rows: list[RoadmapRowOut]


class RoadmapPlanOut(Schema):
    id: int
    title: str
    product: str
    start: date
    end: date
    depth: int


class RoadmapReleaseOut(Schema):
    id: int
    version: str
    product: str
    day: date | None
    released: bool


class RoadmapOut(Schema):
    start: date
    end: date
    group_by: str
    plans: list[RoadmapPlanOut]
    releases: list[RoadmapReleaseOut]
    lanes: list[RoadmapLaneOut]


class OutlookFilters(Schema):
    product_id: list[int] = Field(default_factory=list)


class OutlookCardOut(Schema):
    title: str
    summary: str
    module: str
    product: str


class OutlookOut(Schema):
    shipped: list[OutlookCardOut]
    now: list[OutlookCardOut]
    next: list[OutlookCardOut]
    later: list[OutlookCardOut]
