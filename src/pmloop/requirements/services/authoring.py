"""Writing requirements: create (also from a pool item), edit, links, sources, attachments."""

from __future__ import annotations

import mimetypes
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from pmloop.accounts import permissions as acl
from pmloop.audit import services as audit
from pmloop.core import events
from pmloop.core.actor import Actor
from pmloop.core.errors import GuardFailed, InvalidInput, NotFound
from pmloop.pool import services as pool_services
from pmloop.pool.models import PoolItem, PoolLink
from pmloop.products.models import Product
from pmloop.requirements import lifecycle
from pmloop.requirements import permissions as perms
from pmloop.requirements import spec as prd
from pmloop.requirements.choices import Category, LinkKind, Priority, Stage, Status
from pmloop.requirements.models import Attachment, Requirement, RequirementLink
from pmloop.requirements.services import _common as common

ATTACHMENT_TYPES = {
    ".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf", ".txt", ".md", ".csv", ".json", ".xlsx", ".xls", ".docx",
    ".doc", ".pptx", ".ppt", ".zip", ".drawio", ".xmind", ".mp4", ".mov",
}  # fmt: skip


def _priority(value: Any) -> int:
    try:
        p = int(value)
    except (TypeError, ValueError):
        p = 0
    if p not in Priority.values:
        raise InvalidInput(_("Priority must be 1, 2, 3 or 4."), field="priority")
    return p


def _category(value: str) -> str:
    if value not in Category.values:
        raise InvalidInput(
            _("Category must be one of: %(v)s.") % {"v": ", ".join(Category.values)}, field="category"
        )
    return value


def _estimate(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        d = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError) as exc:
        raise InvalidInput(_("The estimate must be a number of person-days."), field="estimate") from exc
    if d < 0 or d > 100000:
        raise InvalidInput(_("The estimate must be between 0 and 100000 person-days."), field="estimate")
    return d


def _parent(product_id: int, parent_id: int | None, self_id: int | None = None) -> Requirement | None:
    if parent_id is None:
        return None
    parent = Requirement.objects.filter(pk=parent_id, product_id=product_id).first()
    if parent is None:
        raise InvalidInput(_("The parent must be a requirement of the same product."), field="parent_id")
    if self_id is not None:
        node = parent
        while node is not None:  # walk up: the new parent must not be a descendant
            if node.pk == self_id:
                raise GuardFailed(_("A requirement cannot sit under itself or one of its children."),
                                  code="parent_cycle", field="parent_id")  # fmt: skip
            node = node.parent
    return parent


def _next_number(product_id: int) -> int:
    # The product row lock serialises numbering per product on PostgreSQL; SQLite writers
    # are serialised anyway.
    Product.objects.select_for_update().filter(pk=product_id).first()
    return (Requirement.objects.filter(product_id=product_id).aggregate(m=Max("number"))["m"] or 0) + 1


def _set_reviewers(req: Requirement, reviewer_ids: list[int] | None) -> None:
    if reviewer_ids is None:
        return
    from pmloop.reviews import services as reviews

    ids = (
        reviews.check_reviewers(product_id=req.product_id, reviewer_ids=reviewer_ids) if reviewer_ids else []
    )
    _check_reviewer_roles(req.product_id, ids)
    req.reviewers.set(ids)


def _check_reviewer_roles(product_id: int, ids: list[int]) -> None:
    from pmloop.accounts.models import Membership

    wrong = list(
        Membership.objects.filter(product_id=product_id, user_id__in=ids)
        .exclude(role__in=perms.REVIEWER_ROLES)
        .values_list("user__username", flat=True)
    )
    if wrong:
        raise InvalidInput(
            _("These members' roles cannot review requirements: %(u)s.") % {"u": ", ".join(wrong)},
            field="reviewer_ids",
        )


