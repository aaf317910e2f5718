"""Product pages: list, create, home, settings, members and the module tree (htmx).

Each view parses, calls one service or selector, and renders. A service's refusal
(DomainError) is shown on the form or next to the module it concerns, with the status the
API would give (403, 404, 409, 422); htmx swaps those responses in too (see base.html)."""

from __future__ import annotations

from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pmloop.accounts import permissions as acl
from pmloop.accounts import selectors as account_selectors
from pmloop.accounts import services as account_services
from pmloop.accounts.roles import Role
from pmloop.audit import selectors as audit_selectors
from pmloop.audit.views import describe
from pmloop.core.errors import DomainError
from pmloop.core.http import actor_of
from pmloop.core.pagination import paginate
from pmloop.products import permissions as perms
from pmloop.products import selectors, services
from pmloop.products.forms import (
    ArchiveForm,
    MemberAddForm,
    MemberRoleForm,
    ModuleAddForm,
    ModuleMoveForm,
    ModuleRenameForm,
    ProductCreateForm,
    ProductSettingsForm,
    VersionForm,
)

RECENT_ACTIVITY = 6


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", 1)))
    except ValueError:
        return 1


def _product_context(request, product) -> dict:
    """What every page of one product shows in its header and tabs."""
    actor = actor_of(request)
    return {
        "product": product,
        "can_edit": acl.can(actor, perms.EDIT, product_id=product.pk),
        "can_archive": acl.can(actor, perms.ARCHIVE, product_id=product.pk),
        "can_edit_modules": acl.can(actor, perms.EDIT_MODULES, product_id=product.pk),
        "can_manage_members": acl.can(actor, acl.MANAGE_MEMBERS, product_id=product.pk),
    }


# ---- products ----------------------------------------------------------------------------
@login_required
def product_list(request):
    q = request.GET.get("q", "").strip()[:100]
    archived = request.GET.get("archived") == "1"
    qs = selectors.list_products(actor=actor_of(request), include_archived=archived, q=q)
    page = paginate(qs, page=_page_number(request), page_size=50)
    stats = selectors.product_stats(actor=actor_of(request), product_ids=[p.pk for p in page.items])
    rows = [{"product": p, "modules": stats.get(p.pk, {}).get("modules", 0)} for p in page.items]
    return render(request, "products/list.html", {"rows": rows, "page": page, "q": q, "archived": archived})


@login_required
def product_create(request):
    form = ProductCreateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                product = services.create_product(actor=actor_of(request), **form.cleaned_data)
            except DomainError as exc:
                form.add_domain_error(exc)
                status = exc.status
            else:
                messages.success(
                    request,
                    _("Product “%(name)s” is created and you are its owner. Next: lay out its modules.")
                    % {"name": product.name},
                )
                return redirect("products:modules", product_id=product.pk)
        else:
            status = 422
    return render(request, "products/create.html", {"form": form}, status=status)


@login_required
def product_detail(request, product_id: int):
    actor = actor_of(request)
    product = selectors.get_product(actor=actor, product_id=product_id)
    stats = selectors.product_stats(actor=actor, product_ids=[product.pk]).get(product.pk, {})
    members = account_selectors.list_members(actor=actor, product_id=product.pk).count()
    recent = [
        describe(e)
        for e in audit_selectors.list_entries(actor=actor, product_id=product.pk)[:RECENT_ACTIVITY]
    ]
    context = _product_context(request, product)
    context.update({"modules": stats.get("modules", 0), "members": members, "recent": recent, "tab": "home"})
    return render(request, "products/detail.html", context)


def _owners(actor, product_id: int) -> list:
    return [
        m.user
        for m in account_selectors.list_members(actor=actor, product_id=product_id)
        if m.role == Role.OWNER
    ]


def _settings_page(request, product, form, status=200):
    context = _product_context(request, product)
    if not context["can_edit"]:  # readable, visibly not editable (the service refuses anyway)
        for field in form.fields.values():
            field.widget.attrs["disabled"] = True
    context.update(
        {"form": form, "archive_form": ArchiveForm(initial={"version": product.version}), "tab": "settings"}
    )
    return render(request, "products/settings.html", context, status=status)


