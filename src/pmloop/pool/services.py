"""The requirement pool (需求池): filing feedback, triage, decline, merge, reopen, the bulk
forms of these, the link status that the requirements app drives, and the list of sources.

Every public function: keyword-only with ``actor`` first, one transaction, permission check,
guards from ``lifecycle`` (nothing written before they pass), write, one audit entry per
changed item, events on commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils.translation import gettext as _

from pmloop.accounts import permissions as acl
from pmloop.accounts.roles import Role
from pmloop.audit import services as audit
from pmloop.core import events
from pmloop.core.actor import Actor
from pmloop.core.errors import DomainError, GuardFailed, InvalidInput, NotFound
from pmloop.customers.models import Customer
from pmloop.pool import lifecycle, selectors
from pmloop.pool import permissions as perms
from pmloop.pool.choices import Importance, Status
from pmloop.pool.models import PoolCounter, PoolItem, PoolLink, PoolSource
from pmloop.pool.normalise import clean_text, clean_title, derive_title, normalise_tags
from pmloop.products.models import Module, Product
from pmloop.search import services as search_services

SEARCH_KIND = "pool_item"

# "Leave as it is" for arguments where None means "clear it" (customer_id, module_id).
KEEP: Any = object()
BULK_MAX = 500

# The source a new item gets when none is named, by the reporter's role on the product.
ROLE_SOURCE = {
    Role.OWNER: "product_owner",
    Role.PM: "product_owner",
    Role.SALES: "sales",
    Role.SUPPORT: "support",
    Role.DEVELOPER: "developer",
    Role.REVIEWER: "developer",
}


# ---- search index ------------------------------------------------------------------------
def _index(item: PoolItem) -> None:
    """Keep the search index in step, in the same transaction."""
    search_services.index_document(
        kind=SEARCH_KIND,
        object_id=item.pk,
        product_id=item.product_id,
        title=item.title,
        text=f"{item.key} {item.text} {' '.join(item.tag_list)}",
    )


# ---- lookups and checks ------------------------------------------------------------------
def _product(actor: Actor, product_id: int) -> Product:
    product = Product.objects.filter(pk=product_id).first()
    if product is None or not acl.can_see(actor, product.pk):
        raise NotFound(_("No such product, or you are not a member of it."), code="product_not_found")
    return product


def _source(code: str | None) -> PoolSource:
    code = (code or "").strip()
    source = PoolSource.objects.filter(code=code).first()
    if source is None:
        source = (
            PoolSource.objects.filter(label_zh=code).first()
            or PoolSource.objects.filter(label_en__iexact=code).first()
        )
    if source is None:
        active = ", ".join(PoolSource.objects.filter(active=True).values_list("code", flat=True))
        raise InvalidInput(
            _("Unknown source '%(s)s'; use one of: %(all)s.") % {"s": code, "all": active}, field="source"
        )
    if not source.active:
        raise InvalidInput(
            _("The source '%(s)s' is no longer in use; pick another one.") % {"s": source.label},
            field="source",
        )
    return source


def _default_source(actor: Actor, product_id: int, has_customer: bool) -> PoolSource:
    code = "customer" if has_customer else ROLE_SOURCE.get(acl.role_of(actor, product_id) or "", "other")
    source = PoolSource.objects.filter(code=code, active=True).first()
    return (
        source or PoolSource.objects.filter(active=True).order_by("position", "id").first() or _source(code)
    )


def _customer(product_id: int, customer_id: int | None) -> Customer | None:
    if customer_id is None:
        return None
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None or customer.product_id != product_id:
        raise InvalidInput(
            _("There is no customer with id %(id)s in this product.") % {"id": customer_id},
            field="customer_id",
        )
    if customer.archived:
        raise InvalidInput(
            _("The customer '%(c)s' is archived; restore it first or pick another.") % {"c": customer.name},
            field="customer_id",
        )
    return customer


def _module(product_id: int, module_id: int | None) -> Module | None:
    if module_id is None:
        return None
    module = Module.objects.filter(pk=module_id).first()
    if module is None or module.product_id != product_id:
        raise InvalidInput(
            _("There is no module with id %(id)s in this product.") % {"id": module_id}, field="module_id"
        )
    return module


def _importance(value: str) -> str:
    if value not in Importance.values:
        raise InvalidInput(
            _("Unknown importance '%(v)s'; use one of: %(all)s.")
            % {"v": value, "all": ", ".join(Importance.values)},
            field="importance",
        )
    return value


def _next_number(product_id: int) -> int:
    """The next per-product number. The UPDATE takes the counter row's lock, so concurrent
    writers queue; the first item of a product creates the row (a racing second creator gets
    an IntegrityError inside a savepoint and falls back to the UPDATE)."""
    if PoolCounter.objects.filter(product_id=product_id).update(last_number=F("last_number") + 1):
        return PoolCounter.objects.filter(product_id=product_id).values_list("last_number", flat=True).get()
    start = (PoolItem.objects.filter(product_id=product_id).aggregate(m=Max("number"))["m"] or 0) + 1
    try:
        with transaction.atomic():
            PoolCounter.objects.create(product_id=product_id, last_number=start)
        return start
    except IntegrityError:
        PoolCounter.objects.filter(product_id=product_id).update(last_number=F("last_number") + 1)
        return PoolCounter.objects.filter(product_id=product_id).values_list("last_number", flat=True).get()


def _ids(item_ids: Iterable[Any], field_name: str = "ids") -> list[int]:
    try:
        ids = list(dict.fromkeys(int(i) for i in item_ids))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(_("Item ids must be whole numbers."), field=field_name) from exc
    if not ids:
        raise InvalidInput(_("Select at least one item."), field=field_name, code="nothing_selected")
    if len(ids) > BULK_MAX:
        raise InvalidInput(
            _("At most %(n)s items at a time (you selected %(k)s).") % {"n": BULK_MAX, "k": len(ids)},
            field=field_name,
        )
    return ids


def _lock_items(actor: Actor, item_ids: Sequence[int]) -> list[PoolItem]:
    """The items, locked in id order (no deadlock between two bulk actions), in the order
    asked. Any id that does not exist or that the actor may not see: NotFound, naming it."""
    rows = (
        PoolItem.objects.select_for_update(of=("self",))
        .select_related("product", "merged_into__product")
        .filter(pk__in=item_ids)
        .order_by("pk")
    )
    found = {item.pk: item for item in rows if acl.can_see(actor, item.product_id)}
    missing = [i for i in item_ids if i not in found]
    if missing:
        raise NotFound(
            _("No pool item with id %(ids)s, or you may not see it.") % {"ids": ", ".join(map(str, missing))},
            code="item_not_found",
            missing=missing,
        )
    return [found[i] for i in item_ids]


def _lock_item(actor: Actor, item_id: int) -> PoolItem:
    return _lock_items(actor, [int(item_id)])[0]


def _check_version(item: PoolItem, expected_version: int | None) -> None:
    """Transitions check the version when one is given (the pages and the API send it)."""
    if expected_version is not None:
        item.ensure_version(expected_version)


def _require_each(actor: Actor, action, items: Iterable[PoolItem]) -> None:
    for product_id in sorted({i.product_id for i in items}):
        acl.require(actor, action, product_id=product_id)


def _save(item: PoolItem, fields: list[str]) -> None:
    item.bump_version()
    item.save(update_fields=[*fields, "version", "updated_at"])


# ---- filing and editing ------------------------------------------------------------------
@transaction.atomic
def create_item(
    *,
    actor: Actor,
    product_id: int,
    text: str,
    source: str | None = None,
    title: str = "",
    customer_id: int | None = None,
    module_id: int | None = None,
    importance: str = Importance.MEDIUM,
    tags: str | Iterable[str] | None = None,
) -> PoolItem:
    """File a pool item. Any member but a viewer may. Without a source, the item gets
    'customer' when a customer is named, else the one matching the reporter's role."""
    product = _product(actor, product_id)
    acl.require(actor, perms.CREATE, product_id=product.pk)
    text = clean_text(text)
    item = PoolItem(
        product=product,
        text=text,
        title=clean_title(title, text),
        customer=_customer(product.pk, customer_id),
        module=_module(product.pk, module_id),
        importance=_importance(importance or Importance.MEDIUM),
        tags=normalise_tags(tags),
        reporter=actor.user,
    )
    item.source = _source(source) if source else _default_source(actor, product.pk, customer_id is not None)
    item.number = _next_number(product.pk)
    item.save()
    audit.record(actor=actor, action="pool.item_created", obj=item)
    _index(item)
    events.emit("pool.item_created", item_id=item.pk, product_id=product.pk)
    return item


