"""Delivery and closing: stage moves, acceptance-criterion verification, close, reopen."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from pmloop.accounts import permissions as acl
from pmloop.audit import services as audit
from pmloop.core import events
from pmloop.core.actor import Actor
from pmloop.core.errors import GuardFailed, NotFound
from pmloop.requirements import lifecycle
from pmloop.requirements import permissions as perms
from pmloop.requirements.choices import CloseReason, Stage, Status
from pmloop.requirements.models import AcceptanceCriterion, Requirement
from pmloop.requirements.services import _common as common
from pmloop.reviews import services as reviews


def _criteria_counts(req: Requirement) -> tuple[int, int]:
    rows = list(req.criteria.values_list("verified", flat=True))
    return len(rows), sum(1 for v in rows if v)


@transaction.atomic
def set_stage(
    *, actor: Actor, requirement_id: int, expected_version: int | None, stage: str, note: str = ""
) -> Requirement:
    """Move the delivery stage (wait → planned → developing → testing → released → accepted).
    Reaching 'released' tells the owner of every customer who asked."""
    req = common.lock(actor, requirement_id)
    acl.require(actor, perms.SET_STAGE, product_id=req.product_id)
    req.ensure_version(expected_version)
    total, verified = _criteria_counts(req)
    lifecycle.check_can_set_stage(status=req.status, current=req.stage, target=stage, criteria_total=total,
                                  criteria_verified=verified, note=note)  # fmt: skip
    before = audit.snapshot(req)
    old = req.stage
    req.stage = stage
    req.bump_version()
    req.save(update_fields=["stage", "version", "updated_at"])
    common.record_stage(req, actor=actor, old=old, new=stage, note=note)
    audit.record(actor=actor, action="requirements.stage_changed", obj=req, before=before, note=note)
    if stage == Stage.RELEASED:
        notify_released(req, actor=actor)
    events.emit(
        "requirements.stage_changed", requirement_id=req.pk, product_id=req.product_id, old=old, new=stage
    )
    return req


def notify_released(req: Requirement, *, actor: Actor) -> None:
    """Tell the owners of every customer who asked, and everyone linked, that it shipped."""
    common.tell(
        req, actor=actor, user_ids=common.customer_owner_ids(req), kind="requirement_released_customer"
    )
    common.tell(req, actor=actor, user_ids=common.stakeholder_ids(req) - common.customer_owner_ids(req),
                kind="requirement_released")  # fmt: skip


@transaction.atomic
def set_criterion_verified(
    *, actor: Actor, criterion_id: int, verified: bool, note: str = ""
) -> AcceptanceCriterion:
    crit = AcceptanceCriterion.objects.select_related("requirement").filter(pk=criterion_id).first()
    if crit is None or not acl.can_see(actor, crit.requirement.product_id):
        raise NotFound(_("No such acceptance criterion."))
    req = common.lock(actor, crit.requirement_id)
    acl.require(actor, perms.VERIFY, product_id=req.product_id)
    lifecycle.check_not_closed(req.status)
    if req.status not in (Status.ACTIVE, Status.CHANGING):
        raise GuardFailed(_("Criteria are verified once the requirement is active (it is %(s)s).")
                          % {"s": Status(req.status).label}, code="not_active")  # fmt: skip
    if crit.verified == verified:
        raise GuardFailed(_("That criterion is already so."), code="no_change")
    before = audit.snapshot(crit)
    crit.verified = verified
    crit.verified_by = actor.user if verified else None
    crit.verified_at = common.now() if verified else None
    crit.save(update_fields=["verified", "verified_by", "verified_at"])
    audit.record(actor=actor, action="requirements.criterion_verified" if verified else "requirements.criterion_unverified",
                 obj=crit, before=before, product_id=req.product_id, note=note)  # fmt: skip
    return crit


@transaction.atomic
def close_requirement(
    *, actor: Actor, requirement_id: int, expected_version: int | None, reason: str,
    duplicate_of_id: int | None = None, note: str = "",
) -> Requirement:  # fmt: skip
    req = common.lock(actor, requirement_id)
    acl.require(actor, perms.CLOSE, product_id=req.product_id)
    req.ensure_version(expected_version)
    dup_ok = (
        bool(duplicate_of_id)
        and Requirement.objects.filter(pk=duplicate_of_id, product_id=req.product_id).exists()
    )
    unverified = list(req.criteria.filter(verified=False).values_list("text", flat=True))
    lifecycle.check_can_close(
        requirement_id=req.pk, status=req.status, reason=reason, duplicate_of_id=duplicate_of_id,
        duplicate_product_ok=dup_ok, child_count=req.children.count(), unverified=unverified,
        criteria_total=req.criteria.count(),
    )  # fmt: skip
    rnd = reviews.open_round_for(subject_type="requirement", subject_id=req.pk, lock=True)
    if rnd is not None:
        reviews.cancel_round(actor=actor, round_id=rnd.pk, note=_("requirement closed"))
    req.changes.filter(status__in=["draft", "reviewing"]).update(status="withdrawn", decided_at=common.now())
    before = audit.snapshot(req)
    req.status, req.close_reason, req.closed_at = Status.CLOSED, reason, common.now()
    req.duplicate_of_id = duplicate_of_id if reason == CloseReason.DUPLICATE else None
    req.bump_version()
    req.save(update_fields=["status", "close_reason", "closed_at", "duplicate_of", "version", "updated_at"])
    audit.record(actor=actor, action="requirements.closed", obj=req, before=before, note=note)
    common.tell(req, actor=actor, user_ids=common.stakeholder_ids(req), kind="requirement_closed",
                reason=CloseReason(reason).label, body=note)  # fmt: skip
    events.emit("requirements.closed", requirement_id=req.pk, product_id=req.product_id, reason=reason)
    return req


@transaction.atomic
def reopen_requirement(
    *, actor: Actor, requirement_id: int, expected_version: int | None, note: str = ""
) -> Requirement:
    req = common.lock(actor, requirement_id)
    acl.require(actor, perms.CLOSE, product_id=req.product_id)
    req.ensure_version(expected_version)
    if req.status != Status.CLOSED:
        raise GuardFailed(_("Only a closed requirement can be reopened."), code="not_closed")
    if not (note or "").strip():
        raise GuardFailed(_("Say why the requirement is reopened."), code="reason_required", field="note")
    before = audit.snapshot(req)
    req.status, req.close_reason, req.closed_at, req.duplicate_of_id = Status.DRAFT, "", None, None
    req.bump_version()
    req.save(update_fields=["status", "close_reason", "closed_at", "duplicate_of", "version", "updated_at"])
    audit.record(actor=actor, action="requirements.reopened", obj=req, before=before, note=note)
    return req