@transaction.atomic
def create_requirement(
    *, actor: Actor, product_id: int, title: str, spec: dict[str, Any] | None = None, module_id: int | None = None,
    category: str = Category.FEATURE, priority: int = Priority.P3, estimate: Any = None, owner_id: int | None = None,
    reviewer_ids: list[int] | None = None, parent_id: int | None = None, pool_item_ids: list[int] | None = None,
    note: str = "",
) -> Requirement:  # fmt: skip
    acl.require(actor, perms.CREATE, product_id=product_id)
    title = common.clean_title(title)
    clean_spec = prd.normalise(spec)
    common.check_module(product_id, module_id)
    common.check_member_user(product_id, owner_id, "owner_id")
    parent = _parent(product_id, parent_id)
    req = Requirement(
        product_id=product_id, number=_next_number(product_id), title=title, spec=clean_spec, module_id=module_id,
        category=_category(category), priority=_priority(priority), estimate=_estimate(estimate),
        owner_id=owner_id or actor.user_id, created_by=actor.user, parent=parent,
    )  # fmt: skip
    req.save()
    _set_reviewers(req, reviewer_ids)
    common.write_version(req, actor=actor, note=note or "created")
    common.sync_criteria(req)
    common.record_stage(req, actor=actor, old="", new=Stage.WAIT)
    if pool_item_ids:
        _link_pool(req, actor=actor, item_ids=pool_item_ids)
    common.refresh_completeness(req)
    req.save(update_fields=["completeness", "voices"])
    common.index(req)
    audit.record(actor=actor, action="requirements.created", obj=req, note=note)
    events.emit("requirements.created", requirement_id=req.pk, product_id=product_id)
    return req


@transaction.atomic
def create_from_pool_item(
    *, actor: Actor, pool_item_id: int, title: str | None = None, **fields: Any
) -> Requirement:
    """A requirement prefilled from a pool item: title, background (the customer's words and
    who said them), module and priority from the item's guess and importance."""
    item = PoolItem.objects.select_related("customer", "source").filter(pk=pool_item_id).first()
    if item is None or not acl.can_see(actor, item.product_id):
        raise NotFound(_("No such pool item."), code="pool_item_not_found")
    who = item.customer.name if item.customer_id else (item.source.label if item.source_id else "")
    background = f"{who}: {item.text}" if who else item.text
    importance_to_priority = {"critical": 1, "high": 2, "medium": 3, "low": 4}
    spec = {"background": background, **(fields.pop("spec", None) or {})}
    fields.setdefault("module_id", item.module_id)
    fields.setdefault("priority", importance_to_priority.get(item.importance, 3))
    return create_requirement(
        actor=actor, product_id=item.product_id, title=title or item.title or item.text[:80], spec=spec,
        pool_item_ids=[item.pk], **fields,
    )  # fmt: skip


@transaction.atomic
def update_requirement(
    *, actor: Actor, requirement_id: int, expected_version: int | None, title: str | None = None,
    spec: dict[str, Any] | None = None, module_id: int | type | None = ..., category: str | None = None,
    priority: int | None = None, estimate: Any = ..., owner_id: int | type | None = ...,
    reviewer_ids: list[int] | None = None, parent_id: int | type | None = ..., note: str = "",
) -> Requirement:  # fmt: skip
    """Edit a requirement. Title and spec text change only in draft (or while a change is
    being written); the other fields (priority, owner, module, estimate …) change in any open
    state. ``...`` means "leave as is" for fields that may be set to null."""
    req = common.lock(actor, requirement_id)
    acl.require(actor, perms.EDIT, product_id=req.product_id)
    req.ensure_version(expected_version)
    lifecycle.check_not_closed(req.status)
    before = audit.snapshot(req)
    text_changes = (title is not None and title.strip() != req.title) or (
        spec is not None and prd.normalise(spec, base=req.spec) != req.spec
    )
    if text_changes:
        lifecycle.check_spec_editable(req.status)
    change = req.changes.filter(status="draft").first() if req.status == Status.CHANGING else None
    common.apply_spec(req, actor=actor, title=title, spec=spec, note=note, change=change)
    fields = []
    if module_id is not ...:
        common.check_module(req.product_id, module_id)
        req.module_id = module_id
        fields.append("module")
    if category is not None:
        req.category = _category(category)
        fields.append("category")
    if priority is not None:
        req.priority = _priority(priority)
        fields.append("priority")
    if estimate is not ...:
        req.estimate = _estimate(estimate)
        fields.append("estimate")
    if owner_id is not ...:
        common.check_member_user(req.product_id, owner_id, "owner_id")
        req.owner_id = owner_id
        fields.append("owner")
    if parent_id is not ...:
        req.parent = _parent(req.product_id, parent_id, self_id=req.pk)
        fields.append("parent")
    _set_reviewers(req, reviewer_ids)
    common.refresh_completeness(req)
    req.bump_version()
    req.save(update_fields=[*fields, "completeness", "version", "updated_at"])
    audit.record(actor=actor, action="requirements.updated", obj=req, before=before, note=note)
    return req