@transaction.atomic
def update_item(
    *,
    actor: Actor,
    item_id: int,
    expected_version: int | None,
    text: str | None = None,
    title: str | None = None,
    source: str | None = None,
    customer_id: Any = KEEP,
    module_id: Any = KEEP,
    importance: str | None = None,
    tags: str | Iterable[str] | None = None,
) -> PoolItem:
    """Change an item's words or fields. Managers may edit any item; the reporter may edit
    their own while it is new. ``customer_id=None`` / ``module_id=None`` clear them; leave
    them out to keep them. A title that was derived from the text follows the new text."""
    item = _lock_item(actor, item_id)
    own_new = actor.user_id is not None and item.reporter_id == actor.user_id and item.status == Status.NEW
    if own_new and acl.can(actor, perms.CREATE, product_id=item.product_id):
        pass
    else:
        acl.require(actor, perms.EDIT, product_id=item.product_id)
    item.ensure_version(expected_version)
    lifecycle.check_can_edit(item)
    before = audit.snapshot(item)
    if text is not None:
        new_text = clean_text(text)
        if title is None and item.title == derive_title(item.text):
            item.title = derive_title(new_text)
        item.text = new_text
    if title is not None:
        item.title = clean_title(title, item.text)
    if source is not None:
        item.source = _source(source)
    if customer_id is not KEEP:
        item.customer = _customer(item.product_id, customer_id)
    if module_id is not KEEP:
        item.module = _module(item.product_id, module_id)
    if importance is not None:
        item.importance = _importance(importance)
    if tags is not None:
        item.tags = normalise_tags(tags)
    if audit.snapshot(item) == before:
        return item
    _save(item, ["text", "title", "source", "customer", "module", "importance", "tags"])
    audit.record(actor=actor, action="pool.item_updated", obj=item, before=before)
    _index(item)
    events.emit("pool.item_updated", item_id=item.pk, product_id=item.product_id)
    return item


