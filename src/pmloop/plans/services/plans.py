"""Plans (产品计划): dates, capacity, milestones, the requirements in them, nesting."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from pmloop.accounts import permissions as acl
from pmloop.accounts.roles import Role
from pmloop.audit import services as audit
from pmloop.core import events
from pmloop.core.actor import Actor
from pmloop.core.errors import GuardFailed, InvalidInput, PermissionDenied
from pmloop.notifications import services as notifications
from pmloop.plans import lifecycle
from pmloop.plans import permissions as perms
from pmloop.plans.choices import MilestoneStatus
from pmloop.plans.models import Milestone, Plan, PlanItem
from pmloop.plans.services import _common as common
from pmloop.products import selectors as product_selectors
from pmloop.requirements import services as requirements_services
from pmloop.requirements.choices import Stage
from pmloop.requirements.models import Requirement

UNSET: Any = object()


def plan_url(plan: Plan) -> str:
    return f"/plans/{plan.pk}/"


# ---- plans ----------------------------------------------------------------------------------
@transaction.atomic
def create_plan(
    *, actor: Actor, product_id: int, title: str, start_date: date | str | None, end_date: date | str | None,
    capacity: Decimal | float | str | None = None, description: str = "", parent_id: int | None = None,
    owner_id: int | None = None,
) -> Plan:  # fmt: skip
    """A plan of a product; with ``parent_id`` a sub-plan (a sprint of a quarter) that lies
    within its parent's dates. The plan owner is the creator unless named."""
    product = product_selectors.get_product(actor=actor, product_id=product_id)
    acl.require(actor, perms.EDIT, product_id=product.pk)
    title = common.clean_text(title, field="title")
    start, end = common.as_date(start_date, "start_date"), common.as_date(end_date, "end_date")
    lifecycle.check_dates(start, end)
    cap = common.as_capacity(capacity)
    parent = None
    if parent_id is not None:
        parent = Plan.objects.select_for_update().filter(pk=parent_id).first()
        if parent is None or parent.product_id != product.pk:
            raise InvalidInput(_("The parent plan must be a plan of the same product."), field="parent_id")
        lifecycle.check_within_parent(start, end, parent_title=parent.title, parent_start=parent.start_date,
                                      parent_end=parent.end_date)  # fmt: skip
    if owner_id is None:
        owner_id = actor.user_id if actor.user_id is not None else product.owner_id
    else:
        common.check_manager(product.pk, owner_id, "owner_id")
    plan = Plan.objects.create(
        product=product, parent=parent, title=title, description=(description or "").strip(), start_date=start,
        end_date=end, capacity=cap, owner_id=owner_id,
    )  # fmt: skip
    audit.record(actor=actor, action="plans.created", obj=plan)
    events.emit("plans.created", plan_id=plan.pk, product_id=product.pk)
    return plan


@transaction.atomic
def update_plan(
    *, actor: Actor, plan_id: int, expected_version: int | None, title: str | None = None,
    description: str | None = None, start_date: date | str | None = None, end_date: date | str | None = None,
    capacity: Any = UNSET, owner_id: int | None = None,
) -> Plan:  # fmt: skip
    """Change a plan; new dates must still hold its sub-plans and milestones, and lie within
    its parent. ``capacity=None`` clears the capacity."""
    plan = common.lock_plan(actor, plan_id)
    acl.require(actor, perms.EDIT, product_id=plan.product_id)
    plan.ensure_version(expected_version)
    before = audit.snapshot(plan)
    if title is not None:
        plan.title = common.clean_text(title, field="title")
    if description is not None:
        plan.description = description.strip()
    start = common.as_date(start_date, "start_date") or plan.start_date
    end = common.as_date(end_date, "end_date") or plan.end_date
    lifecycle.check_dates(start, end)
    if plan.parent_id is not None:
        parent = plan.parent
        lifecycle.check_within_parent(start, end, parent_title=parent.title, parent_start=parent.start_date,
                                      parent_end=parent.end_date)  # fmt: skip
    lifecycle.check_children_inside(
        start, end, list(plan.children.values_list("title", "start_date", "end_date"))
    )
    lifecycle.check_milestones_inside(start, end, list(plan.milestones.values_list("name", "date")))
    plan.start_date, plan.end_date = start, end
    if capacity is not UNSET:
        plan.capacity = common.as_capacity(capacity)
    if owner_id is not None and owner_id != plan.owner_id:
        common.check_manager(plan.product_id, owner_id, "owner_id")
        plan.owner_id = owner_id
    if audit.snapshot(plan) == before:
        return plan
    plan.bump_version()
    plan.save()
    audit.record(actor=actor, action="plans.updated", obj=plan, before=before)
    events.emit("plans.updated", plan_id=plan.pk, product_id=plan.product_id)
    return plan


