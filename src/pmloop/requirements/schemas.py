from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import WithJsonSchema

from pmloop.core.http import RowSchema
from pmloop.requirements.choices import Category, ChangeStatus, CloseReason, LinkKind, Stage
from pmloop.requirements.choices import Status as _Status
from pmloop.reviews.choices import Verdict

# Inlined, not a "Status" component: the pool has its own Status enum, and django-ninja merges
# every schema's definitions by class name, so one would silently document the other's values.
Status = Annotated[
    _Status, WithJsonSchema({"title": "Requirement status", "type": "string", "enum": _Status.values})
]


class ScenarioRow(Schema):
    title: str = Field("", max_length=2000)
    industry: str = Field("", max_length=2000)
    customer_type: str = Field("", max_length=2000)
    description: str = Field("", max_length=2000)

    model_config = {"extra": "forbid"}


class PerformanceRow(Schema):
    metric: str = Field("", max_length=2000)
    target: str = Field("", max_length=2000)
    boundary: str = Field("", max_length=2000)

    model_config = {"extra": "forbid"}


class CompetitorRow(Schema):
    competitor: str = Field("", max_length=2000)
    solution: str = Field("", max_length=2000)
    pricing: str = Field("", max_length=2000)
    difference: str = Field("", max_length=2000)
    advantage: str = Field("", max_length=2000)

    model_config = {"extra": "forbid"}


class SpecIn(Schema):
    """PRD sections; omit a section to leave it as it is."""

    summary: str | None = Field(None, max_length=50000)
    background: str | None = Field(None, max_length=50000)
    problem: str | None = Field(None, max_length=50000)
    why_chain: list[str] | None = Field(None, max_length=100)
    value: str | None = Field(None, max_length=50000)
    goal: str | None = Field(None, max_length=50000)
    scenarios: list[ScenarioRow] | None = Field(None, max_length=100)
    functional_design: str | None = Field(None, max_length=50000)
    tracking_design: str | None = Field(None, max_length=50000)
    compatibility: str | None = Field(None, max_length=50000)
    pricing: str | None = Field(None, max_length=50000)
    performance: list[PerformanceRow] | None = Field(None, max_length=100)
    acceptance_criteria: list[str] | None = Field(None, max_length=100)
    competitors: list[CompetitorRow] | None = Field(None, max_length=100)

    model_config = {"extra": "forbid"}

    def sections(self) -> dict[str, Any]:
        return self.dict(exclude_unset=True)


class SpecOut(Schema):
    summary: str = ""
    background: str = ""
    problem: str = ""
    why_chain: list[str] = []
    value: str = ""
    goal: str = ""
    scenarios: list[ScenarioRow] = []
    functional_design: str = ""
    tracking_design: str = ""
    compatibility: str = ""
    pricing: str = ""
    performance: list[PerformanceRow] = []
    acceptance_criteria: list[str] = []
    competitors: list[CompetitorRow] = []


class RequirementIn(Schema):
    product_id: int
    title: str = Field(..., min_length=1, max_length=200)
    spec: SpecIn | None = None
    module_id: int | None = None
    category: Category = Category.FEATURE
    priority: int = Field(3, ge=1, le=4)
    estimate: Decimal | None = Field(None, ge=0, le=100000, decimal_places=1)
    owner_id: int | None = None
    reviewer_ids: list[int] | None = None
    parent_id: int | None = None
    pool_item_ids: list[int] | None = None


class FromPoolItemIn(Schema):
    pool_item_id: int
    title: str | None = Field(None, min_length=1, max_length=200)
    owner_id: int | None = None
    reviewer_ids: list[int] | None = None


class RequirementPatch(Schema):
    version: int = Field(..., ge=1, description="The version you read; a stale one gets 409")
    title: str | None = Field(None, min_length=1, max_length=200)
    spec: SpecIn | None = None
    module_id: int | None = None
    category: Category | None = None
    priority: int | None = Field(None, ge=1, le=4)
    estimate: Decimal | None = Field(None, ge=0, le=100000, decimal_places=1)
    owner_id: int | None = None
    reviewer_ids: list[int] | None = None
    parent_id: int | None = None
    note: str = Field("", max_length=300)


class UserRef(RowSchema):
    id: int
    username: str
    display_name: str


class CriterionOut(Schema):
    id: int
    position: int
    text: str
    verified: bool
    verified_at: datetime | None


class RequirementOut(RowSchema):
    id: int
    key: str
    product_id: int
    number: int
    title: str
    module_id: int | None
    category: Category
    priority: int
    estimate: Decimal | None
    owner: UserRef | None
    status: Status
    stage: Stage
    close_reason: str
    duplicate_of_id: int | None
    parent_id: int | None
    spec_version: int
    completeness: int
    voices: int
    unconfirmed_change_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime


def requirement_row(r: Any) -> dict[str, Any]:
    """A Requirement (with ``product`` and ``owner`` loaded) as a ``RequirementOut`` dict.

    Lists hand these to the response instead of model instances: ``RowSchema`` validates
    plain dicts in pydantic's C path, while ninja resolves each field of a model through
    Python ``getattr`` (~40 % of a 50-row list page's time)."""
    o = r.owner
    return {
        "id": r.pk, "key": f"{r.product.code}-{r.number}", "product_id": r.product_id, "number": r.number,
        "title": r.title, "module_id": r.module_id, "category": r.category, "priority": r.priority,
        "estimate": r.estimate, "owner": {"id": o.pk, "username": o.username, "display_name": o.display_name}
        if o is not None else None, "status": r.status, "stage": r.stage, "close_reason": r.close_reason,
        "duplicate_of_id": r.duplicate_of_id, "parent_id": r.parent_id, "spec_version": r.spec_version,
        "completeness": r.completeness, "voices": r.voices, "unconfirmed_change_id": r.unconfirmed_change_id,
        "version": r.version, "created_at": r.created_at, "updated_at": r.updated_at,
    }  # fmt: skip


class RequirementDetailOut(RequirementOut):
    spec: SpecOut
    reviewers: list[UserRef]
    criteria: list[CriterionOut]


class RequirementFilters(Schema):
    product_id: int | None = None
    q: str = Field("", max_length=200, description="Words (Chinese or English) or a key like IMSDK-42")
    status: list[Status] = Field(default_factory=list)
    stage: list[Stage] = Field(default_factory=list)
    module_id: int | None = None
    priority: list[int] = Field(default_factory=list)
    owner_id: int | None = None
    category: Category | None = None
    parent_id: int | None = None
    unconfirmed_change: bool | None = None
    sort: str = Field("newest", pattern="^(newest|oldest|priority|voices|updated|completeness)$")
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=200)


class SubmitIn(Schema):
    version: int = Field(..., ge=1)
    reviewer_ids: list[int] | None = None
    skip_review: bool = False
    note: str = Field("", max_length=2000)


class VerdictIn(Schema):
    verdict: Verdict
    comment: str = Field("", max_length=5000)


class ChangeIn(Schema):
    version: int = Field(..., ge=1)
    reason: str = Field(..., min_length=1, max_length=5000)
    impact: str = Field("", max_length=20000)
    title: str | None = Field(None, min_length=1, max_length=200)
    spec: SpecIn | None = None
    reviewer_ids: list[int] | None = None
    submit: bool = True


class ChangeOut(Schema):
    id: int
    requirement_id: int
    reason: str
    impact: str
    status: ChangeStatus
    base_version: int
    created_at: datetime
    decided_at: datetime | None


class VersionNoteIn(Schema):
    version: int = Field(..., ge=1)
    note: str = Field("", max_length=2000)


class StageIn(Schema):
    version: int = Field(..., ge=1)
    stage: Stage
    note: str = Field("", max_length=300)


class VerifyIn(Schema):
    verified: bool = True
    note: str = Field("", max_length=300)


class CloseIn(Schema):
    version: int = Field(..., ge=1)
    reason: CloseReason
    duplicate_of_id: int | None = None
    note: str = Field("", max_length=2000)


class LinkIn(Schema):
    target_id: int
    kind: LinkKind


class LinkOut(Schema):
    id: int
    source_id: int
    target_id: int
    kind: LinkKind


class PoolLinkIn(Schema):
    pool_item_ids: list[int] = Field(..., min_length=1, max_length=500)


class SectionCheckOut(Schema):
    key: str
    label: str
    filled: bool
    required: bool
    hint: str


class CompletenessOut(Schema):
    score: int
    sections: list[SectionCheckOut]


class VersionOut(Schema):
    number: int
    title: str
    note: str
    created_at: datetime
    author: UserRef | None
    change_request_id: int | None


class SectionDiffOut(Schema):
    key: str
    label: str
    before: Any
    after: Any
    unified: str


class DiffOut(Schema):
    a: int
    b: int
    sections: list[SectionDiffOut]


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    created_at: datetime


class SettingsIn(Schema):
    version: int = Field(..., ge=1)
    required_sections: list[str] | None = None
    skip_review_user_ids: list[int] | None = None
    force_review_user_ids: list[int] | None = None


class SettingsOut(Schema):
    product_id: int
    required_sections: list[str]
    skip_review_user_ids: list[int]
    force_review_user_ids: list[int]
    version: int


class VoteOut(Schema):
    reviewer: UserRef
    verdict: str
    comment: str
    given_at: datetime | None


class RoundOut(Schema):
    id: int
    kind: str
    rule: str
    status: str
    outcome: str
    opened_at: datetime
    decided_at: datetime | None
    votes: list[VoteOut]


class PoolRef(Schema):
    id: int
    key: str
    title: str
    status: str
    voices: int
    customer_id: int | None


class StageChangeOut(Schema):
    from_stage: str
    to_stage: str
    at: datetime
    note: str


class TraceOut(Schema):
    requirement: RequirementOut
    pool_items: list[PoolRef]
    customer_ids: list[int]
    rounds: list[RoundOut]
    changes: list[ChangeOut]
    versions: list[VersionOut]
    stages: list[StageChangeOut]