# ---- transitions -------------------------------------------------------------------------
def _triage(
    actor: Actor, item: PoolItem, *, module_id: Any, importance: str | None, tags: Any, note: str
) -> PoolItem:
    lifecycle.check_can_triage(item)
    before = audit.snapshot(item)
    if module_id is not KEEP:
        item.module = _module(item.product_id, module_id)
    if importance is not None:
        item.importance = _importance(importance)
    if tags is not None:
        item.tags = normalise_tags(tags)
    item.status = lifecycle.target_status("triage")
    _save(item, ["status", "module", "importance", "tags"])
    audit.record(actor=actor, action="pool.item_triaged", obj=item, before=before, note=note)
    _index(item)
    return item


@transaction.atomic
def triage_item(
    *,
    actor: Actor,
    item_id: int,
    expected_version: int | None = None,
    module_id: Any = KEEP,
    importance: str | None = None,
    tags: str | Iterable[str] | None = None,
    note: str = "",
) -> PoolItem:
    """new → triaged, setting the module guess, importance and tags at the same time."""
    item = _lock_item(actor, item_id)
    acl.require(actor, perms.TRIAGE, product_id=item.product_id)
    _check_version(item, expected_version)
    _triage(actor, item, module_id=module_id, importance=importance, tags=tags, note=note)
    events.emit("pool.item_triaged", item_ids=[item.pk], product_id=item.product_id)
    return item


def _decline(actor: Actor, item: PoolItem, reason: str) -> PoolItem:
    reason = lifecycle.check_can_decline(item, reason)
    before = audit.snapshot(item)
    item.status = lifecycle.target_status("decline")
    item.decline_reason = reason
    _save(item, ["status", "decline_reason"])
    audit.record(actor=actor, action="pool.item_declined", obj=item, before=before, note=reason)
    return item


