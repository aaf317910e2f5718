"""Customer pages: list, add, detail (with contacts and what the customer asked), edit.

Each view parses, calls one service or selector, and renders; a service's refusal is shown
on the form with the status the API would give. The sections of the detail page that
belong to higher apps (the pool items the customer filed, the requirements promised) come
from ``customers.panels``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from pmloop.accounts import permissions as acl
from pmloop.accounts import selectors as account_selectors
from pmloop.audit import selectors as audit_selectors
from pmloop.audit.views import describe
from pmloop.core.errors import DomainError, NotFound
from pmloop.core.http import actor_of
from pmloop.core.pagination import paginate
from pmloop.customers import panels, selectors, services
from pmloop.customers import permissions as perms
from pmloop.customers.forms import ContactForm, CustomerFilterForm, CustomerForm, VersionForm
from pmloop.products import selectors as product_selectors

PAGE_SIZE = 50
HISTORY = 20

ACTION_LABELS = {
    "customers.created": gettext_lazy("Customer added"),
    "customers.updated": gettext_lazy("Customer changed"),
    "customers.archived": gettext_lazy("Customer archived"),
    "customers.restored": gettext_lazy("Customer restored"),
    "customers.contact_added": gettext_lazy("Contact added"),
    "customers.contact_updated": gettext_lazy("Contact changed"),
    "customers.contact_removed": gettext_lazy("Contact removed"),
}


def page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", 1)))
    except ValueError:
        return 1


def current_product(request):
    """The product a product-scoped page works on: ``?product=`` or the one remembered by
    the shell, else the only product the user has; None when the user must choose."""
    actor = actor_of(request)
    pid = getattr(request, "current_product_id", None)
    if pid:
        try:
            return product_selectors.get_product(actor=actor, product_id=pid)
        except NotFound:
            pass
    products = list(product_selectors.list_products(actor=actor)[:2])
    return products[0] if len(products) == 1 else None


def choose_product(request, title: str, target: str):
    """Ask which product first (the user has several and none is current)."""
    products = product_selectors.list_products(actor=actor_of(request))
    return render(
        request, "customers/choose_product.html", {"products": products, "title": title, "target": target}
    )


def _owners(actor, product_id: int) -> list:
    return [m.user for m in account_selectors.list_members(actor=actor, product_id=product_id)]


def _history(actor, obj) -> list[dict]:
    rows = [describe(e) for e in audit_selectors.history(actor=actor, obj=obj)[:HISTORY]]
    for row in rows:
        row["action_label"] = ACTION_LABELS.get(row["entry"].action, row["action_label"])
    return rows


# ---- customers ---------------------------------------------------------------------------
@login_required
def customer_list(request):
    actor = actor_of(request)
    product = current_product(request)
    if product is None:
        return choose_product(request, _("Customers"), "customers:list")
    form = CustomerFilterForm(request.GET or None, owners=_owners(actor, product.pk))
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    qs = selectors.list_customers(
        actor=actor,
        product_id=product.pk,
        q=data.get("q") or "",
        industry=data.get("industry") or None,
        tier=data.get("tier") or None,
        owner_id=data.get("owner_id"),
        include_archived=bool(data.get("archived")),
    )
    page = paginate(qs, page=page_number(request), page_size=PAGE_SIZE)
    filtered = any(data.get(k) for k in ("q", "industry", "tier", "owner_id", "archived"))
    return render(
        request,
        "customers/list.html",
        {
            "product": product,
            "form": form,
            "page": page,
            "filtered": filtered,
            "can_edit": acl.can(actor, perms.EDIT, product_id=product.pk),
        },
        status=422 if form.is_bound and not form.is_valid() else 200,
    )


@login_required
def customer_create(request):
    actor = actor_of(request)
    product = current_product(request)
    if product is None:
        return choose_product(request, _("Add a customer"), "customers:create")
    owners = _owners(actor, product.pk)
    form = CustomerForm(request.POST or None, owners=owners, initial={"owner_id": actor.user_id})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            data.pop("version", None)
            try:
                customer = services.create_customer(actor=actor, product_id=product.pk, **data)
            except DomainError as exc:
                form.add_domain_error(exc)
                status = exc.status
            else:
                messages.success(
                    request,
                    _("Customer “%(name)s” added. Next: add a contact, or file what they asked in the pool.")
                    % {"name": customer.name},
                )
                return redirect("customers:detail", customer_id=customer.pk)
        else:
            status = 422
    return render(request, "customers/form.html", {"form": form, "product": product}, status=status)


def _panels(request, actor, customer, slot: str) -> list[str]:
    return [
        render_to_string(p.template, {"customer": customer, **p.context(actor, customer)}, request=request)
        for p in panels.panels_for(slot)
    ]


@login_required
def customer_detail(request, customer_id: int, contact_form=None, status: int = 200):
    actor = actor_of(request)
    customer = selectors.get_customer(actor=actor, customer_id=customer_id)
    can_edit = acl.can(actor, perms.EDIT, product_id=customer.product_id)
    context = {
        "customer": customer,
        "product": customer.product,
        "contacts": list(customer.contacts.all()),
        "can_edit": can_edit,
        "contact_form": contact_form or ContactForm(),
        "archive_form": VersionForm(initial={"version": customer.version}),
        "asks_panels": _panels(request, actor, customer, "asks"),
        "requirement_panels": _panels(request, actor, customer, "requirements"),
        "history": _history(actor, customer),
    }
    return render(request, "customers/detail.html", context, status=status)


@login_required
def customer_edit(request, customer_id: int):
    actor = actor_of(request)
    customer = selectors.get_customer(actor=actor, customer_id=customer_id)
    owners = _owners(actor, customer.product_id)
    initial = {
        "name": customer.name, "industry": customer.industry, "tier": customer.tier,
        "weight": customer.weight, "owner_id": customer.owner_id, "notes": customer.notes,
        "version": customer.version,
    }  # fmt: skip
    form = CustomerForm(request.POST or None, owners=owners, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            if data.get("weight") is None:
                data.pop("weight")
            try:
                services.update_customer(
                    actor=actor, customer_id=customer.pk, expected_version=version, **data
                )
            except DomainError as exc:
                form.add_domain_error(exc)
                status = exc.status
            else:
                messages.success(request, _("Saved."))
                return redirect("customers:detail", customer_id=customer.pk)
        else:
            status = 422
    return render(
        request,
        "customers/form.html",
        {"form": form, "product": customer.product, "customer": customer},
        status=status,
    )


@login_required
@require_POST
def customer_archive(request, customer_id: int):
    actor = actor_of(request)
    customer = selectors.get_customer(actor=actor, customer_id=customer_id)
    form = VersionForm(request.POST)
    archived = request.POST.get("restore") != "1"
    if not form.is_valid():
        messages.error(request, _("Reload the page and try again."))
        return redirect("customers:detail", customer_id=customer.pk)
    try:
        services.archive_customer(
            actor=actor, customer_id=customer.pk, expected_version=form.cleaned_data["version"],
            archived=archived,
        )  # fmt: skip
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Customer archived.") if archived else _("Customer restored."))
    return redirect("customers:detail", customer_id=customer.pk)


# ---- contacts ----------------------------------------------------------------------------
@login_required
@require_POST
def contact_add(request, customer_id: int):
    actor = actor_of(request)
    form = ContactForm(request.POST)
    if not form.is_valid():
        return customer_detail(request, customer_id, contact_form=form, status=422)
    try:
        contact = services.add_contact(actor=actor, customer_id=customer_id, **form.cleaned_data)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        form.add_domain_error(exc)
        return customer_detail(request, customer_id, contact_form=form, status=exc.status)
    messages.success(request, _("Contact “%(name)s” added.") % {"name": contact.name})
    return redirect("customers:detail", customer_id=customer_id)


@login_required
def contact_edit(request, contact_id: int):
    actor = actor_of(request)
    contact = selectors.get_contact(actor=actor, contact_id=contact_id)
    initial = {f: getattr(contact, f) for f in ("name", "title", "email", "phone", "notes")}
    form = ContactForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.update_contact(actor=actor, contact_id=contact.pk, **form.cleaned_data)
            except DomainError as exc:
                form.add_domain_error(exc)
                status = exc.status
            else:
                messages.success(request, _("Saved."))
                return redirect("customers:detail", customer_id=contact.customer_id)
        else:
            status = 422
    return render(
        request,
        "customers/contact_form.html",
        {"form": form, "contact": contact, "customer": contact.customer},
        status=status,
    )


@login_required
@require_POST
def contact_remove(request, contact_id: int):
    actor = actor_of(request)
    contact = selectors.get_contact(actor=actor, contact_id=contact_id)
    try:
        services.remove_contact(actor=actor, contact_id=contact.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Contact “%(name)s” removed.") % {"name": contact.name})
    return redirect("customers:detail", customer_id=contact.customer_id)
