"""Shared steps of the requirement services: locking, spec versions, indexing, recipients."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from pmloop.accounts import permissions as acl
from pmloop.audit import services as audit
from pmloop.core.actor import Actor
from pmloop.core.errors import InvalidInput, NotFound
from pmloop.notifications import services as notifications
from pmloop.pool.models import PoolItem, PoolLink
from pmloop.products.models import Module
from pmloop.requirements import spec as prd
from pmloop.requirements.models import (
    AcceptanceCriterion,
    ChangeRequest,
    Requirement,
    RequirementSettings,
    RequirementVersion,
    StageChange,
)
from pmloop.requirements.selectors import asked_items_q

SEARCH_KIND = "requirement"


def lock(actor: Actor, requirement_id: int) -> Requirement:
    """The requirement, row-locked for this transaction; NotFound when the actor may not see it."""
    req = Requirement.objects.select_for_update().filter(pk=requirement_id).first()
    if req is None or not acl.can_see(actor, req.product_id):
        raise NotFound(
            _("No such requirement, or you are not a member of its product."), code="requirement_not_found"
        )
    return req


def settings_for(product_id: int) -> RequirementSettings:
    obj, _created = RequirementSettings.objects.get_or_create(product_id=product_id)
    return obj


def check_module(product_id: int, module_id: int | None) -> None:
    if module_id is not None and not Module.objects.filter(pk=module_id, product_id=product_id).exists():
        raise InvalidInput(_("The module must belong to the requirement's product."), field="module_id")


def check_member_user(product_id: int, user_id: int | None, field: str) -> None:
    from pmloop.accounts.models import Membership

    if user_id is not None and not Membership.objects.filter(product_id=product_id, user_id=user_id).exists():
        raise InvalidInput(_("That user is not a member of this product."), field=field)


def has_sources(req: Requirement) -> bool:
    return req.pk is not None and PoolLink.objects.filter(requirement_id=req.pk).exists()


def refresh_completeness(req: Requirement) -> prd.Completeness:
    required = settings_for(req.product_id).required_sections
    report = prd.completeness(req.spec, required=required, has_sources=has_sources(req))
    req.completeness = report.score
    return report


def sync_criteria(req: Requirement) -> None:
    """Make AcceptanceCriterion rows follow the spec's list, keeping the verification of an
    unchanged text (a reworded criterion must be verified again)."""
    texts = list(req.spec.get("acceptance_criteria") or [])
    existing = list(req.criteria.all())
    by_text: dict[str, list[AcceptanceCriterion]] = {}
    for c in existing:
        by_text.setdefault(c.text, []).append(c)
    keep: list[AcceptanceCriterion] = []
    new: list[AcceptanceCriterion] = []
    for pos, text in enumerate(texts):
        reuse = by_text.get(text)
        if reuse:
            c = reuse.pop(0)
            c.position = pos
            keep.append(c)
        else:
            new.append(AcceptanceCriterion(requirement=req, position=pos, text=text[:1000]))
    kept_ids = {c.pk for c in keep}
    AcceptanceCriterion.objects.filter(requirement=req).exclude(pk__in=kept_ids).delete()
    if keep:
        AcceptanceCriterion.objects.bulk_update(keep, ["position"])
    if new:
        AcceptanceCriterion.objects.bulk_create(new)


def write_version(
    req: Requirement, *, actor: Actor, note: str = "", change: ChangeRequest | None = None
) -> RequirementVersion:
    return RequirementVersion.objects.create(
        requirement=req, number=req.spec_version, title=req.title, spec=req.spec, author=actor.user,
        note=note[:300], change_request=change,
    )  # fmt: skip


def apply_spec(req: Requirement, *, actor: Actor, title: str | None, spec: dict[str, Any] | None,
               note: str = "", change: ChangeRequest | None = None) -> bool:  # fmt: skip
    """Apply new title/spec text; when it differs, bump spec_version and keep a version.
    Returns whether anything changed. The caller saves ``req``."""
    new_spec = prd.normalise(spec, base=req.spec) if spec is not None else req.spec
    new_title = clean_title(title) if title is not None else req.title
    if new_spec == req.spec and new_title == req.title:
        return False
    req.spec, req.title = new_spec, new_title
    req.spec_version += 1
    req.save(update_fields=["spec", "title", "spec_version"])
    write_version(req, actor=actor, note=note, change=change)
    sync_criteria(req)
    index(req)
    return True


def clean_title(title: str | None) -> str:
    title = (title or "").strip()
    if not title:
        raise InvalidInput(_("A title is required."), field="title")
    if len(title) > 200:
        raise InvalidInput(_("A title may have at most 200 characters."), field="title")
    return title


def index(req: Requirement) -> None:
    from pmloop.search import services as search

    search.index_document(
        kind=SEARCH_KIND, object_id=req.pk, product_id=req.product_id, title=req.title,
        text=prd.text_of(req.spec),
    )  # fmt: skip


def record_stage(req: Requirement, *, actor: Actor, old: str, new: str, note: str = "") -> None:
    StageChange.objects.create(
        requirement=req, from_stage=old, to_stage=new, actor=actor.user, note=note[:300]
    )


def customer_owner_ids(req: Requirement) -> set[int]:
    """Owners of every customer who asked: through linked pool items and the items merged into them."""
    return set(
        PoolItem.objects.filter(asked_items_q(req.pk), customer__isnull=False)
        .values_list("customer__owner_id", flat=True)
        .distinct()
    ) - {None}


def stakeholder_ids(req: Requirement) -> set[int]:
    """Everyone linked to a requirement: owner, author, reviewers, children's owners."""
    ids = {req.owner_id, req.created_by_id}
    ids.update(req.reviewers.values_list("pk", flat=True))
    ids.update(req.children.values_list("owner_id", flat=True))
    return {i for i in ids if i}


def url_of(req: Requirement) -> str:
    # A path, not a front import: services stay below the web layer.
    return f"/requirements/{req.pk}/"


def tell(
    req: Requirement, *, actor: Actor, user_ids: set[int], kind: str, body: str = "", **params: Any
) -> None:
    """Notify about ``req``: ``kind`` plus params (the requirement's id, key and title, and any
    extra ones); the text is rendered for each reader (notifications.kinds)."""
    params = {"requirement_id": req.pk, "key": req.key, "title": req.title, **params}
    notifications.notify(
        user_ids=user_ids, kind=kind, params=params, body=body, url=url_of(req), product_id=req.product_id,
        obj=req, exclude_user_id=actor.user_id,
    )  # fmt: skip


def audit_change(req: Requirement, *, actor: Actor, action: str, before: dict, note: str = "") -> None:
    audit.record(actor=actor, action=action, obj=req, before=before, note=note)


def now():
    return timezone.now()