@transaction.atomic
def decline_item(*, actor: Actor, item_id: int, reason: str, expected_version: int | None = None) -> PoolItem:
    """new | triaged → declined. The reason is required: the people who asked read it."""
    item = _lock_item(actor, item_id)
    acl.require(actor, perms.TRIAGE, product_id=item.product_id)
    _check_version(item, expected_version)
    _decline(actor, item, reason)
    events.emit("pool.item_declined", item_ids=[item.pk], product_id=item.product_id)
    return item


def _merge(actor: Actor, item: PoolItem, target: PoolItem) -> int:
    """Merge one item into ``target`` (already locked); returns the voices it brings. The
    items merged into ``item`` before are re-pointed at ``target``, so chains never form."""
    lifecycle.check_can_merge(item, target)
    before = audit.snapshot(item)
    children = list(PoolItem.objects.select_for_update(of=("self",)).filter(merged_into=item).order_by("pk"))
    for child in children:
        child_before = audit.snapshot(child)
        child.merged_into = target
        _save(child, ["merged_into"])
        audit.record(
            actor=actor, action="pool.item_repointed", obj=child, before=child_before,
            object_repr=f"{item.product.code}-P{child.number} {child.title}",
            note=_("%(i)s was merged into %(t)s") % {"i": item.key, "t": target.key},
        )  # fmt: skip
    item.status = lifecycle.target_status("merge")
    item.merged_into = target
    _save(item, ["status", "merged_into"])
    audit.record(
        actor=actor, action="pool.item_merged", obj=item, before=before,
        note=_("merged into %(t)s (+%(v)s voices)") % {"t": target.key, "v": item.voices},
    )  # fmt: skip
    return item.voices


def _add_voices(actor: Actor, target: PoolItem, voices: int, merged: list[PoolItem]) -> None:
    before = audit.snapshot(target)
    target.voices += voices
    _save(target, ["voices"])
    audit.record(
        actor=actor, action="pool.voices_added", obj=target, before=before,
        note=_("merged in: %(items)s") % {"items": ", ".join(i.key for i in merged)},
    )  # fmt: skip


@transaction.atomic
def merge_item(
    *, actor: Actor, item_id: int, target_id: int, expected_version: int | None = None
) -> PoolItem:
    """new | triaged → merged into ``target_id`` (same product, open). Returns the target,
    whose voices grow by the merged item's voices."""
    item_id, target_id = int(item_id), int(target_id)
    if item_id == target_id:
        item = _lock_item(actor, item_id)
        acl.require(actor, perms.TRIAGE, product_id=item.product_id)
        lifecycle.check_merge_target(item, item)
    item, target = _lock_items(actor, sorted([item_id, target_id], key=lambda i: i != item_id))
    acl.require(actor, perms.TRIAGE, product_id=item.product_id)
    _check_version(item, expected_version)
    voices = _merge(actor, item, target)
    _add_voices(actor, target, voices, [item])
    _index(item)
    events.emit("pool.item_merged", item_ids=[item.pk], target_id=target.pk, product_id=item.product_id)
    return target


@transaction.atomic
def reopen_item(
    *, actor: Actor, item_id: int, expected_version: int | None = None, note: str = ""
) -> PoolItem:
    """declined → triaged. The old reason stays in the operation log."""
    item = _lock_item(actor, item_id)
    acl.require(actor, perms.TRIAGE, product_id=item.product_id)
    _check_version(item, expected_version)
    lifecycle.check_can_reopen(item)
    before = audit.snapshot(item)
    item.status = lifecycle.target_status("reopen")
    item.decline_reason = ""
    _save(item, ["status", "decline_reason"])
    audit.record(actor=actor, action="pool.item_reopened", obj=item, before=before, note=note)
    events.emit("pool.item_reopened", item_ids=[item.pk], product_id=item.product_id)
    return item


# ---- bulk: one transaction, all or nothing, one audit entry per item --------------------
def _bulk_refusal(item: PoolItem, exc: DomainError) -> DomainError:
    """Re-raise an item's refusal, naming the item, with the same class and code."""
    message = exc.message if item.key in exc.message else f"{item.key}: {exc.message}"
    return exc.__class__(
        _("Nothing was changed. %(msg)s") % {"msg": message},
        code=exc.code,
        field=exc.field,
        missing=exc.missing or [item.key],
    )


