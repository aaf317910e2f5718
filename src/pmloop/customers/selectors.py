from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from pmloop.accounts import permissions as acl
from pmloop.core.actor import Actor
from pmloop.core.errors import NotFound, PermissionDenied
from pmloop.customers.models import Contact, Customer


def _visible(actor: Actor) -> QuerySet[Customer]:
    if not actor.is_authenticated:
        raise PermissionDenied(_("Log in first."), code="unauthenticated")
    return acl.visible_to(actor, Customer.objects.all())


def list_customers(
    *,
    actor: Actor,
    product_id: int | None = None,
    q: str = "",
    industry: str | None = None,
    tier: str | None = None,
    owner_id: int | None = None,
    include_archived: bool = False,
) -> QuerySet[Customer]:
    """Customers the actor may see, with owner and product loaded and a contact count."""
    qs = _visible(actor).select_related("owner", "product").annotate(contact_count=Count("contacts"))
    if product_id is not None:
        qs = qs.filter(product_id=product_id)
    if not include_archived:
        qs = qs.filter(archived=False)
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(name__icontains=q) | Q(notes__icontains=q) | Q(contacts__name__icontains=q)
        ).distinct()
    if industry:
        qs = qs.filter(industry=industry)
    if tier:
        qs = qs.filter(tier=tier)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    return qs.order_by("name", "id")


def get_customer(*, actor: Actor, customer_id: int) -> Customer:
    customer = (
        _visible(actor)
        .select_related("owner", "product")
        .prefetch_related("contacts")
        .filter(pk=customer_id)
        .first()
    )
    if customer is None:
        raise NotFound(_("No such customer."), code="customer_not_found")
    return customer


def find_customer(*, actor: Actor, product_id: int, name: str) -> Customer:
    """A customer of a product by name (case-insensitive), for the CLI and importers."""
    customer = _visible(actor).filter(product_id=product_id, name__iexact=(name or "").strip()).first()
    if customer is None:
        raise NotFound(
            _("This product has no customer named '%(n)s'.") % {"n": name}, code="customer_not_found"
        )
    return customer


def list_contacts(*, actor: Actor, customer_id: int) -> QuerySet[Contact]:
    customer = get_customer(actor=actor, customer_id=customer_id)
    return Contact.objects.filter(customer_id=customer.pk).order_by("name", "id")


def get_contact(*, actor: Actor, contact_id: int) -> Contact:
    contact = Contact.objects.select_related("customer").filter(pk=contact_id).first()
    if contact is None or not acl.can_see(actor, contact.customer.product_id):
        raise NotFound(_("No such contact."), code="contact_not_found")
    return contact
