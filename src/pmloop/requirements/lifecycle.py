"""The requirement's state machine as data, and pure guard functions (防呆).

Guards raise GuardFailed with a code, a message that says what is missing, and ``missing``;
they never touch the database, so they are tested in milliseconds."""

from __future__ import annotations

from django.utils.translation import gettext as _

from pmloop.core.errors import GuardFailed, InvalidInput
from pmloop.requirements.choices import STAGE_ORDER, CloseReason, Stage, Status
from pmloop.requirements.spec import Completeness

TRANSITIONS: dict[str, set[str]] = {
    Status.DRAFT: {Status.REVIEWING, Status.ACTIVE, Status.CLOSED},  # ACTIVE: when review is skipped
    Status.REVIEWING: {Status.ACTIVE, Status.DRAFT, Status.CLOSED, Status.CHANGING},
    Status.ACTIVE: {Status.CHANGING, Status.CLOSED},
    Status.CHANGING: {Status.REVIEWING, Status.ACTIVE, Status.CLOSED},
    Status.CLOSED: {Status.DRAFT},  # reopen
}


def _status_label(status: str) -> str:
    return str(Status(status).label)


def check_transition(current: str, target: str) -> None:
    if target not in TRANSITIONS.get(current, set()):
        raise GuardFailed(
            _("A requirement that is %(cur)s cannot become %(to)s.")
            % {"cur": _status_label(current), "to": _status_label(target)},
            code="bad_transition",
        )


def check_spec_editable(status: str) -> None:
    """The spec text changes freely in draft (and in a change being written); an active
    requirement changes only through a change request."""
    if status in (Status.DRAFT, Status.CHANGING):
        return
    if status == Status.ACTIVE:
        raise GuardFailed(
            _(
                "This requirement is active: its spec changes only through a change request (reason, impact, review)."
            ),
            code="needs_change_request",
        )
    if status == Status.REVIEWING:
        raise GuardFailed(
            _("The requirement is under review; wait for the verdicts, or withdraw it from review first."),
            code="under_review",
        )
    raise GuardFailed(_("A closed requirement cannot be edited; reopen it first."), code="closed")


def check_not_closed(status: str) -> None:
    if status == Status.CLOSED:
        raise GuardFailed(_("A closed requirement cannot be changed; reopen it first."), code="closed")


def check_can_submit(
    *, status: str, report: Completeness, reviewer_ids: list[int], skip_review: bool
) -> None:
    if status != Status.DRAFT:
        raise GuardFailed(
            _("Only a draft can be submitted for review; this one is %(s)s.") % {"s": _status_label(status)},
            code="not_draft",
        )
    missing = report.missing_required
    if missing:
        raise GuardFailed(
            _("Complete the PRD before review. Missing: %(m)s.")
            % {"m": "; ".join(f"{m.label} ({m.hint})" if m.hint else m.label for m in missing)},
            code="prd_incomplete",
            missing=[m.key for m in missing],
        )
    if not skip_review and not reviewer_ids:
        raise GuardFailed(_("Name at least one reviewer."), code="no_reviewers", field="reviewer_ids")


def check_can_request_change(status: str) -> None:
    if status != Status.ACTIVE:
        raise GuardFailed(
            _("Only an active requirement takes a change request; this one is %(s)s.")
            % {"s": _status_label(status)},
            code="not_active",
        )


def check_can_set_stage(
    *, status: str, current: str, target: str, criteria_total: int, criteria_verified: int, note: str = ""
) -> None:
    if target not in STAGE_ORDER:
        raise InvalidInput(_("Unknown stage '%(s)s'.") % {"s": target}, field="stage")
    if status not in (Status.ACTIVE, Status.CHANGING):
        raise GuardFailed(
            _("The delivery stage moves only while the requirement is active (it is %(s)s).")
            % {"s": _status_label(status)},
            code="not_active",
        )
    if target == current:
        raise GuardFailed(_("The requirement is already at that stage."), code="no_change")
    if current in STAGE_ORDER and STAGE_ORDER.index(target) < STAGE_ORDER.index(current) and not note.strip():
        raise GuardFailed(
            _("Moving the stage back (from %(a)s to %(b)s) needs a reason in the note.")
            % {"a": Stage(current).label, "b": Stage(target).label},
            code="reason_required",
            field="note",
        )
    if target == Stage.ACCEPTED:
        if current != Stage.RELEASED:
            raise GuardFailed(_("Only a released requirement can be accepted."), code="not_released")
        if criteria_verified < criteria_total:
            raise GuardFailed(
                _("%(n)s of %(t)s acceptance criteria are not verified yet.")
                % {"n": criteria_total - criteria_verified, "t": criteria_total},
                code="acceptance_unverified",
            )


def check_can_close(
    *, requirement_id: int, status: str, reason: str, duplicate_of_id: int | None, duplicate_product_ok: bool,
    child_count: int, unverified: list[str], criteria_total: int,
) -> None:  # fmt: skip
    if status == Status.CLOSED:
        raise GuardFailed(_("The requirement is already closed."), code="closed")
    if reason not in CloseReason.values:
        raise InvalidInput(
            _("Close reason must be one of: %(v)s.") % {"v": ", ".join(CloseReason.values)}, field="reason"
        )
    if reason == CloseReason.DUPLICATE:
        if not duplicate_of_id:
            raise GuardFailed(_("Say which requirement this duplicates."), code="duplicate_target_missing",
                              field="duplicate_of_id")  # fmt: skip
        if duplicate_of_id == requirement_id:
            raise GuardFailed(_("A requirement cannot duplicate itself."), code="duplicate_self",
                              field="duplicate_of_id")  # fmt: skip
        if not duplicate_product_ok:
            raise InvalidInput(
                _("The duplicate must be a requirement of the same product."), field="duplicate_of_id"
            )
    elif duplicate_of_id:
        raise InvalidInput(_("Name a duplicate only when closing as 'duplicate'."), field="duplicate_of_id")
    if reason == CloseReason.SUBDIVIDED and child_count == 0:
        raise GuardFailed(_("Closing as subdivided needs child requirements; create them first."),
                          code="no_children")  # fmt: skip
    if reason == CloseReason.DONE:
        if criteria_total == 0:
            raise GuardFailed(_("'Done' needs acceptance criteria, and every one verified; there are none."),
                              code="no_acceptance_criteria")  # fmt: skip
        if unverified:
            raise GuardFailed(
                _("'Done' needs every acceptance criterion verified; not yet verified: %(l)s.")
                % {"l": "; ".join(unverified)},
                code="acceptance_unverified",
                missing=unverified,
            )