@transaction.atomic
def delete_plan(*, actor: Actor, plan_id: int, expected_version: int | None) -> None:
    plan = common.lock_plan(actor, plan_id)
    acl.require(actor, perms.EDIT, product_id=plan.product_id)
    plan.ensure_version(expected_version)
    children = list(plan.children.values_list("title", flat=True))
    if children:
        raise GuardFailed(_("This plan holds sub-plans: delete or move them first: %(l)s.")
                          % {"l": "、".join(children)}, code="plan_has_children", missing=children)  # fmt: skip
    count = plan.items.count()
    if count:
        raise GuardFailed(_("This plan still holds %(n)s requirements: remove or move them first.") % {"n": count},
                          code="plan_not_empty")  # fmt: skip
    before = audit.snapshot(plan)
    audit.record(actor=actor, action="plans.deleted", obj=plan, before=before, after={})
    plan.delete()


# ---- milestones -----------------------------------------------------------------------------
def _check_status(status: str) -> str:
    if status not in MilestoneStatus.values:
        raise InvalidInput(_("Status must be one of: %(v)s.") % {"v": ", ".join(MilestoneStatus.values)},
                           field="status")  # fmt: skip
    return status


@transaction.atomic
def add_milestone(
    *, actor: Actor, plan_id: int, name: str, date: date | str | None, status: str = MilestoneStatus.OPEN
) -> Milestone:
    plan = common.lock_plan(actor, plan_id)
    acl.require(actor, perms.EDIT, product_id=plan.product_id)
    name = common.clean_text(name, field="name")
    day = common.as_date(date, "date")
    lifecycle.check_milestone_date(day, start=plan.start_date, end=plan.end_date)
    ms = Milestone.objects.create(plan=plan, name=name, date=day, status=_check_status(status))
    audit.record(actor=actor, action="plans.milestone_added", obj=ms)
    return ms


@transaction.atomic
def update_milestone(
    *, actor: Actor, milestone_id: int, expected_version: int | None, name: str | None = None,
    date: date | str | None = None, status: str | None = None,
) -> Milestone:  # fmt: skip
    ms = common.lock_milestone(actor, milestone_id)
    acl.require(actor, perms.EDIT, product_id=ms.plan.product_id)
    ms.ensure_version(expected_version)
    before = audit.snapshot(ms)
    if name is not None:
        ms.name = common.clean_text(name, field="name")
    if date is not None:
        ms.date = common.as_date(date, "date")
        lifecycle.check_milestone_date(ms.date, start=ms.plan.start_date, end=ms.plan.end_date)
    if status is not None:
        ms.status = _check_status(status)
    if audit.snapshot(ms) == before:
        return ms
    ms.bump_version()
    ms.save()
    audit.record(actor=actor, action="plans.milestone_updated", obj=ms, before=before)
    return ms


@transaction.atomic
def delete_milestone(*, actor: Actor, milestone_id: int, expected_version: int | None) -> None:
    ms = common.lock_milestone(actor, milestone_id)
    acl.require(actor, perms.EDIT, product_id=ms.plan.product_id)
    ms.ensure_version(expected_version)
    audit.record(actor=actor, action="plans.milestone_deleted", obj=ms, before=audit.snapshot(ms), after={})
    ms.delete()


# ---- what is in a plan ------------------------------------------------------------------------
def _set_stage(actor: Actor, req: Requirement, stage: str, note: str) -> Requirement:
    """Move the stage through the requirements' own service: its guards, permission check,
    stage history and notifications apply, with the same actor."""
    version = Requirement.objects.filter(pk=req.pk).values_list("version", flat=True).first()
    return requirements_services.set_stage(
        actor=actor, requirement_id=req.pk, expected_version=version, stage=stage, note=note
    )


