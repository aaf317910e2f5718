"""Review and change: submit, verdicts (applied by the product's rule), change requests."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from pmloop.accounts import permissions as acl
from pmloop.audit import services as audit
from pmloop.core import events
from pmloop.core.actor import Actor
from pmloop.core.errors import GuardFailed, InvalidInput, PermissionDenied
from pmloop.requirements import lifecycle
from pmloop.requirements import permissions as perms
from pmloop.requirements.choices import ChangeStatus, CloseReason, Status
from pmloop.requirements.models import ChangeRequest, Requirement, RequirementVersion
from pmloop.requirements.services import _common as common
from pmloop.requirements.services.authoring import _check_reviewer_roles
from pmloop.reviews import services as reviews
from pmloop.reviews.choices import RoundKind, Verdict

SUBJECT = "requirement"


def _rule(req: Requirement) -> str:
    return req.product.review_rule


def _skip_allowed(req: Requirement, actor: Actor) -> bool:
    s = common.settings_for(req.product_id)
    uid = actor.user_id
    if uid is None or s.force_review_users.filter(pk=uid).exists():
        return False
    return s.skip_review_users.filter(pk=uid).exists()


@transaction.atomic
def submit_for_review(
    *, actor: Actor, requirement_id: int, expected_version: int | None, reviewer_ids: list[int] | None = None,
    skip_review: bool = False, note: str = "",
) -> Requirement:  # fmt: skip
    """Draft → reviewing (a review round opens for the named reviewers), or straight to
    active when the product lets this author skip review and they ask to."""
    req = common.lock(actor, requirement_id)
    acl.require(actor, perms.SUBMIT, product_id=req.product_id)
    req.ensure_version(expected_version)
    if skip_review and not _skip_allowed(req, actor):
        raise PermissionDenied(
            _(
                "Your requirements need review in this product; ask the owner to list you under 'skip review'."
            ),
            code="review_required",
        )
    ids = (
        list(reviewer_ids)
        if reviewer_ids is not None
        else list(req.reviewers.order_by("pk").values_list("pk", flat=True))
    )
    report = common.refresh_completeness(req)
    lifecycle.check_can_submit(status=req.status, report=report, reviewer_ids=ids, skip_review=skip_review)
    before = audit.snapshot(req)
    if skip_review:
        req.status = Status.ACTIVE
        action = "requirements.activated_without_review"
    else:
        ids = reviews.check_reviewers(product_id=req.product_id, reviewer_ids=ids)
        _check_reviewer_roles(req.product_id, ids)
        req.reviewers.set(ids)
        reviews.open_round(actor=actor, product_id=req.product_id, subject_type=SUBJECT, subject_id=req.pk,
                           reviewer_ids=ids, rule=_rule(req), kind=RoundKind.INITIAL, note=note)  # fmt: skip
        req.status = Status.REVIEWING
        action = "requirements.submitted"
    req.bump_version()
    req.save(update_fields=["status", "completeness", "version", "updated_at"])
    audit.record(actor=actor, action=action, obj=req, before=before, note=note)
    if not skip_review:
        common.tell(req, actor=actor, user_ids=set(ids), kind="review_requested", body=note)
    events.emit(action, requirement_id=req.pk, product_id=req.product_id)
    return req


@transaction.atomic
def withdraw_from_review(
    *, actor: Actor, requirement_id: int, expected_version: int | None, note: str = ""
) -> Requirement:
    """Reviewing → draft (or back to 'changing' for a change under review); the round is cancelled."""
    req = common.lock(actor, requirement_id)
    acl.require(actor, perms.SUBMIT, product_id=req.product_id)
    req.ensure_version(expected_version)
    rnd = reviews.open_round_for(subject_type=SUBJECT, subject_id=req.pk, lock=True)
    if req.status != Status.REVIEWING or rnd is None:
        raise GuardFailed(_("The requirement is not under review."), code="not_reviewing")
    reviews.cancel_round(actor=actor, round_id=rnd.pk, note=note)
    before = audit.snapshot(req)
    if rnd.kind == RoundKind.CHANGE:
        req.status = Status.CHANGING
        req.changes.filter(status=ChangeStatus.REVIEWING).update(status=ChangeStatus.DRAFT)
    else:
        req.status = Status.DRAFT
    req.bump_version()
    req.save(update_fields=["status", "version", "updated_at"])
    audit.record(actor=actor, action="requirements.withdrawn_from_review", obj=req, before=before, note=note)
    return req


def _restore_version(req: Requirement, *, actor: Actor, number: int, note: str) -> None:
    old = RequirementVersion.objects.get(requirement=req, number=number)
    common.apply_spec(req, actor=actor, title=old.title, spec=old.spec, note=note)


@transaction.atomic
def record_review_verdict(
    *, actor: Actor, requirement_id: int, verdict: str, comment: str = ""
) -> Requirement:
    """A requested reviewer gives pass / clarify / reject (or revert, for a change). When the
    round is decided by the product's rule, the outcome is applied:
    pass → active; clarify → back to draft (or to 'changing' for a change) with the comments;
    reject → closed as will-not-do; revert → the spec returns to the version before the change."""
    req = common.lock(actor, requirement_id)
    acl.require(actor, perms.REVIEW, product_id=req.product_id)
    if req.status != Status.REVIEWING:
        raise GuardFailed(_("The requirement is not under review."), code="not_reviewing")
    rnd = reviews.open_round_for(subject_type=SUBJECT, subject_id=req.pk)
    if rnd is None:
        raise GuardFailed(_("There is no open review round."), code="no_round")
    result = reviews.record_vote(actor=actor, round_id=rnd.pk, verdict=verdict, comment=comment)
    common.tell(req, actor=actor, user_ids={req.owner_id, req.created_by_id} - {None}, kind="verdict_given",
                body=comment, who=actor.label, verdict=Verdict(verdict).label)  # fmt: skip
    if result.outcome is None:
        return req
    before = audit.snapshot(req)
    change = (
        req.changes.filter(status=ChangeStatus.REVIEWING).first() if rnd.kind == RoundKind.CHANGE else None
    )
    outcome = result.outcome
    fields = ["status", "version", "updated_at"]
    if outcome == Verdict.PASS:
        req.status = Status.ACTIVE
        if change:
            _decide_change(change, ChangeStatus.APPROVED)
    elif outcome == Verdict.CLARIFY:
        req.status = Status.CHANGING if change else Status.DRAFT
        if change:
            _decide_change(change, ChangeStatus.DRAFT, decided=False)
    elif outcome == Verdict.REJECT:
        req.status, req.close_reason, req.closed_at = Status.CLOSED, CloseReason.WILL_NOT_DO, common.now()
        fields += ["close_reason", "closed_at"]
        if change:
            _decide_change(change, ChangeStatus.REJECTED)
    elif outcome == Verdict.REVERT and change:
        _restore_version(req, actor=actor, number=change.base_version, note=_("reverted by review"))
        _decide_change(change, ChangeStatus.REVERTED)
        req.status = Status.ACTIVE
        _clear_children_flags(req, change)
    req.bump_version()
    req.save(update_fields=fields)
    audit.record(actor=actor, action=f"requirements.review_{outcome}", obj=req, before=before,
                 note=_("decided by the rule '%(r)s'") % {"r": rnd.rule})  # fmt: skip
    common.tell(req, actor=actor, user_ids=common.stakeholder_ids(req), kind="review_decided",
                outcome=Verdict(outcome).label)  # fmt: skip
    if req.status == Status.CLOSED:
        common.tell(req, actor=actor, user_ids=common.stakeholder_ids(req), kind="requirement_closed",
                    reason=CloseReason(req.close_reason).label)  # fmt: skip
    events.emit(
        "requirements.review_decided", requirement_id=req.pk, product_id=req.product_id, outcome=outcome
    )
    return req


def _decide_change(change: ChangeRequest, status: str, decided: bool = True) -> None:
    change.status = status
    change.decided_at = common.now() if decided else None
    change.save(update_fields=["status", "decided_at", "updated_at"])


def _clear_children_flags(req: Requirement, change: ChangeRequest) -> None:
    Requirement.objects.filter(parent=req, unconfirmed_change=change).update(unconfirmed_change=None)


@transaction.atomic
def request_change(
    *, actor: Actor, requirement_id: int, expected_version: int | None, reason: str, impact: str = "",
    title: str | None = None, spec: dict[str, Any] | None = None, reviewer_ids: list[int] | None = None,
    submit: bool = True,
) -> ChangeRequest:  # fmt: skip
    """An active requirement's spec changes only this way (变更): the new text is kept as a
    new version, the change names its reason and impact, everyone linked is told, children
    are flagged 'change not yet confirmed', and (with ``submit``) a change review opens."""
    req = common.lock(actor, requirement_id)
    acl.require(actor, perms.CHANGE, product_id=req.product_id)
    req.ensure_version(expected_version)
    lifecycle.check_can_request_change(req.status)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why the requirement must change (reason)."), field="reason")
    if len(reason) > 5000 or len(impact or "") > 20000:
        raise InvalidInput(_("Reason or impact is too long."), field="reason")
    before = audit.snapshot(req)
    change = ChangeRequest.objects.create(requirement=req, reason=reason, impact=(impact or "").strip(),
                                          base_version=req.spec_version, created_by=actor.user)  # fmt: skip
    changed = common.apply_spec(req, actor=actor, title=title, spec=spec, note=_("change: %(r)s") % {"r": reason[:200]},
                                change=change)  # fmt: skip
    if submit and not changed:
        raise GuardFailed(
            _("The change leaves the spec as it is; edit a section first."), code="empty_change"
        )
    req.status = Status.CHANGING
    children = list(req.children.exclude(status=Status.CLOSED).values_list("pk", flat=True))
    Requirement.objects.filter(pk__in=children).update(unconfirmed_change=change)
    req.bump_version()
    req.save(update_fields=["status", "version", "updated_at"])
    audit.record(actor=actor, action="requirements.change_requested", obj=req, before=before, note=reason)
    audit.record(actor=actor, action="requirements.change_created", obj=change)
    recipients = common.stakeholder_ids(req) | common.customer_owner_ids(req)
    common.tell(req, actor=actor, user_ids=recipients, kind="change_requested",
                body=f"{reason}\n\n{impact or ''}".strip())  # fmt: skip
    events.emit(
        "requirements.change_requested", requirement_id=req.pk, product_id=req.product_id, change_id=change.pk
    )
    if submit:
        submit_change(
            actor=actor, requirement_id=req.pk, expected_version=req.version, reviewer_ids=reviewer_ids
        )
        change.refresh_from_db()
    return change


@transaction.atomic
def submit_change(*, actor: Actor, requirement_id: int, expected_version: int | None,
                  reviewer_ids: list[int] | None = None) -> Requirement:  # fmt: skip
    req = common.lock(actor, requirement_id)
    acl.require(actor, perms.CHANGE, product_id=req.product_id)
    req.ensure_version(expected_version)
    if req.status != Status.CHANGING:
        raise GuardFailed(_("There is no change being written for this requirement."), code="not_changing")
    change = req.changes.filter(status=ChangeStatus.DRAFT).first()
    if change is None:
        raise GuardFailed(_("There is no change being written for this requirement."), code="not_changing")
    ids = (
        list(reviewer_ids)
        if reviewer_ids is not None
        else list(req.reviewers.order_by("pk").values_list("pk", flat=True))
    )
    ids = reviews.check_reviewers(product_id=req.product_id, reviewer_ids=ids)
    _check_reviewer_roles(req.product_id, ids)
    req.reviewers.set(ids)
    reviews.open_round(actor=actor, product_id=req.product_id, subject_type=SUBJECT, subject_id=req.pk,
                       reviewer_ids=ids, rule=_rule(req), kind=RoundKind.CHANGE, note=change.reason)  # fmt: skip
    change.status = ChangeStatus.REVIEWING
    change.save(update_fields=["status", "updated_at"])
    before = audit.snapshot(req)
    req.status = Status.REVIEWING
    req.bump_version()
    req.save(update_fields=["status", "version", "updated_at"])
    audit.record(
        actor=actor, action="requirements.change_submitted", obj=req, before=before, note=change.reason
    )
    common.tell(req, actor=actor, user_ids=set(ids), kind="change_review_requested", body=change.reason)
    return req


@transaction.atomic
def withdraw_change(
    *, actor: Actor, requirement_id: int, expected_version: int | None, note: str = ""
) -> Requirement:
    """Drop a change being written: the spec returns to its version before the change."""
    req = common.lock(actor, requirement_id)
    acl.require(actor, perms.CHANGE, product_id=req.product_id)
    req.ensure_version(expected_version)
    change = req.changes.filter(status=ChangeStatus.DRAFT).first()
    if req.status != Status.CHANGING or change is None:
        raise GuardFailed(_("There is no change being written for this requirement."), code="not_changing")
    before = audit.snapshot(req)
    _restore_version(req, actor=actor, number=change.base_version, note=_("change withdrawn"))
    _decide_change(change, ChangeStatus.WITHDRAWN)
    _clear_children_flags(req, change)
    req.status = Status.ACTIVE
    req.bump_version()
    req.save(update_fields=["status", "version", "updated_at"])
    audit.record(actor=actor, action="requirements.change_withdrawn", obj=req, before=before, note=note)
    return req


@transaction.atomic
def confirm_change(*, actor: Actor, requirement_id: int) -> Requirement:
    """The owner of a child (or a product manager) confirms they have seen the parent's change."""
    req = common.lock(actor, requirement_id)
    acl.require(actor, perms.CONFIRM_CHANGE, product_id=req.product_id)
    if req.unconfirmed_change_id is None:
        raise GuardFailed(_("There is no unconfirmed change on this requirement."), code="nothing_to_confirm")
    if req.owner_id not in (None, actor.user_id) and not acl.can(
        actor, perms.EDIT, product_id=req.product_id
    ):
        raise PermissionDenied(_("Only this requirement's owner or a product manager confirms the change."),
                               code="not_owner")  # fmt: skip
    before = {"unconfirmed_change_id": req.unconfirmed_change_id}
    req.unconfirmed_change = None
    req.save(update_fields=["unconfirmed_change", "updated_at"])
    audit.record(actor=actor, action="requirements.change_confirmed", obj=req, before=before,
                 after={"unconfirmed_change_id": None})  # fmt: skip
    return req
