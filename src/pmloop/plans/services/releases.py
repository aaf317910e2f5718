"""Releases (发布): the requirements a version ships; publishing moves them to 'released'."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from pmloop.accounts import permissions as acl
from pmloop.accounts.roles import Role
from pmloop.audit import services as audit
from pmloop.core import events
from pmloop.core.actor import Actor
from pmloop.core.errors import GuardFailed, InvalidInput, PermissionDenied
from pmloop.plans import lifecycle
from pmloop.plans import permissions as perms
from pmloop.plans.choices import ReleaseStatus
from pmloop.plans.models import Plan, Release, ReleaseItem
from pmloop.plans.services import _common as common
from pmloop.products import selectors as product_selectors
from pmloop.requirements import services as requirements_services
from pmloop.requirements.choices import STAGE_ORDER, Stage
from pmloop.requirements.models import Requirement

VERSION_MAX = 50
UNSET: Any = object()


def _clean_version(product_id: int, name: str | None, exclude_id: int | None = None) -> str:
    name = common.clean_text(name, field="version_name", max_len=VERSION_MAX)
    clash = Release.objects.filter(product_id=product_id, version_name__iexact=name)
    if exclude_id is not None:
        clash = clash.exclude(pk=exclude_id)
    if clash.exists():
        raise InvalidInput(_("The version name “%(v)s” is already used in this product.") % {"v": name},
                           field="version_name", code="version_taken")  # fmt: skip
    return name


def _plan_of(product_id: int, plan_id: int | None) -> Plan | None:
    if plan_id is None:
        return None
    plan = Plan.objects.filter(pk=plan_id).first()
    if plan is None or plan.product_id != product_id:
        raise InvalidInput(_("The plan must be a plan of the same product."), field="plan_id")
    return plan


@transaction.atomic
def create_release(
    *, actor: Actor, product_id: int, version_name: str, planned_date: date | str | None = None, title: str = "",
    description: str = "", plan_id: int | None = None, manager_id: int | None = None,
) -> Release:  # fmt: skip
    """A draft release; its manager (default: the creator) may override the testing rule."""
    product = product_selectors.get_product(actor=actor, product_id=product_id)
    acl.require(actor, perms.EDIT_RELEASE, product_id=product.pk)
    name = _clean_version(product.pk, version_name)
    plan = _plan_of(product.pk, plan_id)
    if manager_id is None:
        manager_id = actor.user_id if actor.user_id is not None else product.owner_id
    else:
        common.check_manager(product.pk, manager_id, "manager_id")
    release = Release.objects.create(
        product=product, version_name=name, planned_date=common.as_date(planned_date, "planned_date"),
        title=common.clean_text(title, field="title", required=False), description=(description or "").strip(),
        plan=plan, manager_id=manager_id,
    )  # fmt: skip
    audit.record(actor=actor, action="plans.release_created", obj=release)
    events.emit("plans.release_created", release_id=release.pk, product_id=product.pk)
    return release


@transaction.atomic
def update_release(
    *, actor: Actor, release_id: int, expected_version: int | None, version_name: str | None = None,
    planned_date: Any = UNSET, title: str | None = None, description: str | None = None, plan_id: Any = UNSET,
    manager_id: int | None = None,
) -> Release:  # fmt: skip
    release = common.lock_release(actor, release_id)
    acl.require(actor, perms.EDIT_RELEASE, product_id=release.product_id)
    release.ensure_version(expected_version)
    lifecycle.check_release_editable(release.status, release.version_name)
    before = audit.snapshot(release)
    if version_name is not None:
        release.version_name = _clean_version(release.product_id, version_name, exclude_id=release.pk)
    if planned_date is not UNSET:
        release.planned_date = common.as_date(planned_date, "planned_date")
    if title is not None:
        release.title = common.clean_text(title, field="title", required=False)
    if description is not None:
        release.description = description.strip()
    if plan_id is not UNSET:
        release.plan = _plan_of(release.product_id, plan_id)
    if manager_id is not None and manager_id != release.manager_id:
        common.check_manager(release.product_id, manager_id, "manager_id")
        release.manager_id = manager_id
    if audit.snapshot(release) == before:
        return release
    release.bump_version()
    release.save()
    audit.record(actor=actor, action="plans.release_updated", obj=release, before=before)
    return release


@transaction.atomic
def delete_release(*, actor: Actor, release_id: int, expected_version: int | None) -> None:
    release = common.lock_release(actor, release_id)
    acl.require(actor, perms.EDIT_RELEASE, product_id=release.product_id)
    release.ensure_version(expected_version)
    lifecycle.check_release_editable(release.status, release.version_name)
    audit.record(
        actor=actor, action="plans.release_deleted", obj=release, before=audit.snapshot(release), after={}
    )
    release.items.all().delete()
    release.delete()


@transaction.atomic
def add_to_release(*, actor: Actor, release_id: int, requirement_ids: list[int]) -> list[ReleaseItem]:
    """Add requirements to a draft release (same product; not already in another draft
    release; not closed unless already shipped). The release's version goes up, so a publish
    based on an older view is refused."""
    release = common.lock_release(actor, release_id)
    acl.require(actor, perms.EDIT_RELEASE, product_id=release.product_id)
    lifecycle.check_release_editable(release.status, release.version_name)
    reqs = common.requirements_of(actor, release.product_id, requirement_ids)
    problems, keys = [], []
    elsewhere = {
        ri.requirement_id: ri.release
        for ri in ReleaseItem.objects.select_related("release").filter(
            requirement__in=reqs, release__status=ReleaseStatus.DRAFT)
    }  # fmt: skip
    for r in reqs:
        other = elsewhere.get(r.pk)
        why = None
        if other is not None:
            why = (_("%(k)s is already in this release.") % {"k": r.key} if other.pk == release.pk else
                   _("%(k)s is already in draft release %(v)s.") % {"k": r.key, "v": other.version_name})  # fmt: skip
        elif r.status not in lifecycle.MOVABLE and r.stage not in lifecycle.SHIPPED:
            why = lifecycle.plannable_problem(r.key, r.status)
        if why:
            problems.append(why)
            keys.append(r.key)
    if problems:
        raise GuardFailed(" ".join(problems), code="not_releasable", field="requirement_ids", missing=keys)
    position = release.items.count()
    items = []
    for r in reqs:
        item = ReleaseItem.objects.create(
            release=release, requirement=r, position=position, added_by=actor.user
        )
        position += 1
        audit.record(actor=actor, action="plans.release_item_added", obj=item,
                     object_repr=f"{r.key} → {release.version_name}")  # fmt: skip
        items.append(item)
    release.bump_version()
    release.save(update_fields=["version", "updated_at"])
    return items


@transaction.atomic
def remove_from_release(*, actor: Actor, release_id: int, requirement_id: int) -> Release:
    release = common.lock_release(actor, release_id)
    acl.require(actor, perms.EDIT_RELEASE, product_id=release.product_id)
    lifecycle.check_release_editable(release.status, release.version_name)
    item = release.items.select_related("requirement__product").filter(requirement_id=requirement_id).first()
    if item is None:
        raise GuardFailed(_("That requirement is not in release %(v)s.") % {"v": release.version_name},
                          code="not_in_release")  # fmt: skip
    audit.record(actor=actor, action="plans.release_item_removed", obj=item, before=audit.snapshot(item), after={},
                 object_repr=f"{item.requirement.key} ← {release.version_name}")  # fmt: skip
    item.delete()
    release.bump_version()
    release.save(update_fields=["version", "updated_at"])
    return release


def _may_override(actor: Actor, release: Release) -> bool:
    return actor.user_id == release.manager_id or acl.role_of(actor, release.product_id) == Role.OWNER


@transaction.atomic
def publish_release(
    *, actor: Actor, release_id: int, expected_version: int | None, overrides: dict[int, str] | None = None,
    note: str = "",
) -> Release:  # fmt: skip
    """Release: every included requirement moves to stage 'released' through the requirements'
    own service (which tells the owners of the customers who asked), and the content freezes.

    A requirement that has not reached testing ships only when the release manager (or the
    product owner) gives a reason for it in ``overrides`` {requirement id: reason}; the reason
    is kept on the item and in the operation log."""
    release = common.lock_release(actor, release_id)
    acl.require(actor, perms.PUBLISH, product_id=release.product_id)
    release.ensure_version(expected_version)
    lifecycle.check_release_editable(release.status, release.version_name)
    items = list(
        release.items.select_related("requirement__product", "requirement__module").order_by("position", "id")
    )
    by_req = {i.requirement_id: i for i in items}
    reasons: dict[int, str] = {}
    for key, reason in (overrides or {}).items():
        reason = (reason or "").strip()
        if not reason:
            continue
        if int(key) not in by_req:
            raise InvalidInput(
                _("An override names a requirement that is not in this release."), field="overrides"
            )
        if len(reason) > 2000:
            raise InvalidInput(_("An override reason may have at most 2000 characters."), field="overrides")
        reasons[int(key)] = reason
    if reasons and not _may_override(actor, release):
        raise PermissionDenied(_("Only the release manager (%(u)s) or the product owner may override the testing "
                                 "rule.") % {"u": release.manager}, code="not_release_manager")  # fmt: skip
    lifecycle.check_shippable(
        [(i.requirement_id, i.requirement.key, i.requirement.status, i.requirement.stage) for i in items],
        reasons,
    )
    before = audit.snapshot(release)
    for item in items:
        req = item.requirement
        item.stage_before = req.stage
        untested = STAGE_ORDER.index(req.stage) < lifecycle.SHIP_READY
        if untested:
            item.override_reason = reasons[req.pk]
            audit.record(actor=actor, action="plans.release_override", obj=item, note=item.override_reason,
                         object_repr=f"{req.key} in {release.version_name} ({lifecycle.stage_label(req.stage)})")  # fmt: skip
        if req.stage not in lifecycle.SHIPPED:
            version = Requirement.objects.filter(pk=req.pk).values_list("version", flat=True).first()
            req = requirements_services.set_stage(
                actor=actor, requirement_id=req.pk, expected_version=version, stage=Stage.RELEASED,
                note=_("released in %(v)s") % {"v": release.version_name},
            )  # fmt: skip
        item.snapshot = {
            "key": item.requirement.key, "title": req.title, "spec_version": req.spec_version,
            "module": item.requirement.module.name if item.requirement.module_id else "",
        }  # fmt: skip
        item.save(update_fields=["stage_before", "override_reason", "snapshot", "updated_at"])
    release.status = ReleaseStatus.RELEASED
    release.released_at = common.now()
    release.released_by = actor.user
    release.bump_version()
    release.save(update_fields=["status", "released_at", "released_by", "version", "updated_at"])
    audit.record(actor=actor, action="plans.release_published", obj=release, before=before, note=note)
    events.emit("plans.release_published", release_id=release.pk, product_id=release.product_id,
                requirement_ids=list(by_req))  # fmt: skip
    return release
