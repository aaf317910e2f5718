"""Rules of plans and releases as pure functions (no database): each refusal says what is
missing (防呆)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from pmloop.core.errors import GuardFailed, InvalidInput
from pmloop.requirements.choices import STAGE_ORDER, Stage, Status

# A requirement ships once it has reached testing (accepted by test), unless overridden.
SHIP_READY = STAGE_ORDER.index(Stage.TESTING)
SHIPPED = (Stage.RELEASED, Stage.ACCEPTED)
# The statuses in which a requirement's delivery stage may move (requirements.lifecycle).
MOVABLE = (Status.ACTIVE, Status.CHANGING)


def check_dates(start: date | None, end: date | None) -> None:
    if start is None:
        raise InvalidInput(_("Give the plan's start date."), field="start_date")
    if end is None:
        raise InvalidInput(_("Give the plan's end date."), field="end_date")
    if end < start:
        raise InvalidInput(
            _("The end date (%(end)s) is before the start date (%(start)s).") % {"end": end, "start": start},
            field="end_date",
        )


def check_within_parent(
    start: date, end: date, *, parent_title: str, parent_start: date, parent_end: date
) -> None:
    if start < parent_start or end > parent_end:
        raise InvalidInput(
            _("A sub-plan must lie within its parent plan “%(p)s” (%(s)s – %(e)s).")
            % {"p": parent_title, "s": parent_start, "e": parent_end},
            field="start_date" if start < parent_start else "end_date",
        )


def check_children_inside(start: date, end: date, children: list[tuple[str, date, date]]) -> None:
    outside = [title for title, s, e in children if s < start or e > end]
    if outside:
        raise InvalidInput(
            _("These sub-plans would fall outside the new dates: %(l)s. Change them first.")
            % {"l": "、".join(outside)},
            field="start_date",
            missing=outside,
        )


def check_milestone_date(day: date | None, *, start: date, end: date) -> None:
    if day is None:
        raise InvalidInput(_("Give the milestone's date."), field="date")
    if day < start or day > end:
        raise InvalidInput(
            _("The milestone date %(d)s is outside the plan (%(s)s – %(e)s).")
            % {"d": day, "s": start, "e": end},
            field="date",
        )


def check_milestones_inside(start: date, end: date, milestones: list[tuple[str, date]]) -> None:
    outside = [f"{name} ({day})" for name, day in milestones if day < start or day > end]
    if outside:
        raise InvalidInput(
            _("These milestones would fall outside the new dates: %(l)s. Move them first.")
            % {"l": "、".join(outside)},
            field="end_date",
            missing=outside,
        )


def check_capacity(capacity: Decimal | None) -> None:
    if capacity is not None and capacity < 0:
        raise InvalidInput(_("Capacity cannot be negative."), field="capacity")


def plannable_problem(key: str, status: str) -> str | None:
    """Why a requirement cannot be planned, or None. Only an active requirement (one that
    passed review; also while a change to it is being written) is planned."""
    if status in MOVABLE:
        return None
    if status == Status.DRAFT:
        return _("%(k)s is a draft: it is planned once it has passed review.") % {"k": key}
    if status == Status.REVIEWING:
        return _("%(k)s is under review: it is planned once the review passes.") % {"k": key}
    return _("%(k)s is closed: reopen it before planning it.") % {"k": key}


def check_release_editable(status: str, version_name: str) -> None:
    from pmloop.plans.choices import ReleaseStatus

    if status == ReleaseStatus.RELEASED:
        raise GuardFailed(
            _("Release %(v)s has been released: its content is frozen.") % {"v": version_name},
            code="release_frozen",
        )


def stage_label(stage: str) -> str:
    return str(Stage(stage).label) if stage in Stage.values else stage


def check_shippable(items: list[tuple[int, str, str, str]], overrides: dict[int, str]) -> None:
    """``items``: (requirement id, key, status, stage). Refuses when any requirement cannot
    move stage, or has not reached testing and has no override reason."""
    if not items:
        raise GuardFailed(
            _("A release ships at least one requirement: add some first."), code="empty_release"
        )
    stuck = [
        (key, status) for _pk, key, status, stage in items if status not in MOVABLE and stage not in SHIPPED
    ]
    if stuck:
        raise GuardFailed(
            _(
                "These requirements cannot ship while they are not active: %(l)s. Finish their review or "
                "remove them from the release."
            )
            % {"l": "; ".join(f"{k} ({Status(s).label})" for k, s in stuck)},
            code="not_active",
            missing=[k for k, _s in stuck],
        )
    untested = [
        (key, stage) for pk, key, _status, stage in items
        if STAGE_ORDER.index(stage) < SHIP_READY and pk not in overrides
    ]  # fmt: skip
    if untested:
        raise GuardFailed(
            _(
                "Not yet through testing: %(l)s. Move them to testing, remove them, or (release manager) "
                "ship them with an override reason."
            )
            % {"l": "; ".join(f"{k} ({stage_label(s)})" for k, s in untested)},
            code="not_tested",
            missing=[k for k, _s in untested],
        )
