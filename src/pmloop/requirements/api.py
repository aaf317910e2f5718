from __future__ import annotations

from django.http import HttpRequest
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from pmloop.core.http import ERRORS, READ_ERRORS, PageOut, actor_of, page_out, requires
from pmloop.requirements import permissions as perms
from pmloop.requirements import selectors, services
from pmloop.requirements.schemas import (
    AttachmentOut,
    ChangeIn,
    ChangeOut,
    CloseIn,
    CompletenessOut,
    DiffOut,
    FromPoolItemIn,
    LinkIn,
    LinkOut,
    PoolLinkIn,
    RequirementDetailOut,
    RequirementFilters,
    RequirementIn,
    RequirementOut,
    RequirementPatch,
    SettingsIn,
    SettingsOut,
    StageIn,
    SubmitIn,
    TraceOut,
    VerdictIn,
    VerifyIn,
    VersionNoteIn,
    VersionOut,
    requirement_row,
)

router = Router(tags=["requirements"])


def query_from(filters: RequirementFilters) -> selectors.RequirementQuery:
    data = filters.dict()
    data.pop("page"), data.pop("page_size")
    return selectors.RequirementQuery(**data)


def _detail(request, requirement_id: int):
    return selectors.get_requirement(actor=actor_of(request), requirement_id=requirement_id, for_api=True)


@router.get(
    "", response={200: PageOut[RequirementOut], **READ_ERRORS}, summary="List and search requirements"
)
def list_requirements(request: HttpRequest, filters: Query[RequirementFilters]):
    actor, query = actor_of(request), query_from(filters)
    page = selectors.list_page(
        actor=actor, query=query, page=filters.page, page_size=filters.page_size, for_api=True
    )
    return page_out(page, requirement_row)


@router.post(
    "",
    response={201: RequirementDetailOut, **ERRORS},
    summary="Create a requirement (draft)",
    openapi_extra=requires(perms.CREATE),
)
def create_requirement(request: HttpRequest, body: RequirementIn):
    data = body.dict(exclude={"spec"})
    req = services.create_requirement(
        actor=actor_of(request), spec=body.spec.sections() if body.spec else None, **data
    )
    return Status(201, _detail(request, req.pk))


@router.post("/from-pool-item", response={201: RequirementDetailOut, **ERRORS},
             summary="Create a requirement prefilled from a pool item", openapi_extra=requires(perms.CREATE))  # fmt: skip
def create_from_pool_item(request: HttpRequest, body: FromPoolItemIn):
    req = services.create_from_pool_item(actor=actor_of(request), **body.dict(exclude_none=True))
    return Status(201, _detail(request, req.pk))


@router.get(
    "/{int:requirement_id}",
    response={200: RequirementDetailOut, **READ_ERRORS},
    summary="Get a requirement",
    openapi_extra=requires(perms.VIEW),
)
def get_requirement(request: HttpRequest, requirement_id: int):
    return _detail(request, requirement_id)


@router.patch(
    "/{int:requirement_id}",
    response={200: RequirementDetailOut, **ERRORS},
    summary="Edit a requirement",
    openapi_extra=requires(perms.EDIT),
)
def update_requirement(request: HttpRequest, requirement_id: int, body: RequirementPatch):
    data = body.dict(exclude_unset=True, exclude={"spec"})
    version = data.pop("version")
    spec = body.spec.sections() if body.spec is not None else None
    services.update_requirement(actor=actor_of(request), requirement_id=requirement_id, expected_version=version,
                                spec=spec, **data)  # fmt: skip
    return _detail(request, requirement_id)


@router.get("/{int:requirement_id}/completeness", response={200: CompletenessOut, **READ_ERRORS},
            summary="PRD check: what is missing, per section, with a score", openapi_extra=requires(perms.VIEW))  # fmt: skip
def completeness(request: HttpRequest, requirement_id: int):
    return selectors.completeness(actor=actor_of(request), requirement_id=requirement_id)


@router.post(
    "/{int:requirement_id}/submit",
    response={200: RequirementDetailOut, **ERRORS},
    summary="Submit for review",
    openapi_extra=requires(perms.SUBMIT),
)
def submit(request: HttpRequest, requirement_id: int, body: SubmitIn):
    services.submit_for_review(actor=actor_of(request), requirement_id=requirement_id, expected_version=body.version,
                               reviewer_ids=body.reviewer_ids, skip_review=body.skip_review, note=body.note)  # fmt: skip
    return _detail(request, requirement_id)


@router.post("/{int:requirement_id}/withdraw-review", response={200: RequirementDetailOut, **ERRORS},
             summary="Withdraw from review", openapi_extra=requires(perms.SUBMIT))  # fmt: skip
def withdraw_review(request: HttpRequest, requirement_id: int, body: VersionNoteIn):
    services.withdraw_from_review(actor=actor_of(request), requirement_id=requirement_id,
                                  expected_version=body.version, note=body.note)  # fmt: skip
    return _detail(request, requirement_id)