@transaction.atomic
def bulk_triage(
    *,
    actor: Actor,
    item_ids: Iterable[int],
    module_id: Any = KEEP,
    importance: str | None = None,
    tags: str | Iterable[str] | None = None,
) -> list[PoolItem]:
    items = _lock_items(actor, _ids(item_ids))
    _require_each(actor, perms.TRIAGE, items)
    for item in items:
        try:
            _triage(actor, item, module_id=module_id, importance=importance, tags=tags, note="bulk")
        except DomainError as exc:
            raise _bulk_refusal(item, exc) from exc
    events.emit("pool.item_triaged", item_ids=[i.pk for i in items], product_id=items[0].product_id)
    return items


@transaction.atomic
def bulk_decline(*, actor: Actor, item_ids: Iterable[int], reason: str) -> list[PoolItem]:
    items = _lock_items(actor, _ids(item_ids))
    _require_each(actor, perms.TRIAGE, items)
    lifecycle.clean_reason(reason)
    for item in items:
        try:
            _decline(actor, item, reason)
        except DomainError as exc:
            raise _bulk_refusal(item, exc) from exc
    events.emit("pool.item_declined", item_ids=[i.pk for i in items], product_id=items[0].product_id)
    return items


@transaction.atomic
def bulk_merge(*, actor: Actor, item_ids: Iterable[int], target_id: int | None) -> PoolItem:
    """Merge every item into ``target_id`` (leaving the target out of the ids if it is
    there, so "select all duplicates and the original, merge into the original" works).
    Returns the target."""
    if target_id is None:
        raise InvalidInput(_("Choose the item to merge into."), field="merge_into_id", code="target_required")
    target_id = int(target_id)
    ids = [i for i in _ids(item_ids) if i != target_id]
    if not ids:  # only the target itself was selected
        target = _lock_item(actor, target_id)
        acl.require(actor, perms.TRIAGE, product_id=target.product_id)
        lifecycle.check_merge_target(target, target)
    locked = _lock_items(actor, [*ids, target_id])
    items, target = locked[:-1], locked[-1]
    _require_each(actor, perms.TRIAGE, locked)
    voices = 0
    for item in items:
        try:
            voices += _merge(actor, item, target)
        except DomainError as exc:
            raise _bulk_refusal(item, exc) from exc
    _add_voices(actor, target, voices, items)
    events.emit("pool.item_merged", item_ids=ids, target_id=target.pk, product_id=target.product_id)
    return target


# ---- links to requirements (called by the requirements app) -----------------------------
@transaction.atomic
def mark_linked(*, actor: Actor, item_ids: Iterable[int], requirement_id: int) -> list[PoolItem]:
    """Record that requirement ``requirement_id`` covers these items: new | triaged | linked
    → linked. Refuses (nothing changed) if any item is merged or declined. Linking an item
    already linked to this requirement changes nothing for it. Returns the items."""
    items = _lock_items(actor, _ids(item_ids))
    _require_each(actor, perms.LINK, items)
    for item in items:
        try:
            lifecycle.check_can_link(item)
        except DomainError as exc:
            raise _bulk_refusal(item, exc) from exc
    already = set(
        PoolLink.objects.filter(item__in=items, requirement_id=requirement_id).values_list(
            "item_id", flat=True
        )
    )
    changed = []
    for item in items:
        if item.pk in already:
            continue
        before = audit.snapshot(item)
        PoolLink.objects.create(item=item, requirement_id=requirement_id, created_by=actor.user)
        if item.status != Status.LINKED:
            item.status = lifecycle.target_status("link")
            _save(item, ["status"])
        audit.record(
            actor=actor, action="pool.item_linked", obj=item, before=before,
            note=_("linked to requirement %(r)s") % {"r": requirement_id},
        )  # fmt: skip
        changed.append(item.pk)
    if changed:
        events.emit(
            "pool.items_linked",
            item_ids=changed,
            requirement_id=requirement_id,
            product_id=items[0].product_id,
        )
    return items