# ---- links between requirements --------------------------------------------------------
@transaction.atomic
def link_requirements(*, actor: Actor, requirement_id: int, target_id: int, kind: str) -> RequirementLink:
    req = common.lock(actor, requirement_id)
    acl.require(actor, perms.EDIT, product_id=req.product_id)
    if kind not in LinkKind.values:
        raise InvalidInput(
            _("Link kind must be one of: %(v)s.") % {"v": ", ".join(LinkKind.values)}, field="kind"
        )
    if target_id == req.pk:
        raise InvalidInput(_("A requirement cannot link to itself."), field="target_id")
    target = Requirement.objects.filter(pk=target_id, product_id=req.product_id).first()
    if target is None:
        raise InvalidInput(_("The linked requirement must belong to the same product."), field="target_id")
    try:
        with transaction.atomic():
            link = RequirementLink.objects.create(source=req, target=target, kind=kind)
    except IntegrityError as exc:
        raise GuardFailed(
            _("These requirements are already linked that way."), code="already_linked"
        ) from exc
    audit.record(actor=actor, action="requirements.linked", obj=link, product_id=req.product_id)
    return link


@transaction.atomic
def unlink_requirements(*, actor: Actor, link_id: int) -> None:
    link = RequirementLink.objects.select_related("source").filter(pk=link_id).first()
    if link is None or not acl.can_see(actor, link.source.product_id):
        raise NotFound(_("No such link."))
    acl.require(actor, perms.EDIT, product_id=link.source.product_id)
    lifecycle.check_not_closed(link.source.status)
    audit.record(actor=actor, action="requirements.unlinked", obj=link, before=audit.snapshot(link), after={},
                 product_id=link.source.product_id)  # fmt: skip
    link.delete()


# ---- pool items (who asked) ----------------------------------------------------------------
def _link_pool(req: Requirement, *, actor: Actor, item_ids: list[int]) -> None:
    ids = list(dict.fromkeys(int(i) for i in item_ids))
    items = {i.pk: i for i in PoolItem.objects.filter(pk__in=ids)}
    wrong = [i for i in ids if i not in items or items[i].product_id != req.product_id]
    if wrong:
        raise InvalidInput(
            _("Pool items must belong to the requirement's product; not found there: %(ids)s.")
            % {"ids": ", ".join(map(str, wrong))},
            field="pool_item_ids",
        )
    already = set(
        PoolLink.objects.filter(requirement_id=req.pk, item_id__in=ids).values_list("item_id", flat=True)
    )
    new = [i for i in ids if i not in already]
    if not new:
        raise GuardFailed(
            _("Those pool items are already linked to this requirement."), code="already_linked"
        )
    pool_services.mark_linked(actor=actor, item_ids=new, requirement_id=req.pk)
    _refresh_voices(req)


def _linked_item_ids(req: Requirement) -> list[int]:
    return sorted(PoolLink.objects.filter(requirement_id=req.pk).values_list("item_id", flat=True))


def _refresh_voices(req: Requirement) -> None:
    req.voices = sum(PoolItem.objects.filter(links__requirement_id=req.pk).values_list("voices", flat=True))


@transaction.atomic
def link_pool_items(*, actor: Actor, requirement_id: int, pool_item_ids: list[int]) -> Requirement:
    req = common.lock(actor, requirement_id)
    acl.require(actor, perms.EDIT, product_id=req.product_id)
    lifecycle.check_not_closed(req.status)
    before = {"pool_item_ids": _linked_item_ids(req)}
    _link_pool(req, actor=actor, item_ids=pool_item_ids)
    common.refresh_completeness(req)
    req.save(update_fields=["voices", "completeness"])
    audit.record(actor=actor, action="requirements.pool_items_linked", obj=req, before=before,
                 after={"pool_item_ids": _linked_item_ids(req)})  # fmt: skip
    return req


@transaction.atomic
def unlink_pool_item(*, actor: Actor, requirement_id: int, pool_item_id: int) -> Requirement:
    req = common.lock(actor, requirement_id)
    acl.require(actor, perms.EDIT, product_id=req.product_id)
    lifecycle.check_not_closed(req.status)
    if not PoolLink.objects.filter(requirement_id=req.pk, item_id=pool_item_id).exists():
        raise NotFound(_("That pool item is not linked to this requirement."))
    before = {"pool_item_ids": _linked_item_ids(req)}
    pool_services.mark_unlinked(actor=actor, item_ids=[pool_item_id], requirement_id=req.pk)
    _refresh_voices(req)
    common.refresh_completeness(req)
    req.save(update_fields=["voices", "completeness"])
    audit.record(actor=actor, action="requirements.pool_item_unlinked", obj=req, before=before,
                 after={"pool_item_ids": _linked_item_ids(req)})  # fmt: skip
    return req