@router.post("/{int:requirement_id}/verdict", response={200: RequirementDetailOut, **ERRORS},
             summary="Give your review verdict", openapi_extra=requires(perms.REVIEW))  # fmt: skip
def verdict(request: HttpRequest, requirement_id: int, body: VerdictIn):
    services.record_review_verdict(actor=actor_of(request), requirement_id=requirement_id, verdict=body.verdict,
                                   comment=body.comment)  # fmt: skip
    return _detail(request, requirement_id)


@router.post("/{int:requirement_id}/changes", response={201: ChangeOut, **ERRORS},
             summary="Request a change to an active requirement", openapi_extra=requires(perms.CHANGE))  # fmt: skip
def request_change(request: HttpRequest, requirement_id: int, body: ChangeIn):
    data = body.dict(exclude={"spec", "version"})
    change = services.request_change(actor=actor_of(request), requirement_id=requirement_id,
                                     expected_version=body.version,
                                     spec=body.spec.sections() if body.spec else None, **data)  # fmt: skip
    return Status(201, change)


@router.post("/{int:requirement_id}/changes/submit", response={200: RequirementDetailOut, **ERRORS},
             summary="Submit the change being written for review", openapi_extra=requires(perms.CHANGE))  # fmt: skip
def submit_change(request: HttpRequest, requirement_id: int, body: SubmitIn):
    services.submit_change(actor=actor_of(request), requirement_id=requirement_id, expected_version=body.version,
                           reviewer_ids=body.reviewer_ids)  # fmt: skip
    return _detail(request, requirement_id)


@router.post("/{int:requirement_id}/changes/withdraw", response={200: RequirementDetailOut, **ERRORS},
             summary="Withdraw the change being written", openapi_extra=requires(perms.CHANGE))  # fmt: skip
def withdraw_change(request: HttpRequest, requirement_id: int, body: VersionNoteIn):
    services.withdraw_change(actor=actor_of(request), requirement_id=requirement_id, expected_version=body.version,
                             note=body.note)  # fmt: skip
    return _detail(request, requirement_id)


@router.post("/{int:requirement_id}/confirm-change", response={200: RequirementDetailOut, **ERRORS},
             summary="Confirm you have seen the parent's change", openapi_extra=requires(perms.CONFIRM_CHANGE))  # fmt: skip
def confirm_change(request: HttpRequest, requirement_id: int):
    services.confirm_change(actor=actor_of(request), requirement_id=requirement_id)
    return _detail(request, requirement_id)


@router.post(
    "/{int:requirement_id}/stage",
    response={200: RequirementDetailOut, **ERRORS},
    summary="Move the stage",
    openapi_extra=requires(perms.SET_STAGE),
)
def set_stage(request: HttpRequest, requirement_id: int, body: StageIn):
    services.set_stage(actor=actor_of(request), requirement_id=requirement_id, expected_version=body.version,
                       stage=body.stage, note=body.note)  # fmt: skip
    return _detail(request, requirement_id)


@router.post("/criteria/{int:criterion_id}/verify", response={200: RequirementDetailOut, **ERRORS},
             summary="Verify (or un-verify) an acceptance criterion", openapi_extra=requires(perms.VERIFY))  # fmt: skip
def verify_criterion(request: HttpRequest, criterion_id: int, body: VerifyIn):
    crit = services.set_criterion_verified(actor=actor_of(request), criterion_id=criterion_id,
                                           verified=body.verified, note=body.note)  # fmt: skip
    return _detail(request, crit.requirement_id)


@router.post(
    "/{int:requirement_id}/close",
    response={200: RequirementDetailOut, **ERRORS},
    summary="Close",
    openapi_extra=requires(perms.CLOSE),
)
def close(request: HttpRequest, requirement_id: int, body: CloseIn):
    services.close_requirement(actor=actor_of(request), requirement_id=requirement_id, expected_version=body.version,
                               reason=body.reason, duplicate_of_id=body.duplicate_of_id, note=body.note)  # fmt: skip
    return _detail(request, requirement_id)


@router.post(
    "/{int:requirement_id}/reopen",
    response={200: RequirementDetailOut, **ERRORS},
    summary="Reopen",
    openapi_extra=requires(perms.CLOSE),
)
def reopen(request: HttpRequest, requirement_id: int, body: VersionNoteIn):
    services.reopen_requirement(actor=actor_of(request), requirement_id=requirement_id, expected_version=body.version,
                                note=body.note)  # fmt: skip
    return _detail(request, requirement_id)


@router.post(
    "/{int:requirement_id}/links",
    response={201: LinkOut, **ERRORS},
    summary="Link to another requirement",
    openapi_extra=requires(perms.EDIT),
)
def link(request: HttpRequest, requirement_id: int, body: LinkIn):
    return Status(
        201, services.link_requirements(actor=actor_of(request), requirement_id=requirement_id, **body.dict())
    )


@router.delete(
    "/links/{int:link_id}",
    response={204: None, **ERRORS},
    summary="Remove a link",
    openapi_extra=requires(perms.EDIT),
)
def unlink(request: HttpRequest, link_id: int):
    services.unlink_requirements(actor=actor_of(request), link_id=link_id)
    return Status(204, None)


