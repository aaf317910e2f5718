"""Products and their module tree. Every change: permission, guards, write, audit, event."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from pmloop.accounts import permissions as acl
from pmloop.accounts import services as accounts_services
from pmloop.accounts.models import Membership, User
from pmloop.accounts.roles import Role
from pmloop.audit import services as audit
from pmloop.core import events
from pmloop.core.actor import Actor
from pmloop.core.errors import GuardFailed, InvalidInput, NotFound, PermissionDenied
from pmloop.products import permissions as perms
from pmloop.products.choices import ReviewRule
from pmloop.products.models import Module, Product, code_validator

NAME_MAX = 100


def _clean_name(name: str, field: str = "name") -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("A name is required."), field=field)
    if len(name) > NAME_MAX:
        raise InvalidInput(_("A name may have at most %(n)s characters.") % {"n": NAME_MAX}, field=field)
    return name


def _clean_code(code: str) -> str:
    code = (code or "").strip().upper()
    try:
        code_validator(code)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="code") from exc
    return code


def _check_rule(rule: str) -> None:
    if rule not in ReviewRule.values:
        raise InvalidInput(
            _("Review rule must be one of: %(v)s.") % {"v": ", ".join(ReviewRule.values)}, field="review_rule"
        )


def _lock_product(actor: Actor, product_id: int) -> Product:
    product = Product.objects.select_for_update().filter(pk=product_id).first()
    if product is None or not acl.can_see(actor, product.pk):
        raise NotFound(_("No such product, or you are not a member of it."), code="product_not_found")
    return product


# ---- products ----------------------------------------------------------------------------
@transaction.atomic
def create_product(
    *, actor: Actor, code: str, name: str, description: str = "", review_rule: str = ReviewRule.ALL_PASS
) -> Product:
    """Any signed-in user (with a read-write token, through the API) may create a product and
    becomes its owner, as in Jira or Productboard; ZenTao-style admin-only creation is not
    forced on small teams."""
    if not actor.is_authenticated:
        raise PermissionDenied(_("Log in first."), code="unauthenticated")
    if actor.read_only:
        raise PermissionDenied(_("This API token is read-only."), code="read_only_token")
    code, name = _clean_code(code), _clean_name(name)
    _check_rule(review_rule)
    if Product.objects.filter(code=code).exists():
        raise InvalidInput(_("The product code '%(c)s' is taken.") % {"c": code}, field="code")
    owner = actor.user
    if owner is None:  # the system actor creates on behalf of the first admin
        owner = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        if owner is None:
            raise GuardFailed(_("Create an admin user first."), code="no_admin")
    product = Product.objects.create(
        code=code, name=name, description=description or "", review_rule=review_rule, owner=owner
    )
    audit.record(actor=actor, action="products.created", obj=product)
    # Audited like every other write, also when the system creates it on the first admin's behalf.
    accounts_services.grant_creator_ownership(actor=actor, product=product, user=owner)
    events.emit("products.created", product_id=product.pk)
    return product


@transaction.atomic
def update_product(
    *,
    actor: Actor,
    product_id: int,
    expected_version: int | None,
    name: str | None = None,
    description: str | None = None,
    review_rule: str | None = None,
    owner_id: int | None = None,
) -> Product:
    product = _lock_product(actor, product_id)
    acl.require(actor, perms.EDIT, product_id=product.pk)
    product.ensure_version(expected_version)
    before = audit.snapshot(product)
    fields: list[str] = []
    if name is not None:
        product.name = _clean_name(name)
        fields.append("name")
    if description is not None:
        product.description = description
        fields.append("description")
    if review_rule is not None:
        _check_rule(review_rule)
        product.review_rule = review_rule
        fields.append("review_rule")
    if owner_id is not None and owner_id != product.owner_id:
        if not Membership.objects.filter(product_id=product.pk, user_id=owner_id, role=Role.OWNER).exists():
            raise InvalidInput(
                _("The new owner must already hold the owner role on this product."), field="owner_id"
            )
        product.owner_id = owner_id
        fields.append("owner")
    if not fields:
        return product
    product.bump_version()
    product.save(update_fields=[*fields, "version", "updated_at"])
    audit.record(actor=actor, action="products.updated", obj=product, before=before)
    events.emit("products.updated", product_id=product.pk)
    return product


@transaction.atomic
def set_product_archived(
    *, actor: Actor, product_id: int, expected_version: int | None, archived: bool
) -> Product:
    product = _lock_product(actor, product_id)
    acl.require(actor, perms.ARCHIVE, product_id=product.pk)
    product.ensure_version(expected_version)
    if product.archived == archived:
        raise GuardFailed(
            _("The product is already archived.") if archived else _("The product is not archived."),
            code="no_change",
        )
    before = audit.snapshot(product)
    product.archived = archived
    product.bump_version()
    product.save(update_fields=["archived", "version", "updated_at"])
    audit.record(
        actor=actor,
        action="products.archived" if archived else "products.restored",
        obj=product,
        before=before,
    )
    return product


# ---- modules -----------------------------------------------------------------------------
def _lock_module(actor: Actor, module_id: int) -> Module:
    module = Module.objects.select_for_update().filter(pk=module_id).first()
    if module is None or not acl.can_see(actor, module.product_id):
        raise NotFound(_("No such module."), code="module_not_found")
    return module


def _parent_in(product_id: int, parent_id: int | None) -> Module | None:
    if parent_id is None:
        return None
    parent = Module.objects.filter(pk=parent_id).first()
    if parent is None or parent.product_id != product_id:
        raise InvalidInput(_("The parent module must belong to the same product."), field="parent_id")
    return parent


def _check_unique_name(
    product_id: int, parent_id: int | None, name: str, exclude_id: int | None = None
) -> None:
    clash = Module.objects.filter(product_id=product_id, parent_id=parent_id, name=name)
    if exclude_id:
        clash = clash.exclude(pk=exclude_id)
    if clash.exists():
        raise InvalidInput(
            _("A module named '%(n)s' already exists at this level.") % {"n": name}, field="name"
        )


def _renumber(
    product_id: int, parent_id: int | None, moving: Module | None = None, position: int | None = None
):
    """Give siblings positions 0..n-1, inserting ``moving`` at ``position``."""
    siblings = list(
        Module.objects.filter(product_id=product_id, parent_id=parent_id)
        .exclude(pk=moving.pk if moving else None)
        .order_by("position", "id")
    )
    if moving is not None:
        index = len(siblings) if position is None else max(0, min(position, len(siblings)))
        siblings.insert(index, moving)
    changed = []
    for i, m in enumerate(siblings):
        if m.position != i:
            m.position = i
            changed.append(m)
    others = [m for m in changed if moving is None or m.pk != moving.pk]
    if others:
        Module.objects.bulk_update(others, ["position"])
    return siblings


@transaction.atomic
def create_module(
    *, actor: Actor, product_id: int, name: str, parent_id: int | None = None, description: str = "",
    position: int | None = None,
) -> Module:  # fmt: skip
    product = _lock_product(actor, product_id)
    acl.require(actor, perms.EDIT_MODULES, product_id=product.pk)
    name = _clean_name(name)
    parent = _parent_in(product.pk, parent_id)
    _check_unique_name(product.pk, parent_id, name)
    module = Module(product=product, parent=parent, name=name, description=description or "")
    if position is None:
        module.position = Module.objects.filter(product_id=product.pk, parent_id=parent_id).count()
        module.save()
    else:
        module.save()
        _renumber(product.pk, parent_id, module, position)
        module.save(update_fields=["position"])
    audit.record(actor=actor, action="products.module_created", obj=module)
    return module


@transaction.atomic
def update_module(
    *, actor: Actor, module_id: int, expected_version: int | None, name: str | None = None,
    description: str | None = None,
) -> Module:  # fmt: skip
    module = _lock_module(actor, module_id)
    acl.require(actor, perms.EDIT_MODULES, product_id=module.product_id)
    module.ensure_version(expected_version)
    before = audit.snapshot(module)
    if name is not None:
        module.name = _clean_name(name)
        _check_unique_name(module.product_id, module.parent_id, module.name, exclude_id=module.pk)
    if description is not None:
        module.description = description
    if (module.name, module.description) == (before["name"], before["description"]):
        return module  # nothing changed: no new version, no log entry (as update_product)
    module.bump_version()
    module.save(update_fields=["name", "description", "version", "updated_at"])
    audit.record(actor=actor, action="products.module_updated", obj=module, before=before)
    return module


def _descendant_ids(product_id: int, root_id: int) -> set[int]:
    children: dict[int | None, list[int]] = {}
    for pk, parent in Module.objects.filter(product_id=product_id).values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    found, stack = set(), [root_id]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


@transaction.atomic
def move_module(
    *,
    actor: Actor,
    module_id: int,
    expected_version: int | None,
    parent_id: int | None,
    position: int | None = None,
) -> Module:
    """Move a module (with its whole subtree) under another parent, or reorder it among its
    siblings. Refused when the new parent is the module itself or one of its descendants."""
    module = _lock_module(actor, module_id)
    acl.require(actor, perms.EDIT_MODULES, product_id=module.product_id)
    module.ensure_version(expected_version)
    if position is not None and position < 0:
        raise InvalidInput(_("Position must be 0 or more."), field="position")
    parent = _parent_in(module.product_id, parent_id)
    if parent is not None and (
        parent.pk == module.pk or parent.pk in _descendant_ids(module.product_id, module.pk)
    ):
        raise GuardFailed(
            _("A module cannot move under itself or one of its own sub-modules."),
            code="module_cycle",
            field="parent_id",
        )
    if parent_id != module.parent_id:
        _check_unique_name(module.product_id, parent_id, module.name, exclude_id=module.pk)
    before = audit.snapshot(module)
    old_parent = module.parent_id
    module.parent = parent
    _renumber(module.product_id, parent_id, module, position)
    module.bump_version()
    module.save(update_fields=["parent", "position", "version", "updated_at"])
    if old_parent != parent_id:
        _renumber(module.product_id, old_parent)
    audit.record(actor=actor, action="products.module_moved", obj=module, before=before)
    return module


@transaction.atomic
def delete_module(*, actor: Actor, module_id: int, expected_version: int | None) -> None:
    module = _lock_module(actor, module_id)
    acl.require(actor, perms.EDIT_MODULES, product_id=module.product_id)
    module.ensure_version(expected_version)
    count = module.children.count()
    if count:
        raise GuardFailed(
            _("This module has %(n)s sub-modules: move or delete them first.") % {"n": count},
            code="module_has_children",
            missing=list(module.children.values_list("name", flat=True)),
        )
    before = audit.snapshot(module)
    audit.record(actor=actor, action="products.module_deleted", obj=module, before=before, after={})
    parent_id, product_id = module.parent_id, module.product_id
    try:
        module.delete()
    except ProtectedError as error:  # requirements (and the like) still filed under it
        raise GuardFailed(
            _("This module is still in use (%(n)s objects are filed under it): move them first.")
            % {"n": len(error.protected_objects)},
            code="module_in_use",
        ) from error
    _renumber(product_id, parent_id)