@transaction.atomic
def mark_unlinked(*, actor: Actor, item_ids: Iterable[int], requirement_id: int) -> list[PoolItem]:
    """Requirement ``requirement_id`` no longer covers these items. An item whose last link
    goes returns to triaged; one still linked to another requirement stays linked. Refuses
    (nothing changed) if an item is not linked to that requirement."""
    items = _lock_items(actor, _ids(item_ids))
    _require_each(actor, perms.LINK, items)
    links = {
        link.item_id: link for link in PoolLink.objects.filter(item__in=items, requirement_id=requirement_id)
    }
    not_linked = [i.key for i in items if i.pk not in links]
    if not_linked:
        raise GuardFailed(
            _("Nothing was changed: %(items)s not linked to requirement %(r)s.")
            % {"items": ", ".join(not_linked), "r": requirement_id},
            code="not_linked",
            missing=not_linked,
        )
    for item in items:
        before = audit.snapshot(item)
        links[item.pk].delete()
        if item.status == Status.LINKED and not PoolLink.objects.filter(item=item).exists():
            item.status = lifecycle.target_status("unlink")
            _save(item, ["status"])
        audit.record(
            actor=actor, action="pool.item_unlinked", obj=item, before=before,
            note=_("unlinked from requirement %(r)s") % {"r": requirement_id},
        )  # fmt: skip
    events.emit(
        "pool.items_unlinked", item_ids=[i.pk for i in items], requirement_id=requirement_id,
        product_id=items[0].product_id,
    )  # fmt: skip
    return items


# ---- sources (site admins) ---------------------------------------------------------------
def _label(value: str | None, field_name: str) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise InvalidInput(_("A label is required."), field=field_name)
    if len(value) > 60:
        raise InvalidInput(_("A label may have at most 60 characters."), field=field_name)
    return value


@transaction.atomic
def create_source(
    *, actor: Actor, code: str, label_en: str, label_zh: str, position: int | None = None
) -> PoolSource:
    acl.require(actor, perms.MANAGE_SOURCES)
    code = (code or "").strip().lower()
    if not code or len(code) > 40 or not all(c.isascii() and (c.isalnum() or c in "_-") for c in code):
        raise InvalidInput(
            _("A source code is 1–40 lower-case letters, digits, '-' or '_' (e.g. trade_show)."), field="code"
        )
    if PoolSource.objects.filter(code=code).exists():
        raise InvalidInput(_("The source code '%(c)s' is taken.") % {"c": code}, field="code")
    if position is None:
        position = (PoolSource.objects.aggregate(m=Max("position"))["m"] or 0) + 1
    elif position < 0:
        raise InvalidInput(_("Position must be 0 or more."), field="position")
    source = PoolSource.objects.create(
        code=code, label_en=_label(label_en, "label_en"), label_zh=_label(label_zh, "label_zh"),
        position=position, builtin=False, active=True,
    )  # fmt: skip
    audit.record(actor=actor, action="pool.source_created", obj=source)
    return source


@transaction.atomic
def update_source(
    *,
    actor: Actor,
    source_id: int,
    label_en: str | None = None,
    label_zh: str | None = None,
    position: int | None = None,
    active: bool | None = None,
) -> PoolSource:
    """Relabel, reorder, deactivate or reactivate a source. A deactivated source stays on
    the items that have it but cannot be chosen for new ones."""
    acl.require(actor, perms.MANAGE_SOURCES)
    source = PoolSource.objects.select_for_update().filter(pk=source_id).first()
    if source is None:
        raise NotFound(_("No such source."), code="source_not_found")
    before = audit.snapshot(source)
    if label_en is not None:
        source.label_en = _label(label_en, "label_en")
    if label_zh is not None:
        source.label_zh = _label(label_zh, "label_zh")
    if position is not None:
        if position < 0:
            raise InvalidInput(_("Position must be 0 or more."), field="position")
        source.position = position
    if active is not None:
        if not active and source.active and PoolSource.objects.filter(active=True).count() <= 1:
            raise GuardFailed(
                _("At least one source must stay active, or nobody could file feedback."),
                code="last_active_source",
            )
        source.active = active
    if audit.snapshot(source) == before:
        return source
    source.save(update_fields=["label_en", "label_zh", "position", "active"])
    action = "pool.source_updated"
    if before["active"] != source.active:
        action = "pool.source_activated" if source.active else "pool.source_deactivated"
    audit.record(actor=actor, action=action, obj=source, before=before)
    return source