@login_required
def product_settings(request, product_id: int):
    actor = actor_of(request)
    product = selectors.get_product(actor=actor, product_id=product_id)
    owners = _owners(actor, product.pk)
    if request.method != "POST":
        form = ProductSettingsForm(
            owners=owners,
            initial={
                "version": product.version,
                "name": product.name,
                "description": product.description,
                "review_rule": product.review_rule,
                "owner_id": product.owner_id,
            },
        )
        return _settings_page(request, product, form)
    form = ProductSettingsForm(request.POST, owners=owners)
    if not form.is_valid():
        return _settings_page(request, product, form, status=422)
    data = dict(form.cleaned_data)
    version = data.pop("version")
    # Send what the user changed, so saving an untouched form writes no empty log entry.
    changes = {k: v for k, v in data.items() if v is not None and v != getattr(product, k)}
    try:
        services.update_product(actor=actor, product_id=product.pk, expected_version=version, **changes)
    except DomainError as exc:
        form.add_domain_error(exc)
        return _settings_page(request, product, form, status=exc.status)
    messages.success(request, _("Product settings are saved."))
    return redirect("products:settings", product_id=product.pk)


@login_required
@require_POST
def product_archive(request, product_id: int):
    actor = actor_of(request)
    product = selectors.get_product(actor=actor, product_id=product_id)
    form = ArchiveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Reload the page and try again."))
        return redirect("products:settings", product_id=product.pk)
    archived = form.cleaned_data["archived"]
    try:
        services.set_product_archived(
            actor=actor,
            product_id=product.pk,
            expected_version=form.cleaned_data["version"],
            archived=archived,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if archived:
            messages.success(request, _("The product is archived: it is hidden from lists until restored."))
        else:
            messages.success(request, _("The product is restored."))
    return redirect("products:settings", product_id=product.pk)


# ---- members -----------------------------------------------------------------------------
def _members_page(request, product, form, status=200):
    actor = actor_of(request)
    members = list(account_selectors.list_members(actor=actor, product_id=product.pk))
    context = _product_context(request, product)
    context.update({"members": members, "form": form, "tab": "members", "role_form": MemberRoleForm()})
    return render(request, "products/members.html", context, status=status)


def _candidates(actor, product_id: int) -> list:
    if not acl.can(actor, acl.MANAGE_MEMBERS, product_id=product_id):
        return []
    taken = {m.user_id for m in account_selectors.list_members(actor=actor, product_id=product_id)}
    return [u for u in account_selectors.list_users(actor=actor) if u.is_active and u.pk not in taken]


@login_required
def members(request, product_id: int):
    actor = actor_of(request)
    product = selectors.get_product(actor=actor, product_id=product_id)
    candidates = _candidates(actor, product.pk)
    if request.method != "POST":
        return _members_page(request, product, MemberAddForm(candidates=candidates))
    form = MemberAddForm(request.POST, candidates=candidates)
    if not form.is_valid():
        return _members_page(request, product, form, status=422)
    try:
        membership = account_services.add_member(actor=actor, product_id=product.pk, **form.cleaned_data)
    except DomainError as exc:
        form.add_domain_error(exc)
        return _members_page(request, product, form, status=exc.status)
    messages.success(
        request,
        _("%(user)s is now a member with the role %(role)s.")
        % {"user": membership.user, "role": membership.get_role_display()},
    )
    return redirect("products:members", product_id=product.pk)


@login_required
@require_POST
def member_role(request, product_id: int, user_id: int):
    actor = actor_of(request)
    product = selectors.get_product(actor=actor, product_id=product_id)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        return _members_page(request, product, MemberAddForm(candidates=_candidates(actor, product.pk)), 422)
    try:
        membership = account_services.change_member_role(
            actor=actor, product_id=product.pk, user_id=user_id, role=form.cleaned_data["role"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return _members_page(
            request, product, MemberAddForm(candidates=_candidates(actor, product.pk)), exc.status
        )
    messages.success(
        request,
        _("%(user)s now has the role %(role)s.")
        % {"user": membership.user, "role": membership.get_role_display()},
    )
    return redirect("products:members", product_id=product.pk)


@login_required
@require_POST
def member_remove(request, product_id: int, user_id: int):
    actor = actor_of(request)
    product = selectors.get_product(actor=actor, product_id=product_id)
    try:
        account_services.remove_member(actor=actor, product_id=product.pk, user_id=user_id)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _members_page(
            request, product, MemberAddForm(candidates=_candidates(actor, product.pk)), exc.status
        )
    messages.success(request, _("The member is removed from this product."))
    return redirect("products:members", product_id=product.pk)


# ---- module tree -------------------------------------------------------------------------
def _subtree_ids(node) -> set[int]:
    ids = {node.module.pk}
    for child in node.children:
        ids |= _subtree_ids(child)
    return ids


def _options(nodes) -> list[SimpleNamespace]:
    """Flattened nodes for a <select>, with ``indent`` to loop over for the depth."""
    return [SimpleNamespace(module=n.module, depth=n.depth, indent=range(n.depth)) for n in nodes]


def _tree_context(request, product, **extra) -> dict:
    tree = selectors.module_tree(actor=actor_of(request), product_id=product.pk)
    context = _product_context(request, product)
    context.update(
        {
            "tree": tree,
            "flat": _options(selectors.flatten(tree)),
            "tab": "modules",
            "error": None,
            "notice": "",
            "focus": "",
            "add_values": {},
        }
    )
    context.update(extra)
    # The top form keeps what was typed after a refusal, and the parent after a success.
    error = context["error"] or {}
    values = error.get("values", {}) if error.get("action") == "add" else context["add_values"]
    context["add_name"] = values.get("name", "") if error else ""
    context["add_parent"] = str(values.get("parent_id") or "")
    return context


def _tree_response(request, product, *, status=200, **extra):
    context = _tree_context(request, product, **extra)
    template = "products/_module_tree.html" if request.htmx else "products/modules.html"
    return render(request, template, context, status=status)


def _tree_done(request, product, module_id, notice: str, focus: str = "", **extra):
    """Success: htmx gets the fresh tree with a notice; a plain form post is redirected."""
    if request.htmx:
        return _tree_response(request, product, notice=notice, focus=focus or "tree-notice", **extra)
    messages.success(request, notice)
    url = reverse("products:modules", kwargs={"product_id": product.pk})
    return redirect(f"{url}#module-{module_id}" if module_id else url)


def _tree_refused(request, product, *, module_id, action, message, status, values=None):
    error = {"module_id": module_id, "action": action, "message": message, "values": values or {}}
    # Back to the field to correct, or to the message next to the node.
    fields = {"rename": f"rename-{module_id}", "add_child": f"child-{module_id}", "add": "add-name"}
    focus = fields.get(action, f"error-{module_id}")
    return _tree_response(request, product, status=status, error=error, focus=focus)


def _form_message(form) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return _("Check the form and try again.")


def _module_in_product(request, product_id: int, module_id: int):
    actor = actor_of(request)
    product = selectors.get_product(actor=actor, product_id=product_id)
    module = selectors.get_module(actor=actor, module_id=module_id)
    if module.product_id != product.pk:
        raise Http404
    return product, module


@login_required
def modules(request, product_id: int):
    product = selectors.get_product(actor=actor_of(request), product_id=product_id)
    return _tree_response(request, product)


@login_required
@require_POST
def module_add(request, product_id: int):
    product = selectors.get_product(actor=actor_of(request), product_id=product_id)
    form = ModuleAddForm(request.POST)
    parent_raw = request.POST.get("parent_id", "")
    # An "add sub-module" form under a node shows its refusal at that node.
    at_node = request.POST.get("at") == "node" and parent_raw.isdigit()
    where = int(parent_raw) if at_node else None
    action = "add_child" if at_node else "add"
    values = {"name": request.POST.get("name", ""), "parent_id": parent_raw}
    if not form.is_valid():
        return _tree_refused(
            request, product, module_id=where, action=action, message=_form_message(form), status=422,
            values=values,
        )  # fmt: skip
    try:
        module = services.create_module(actor=actor_of(request), product_id=product.pk, **form.cleaned_data)
    except DomainError as exc:
        return _tree_refused(
            request, product, module_id=where, action=action, message=exc.message, status=exc.status,
            values=values,
        )  # fmt: skip
    notice = _("Module “%(name)s” is added.") % {"name": module.name}
    if at_node:
        return _tree_done(request, product, module.pk, notice, focus=f"module-{module.pk}")
    # From the top form: keep the parent and the focus there, to type the next sibling.
    return _tree_done(request, product, module.pk, notice, focus="add-name", add_values=values)


@login_required
@require_POST
def module_rename(request, product_id: int, module_id: int):
    product, module = _module_in_product(request, product_id, module_id)
    form = ModuleRenameForm(request.POST)
    values = {"name": request.POST.get("name", "")}
    if not form.is_valid():
        return _tree_refused(
            request, product, module_id=module.pk, action="rename", message=_form_message(form), status=422,
            values=values,
        )  # fmt: skip
    try:
        module = services.update_module(
            actor=actor_of(request), module_id=module.pk, expected_version=form.cleaned_data["version"],
            name=form.cleaned_data["name"],
        )  # fmt: skip
    except DomainError as exc:
        return _tree_refused(
            request, product, module_id=module.pk, action="rename", message=exc.message, status=exc.status,
            values=values,
        )  # fmt: skip
    return _tree_done(
        request, product, module.pk, _("Module renamed to “%(name)s”.") % {"name": module.name},
        focus=f"module-{module.pk}",
    )  # fmt: skip


def _move_choices(request, product, module):
    """Parents the module may move under: every module but itself and its own subtree."""
    tree = selectors.module_tree(actor=actor_of(request), product_id=product.pk)
    flat = selectors.flatten(tree)
    node = next(n for n in flat if n.module.pk == module.pk)
    excluded = _subtree_ids(node)
    return _options([n for n in flat if n.module.pk not in excluded])


@login_required
def module_move(request, product_id: int, module_id: int):
    product, module = _module_in_product(request, product_id, module_id)
    if request.method != "POST":
        context = _product_context(request, product)
        context.update(
            {"module": module, "parents": _move_choices(request, product, module), "tab": "modules"}
        )
        template = "products/_module_move_form.html" if request.htmx else "products/module_move.html"
        return render(request, template, context)
    form = ModuleMoveForm(request.POST)
    direction = request.POST.get("direction", "")
    action = direction if direction in {"up", "down"} else "move"
    if not form.is_valid():
        return _tree_refused(
            request, product, module_id=module.pk, action=action, message=_form_message(form), status=422
        )
    position = form.cleaned_data["position"]
    try:
        module = services.move_module(
            actor=actor_of(request),
            module_id=module.pk,
            expected_version=form.cleaned_data["version"],
            parent_id=form.cleaned_data["parent_id"],
            position=None if position is None else position - 1,
        )
    except DomainError as exc:
        return _tree_refused(
            request, product, module_id=module.pk, action=action, message=exc.message, status=exc.status
        )
    focus = f"{action}-{module.pk}" if action in {"up", "down"} else f"module-{module.pk}"
    return _tree_done(
        request, product, module.pk, _("Module “%(name)s” is moved.") % {"name": module.name}, focus=focus
    )


@login_required
@require_POST
def module_delete(request, product_id: int, module_id: int):
    product, module = _module_in_product(request, product_id, module_id)
    form = VersionForm(request.POST)
    if not form.is_valid():
        return _tree_refused(
            request, product, module_id=module.pk, action="delete", message=_form_message(form), status=422
        )
    name = module.name
    try:
        services.delete_module(
            actor=actor_of(request), module_id=module.pk, expected_version=form.cleaned_data["version"]
        )
    except DomainError as exc:
        message = exc.message
        if exc.missing:
            message = f"{message} ({', '.join(str(m) for m in exc.missing)})"
        return _tree_refused(
            request, product, module_id=module.pk, action="delete", message=message, status=exc.status
        )
    return _tree_done(request, product, None, _("Module “%(name)s” is deleted.") % {"name": name})
