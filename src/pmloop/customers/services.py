"""Customers and their contacts. Every change: permission, checks, write, audit, event."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from pmloop.accounts import permissions as acl
from pmloop.accounts.models import Membership
from pmloop.audit import services as audit
from pmloop.core import events
from pmloop.core.actor import Actor
from pmloop.core.errors import GuardFailed, InvalidInput, NotFound
from pmloop.customers import permissions as perms
from pmloop.customers.choices import TIER_WEIGHT, WEIGHT_MAX, WEIGHT_MIN, Industry, Tier
from pmloop.customers.models import Contact, Customer
from pmloop.products.models import Product

NAME_MAX = 200
CONTACT_NAME_MAX = 100
TEXT_MAX = 20_000

# "Leave as it is" for arguments where None means "clear it" (owner_id).
KEEP: Any = object()


# ---- checks ------------------------------------------------------------------------------
def _clean_name(name: str | None, *, limit: int = NAME_MAX, field: str = "name") -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput(_("A name is required."), field=field)
    if len(name) > limit:
        raise InvalidInput(_("A name may have at most %(n)s characters.") % {"n": limit}, field=field)
    return name


def _clean_text(value: str | None, field: str, limit: int = TEXT_MAX) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise InvalidInput(
            _("'%(f)s' may have at most %(n)s characters.") % {"f": field, "n": limit}, field=field
        )
    return value


def _check_choice(value: str, choices: type, field: str) -> str:
    if value not in choices.values:
        raise InvalidInput(
            _("Unknown %(f)s '%(v)s'; use one of: %(all)s.")
            % {"f": field, "v": value, "all": ", ".join(choices.values)},
            field=field,
        )
    return value


def _check_weight(weight: Any) -> int:
    try:
        value = int(weight)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(_("The weight must be a whole number from 1 to 100."), field="weight") from exc
    if not WEIGHT_MIN <= value <= WEIGHT_MAX:
        raise InvalidInput(
            _("The weight must be from %(lo)s to %(hi)s (you gave %(v)s).")
            % {"lo": WEIGHT_MIN, "hi": WEIGHT_MAX, "v": value},
            field="weight",
        )
    return value


def _check_owner(product_id: int, owner_id: int | None) -> int | None:
    if owner_id is None:
        return None
    if not Membership.objects.filter(product_id=product_id, user_id=owner_id, user__is_active=True).exists():
        raise InvalidInput(
            _(
                "The customer's owner must be an active member of this product; add them to the product first."
            ),
            field="owner_id",
        )
    return owner_id


def _check_unique_name(product_id: int, name: str, exclude_id: int | None = None) -> None:
    clash = Customer.objects.filter(product_id=product_id, name__iexact=name)
    if exclude_id is not None:
        clash = clash.exclude(pk=exclude_id)
    if clash.exists():
        raise InvalidInput(
            _("This product already has a customer named '%(n)s'.") % {"n": name}, field="name"
        )


def _check_email(email: str) -> str:
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise InvalidInput(
                _("'%(e)s' is not an e-mail address (like name@example.com).") % {"e": email}, field="email"
            ) from exc
    return email


def _lock_customer(actor: Actor, customer_id: int) -> Customer:
    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
    if customer is None or not acl.can_see(actor, customer.product_id):
        raise NotFound(_("No such customer."), code="customer_not_found")
    return customer


def _lock_contact(actor: Actor, contact_id: int) -> Contact:
    contact = Contact.objects.select_for_update().select_related("customer").filter(pk=contact_id).first()
    if contact is None or not acl.can_see(actor, contact.customer.product_id):
        raise NotFound(_("No such contact."), code="contact_not_found")
    return contact


# ---- customers ---------------------------------------------------------------------------
@transaction.atomic
def create_customer(
    *,
    actor: Actor,
    product_id: int,
    name: str,
    industry: str = Industry.OTHER,
    tier: str = Tier.STANDARD,
    weight: int | None = None,
    owner_id: int | None = None,
    notes: str = "",
) -> Customer:
    """A new customer of a product. ``weight`` defaults from the tier (10/5/2/1)."""
    product = Product.objects.filter(pk=product_id).first()
    if product is None or not acl.can_see(actor, product.pk):
        raise NotFound(_("No such product, or you are not a member of it."), code="product_not_found")
    acl.require(actor, perms.EDIT, product_id=product.pk)
    name = _clean_name(name)
    industry = _check_choice(industry or Industry.OTHER, Industry, "industry")
    tier = _check_choice(tier or Tier.STANDARD, Tier, "tier")
    weight = TIER_WEIGHT[tier] if weight is None else _check_weight(weight)
    owner_id = _check_owner(product.pk, owner_id)
    notes = _clean_text(notes, "notes")
    _check_unique_name(product.pk, name)
    customer = Customer.objects.create(
        product=product,
        name=name,
        industry=industry,
        tier=tier,
        weight=weight,
        owner_id=owner_id,
        notes=notes,
    )
    audit.record(actor=actor, action="customers.created", obj=customer)
    events.emit("customers.created", customer_id=customer.pk, product_id=product.pk)
    return customer


@transaction.atomic
def update_customer(
    *,
    actor: Actor,
    customer_id: int,
    expected_version: int | None,
    name: str | None = None,
    industry: str | None = None,
    tier: str | None = None,
    weight: int | None = None,
    owner_id: Any = KEEP,
    notes: str | None = None,
) -> Customer:
    """Change a customer. When the tier changes and the weight was the old tier's default
    (not overridden) and no weight is given, the weight follows the new tier.
    ``owner_id=None`` clears the owner; leave it out to keep it."""
    customer = _lock_customer(actor, customer_id)
    acl.require(actor, perms.EDIT, product_id=customer.product_id)
    customer.ensure_version(expected_version)
    before = audit.snapshot(customer)
    if name is not None:
        customer.name = _clean_name(name)
        _check_unique_name(customer.product_id, customer.name, exclude_id=customer.pk)
    if industry is not None:
        customer.industry = _check_choice(industry, Industry, "industry")
    if tier is not None:
        _check_choice(tier, Tier, "tier")
        if weight is None and customer.weight == customer.default_weight:
            customer.weight = TIER_WEIGHT[tier]
        customer.tier = tier
    if weight is not None:
        customer.weight = _check_weight(weight)
    if owner_id is not KEEP:
        customer.owner_id = _check_owner(customer.product_id, owner_id)
    if notes is not None:
        customer.notes = _clean_text(notes, "notes")
    after = audit.snapshot(customer)
    if after == before:
        return customer
    customer.bump_version()
    customer.save(
        update_fields=["name", "industry", "tier", "weight", "owner", "notes", "version", "updated_at"]
    )
    audit.record(actor=actor, action="customers.updated", obj=customer, before=before)
    events.emit("customers.updated", customer_id=customer.pk, product_id=customer.product_id)
    return customer


@transaction.atomic
def archive_customer(
    *, actor: Actor, customer_id: int, expected_version: int | None, archived: bool = True
) -> Customer:
    """Archive (hide from pickers and lists) or restore a customer. Nothing is deleted:
    the pool items and requirements that name the customer keep pointing at it."""
    customer = _lock_customer(actor, customer_id)
    acl.require(actor, perms.EDIT, product_id=customer.product_id)
    customer.ensure_version(expected_version)
    if customer.archived == archived:
        raise GuardFailed(
            _("This customer is already archived.") if archived else _("This customer is not archived."),
            code="no_change",
        )
    before = audit.snapshot(customer)
    customer.archived = archived
    customer.bump_version()
    customer.save(update_fields=["archived", "version", "updated_at"])
    audit.record(
        actor=actor,
        action="customers.archived" if archived else "customers.restored",
        obj=customer,
        before=before,
    )
    return customer


# ---- contacts ----------------------------------------------------------------------------
@transaction.atomic
def add_contact(
    *,
    actor: Actor,
    customer_id: int,
    name: str,
    title: str = "",
    email: str = "",
    phone: str = "",
    notes: str = "",
) -> Contact:
    customer = _lock_customer(actor, customer_id)
    acl.require(actor, perms.EDIT, product_id=customer.product_id)
    contact = Contact(
        customer=customer,
        name=_clean_name(name, limit=CONTACT_NAME_MAX),
        title=_clean_text(title, "title", 100),
        email=_check_email(email),
        phone=_clean_text(phone, "phone", 50),
        notes=_clean_text(notes, "notes"),
    )
    contact.save()
    audit.record(actor=actor, action="customers.contact_added", obj=contact, product_id=customer.product_id)
    return contact


@transaction.atomic
def update_contact(
    *,
    actor: Actor,
    contact_id: int,
    name: str | None = None,
    title: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    notes: str | None = None,
) -> Contact:
    contact = _lock_contact(actor, contact_id)
    product_id = contact.customer.product_id
    acl.require(actor, perms.EDIT, product_id=product_id)
    before = audit.snapshot(contact)
    if name is not None:
        contact.name = _clean_name(name, limit=CONTACT_NAME_MAX)
    if title is not None:
        contact.title = _clean_text(title, "title", 100)
    if email is not None:
        contact.email = _check_email(email)
    if phone is not None:
        contact.phone = _clean_text(phone, "phone", 50)
    if notes is not None:
        contact.notes = _clean_text(notes, "notes")
    if audit.snapshot(contact) == before:
        return contact
    contact.save(update_fields=["name", "title", "email", "phone", "notes", "updated_at"])
    audit.record(
        actor=actor, action="customers.contact_updated", obj=contact, before=before, product_id=product_id
    )
    return contact


@transaction.atomic
def remove_contact(*, actor: Actor, contact_id: int) -> None:
    contact = _lock_contact(actor, contact_id)
    product_id = contact.customer.product_id
    acl.require(actor, perms.EDIT, product_id=product_id)
    before = audit.snapshot(contact)
    audit.record(
        actor=actor, action="customers.contact_removed", obj=contact, before=before, after={},
        product_id=product_id,
    )  # fmt: skip
    contact.delete()
