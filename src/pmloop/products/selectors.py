from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from pmloop.accounts import permissions as acl
from pmloop.core.actor import Actor
from pmloop.core.errors import NotFound, PermissionDenied
from pmloop.products.models import Module, Product


def list_products(*, actor: Actor, include_archived: bool = False, q: str = "") -> QuerySet[Product]:
    if not actor.is_authenticated:
        raise PermissionDenied(_("Log in first."), code="unauthenticated")
    qs = acl.visible_to(actor, Product.objects.select_related("owner"), field="id")
    if not include_archived:
        qs = qs.filter(archived=False)
    if q:
        qs = qs.filter(name__icontains=q) | qs.filter(code__icontains=q.upper())
    return qs.order_by("name")


def get_product(*, actor: Actor, product_id: int | None = None, code: str | None = None) -> Product:
    qs = Product.objects.select_related("owner")
    product = (
        qs.filter(pk=product_id).first()
        if product_id is not None
        else qs.filter(code=(code or "").upper()).first()
    )
    if product is None or not acl.can_see(actor, product.pk):
        raise NotFound(_("No such product, or you are not a member of it."), code="product_not_found")
    return product


def get_module(*, actor: Actor, module_id: int) -> Module:
    module = Module.objects.filter(pk=module_id).first()
    if module is None or not acl.can_see(actor, module.product_id):
        raise NotFound(_("No such module."), code="module_not_found")
    return module


@dataclass
class ModuleNode:
    module: Module
    depth: int
    children: list[ModuleNode] = field(default_factory=list)


def module_tree(*, actor: Actor, product_id: int) -> list[ModuleNode]:
    """The product's module tree, built from one query."""
    get_product(actor=actor, product_id=product_id)
    modules = list(Module.objects.filter(product_id=product_id).order_by("position", "id"))
    by_parent: dict[int | None, list[Module]] = {}
    for m in modules:
        by_parent.setdefault(m.parent_id, []).append(m)

    def build(parent_id: int | None, depth: int) -> list[ModuleNode]:
        return [ModuleNode(m, depth, build(m.pk, depth + 1)) for m in by_parent.get(parent_id, [])]

    return build(None, 0)


def flatten(nodes: list[ModuleNode]) -> list[ModuleNode]:
    out: list[ModuleNode] = []
    for node in nodes:
        out.append(node)
        out.extend(flatten(node.children))
    return out


def product_stats(*, actor: Actor, product_ids: list[int]) -> dict[int, dict[str, int]]:
    modules = acl.visible_to(actor, Module.objects.filter(product_id__in=product_ids))
    rows = modules.values("product_id").annotate(n=Count("id"))
    return {r["product_id"]: {"modules": r["n"]} for r in rows}