@transaction.atomic
def add_to_plan(*, actor: Actor, plan_id: int, requirement_ids: list[int], note: str = "") -> list[PlanItem]:
    """Put requirements in a plan; each one waiting moves to stage 'planned'. Refused, with
    every reason at once, when one is not active, of another product, or already planned."""
    plan = common.lock_plan(actor, plan_id)
    acl.require(actor, perms.EDIT, product_id=plan.product_id)
    reqs = common.requirements_of(actor, plan.product_id, requirement_ids)
    problems, keys = [], []
    placed = {
        i.requirement_id: i for i in PlanItem.objects.select_related("plan").filter(requirement__in=reqs)
    }
    for r in reqs:
        why = lifecycle.plannable_problem(r.key, r.status)
        if why is None and r.pk in placed:
            other = placed[r.pk].plan
            why = (
                _("%(k)s is already in this plan.") % {"k": r.key}
                if other.pk == plan.pk
                else _("%(k)s is already in plan “%(p)s”: move it instead.") % {"k": r.key, "p": other.title}
            )
        if why:
            problems.append(why)
            keys.append(r.key)
    if problems:
        raise GuardFailed(" ".join(problems), code="not_plannable", field="requirement_ids", missing=keys)
    position = plan.items.count()
    items = []
    for r in reqs:
        item = PlanItem.objects.create(plan=plan, requirement=r, position=position, planned_at=common.now(),
                                       added_by=actor.user)  # fmt: skip
        position += 1
        audit.record(actor=actor, action="plans.item_added", obj=item, object_repr=f"{r.key} → {plan.title}",
                     note=note)  # fmt: skip
        if r.stage == Stage.WAIT:
            _set_stage(actor, r, Stage.PLANNED, _("planned in %(p)s") % {"p": plan.title})
        items.append(item)
    events.emit(
        "plans.items_added", plan_id=plan.pk, product_id=plan.product_id, requirement_ids=[r.pk for r in reqs]
    )
    return items


def _lock_item(actor: Actor, requirement_id: int) -> PlanItem:
    from pmloop.core.errors import NotFound

    item = PlanItem.objects.select_for_update().select_related("plan", "requirement__product").filter(
        requirement_id=requirement_id).first()  # fmt: skip
    if item is None or not acl.can_see(actor, item.plan.product_id):
        product_id = (
            Requirement.objects.filter(pk=requirement_id).values_list("product_id", flat=True).first()
        )
        if product_id is None or not acl.can_see(actor, product_id):  # existence is not leaked
            raise NotFound(_("No such requirement, or you are not a member of its product."),
                           code="requirement_not_found")  # fmt: skip
        raise NotFound(_("That requirement is in no plan."), code="not_planned")
    return item


@transaction.atomic
def remove_from_plan(*, actor: Actor, plan_id: int, requirement_id: int, note: str = "") -> None:
    """Take a requirement out of a plan; if it is still at 'planned' it goes back to 'waiting'."""
    plan = common.lock_plan(actor, plan_id)
    acl.require(actor, perms.EDIT, product_id=plan.product_id)
    item = _lock_item(actor, requirement_id)
    if item.plan_id != plan.pk:
        raise GuardFailed(_("%(k)s is not in this plan (it is in “%(p)s”).") % {"k": item.requirement.key,
                          "p": item.plan.title}, code="not_in_plan")  # fmt: skip
    req = item.requirement
    audit.record(actor=actor, action="plans.item_removed", obj=item, object_repr=f"{req.key} ← {plan.title}",
                 before=audit.snapshot(item), after={}, note=note)  # fmt: skip
    item.delete()
    if req.stage == Stage.PLANNED and req.status in lifecycle.MOVABLE:
        _set_stage(actor, req, Stage.WAIT, _("removed from %(p)s") % {"p": plan.title})
    events.emit("plans.item_removed", plan_id=plan.pk, product_id=plan.product_id, requirement_id=req.pk)