@transaction.atomic
def set_source_active(*, actor: Actor, source_id: int, active: bool) -> PoolSource:
    """Offer a source again, or stop offering it; refused when it already is so."""
    acl.require(actor, perms.MANAGE_SOURCES)
    source = PoolSource.objects.select_for_update().filter(pk=source_id).first()
    if source is None:
        raise NotFound(_("No such source."), code="source_not_found")
    if source.active == active:
        message = (
            _("The source “%(s)s” is already offered.")
            if active
            else _("The source “%(s)s” is already retired.")
        )
        raise GuardFailed(message % {"s": source.label}, code="no_change")
    return update_source(actor=actor, source_id=source_id, active=active)


# ---- import ------------------------------------------------------------------------------
@dataclass
class RowError:
    line: int
    field: str | None
    message: str


@dataclass
class ImportResult:
    dry_run: bool
    created: list[PoolItem] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@transaction.atomic
def import_items(
    *, actor: Actor, product_id: int, rows: Iterable[dict[str, Any]], dry_run: bool = False
) -> ImportResult:
    """Create one item per row, in one transaction: every row is tried (each in its own
    savepoint, so one bad row does not hide the next), and if any row is bad nothing is
    written and InvalidInput lists every bad row by its ``line``. ``dry_run`` runs the same
    calls and rolls everything back.

    A row has ``line`` (for messages) and the create_item arguments; ``customer`` and
    ``module`` may be given by name (a module also by path 'Parent/Child')."""
    product = _product(actor, product_id)
    acl.require(actor, perms.CREATE, product_id=product.pk)
    result = ImportResult(dry_run=dry_run)
    for index, row in enumerate(rows, start=1):
        line = int(row.get("line") or index)
        try:
            with transaction.atomic():
                args = _import_args(actor, product, row)
                result.created.append(create_item(actor=actor, product_id=product.pk, **args))
        except DomainError as exc:
            result.errors.append(RowError(line=line, field=exc.field, message=exc.message))
    if result.errors:
        first = result.errors[0]
        raise InvalidInput(
            _("%(n)s bad row(s); nothing was imported. Line %(line)s: %(msg)s")
            % {"n": len(result.errors), "line": first.line, "msg": first.message},
            code="import_failed",
            field=first.field,
            missing=[{"line": e.line, "field": e.field, "message": e.message} for e in result.errors],
        )
    if not result.created:
        raise InvalidInput(_("The file has no rows to import."), code="import_empty")
    if dry_run:
        transaction.set_rollback(True)
    return result


def _import_args(actor: Actor, product: Product, row: dict[str, Any]) -> dict[str, Any]:
    def cell(name: str) -> str:
        value = row.get(name)
        return "" if value is None else str(value).strip()

    args: dict[str, Any] = {"text": cell("text"), "title": cell("title"), "tags": cell("tags") or None}
    if cell("source"):
        args["source"] = cell("source")
    if cell("importance"):
        args["importance"] = _importance_ref(cell("importance"))
    if cell("customer"):
        args["customer_id"] = _customer_ref(product, cell("customer"))
    if cell("module"):
        args["module_id"] = selectors.resolve_module(actor=actor, product_id=product.pk, ref=cell("module"))
    return args


_IMPORTANCE_WORDS = {
    "紧急": Importance.CRITICAL,
    "高": Importance.HIGH,
    "中": Importance.MEDIUM,
    "低": Importance.LOW,
}


def _importance_ref(value: str) -> str:
    return _IMPORTANCE_WORDS.get(value, value.lower())


def _customer_ref(product: Product, ref: str) -> int:
    customer = Customer.objects.filter(product=product, name__iexact=ref).first()
    if customer is None and ref.isdigit():
        customer = Customer.objects.filter(product=product, pk=int(ref)).first()
    if customer is None:
        raise InvalidInput(
            _("This product has no customer named '%(c)s'; add the customer first.") % {"c": ref},
            field="customer",
        )
    return customer.pk
