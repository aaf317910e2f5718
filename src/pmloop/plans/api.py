"""The plans and releases API. Each endpoint parses, calls one service or selector, returns."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status

from pmloop.core.http import ERRORS, READ_ERRORS, PageOut, actor_of, page_out, requires
from pmloop.core.pagination import paginate
from pmloop.plans import permissions as perms
from pmloop.plans import selectors, services
from pmloop.plans.schemas import (
    FlowOut,
    ItemsIn,
    MilestoneIn,
    MilestoneOut,
    MilestonePatch,
    MoveIn,
    NoteIn,
    OutlookFilters,
    OutlookOut,
    PlanDetailOut,
    PlanFilters,
    PlanIn,
    PlanItemOut,
    PlanOut,
    PlanPatch,
    PublishIn,
    ReleaseDetailOut,
    ReleaseFilters,
    ReleaseIn,
    ReleaseOut,
    ReleasePatch,
    RoadmapFilters,
    RoadmapOut,
    VersionIn,
)

router = Router(tags=["plans"])
releases_router = Router(tags=["releases"])


def requirement_ref(r) -> dict:
    return {"id": r.pk, "key": r.key, "title": r.title, "status": r.status, "stage": r.stage,
            "estimate": r.estimate, "module": r.module.name if r.module_id else ""}  # fmt: skip


def item_out(i) -> dict:
    return {"plan_id": i.plan_id, "requirement": requirement_ref(i.requirement), "planned_at": i.planned_at,
            "unconfirmed_change_id": i.unconfirmed_change_id}  # fmt: skip


def plan_detail(request: HttpRequest, plan_id: int) -> dict:
    s = selectors.plan_summary(actor=actor_of(request), plan_id=plan_id)
    data = PlanOut.model_validate(s.plan).model_dump()
    data.update(
        items=[item_out(i) for i in s.items],
        sub_plan_items=[item_out(i) for c in s.children for i in s.child_items.get(c.pk, [])],
        sub_plans=[PlanOut.model_validate(c).model_dump() for c in s.children], milestones=s.milestones, load=s.load,
        over_capacity=s.over_capacity, unestimated=s.unestimated, stage_counts=s.stage_counts,
    )  # fmt: skip
    return data


# ---- plans ------------------------------------------------------------------------------------
@router.get("", response={200: PageOut[PlanOut], **READ_ERRORS}, summary="List plans")
def list_plans(request: HttpRequest, filters: Query[PlanFilters]):
    qs = selectors.list_plans(
        actor=actor_of(request), product_id=filters.product_id, top_only=filters.top_only
    )
    return page_out(paginate(qs, page=filters.page, page_size=filters.page_size))


@router.post("", response={201: PlanDetailOut, **ERRORS}, summary="Create a plan (or a sub-plan)",
             openapi_extra=requires(perms.EDIT))  # fmt: skip
def create_plan(request: HttpRequest, body: PlanIn):
    plan = services.create_plan(actor=actor_of(request), **body.dict())
    return Status(201, plan_detail(request, plan.pk))


@router.get("/{int:plan_id}", response={200: PlanDetailOut, **READ_ERRORS},
            summary="A plan: requirements, milestones, capacity against estimates", openapi_extra=requires(perms.VIEW))  # fmt: skip
def get_plan(request: HttpRequest, plan_id: int):
    return plan_detail(request, plan_id)


@router.patch("/{int:plan_id}", response={200: PlanDetailOut, **ERRORS}, summary="Change a plan",
              openapi_extra=requires(perms.EDIT))  # fmt: skip
def update_plan(request: HttpRequest, plan_id: int, body: PlanPatch):
    data = body.dict(exclude_unset=True)
    version = data.pop("version")
    services.update_plan(actor=actor_of(request), plan_id=plan_id, expected_version=version, **data)
    return plan_detail(request, plan_id)


@router.delete("/{int:plan_id}", response={204: None, **ERRORS}, summary="Delete an empty plan",
               openapi_extra=requires(perms.EDIT))  # fmt: skip
def delete_plan(request: HttpRequest, plan_id: int, version: Query[VersionIn]):
    services.delete_plan(actor=actor_of(request), plan_id=plan_id, expected_version=version.version)
    return Status(204, None)


@router.post("/{int:plan_id}/items", response={201: PlanDetailOut, **ERRORS},
             summary="Put requirements in the plan (stage → planned)", openapi_extra=requires(perms.EDIT))  # fmt: skip
def add_items(request: HttpRequest, plan_id: int, body: ItemsIn):
    services.add_to_plan(actor=actor_of(request), plan_id=plan_id, **body.dict())
    return Status(201, plan_detail(request, plan_id))


@router.delete("/{int:plan_id}/items/{int:requirement_id}", response={204: None, **ERRORS},
               summary="Take a requirement out of the plan", openapi_extra=requires(perms.EDIT))  # fmt: skip
def remove_item(request: HttpRequest, plan_id: int, requirement_id: int):
    services.remove_from_plan(actor=actor_of(request), plan_id=plan_id, requirement_id=requirement_id)
    return Status(204, None)


@router.post("/items/{int:requirement_id}/move", response={200: PlanItemOut, **ERRORS},
             summary="Move a planned requirement to another plan", openapi_extra=requires(perms.EDIT))  # fmt: skip
def move_item(request: HttpRequest, requirement_id: int, body: MoveIn):
    item = services.move_plan_item(actor=actor_of(request), requirement_id=requirement_id, **body.dict())
    return item_out(item)


@router.post("/{int:plan_id}/items/{int:requirement_id}/confirm", response={200: PlanItemOut, **ERRORS},
             summary="Confirm a change to a planned requirement (plan owner)", openapi_extra=requires(perms.EDIT))  # fmt: skip
def confirm_change(request: HttpRequest, plan_id: int, requirement_id: int, body: NoteIn):
    item = services.confirm_plan_change(actor=actor_of(request), plan_id=plan_id, requirement_id=requirement_id,
                                        note=body.note)  # fmt: skip
    return item_out(item)


@router.post("/{int:plan_id}/milestones", response={201: MilestoneOut, **ERRORS}, summary="Add a milestone",
             openapi_extra=requires(perms.EDIT))  # fmt: skip
def add_milestone(request: HttpRequest, plan_id: int, body: MilestoneIn):
    return Status(201, services.add_milestone(actor=actor_of(request), plan_id=plan_id, **body.dict()))


@router.patch("/milestones/{int:milestone_id}", response={200: MilestoneOut, **ERRORS},
              summary="Change a milestone", openapi_extra=requires(perms.EDIT))  # fmt: skip
def update_milestone(request: HttpRequest, milestone_id: int, body: MilestonePatch):
    data = body.dict(exclude_unset=True)
    version = data.pop("version")
    return services.update_milestone(actor=actor_of(request), milestone_id=milestone_id, expected_version=version,
                                     **data)  # fmt: skip


@router.delete("/milestones/{int:milestone_id}", response={204: None, **ERRORS}, summary="Delete a milestone",
               openapi_extra=requires(perms.EDIT))  # fmt: skip
def delete_milestone(request: HttpRequest, milestone_id: int, version: Query[VersionIn]):
    services.delete_milestone(
        actor=actor_of(request), milestone_id=milestone_id, expected_version=version.version
    )
    return Status(204, None)


@router.get("/{int:plan_id}/burnup", response={200: FlowOut, **READ_ERRORS},
            summary="Burn-up / cumulative flow: requirements by stage per day", openapi_extra=requires(perms.VIEW))  # fmt: skip
def burnup(request: HttpRequest, plan_id: int):
    flow = selectors.plan_flow(actor=actor_of(request), plan_id=plan_id)
    return {"plan_id": plan_id, "stages": list(flow.stages),
            "points": [{"day": p.day, "scope": p.scope, "done": p.done, "counts": p.counts} for p in flow.points]}  # fmt: skip


@router.get("/roadmap", response={200: RoadmapOut, **READ_ERRORS},
            summary="Roadmap: plans, releases and planned requirements on a time axis")  # fmt: skip
def roadmap(request: HttpRequest, filters: Query[RoadmapFilters]):
    return selectors.roadmap(actor=actor_of(request), product_ids=filters.product_id or None,
                             group_by=filters.group_by, start=filters.start, end=filters.end)  # fmt: skip


@router.get("/outlook", response={200: OutlookOut, **READ_ERRORS},
            summary="Now / next / later for customers (no internal detail)")  # fmt: skip
def outlook(request: HttpRequest, filters: Query[OutlookFilters]):
    return selectors.outlook(actor=actor_of(request), product_ids=filters.product_id or None)


# ---- releases ---------------------------------------------------------------------------------
def release_detail(request: HttpRequest, release_id: int) -> dict:
    actor = actor_of(request)
    release = selectors.get_release(actor=actor, release_id=release_id)
    data = ReleaseOut.model_validate(release).model_dump()
    data["items"] = [
        {"requirement": requirement_ref(i.requirement), "stage_before": i.stage_before,
         "override_reason": i.override_reason, "snapshot": i.snapshot}
        for i in selectors.release_items(actor=actor, release_id=release_id)
    ]  # fmt: skip
    return data


@releases_router.get("", response={200: PageOut[ReleaseOut], **READ_ERRORS}, summary="List releases")
def list_releases(request: HttpRequest, filters: Query[ReleaseFilters]):
    qs = selectors.list_releases(
        actor=actor_of(request), product_id=filters.product_id, status=filters.status
    )
    return page_out(paginate(qs, page=filters.page, page_size=filters.page_size))


@releases_router.post("", response={201: ReleaseDetailOut, **ERRORS}, summary="Create a draft release",
                      openapi_extra=requires(perms.EDIT_RELEASE))  # fmt: skip
def create_release(request: HttpRequest, body: ReleaseIn):
    release = services.create_release(actor=actor_of(request), **body.dict())
    return Status(201, release_detail(request, release.pk))


@releases_router.get("/{int:release_id}", response={200: ReleaseDetailOut, **READ_ERRORS},
                     summary="A release and what it ships", openapi_extra=requires(perms.VIEW))  # fmt: skip
def get_release(request: HttpRequest, release_id: int):
    return release_detail(request, release_id)


@releases_router.patch("/{int:release_id}", response={200: ReleaseDetailOut, **ERRORS},
                       summary="Change a draft release", openapi_extra=requires(perms.EDIT_RELEASE))  # fmt: skip
def update_release(request: HttpRequest, release_id: int, body: ReleasePatch):
    data = body.dict(exclude_unset=True)
    version = data.pop("version")
    services.update_release(actor=actor_of(request), release_id=release_id, expected_version=version, **data)
    return release_detail(request, release_id)


@releases_router.delete("/{int:release_id}", response={204: None, **ERRORS}, summary="Delete a draft release",
                        openapi_extra=requires(perms.EDIT_RELEASE))  # fmt: skip
def delete_release(request: HttpRequest, release_id: int, version: Query[VersionIn]):
    services.delete_release(actor=actor_of(request), release_id=release_id, expected_version=version.version)
    return Status(204, None)


@releases_router.post("/{int:release_id}/items", response={201: ReleaseDetailOut, **ERRORS},
                      summary="Add requirements to a draft release", openapi_extra=requires(perms.EDIT_RELEASE))  # fmt: skip
def add_release_items(request: HttpRequest, release_id: int, body: ItemsIn):
    services.add_to_release(
        actor=actor_of(request), release_id=release_id, requirement_ids=body.requirement_ids
    )
    return Status(201, release_detail(request, release_id))


@releases_router.delete("/{int:release_id}/items/{int:requirement_id}", response={204: None, **ERRORS},
                        summary="Take a requirement out of a draft release",
                        openapi_extra=requires(perms.EDIT_RELEASE))  # fmt: skip
def remove_release_item(request: HttpRequest, release_id: int, requirement_id: int):
    services.remove_from_release(
        actor=actor_of(request), release_id=release_id, requirement_id=requirement_id
    )
    return Status(204, None)


@releases_router.post("/{int:release_id}/publish", response={200: ReleaseDetailOut, **ERRORS},
                      summary="Release: ship every requirement (stage → released) and freeze",
                      openapi_extra=requires(perms.PUBLISH))  # fmt: skip
def publish_release(request: HttpRequest, release_id: int, body: PublishIn):
    services.publish_release(actor=actor_of(request), release_id=release_id, expected_version=body.version,
                             overrides=body.overrides, note=body.note)  # fmt: skip
    return release_detail(request, release_id)