@router.post("/{int:requirement_id}/pool-items", response={200: RequirementDetailOut, **ERRORS},
             summary="Link pool items (who asked)", openapi_extra=requires(perms.EDIT))  # fmt: skip
def link_pool_items(request: HttpRequest, requirement_id: int, body: PoolLinkIn):
    services.link_pool_items(
        actor=actor_of(request), requirement_id=requirement_id, pool_item_ids=body.pool_item_ids
    )
    return _detail(request, requirement_id)


@router.delete("/{int:requirement_id}/pool-items/{int:pool_item_id}", response={200: RequirementDetailOut, **ERRORS},
               summary="Unlink a pool item", openapi_extra=requires(perms.EDIT))  # fmt: skip
def unlink_pool_item(request: HttpRequest, requirement_id: int, pool_item_id: int):
    services.unlink_pool_item(
        actor=actor_of(request), requirement_id=requirement_id, pool_item_id=pool_item_id
    )
    return _detail(request, requirement_id)


@router.get(
    "/{int:requirement_id}/versions",
    response={200: list[VersionOut], **READ_ERRORS},
    summary="Versions",
    openapi_extra=requires(perms.VIEW),
)
def versions(request: HttpRequest, requirement_id: int):
    return list(selectors.list_versions(actor=actor_of(request), requirement_id=requirement_id))


@router.get("/{int:requirement_id}/diff", response={200: DiffOut, **READ_ERRORS},
            summary="Structured diff of two versions", openapi_extra=requires(perms.VIEW))  # fmt: skip
def diff(request: HttpRequest, requirement_id: int, a: int, b: int):
    d = selectors.diff_versions(actor=actor_of(request), requirement_id=requirement_id, a=a, b=b)
    return {"a": a, "b": b, "sections": d.sections}


@router.get("/{int:requirement_id}/trace", response={200: TraceOut, **READ_ERRORS},
            summary="Traceability: who asked, reviews, changes, versions, stages", openapi_extra=requires(perms.VIEW))  # fmt: skip
def trace(request: HttpRequest, requirement_id: int):
    t = selectors.trace_requirement(actor=actor_of(request), requirement_id=requirement_id)
    return {
        "requirement": t.requirement,
        "pool_items": [
            {
                "id": i.pk,
                "key": i.key,
                "title": i.title,
                "status": i.status,
                "voices": i.voices,
                "customer_id": i.customer_id,
            }
            for i in t.pool_items
        ],
        "customer_ids": [c.pk for c in t.customers],
        "rounds": [
            {
                "id": r.pk,
                "kind": r.kind,
                "rule": r.rule,
                "status": r.status,
                "outcome": r.outcome,
                "opened_at": r.opened_at,
                "decided_at": r.decided_at,
                "votes": [
                    {
                        "reviewer": v.reviewer,
                        "verdict": v.verdict,
                        "comment": v.comment,
                        "given_at": v.given_at,
                    }
                    for v in r.votes.all()
                ],
            }
            for r in t.rounds
        ],
        "changes": t.changes,
        "versions": t.versions,
        "stages": t.stages,
    }


@router.post(
    "/{int:requirement_id}/attachments",
    response={201: AttachmentOut, **ERRORS},
    summary="Attach a file",
    openapi_extra=requires(perms.ATTACH),
)
def attach(request: HttpRequest, requirement_id: int, file: File[UploadedFile]):
    content = file.read(services_max_bytes() + 1)
    return Status(201, services.add_attachment(actor=actor_of(request), requirement_id=requirement_id, name=file.name or "",
                                        content=content))  # fmt: skip


def services_max_bytes() -> int:
    from pmloop.requirements.services.authoring import _max_attachment_bytes

    return _max_attachment_bytes()


@router.delete(
    "/attachments/{int:attachment_id}",
    response={204: None, **ERRORS},
    summary="Remove an attachment",
    openapi_extra=requires(perms.ATTACH),
)
def remove_attachment(request: HttpRequest, attachment_id: int):
    services.remove_attachment(actor=actor_of(request), attachment_id=attachment_id)
    return Status(204, None)


@router.get("/settings/{int:product_id}", response={200: SettingsOut, **READ_ERRORS},
            summary="A product's requirement settings", openapi_extra=requires(perms.VIEW))  # fmt: skip
def get_settings(request: HttpRequest, product_id: int):
    return selectors.get_settings(actor=actor_of(request), product_id=product_id)


@router.put("/settings/{int:product_id}", response={200: SettingsOut, **ERRORS},
            summary="Change required PRD sections and who skips/always needs review", openapi_extra=requires(perms.SETTINGS))  # fmt: skip
def put_settings(request: HttpRequest, product_id: int, body: SettingsIn):
    data = body.dict()
    version = data.pop("version")
    services.update_settings(actor=actor_of(request), product_id=product_id, expected_version=version, **data)
    return selectors.get_settings(actor=actor_of(request), product_id=product_id)
