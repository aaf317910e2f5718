"""Shared steps of the plan and release services: locking, lookups, input cleaning."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from pmloop.accounts import permissions as acl
from pmloop.accounts.models import Membership
from pmloop.accounts.roles import MANAGERS
from pmloop.core.actor import Actor
from pmloop.core.errors import InvalidInput, NotFound
from pmloop.plans.models import Milestone, Plan, Release
from pmloop.requirements.models import Requirement

TITLE_MAX = 200


def now():
    return timezone.now()


def clean_text(value: str | None, *, field: str, max_len: int = TITLE_MAX, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(_("This field is required."), field=field)
    if len(value) > max_len:
        raise InvalidInput(_("At most %(n)s characters.") % {"n": max_len}, field=field)
    return value


def as_date(value: Any, field: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise InvalidInput(_("Give a date like 2026-10-01."), field=field) from exc


def as_capacity(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        out = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError) as exc:
        raise InvalidInput(_("Capacity is a number of person-days."), field="capacity") from exc
    if out < 0:
        raise InvalidInput(_("Capacity cannot be negative."), field="capacity")
    if out >= Decimal("10000000"):
        raise InvalidInput(_("Capacity is too large."), field="capacity")
    return out


def lock_plan(actor: Actor, plan_id: int) -> Plan:
    plan = Plan.objects.select_for_update().filter(pk=plan_id).first()
    if plan is None or not acl.can_see(actor, plan.product_id):
        raise NotFound(_("No such plan, or you are not a member of its product."), code="plan_not_found")
    return plan


def lock_milestone(actor: Actor, milestone_id: int) -> Milestone:
    ms = Milestone.objects.select_for_update().select_related("plan").filter(pk=milestone_id).first()
    if ms is None or not acl.can_see(actor, ms.plan.product_id):
        raise NotFound(_("No such milestone."), code="milestone_not_found")
    return ms


def lock_release(actor: Actor, release_id: int) -> Release:
    release = Release.objects.select_for_update().filter(pk=release_id).first()
    if release is None or not acl.can_see(actor, release.product_id):
        raise NotFound(
            _("No such release, or you are not a member of its product."), code="release_not_found"
        )
    return release


def check_manager(product_id: int, user_id: int | None, field: str) -> None:
    """Plan owners and release managers are product owners or product managers of the product."""
    if user_id is None:
        return
    if not Membership.objects.filter(product_id=product_id, user_id=user_id, role__in=MANAGERS).exists():
        raise InvalidInput(_("Choose a product owner or product manager of this product."), field=field)


def requirements_of(actor: Actor, product_id: int, requirement_ids: list[int], field: str = "requirement_ids"
                    ) -> list[Requirement]:  # fmt: skip
    """The requirements, in the order given, each visible to the actor and of ``product_id``."""
    ids = list(dict.fromkeys(int(i) for i in requirement_ids or []))
    if not ids:
        raise InvalidInput(_("Choose at least one requirement."), field=field)
    found = {r.pk: r for r in Requirement.objects.select_related("product", "module").filter(pk__in=ids)}
    missing = [i for i in ids if i not in found or not acl.can_see(actor, found[i].product_id)]
    if missing:
        raise NotFound(
            _("No such requirement, or you are not a member of its product: %(l)s.")
            % {"l": ", ".join(map(str, missing))},
            code="requirement_not_found",
            missing=missing,
        )
    foreign = [found[i] for i in ids if found[i].product_id != product_id]
    if foreign:
        raise InvalidInput(
            _("These requirements belong to another product: %(l)s.")
            % {"l": ", ".join(f"{r.key} ({r.product.name})" for r in foreign)},
            field=field,
            missing=[r.key for r in foreign],
        )
    return [found[i] for i in ids]