@transaction.atomic
def move_plan_item(*, actor: Actor, requirement_id: int, to_plan_id: int, note: str = "") -> PlanItem:
    """Move a planned requirement to another plan of its product (e.g. from the quarter into a
    sprint, or to the next sprint). Its stage and history stay; the move is logged."""
    item = _lock_item(actor, requirement_id)
    acl.require(actor, perms.EDIT, product_id=item.plan.product_id)
    target = common.lock_plan(actor, to_plan_id)
    if target.product_id != item.plan.product_id:
        raise InvalidInput(_("The target plan belongs to another product."), field="to_plan_id")
    if target.pk == item.plan_id:
        raise GuardFailed(_("%(k)s is already in “%(p)s”.") % {"k": item.requirement.key, "p": target.title},
                          code="no_change")  # fmt: skip
    before = audit.snapshot(item)
    source = item.plan
    item.plan = target
    item.position = target.items.count()
    item.planned_at = common.now()
    item.save(update_fields=["plan", "position", "planned_at", "updated_at"])
    audit.record(actor=actor, action="plans.item_moved", obj=item, before=before,
                 object_repr=f"{item.requirement.key}: {source.title} → {target.title}", note=note)  # fmt: skip
    if item.requirement.stage == Stage.WAIT and item.requirement.status in lifecycle.MOVABLE:
        _set_stage(actor, item.requirement, Stage.PLANNED, _("planned in %(p)s") % {"p": target.title})
    events.emit("plans.item_moved", requirement_id=requirement_id, product_id=target.product_id,
                from_plan_id=source.pk, to_plan_id=target.pk)  # fmt: skip
    return item


# ---- "change not yet confirmed" ----------------------------------------------------------------
@transaction.atomic
def flag_unconfirmed_change(*, actor: Actor, requirement_id: int, change_id: int) -> PlanItem | None:
    """Called on 'requirements.change_requested': the planned requirement's spec is changing,
    so its plan item is flagged and the plan owner told, until the owner confirms."""
    item = PlanItem.objects.select_for_update().select_related("plan", "requirement__product").filter(
        requirement_id=requirement_id).first()  # fmt: skip
    if item is None:
        return None
    acl.require(actor, perms.EDIT, product_id=item.plan.product_id)
    before = audit.snapshot(item)
    item.unconfirmed_change_id, item.flagged_at = change_id, common.now()
    item.save(update_fields=["unconfirmed_change", "flagged_at", "updated_at"])
    audit.record(actor=actor, action="plans.item_change_flagged", obj=item, before=before,
                 object_repr=f"{item.requirement.key} in {item.plan.title}")  # fmt: skip
    notifications.notify(
        user_ids={item.plan.owner_id}, kind="plan_change_unconfirmed",
        params={"requirement_id": item.requirement_id, "key": item.requirement.key, "title": item.requirement.title,
                "plan_id": item.plan_id, "plan": item.plan.title, "change_id": change_id},
        url=plan_url(item.plan), product_id=item.plan.product_id, obj=item, exclude_user_id=actor.user_id,
    )  # fmt: skip
    return item


@transaction.atomic
def confirm_plan_change(*, actor: Actor, plan_id: int, requirement_id: int, note: str = "") -> PlanItem:
    """The plan owner (or the product's owner) confirms the plan still holds after a change."""
    plan = common.lock_plan(actor, plan_id)
    acl.require(actor, perms.EDIT, product_id=plan.product_id)
    item = _lock_item(actor, requirement_id)
    if item.plan_id != plan.pk:
        raise GuardFailed(_("%(k)s is not in this plan.") % {"k": item.requirement.key}, code="not_in_plan")
    if item.unconfirmed_change_id is None:
        raise GuardFailed(_("There is no unconfirmed change on %(k)s.") % {"k": item.requirement.key},
                          code="nothing_to_confirm")  # fmt: skip
    if actor.user_id != plan.owner_id and acl.role_of(actor, plan.product_id) != Role.OWNER:
        raise PermissionDenied(_("Only the plan owner (%(u)s) or the product owner confirms a change.")
                               % {"u": plan.owner}, code="not_plan_owner")  # fmt: skip
    before = audit.snapshot(item)
    item.unconfirmed_change_id, item.flagged_at = None, None
    item.save(update_fields=["unconfirmed_change", "flagged_at", "updated_at"])
    audit.record(actor=actor, action="plans.item_change_confirmed", obj=item, before=before, note=note,
                 object_repr=f"{item.requirement.key} in {plan.title}")  # fmt: skip
    return item