# ---- attachments ---------------------------------------------------------------------------
def _max_attachment_bytes() -> int:
    return int(getattr(settings, "PMLOOP_ATTACHMENT_MAX_MB", 20)) * 1024 * 1024


@transaction.atomic
def add_attachment(*, actor: Actor, requirement_id: int, name: str, content: bytes) -> Attachment:
    req = common.lock(actor, requirement_id)
    acl.require(actor, perms.ATTACH, product_id=req.product_id)
    lifecycle.check_not_closed(req.status)
    name = PurePath((name or "").replace("\\", "/")).name.strip()[:200]
    suffix = PurePath(name).suffix.lower()
    if not name or suffix not in ATTACHMENT_TYPES:
        raise InvalidInput(
            _("Files of type '%(t)s' are not accepted. Accepted: %(ok)s.")
            % {"t": suffix or "?", "ok": " ".join(sorted(ATTACHMENT_TYPES))},
            field="file",
        )
    limit = _max_attachment_bytes()
    if len(content) > limit:
        raise InvalidInput(
            _("The file is %(s)s MB; the limit is %(l)s MB.")
            % {"s": round(len(content) / 1048576, 1), "l": limit // 1048576},
            field="file",
        )
    if not content:
        raise InvalidInput(_("The file is empty."), field="file")
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    att = Attachment(
        requirement=req, name=name, size=len(content), content_type=content_type, uploaded_by=actor.user
    )
    att.file.save(name, ContentFile(content), save=False)
    att.save()
    audit.record(actor=actor, action="requirements.attachment_added", obj=att, product_id=req.product_id)
    return att


@transaction.atomic
def remove_attachment(*, actor: Actor, attachment_id: int) -> None:
    att = Attachment.objects.select_related("requirement").filter(pk=attachment_id).first()
    if att is None or not acl.can_see(actor, att.requirement.product_id):
        raise NotFound(_("No such attachment."))
    acl.require(actor, perms.ATTACH, product_id=att.requirement.product_id)
    audit.record(actor=actor, action="requirements.attachment_removed", obj=att, before=audit.snapshot(att),
                 after={}, product_id=att.requirement.product_id)  # fmt: skip
    stored = att.file
    att.delete()
    transaction.on_commit(lambda: stored.delete(save=False))


# ---- per-product settings -----------------------------------------------------------------
@transaction.atomic
def update_settings(
    *, actor: Actor, product_id: int, expected_version: int | None, required_sections: list[str] | None = None,
    skip_review_user_ids: list[int] | None = None, force_review_user_ids: list[int] | None = None,
):  # fmt: skip
    acl.require(actor, perms.SETTINGS, product_id=product_id)
    obj = common.settings_for(product_id)
    if expected_version is None or int(expected_version) != obj.version:
        from pmloop.core.errors import Conflict

        raise Conflict(_("These settings changed since you loaded them; reload and try again."),
                       code="stale_version", field="version")  # fmt: skip
    before = {**audit.snapshot(obj), "skip_review_user_ids": sorted(obj.skip_review_users.values_list("pk", flat=True)),
              "force_review_user_ids": sorted(obj.force_review_users.values_list("pk", flat=True))}  # fmt: skip
    if required_sections is not None:
        unknown = [s for s in required_sections if s not in prd.SECTION_KEYS]
        if unknown:
            raise InvalidInput(
                _("Unknown PRD section(s): %(u)s.") % {"u": ", ".join(unknown)}, field="required_sections"
            )
        obj.required_sections = [s for s in prd.SECTION_KEYS if s in required_sections]
    for ids, rel, field in ((skip_review_user_ids, obj.skip_review_users, "skip_review_user_ids"),
                            (force_review_user_ids, obj.force_review_users, "force_review_user_ids")):  # fmt: skip
        if ids is not None:
            for uid in ids:
                common.check_member_user(product_id, uid, field)
            rel.set(ids)
    both = set(obj.skip_review_users.values_list("pk", flat=True)) & set(
        obj.force_review_users.values_list("pk", flat=True)
    )
    if both:
        raise InvalidInput(
            _("A user cannot both skip review and always need it."), field="skip_review_user_ids"
        )
    obj.version += 1
    obj.save()
    audit.record(actor=actor, action="requirements.settings_updated", obj=obj, before=before, product_id=product_id,
                 after={**audit.snapshot(obj), "skip_review_user_ids": sorted(obj.skip_review_users.values_list("pk", flat=True)),
                        "force_review_user_ids": sorted(obj.force_review_users.values_list("pk", flat=True))})  # fmt: skip
    return obj
