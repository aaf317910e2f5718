"""Requirement pages: the list per product, the PRD form (create, edit, from a pool item, change
request), the detail page with every lifecycle action, version diffs, the traceability matrix,
the product's requirement settings and "my work".

Each view parses, calls one service or selector, and renders. A service's refusal
(DomainError) is shown next to the form or action it concerns, with the status the API would
give (409, 422); a NotFound or PermissionDenied becomes the shell's 404 or 403 page (web
middleware). Nothing here writes through the ORM."""

from __future__ import annotations

import difflib
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import pydantic
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET, require_POST

from pmloop.accounts import permissions as acl
from pmloop.accounts import selectors as account_selectors
from pmloop.audit.views import describe
from pmloop.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from pmloop.core.http import actor_of
from pmloop.core.pagination import statuses_total
from pmloop.pool import selectors as pool_selectors
from pmloop.pool.choices import Status as PoolStatus
from pmloop.pool.schemas import PoolItemFilters
from pmloop.products import selectors as product_selectors
from pmloop.requirements import permissions as perms
from pmloop.requirements import selectors, services
from pmloop.requirements import spec as prd
from pmloop.requirements.choices import Category, ChangeStatus, Priority, Stage, Status
from pmloop.requirements.forms import (
    COLUMN_LABELS,
    SPEC_PREFIX,
    AttachmentForm,
    ChangeForm,
    CloseForm,
    LinkForm,
    PoolLinkForm,
    ReopenForm,
    RequirementForm,
    SettingsForm,
    StageForm,
    SubmitForm,
    VerdictForm,
    VerifyForm,
    VersionNoteForm,
    spec_initial,
)
from pmloop.requirements.schemas import RequirementFilters
from pmloop.reviews import selectors as review_selectors
from pmloop.reviews.choices import RoundKind, RoundStatus

OPEN_STATUSES = [Status.DRAFT, Status.REVIEWING, Status.ACTIVE, Status.CHANGING]
HISTORY_ROWS = 100
LOOKUP_ROWS = 15
POOL_SEARCH_ROWS = 20
MATRIX_PAGE = 100
TABS = ("asked", "reviews", "changes", "versions", "stages", "links", "files", "history")

# The six parts of the PRD template (seed 000 §5), each holding sections of spec.SECTIONS.
GROUPS = (
    ("1", gettext_lazy("Requirement overview"), ("summary",)),
    ("2", gettext_lazy("Background and sources"), ("background",)),
    ("3", gettext_lazy("Value description"), ("problem", "why_chain", "value")),
    ("4", gettext_lazy("Requirement detail"),
     ("goal", "scenarios", "functional_design", "tracking_design", "compatibility", "pricing", "performance")),
    ("5", gettext_lazy("Acceptance standard"), ("acceptance_criteria",)),
    ("6", gettext_lazy("Competitor analysis"), ("competitors",)),
)  # fmt: skip

SORT_LABELS = {
    "newest": gettext_lazy("Newest first"),
    "oldest": gettext_lazy("Oldest first"),
    "priority": gettext_lazy("Priority"),
    "voices": gettext_lazy("Most voices"),
    "updated": gettext_lazy("Recently updated"),
    "completeness": gettext_lazy("Least complete PRD"),
}

ACTION_LABELS: dict[str, Any] = {
    "requirements.created": gettext_lazy("Created"),
    "requirements.updated": gettext_lazy("Edited"),
    "requirements.submitted": gettext_lazy("Submitted for review"),
    "requirements.activated_without_review": gettext_lazy("Made active without review"),
    "requirements.withdrawn_from_review": gettext_lazy("Withdrawn from review"),
    "requirements.review_pass": gettext_lazy("Review passed"),
    "requirements.review_clarify": gettext_lazy("Review asked for clarification"),
    "requirements.review_reject": gettext_lazy("Review rejected it"),
    "requirements.review_revert": gettext_lazy("Review reverted the change"),
    "requirements.change_requested": gettext_lazy("Change requested"),
    "requirements.change_submitted": gettext_lazy("Change submitted for review"),
    "requirements.change_withdrawn": gettext_lazy("Change withdrawn"),
    "requirements.change_confirmed": gettext_lazy("Parent's change confirmed"),
    "requirements.stage_changed": gettext_lazy("Stage moved"),
    "requirements.closed": gettext_lazy("Closed"),
    "requirements.reopened": gettext_lazy("Reopened"),
    "requirements.pool_items_linked": gettext_lazy("Pool items linked"),
    "requirements.pool_item_unlinked": gettext_lazy("Pool item unlinked"),
}


# ---- small helpers -------------------------------------------------------------------------
def _url(name: str, **kwargs) -> str | None:
    """A URL that may not exist yet (the exports are written by another app file)."""
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


def _export_url(name: str, request, product_id: int) -> str | None:
    """A list export with the page's filters (the export views read ?product_id= and the
    same filter names from the query string)."""
    url = _url(name)
    if url is None:
        return None
    params = [("product_id", product_id)]
    params += [(k, v) for k, values in request.GET.lists() for v in values if k not in ("page", "product_id")]
    return f"{url}?{urlencode(params)}"


def _members(actor, product_id: int) -> list:
    return list(account_selectors.list_members(actor=actor, product_id=product_id))


def _reviewer_users(memberships) -> list:
    return [m.user for m in memberships if m.role in perms.REVIEWER_ROLES and m.user.is_active]


def _module_options(actor, product_id: int) -> list:
    return product_selectors.flatten(product_selectors.module_tree(actor=actor, product_id=product_id))


def _key_of(product, number: int) -> str:
    return f"{product.code}-{number}"


def _resolve_key(actor, product, raw: str, field: str) -> int | None:
    """'IMSDK-12', '12' (a number in this product) or '' → a requirement id (or None)."""
    raw = (raw or "").strip()
    if not raw:
        return None
    key = _key_of(product, int(raw.lstrip("#"))) if raw.lstrip("#").isdigit() else raw
    try:
        return selectors.get_by_key(actor=actor, key=key).pk
    except (NotFound, InvalidInput) as exc:
        raise InvalidInput(
            _("No requirement “%(k)s” that you can see; give a key like %(ex)s.")
            % {"k": raw, "ex": _key_of(product, 12)},
            field=field,
        ) from exc


def _product_context(request, product, tab: str) -> dict:
    actor = actor_of(request)
    # The shell's switcher shows this product (a requirement's URL carries no product_id).
    request.current_product_id = product.pk
    return {
        "product": product,
        "tab": tab,
        "can_create": acl.can(actor, perms.CREATE, product_id=product.pk),
        "can_settings": acl.can(actor, perms.SETTINGS, product_id=product.pk),
    }


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", 1)))
    except ValueError:
        return 1


# ---- filters (shared by the list and the matrix) --------------------------------------------
FILTER_LISTS = ("status", "stage", "priority")
FILTER_SINGLE = ("q", "module_id", "owner_id", "category", "sort", "page", "page_size")


def _filters(request, product_id: int) -> tuple[RequirementFilters, list[str]]:
    """The URL's filters as RequirementFilters (the API's schema); a value that does not
    parse is dropped and named, so a hand-edited URL still shows a page."""
    raw: dict[str, Any] = {"product_id": product_id}
    for name in FILTER_LISTS:
        values = [v for v in request.GET.getlist(name) if v != ""]
        if values:
            raw[name] = values
    for name in FILTER_SINGLE:
        value = request.GET.get(name, "")
        if value != "":
            raw[name] = value
    dropped: list[str] = []
    for _attempt in range(len(raw) + 1):
        try:
            return RequirementFilters(**raw), dropped
        except pydantic.ValidationError as exc:
            bad = {str(e["loc"][0]) for e in exc.errors() if e.get("loc")}
            if not bad or not bad & set(raw):
                break
            for name in bad & set(raw):
                raw.pop(name)
                dropped.append(name)
    return RequirementFilters(product_id=product_id), dropped


def _query(filters: RequirementFilters) -> selectors.RequirementQuery:
    data = filters.dict()
    data.pop("page")
    data.pop("page_size")
    data["status"] = [str(s) for s in data["status"]]
    data["stage"] = [str(s) for s in data["stage"]]
    data["category"] = str(data["category"]) if data["category"] else None
    return selectors.RequirementQuery(**data)


def _filter_context(request, actor, product, filters) -> dict:
    memberships = _members(actor, product.pk)
    return {
        "filters": filters,
        "status_values": [str(s) for s in filters.status],
        "stage_values": [str(s) for s in filters.stage],
        "priority_values": [int(p) for p in filters.priority],
        "modules": _module_options(actor, product.pk),
        "owners": [m.user for m in memberships],
        "statuses": Status.choices,
        "stages": Stage.choices,
        "priorities": Priority.choices,
        "categories": Category.choices,
        "sorts": list(SORT_LABELS.items()),
        "filtered": any(
            request.GET.get(k) for k in ("q", "module_id", "owner_id", "category", "stage", "priority")
        ),
        "querystring": urlencode(
            [(k, v) for k, values in request.GET.lists() for v in values if k != "page"]
        ),
    }


# ---- pages: index, list ----------------------------------------------------------------------
@login_required
def index(request):
    """/requirements/: the current product's list, or a choice of product."""
    actor = actor_of(request)
    pid = getattr(request, "current_product_id", None)
    if pid:
        try:
            product = product_selectors.get_product(actor=actor, product_id=pid)
        except NotFound:
            product = None
        if product is not None:
            return redirect("requirements:list", product_id=product.pk)
    products = list(product_selectors.list_products(actor=actor))
    if len(products) == 1:
        return redirect("requirements:list", product_id=products[0].pk)
    return render(request, "requirements/choose_product.html", {"products": products})


@login_required
def requirement_list(request, product_id: int):
    actor = actor_of(request)
    product = product_selectors.get_product(actor=actor, product_id=product_id)
    filters, dropped = _filters(request, product.pk)
    query = _query(filters)
    page, counts = selectors.list_page_with_tabs(actor=actor, query=query, page=filters.page,
                                                 page_size=filters.page_size, with_spec=False)  # fmt: skip
    wanted = {str(s) for s in filters.status}
    base = [(k, v) for k, values in request.GET.lists() for v in values if k not in ("status", "page")]

    def tab(label, statuses):
        query = urlencode([*base, *[("status", s) for s in statuses]])
        return {
            "label": label,
            "url": f"?{query}" if query else "?",
            "count": statuses_total(counts, statuses),
            "current": set(statuses) == wanted,
        }

    tabs = [
        tab(_("Open"), [str(s) for s in OPEN_STATUSES]),
        *[tab(label, [value]) for value, label in Status.choices],
        tab(_("All"), []),
    ]
    context = _product_context(request, product, "list")
    context.update(_filter_context(request, actor, product, filters))
    context.update(
        {
            "page": page,
            "tabs": tabs,
            "dropped": dropped,
            "total": sum(counts.values()),
            "export_xlsx": _export_url("requirements:export_xlsx", request, product.pk),
        }
    )
    return render(request, "requirements/list.html", context)


# ---- the PRD form: create, create from a pool item, edit ---------------------------------------
def _sections_context(form) -> list[dict]:
    """The PRD groups with their sections' bound fields (and the rows of table sections)."""
    groups = []
    for number, title, keys in GROUPS:
        sections = []
        for key in keys:
            section = prd.BY_KEY[key]
            if f"{SPEC_PREFIX}{key}" not in form.fields:
                continue
            field = form[f"{SPEC_PREFIX}{key}"]
            item = {"section": section, "field": field, "kind": section.kind}
            if section.kind == "rows":
                rows = [r for r in (field.value() or []) if isinstance(r, dict)]
                rows = rows or [{}]
                item["columns"] = [(c, COLUMN_LABELS.get(c, c)) for c in section.columns]
                item["rows"] = [
                    {
                        "index": i,
                        "cells": [(c, COLUMN_LABELS.get(c, c), str(r.get(c) or "")) for c in section.columns],
                    }
                    for i, r in enumerate(rows)
                ]
                item["next_index"] = len(rows)
            sections.append(item)
        if sections:
            groups.append({"number": number, "title": title, "sections": sections})
    return groups


def _required_sections(actor, product_id: int) -> list[str]:
    return list(selectors.get_settings(actor=actor, product_id=product_id)["required_sections"])


def _form_page(request, *, template="requirements/form.html", product, form, mode, req=None, item=None,
               status=200, has_sources=False, extra=None):  # fmt: skip
    actor = actor_of(request)
    required = _required_sections(actor, product.pk)
    if getattr(form, "with_spec", True) and any(k.startswith(SPEC_PREFIX) for k in form.fields):
        spec = _posted_spec(form) if form.is_bound else (req.spec if req is not None else _initial_spec(form))
        report = prd.completeness(spec, required=required, has_sources=has_sources)
    else:
        report = None
    context = _product_context(request, product, "list")
    context.update(
        {
            "form": form,
            "mode": mode,
            "req": req,
            "item": item,
            "groups": _sections_context(form),
            "report": report,
            "required": required,
            "has_sources": has_sources,
            "stale": bool(form.is_bound and req is not None and form.errors
                          and str(form["version"].value()) != str(req.version)),
            "lookup_url": reverse("requirements:lookup", kwargs={"product_id": product.pk}),
        }
    )  # fmt: skip
    context.update(extra or {})
    return render(request, template, context, status=status)


def _initial_spec(form) -> dict[str, Any]:
    return {s.key: form.initial.get(f"{SPEC_PREFIX}{s.key}") for s in prd.SECTIONS}


def _posted_spec(form) -> dict[str, Any]:
    """What was typed, as a spec, for the completeness panel (invalid sections count empty)."""
    if not hasattr(form, "cleaned_data"):
        form.is_valid()
    data = getattr(form, "cleaned_data", {})
    return {
        s.key: data.get(f"{SPEC_PREFIX}{s.key}") or ("" if s.kind == "text" else []) for s in prd.SECTIONS
    }


def _form_kwargs(actor, product) -> dict:
    memberships = _members(actor, product.pk)
    return {
        "modules": _module_options(actor, product.pk),
        "members": [m.user for m in memberships if m.user.is_active],
        "reviewers": _reviewer_users(memberships),
    }


def _fields_for_service(actor, product, form) -> dict[str, Any]:
    """The form's fields as service arguments (parent key → parent_id)."""
    data = form.cleaned_data
    out = {
        "module_id": data.get("module_id"),
        "category": data.get("category"),
        "priority": data.get("priority"),
        "estimate": data.get("estimate"),
        "owner_id": data.get("owner_id"),
        "reviewer_ids": data.get("reviewer_ids") or [],
        "parent_id": _resolve_key(actor, product, data.get("parent", ""), "parent_id"),
    }
    return out


@login_required
def requirement_create(request, product_id: int):
    actor = actor_of(request)
    product = product_selectors.get_product(actor=actor, product_id=product_id)
    acl.require(actor, perms.CREATE, product_id=product.pk)
    kwargs = _form_kwargs(actor, product)
    if request.method != "POST":
        initial = {"owner_id": actor.user_id, **spec_initial({})}
        if request.GET.get("module", "").isdigit():
            initial["module_id"] = int(request.GET["module"])
        if request.GET.get("parent"):
            initial["parent"] = request.GET["parent"][:60]
        form = RequirementForm(initial=initial, **kwargs)
        return _form_page(request, product=product, form=form, mode="create")
    form = RequirementForm(request.POST, **kwargs)
    if not form.is_valid():
        return _form_page(request, product=product, form=form, mode="create", status=422)
    try:
        fields = _fields_for_service(actor, product, form)
        req = services.create_requirement(
            actor=actor, product_id=product.pk, title=form.cleaned_data["title"], spec=form.spec(),
            note=form.cleaned_data.get("note", ""), **fields,
        )  # fmt: skip
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        form.add_domain_error(exc)
        return _form_page(request, product=product, form=form, mode="create", status=exc.status)
    messages.success(request, _created_message(req))
    return redirect("requirements:detail", requirement_id=req.pk)


def _created_message(req) -> str:
    return _(
        "%(key)s is saved as a draft. Next: fill the required PRD sections and submit it for review."
    ) % {"key": req.key}


@login_required
def create_from_pool(request, item_id: int):
    """A requirement prefilled from a pool item (title, the customer's words as background,
    module and priority), linked to it when saved."""
    actor = actor_of(request)
    item = pool_selectors.get_item(actor=actor, item_id=item_id)
    product = item.product
    acl.require(actor, perms.CREATE, product_id=product.pk)
    kwargs = _form_kwargs(actor, product)
    if request.method != "POST":
        who = item.customer.name if item.customer_id else (item.source.label if item.source_id else "")
        background = f"{who}: {item.text}" if who else item.text
        importance_to_priority = {"critical": 1, "high": 2, "medium": 3, "low": 4}
        initial = {
            "title": item.title or item.text[:80],
            "module_id": item.module_id,
            "priority": importance_to_priority.get(item.importance, 3),
            "owner_id": actor.user_id,
            **spec_initial({"background": background}),
        }
        form = RequirementForm(initial=initial, **kwargs)
        return _form_page(request, product=product, form=form, mode="from_pool", item=item, has_sources=True)
    form = RequirementForm(request.POST, **kwargs)
    if not form.is_valid():
        return _form_page(request, product=product, form=form, mode="from_pool", item=item, status=422,
                          has_sources=True)  # fmt: skip
    try:
        fields = _fields_for_service(actor, product, form)
        req = services.create_from_pool_item(
            actor=actor, pool_item_id=item.pk, title=form.cleaned_data["title"], spec=form.spec(), **fields
        )
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        form.add_domain_error(exc)
        return _form_page(request, product=product, form=form, mode="from_pool", item=item, status=exc.status,
                          has_sources=True)  # fmt: skip
    messages.success(request, _created_message(req))
    return redirect("requirements:detail", requirement_id=req.pk)


@login_required
def requirement_edit(request, requirement_id: int):
    actor = actor_of(request)
    req = selectors.get_requirement(actor=actor, requirement_id=requirement_id)
    product = req.product
    acl.require(actor, perms.EDIT, product_id=product.pk)
    if req.status == Status.CLOSED:
        messages.error(request, _("A closed requirement cannot be edited; reopen it first."))
        return redirect("requirements:detail", requirement_id=req.pk)
    with_spec = req.status in (Status.DRAFT, Status.CHANGING)
    has_sources = pool_selectors.items_linked_to(actor=actor, requirement_id=req.pk).exists()
    kwargs = {**_form_kwargs(actor, product), "with_spec": with_spec}
    page = {"product": product, "mode": "edit", "req": req, "has_sources": has_sources}
    if request.method != "POST":
        initial = {
            "version": req.version, "title": req.title, "module_id": req.module_id, "category": req.category,
            "priority": req.priority, "estimate": req.estimate, "owner_id": req.owner_id,
            "reviewer_ids": [u.pk for u in req.reviewers.all()],
            "parent": _key_of(product, req.parent.number) if req.parent_id else "",
            **spec_initial(req.spec),
        }  # fmt: skip
        return _form_page(request, form=RequirementForm(initial=initial, **kwargs), **page)
    form = RequirementForm(request.POST, **kwargs)
    if not form.is_valid():
        return _form_page(request, form=form, status=422, **page)
    try:
        fields = _fields_for_service(actor, product, form)
        text = {"title": form.cleaned_data["title"], "spec": form.spec()} if with_spec else {}
        services.update_requirement(
            actor=actor, requirement_id=req.pk, expected_version=form.cleaned_data.get("version"),
            note=form.cleaned_data.get("note", ""), **text, **fields,
        )  # fmt: skip
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        form.add_domain_error(exc)
        return _form_page(request, form=form, status=exc.status, **page)
    messages.success(request, _("%(key)s is saved.") % {"key": req.key})
    return redirect("requirements:detail", requirement_id=req.pk)


@login_required
@require_POST
def completeness_preview(request, product_id: int):
    """htmx: the PRD-completeness panel for what is typed in the form right now."""
    actor = actor_of(request)
    product = product_selectors.get_product(actor=actor, product_id=product_id)
    form = RequirementForm(request.POST)
    form.is_valid()
    report = prd.completeness(_posted_spec(form), required=_required_sections(actor, product.pk),
                              has_sources=request.POST.get("has_sources") == "1")  # fmt: skip
    return render(request, "requirements/_completeness.html", {"report": report, "live": True})


@login_required
@require_GET
def lookup(request, product_id: int):
    """htmx: <option>s of requirements matching the typed words or key (for key inputs)."""
    actor = actor_of(request)
    product = product_selectors.get_product(actor=actor, product_id=product_id)
    q = (request.GET.get("q") or request.GET.get("parent") or request.GET.get("duplicate_of")
         or request.GET.get("target") or "").strip()[:100]  # fmt: skip
    rows = []
    if q:
        try:
            rows = list(
                selectors.list_requirements(
                    actor=actor, query=selectors.RequirementQuery(product_id=product.pk, q=q)
                )[:LOOKUP_ROWS]
            )
        except DomainError:
            rows = []
    return render(request, "requirements/_lookup.html", {"rows": rows})


# ---- detail ------------------------------------------------------------------------------------
def _spec_sections(req, report, criteria) -> list[dict]:
    checks = {c.key: c for c in report.sections}
    groups = []
    for number, title, keys in GROUPS:
        sections = []
        for key in keys:
            s = prd.BY_KEY[key]
            value = req.spec.get(key)
            item = {
                "section": s,
                "kind": s.kind,
                "check": checks.get(key),
                "value": value,
                "empty": not value,
            }
            if s.kind == "rows":
                item["columns"] = [COLUMN_LABELS.get(c, c) for c in s.columns]
                item["rows"] = [[row.get(c, "") for c in s.columns] for row in value or []]
            if key == "acceptance_criteria":
                item["criteria"] = criteria
                item["empty"] = not criteria and not value
            sections.append(item)
        groups.append({"number": number, "title": title, "sections": sections})
    return groups


def _history_rows(entries) -> list[dict]:
    rows = []
    for entry in entries[:HISTORY_ROWS]:
        row = describe(entry)
        row["action_label"] = ACTION_LABELS.get(entry.action, row["action_label"])
        rows.append(row)
    return rows


def _actions(actor, req, trace, settings) -> dict[str, bool]:
    pid = req.product_id
    status = req.status

    def may(action) -> bool:
        return acl.can(actor, action, product_id=pid)

    open_round = next((r for r in trace.rounds if r.status == RoundStatus.OPEN), None)
    my_vote = None
    if open_round is not None and actor.user_id is not None:
        my_vote = next((v for v in open_round.votes.all() if v.reviewer_id == actor.user_id), None)
    change_draft = any(c.status == ChangeStatus.DRAFT for c in trace.changes)
    uid = actor.user_id
    skip_ok = uid in settings["skip_review_user_ids"] and uid not in settings["force_review_user_ids"]
    a = {
        "edit": may(perms.EDIT) and status != Status.CLOSED,
        "edit_spec": status in (Status.DRAFT, Status.CHANGING),
        "submit": may(perms.SUBMIT) and status == Status.DRAFT,
        "skip_review": skip_ok,
        "withdraw_review": may(perms.SUBMIT) and status == Status.REVIEWING,
        "verdict": bool(status == Status.REVIEWING and my_vote is not None and not my_vote.verdict
                        and may(perms.REVIEW)),
        "voted": bool(my_vote is not None and my_vote.verdict),
        "change_round": bool(open_round is not None and open_round.kind == RoundKind.CHANGE),
        "request_change": may(perms.CHANGE) and status == Status.ACTIVE,
        "change_draft": may(perms.CHANGE) and status == Status.CHANGING and change_draft,
        "confirm_change": bool(req.unconfirmed_change_id and may(perms.CONFIRM_CHANGE)
                               and (req.owner_id in (None, uid) or may(perms.EDIT))),
        "stage": may(perms.SET_STAGE) and status in (Status.ACTIVE, Status.CHANGING),
        "verify": may(perms.VERIFY) and status in (Status.ACTIVE, Status.CHANGING),
        "close": may(perms.CLOSE) and status != Status.CLOSED,
        "reopen": may(perms.CLOSE) and status == Status.CLOSED,
        "link": may(perms.EDIT) and status != Status.CLOSED,
        "unlink": may(perms.EDIT) and status != Status.CLOSED,
        "attach": may(perms.ATTACH) and status != Status.CLOSED,
        "remove_attachment": may(perms.ATTACH),
    }  # fmt: skip
    a["any"] = any(
        a[k] for k in ("edit", "submit", "withdraw_review", "verdict", "request_change", "change_draft",
                       "confirm_change", "stage", "close", "reopen")
    )  # fmt: skip
    return {**a, "open_round": open_round}


def _default_forms(req, reviewers, actions) -> dict[str, Any]:
    current_reviewers = [u.pk for u in req.reviewers.all()]
    return {
        "submit": SubmitForm(
            initial={"version": req.version, "reviewer_ids": current_reviewers}, reviewers=reviewers
        ),
        "withdraw_review": VersionNoteForm(initial={"version": req.version}),
        "verdict": VerdictForm(change_round=actions["change_round"]),
        "submit_change": SubmitForm(
            initial={"version": req.version, "reviewer_ids": current_reviewers}, reviewers=reviewers
        ),
        "withdraw_change": VersionNoteForm(initial={"version": req.version}),
        "stage": StageForm(initial={"version": req.version, "stage": _next_stage(req.stage)}),
        "close": CloseForm(initial={"version": req.version}),
        "reopen": ReopenForm(initial={"version": req.version}),
        "link": LinkForm(),
        "attach": AttachmentForm(),
    }


def _next_stage(stage: str) -> str:
    order = [s for s, _label in Stage.choices]
    i = order.index(stage) if stage in order else 0
    return order[min(i + 1, len(order) - 1)]


def _detail_context(
    request, requirement_id: int, *, forms=None, panel: str = "", tab: str | None = None
) -> dict:
    actor = actor_of(request)
    trace = selectors.trace_requirement(actor=actor, requirement_id=requirement_id)
    req = trace.requirement
    product = req.product
    settings = selectors.get_settings(actor=actor, product_id=product.pk)
    report = prd.completeness(
        req.spec, required=settings["required_sections"], has_sources=bool(trace.pool_items)
    )
    actions = _actions(actor, req, trace, settings)
    reviewers = (
        _reviewer_users(_members(actor, product.pk)) if (actions["submit"] or actions["change_draft"]) else []
    )
    all_forms = _default_forms(req, reviewers, actions)
    all_forms.update(forms or {})
    for key, form in all_forms.items():  # several forms on one page: ids must not collide
        form.auto_id = f"{key}_%s"
    all_forms["stage"].fields["stage"].choices = [c for c in Stage.choices if c[0] != req.stage]
    tab = tab or request.GET.get("tab") or "asked"
    if tab not in TABS:
        tab = "asked"
    children = [{"req": c, "key": _key_of(product, c.number)} for c in req.children.all()]
    attachments = trace.attachments if tab == "files" else []
    asked = []
    if tab == "asked" and trace.pool_items:
        direct = set(
            pool_selectors.items_linked_to(actor=actor, requirement_id=req.pk).values_list("pk", flat=True)
        )
        asked = [{"item": i, "direct": i.pk in direct, "url": _url("pool:detail", item_id=i.pk)}
                 for i in trace.pool_items]  # fmt: skip
    context = _product_context(request, product, "list")
    context.update(
        {
            "req": req,
            "trace": trace,
            "report": report,
            "groups": _spec_sections(req, report, trace.criteria),
            "criteria": trace.criteria,
            "criteria_verified": sum(1 for c in trace.criteria if c.verified),
            "actions": actions,
            "forms": all_forms,
            "panel": panel,
            "trace_tab": tab,
            "tabs": _tab_labels(trace),
            "children": children,
            "parent_key": _key_of(product, req.parent.number) if req.parent_id else "",
            "duplicate_key": _key_of(product, req.duplicate_of.number) if req.duplicate_of_id else "",
            "history": _history_rows(trace.history) if tab == "history" else [],
            "attachments": attachments,
            "asked": asked,
            "pool_q": "",
            "lookup_url": reverse("requirements:lookup", kwargs={"product_id": product.pk}),
            "export_md": _url("requirements:export_md", requirement_id=req.pk),
            "export_docx": _url("requirements:export_docx", requirement_id=req.pk),
            "can_edit_links": actions["link"],
            "stages_done": _stages_done(req.stage),
            "max_mb": _max_mb(),
        }
    )
    return context


def _max_mb() -> int:
    from django.conf import settings

    return int(getattr(settings, "PMLOOP_ATTACHMENT_MAX_MB", 20))


def _stages_done(stage: str) -> list[dict]:
    order = [(s, label) for s, label in Stage.choices]
    current = next((i for i, (s, _label) in enumerate(order) if s == stage), 0)
    return [{"value": s, "label": label, "done": i < current, "current": i == current}
            for i, (s, label) in enumerate(order)]  # fmt: skip


def _tab_labels(trace) -> list[tuple[str, Any, int | None]]:
    n = trace.counts
    return [
        ("asked", _("Who asked"), len(trace.pool_items)),
        ("reviews", pgettext("requirement tab", "Reviews"), len(trace.rounds)),
        ("changes", pgettext("requirement tab", "Changes"), len(trace.changes)),
        ("versions", _("Versions"), n["versions"]),
        ("stages", _("Stage history"), n["stages"]),
        ("links", _("Links"), n["links_out"] + n["links_in"]),
        ("files", _("Attachments"), None),
        ("history", pgettext("requirement tab", "History"), None),
    ]


def _detail_response(request, requirement_id: int, *, status=200, **kwargs):
    context = _detail_context(request, requirement_id, **kwargs)
    return render(request, "requirements/detail.html", context, status=status)


@login_required
def requirement_detail(request, requirement_id: int):
    return _detail_response(request, requirement_id)


def _act(request, requirement_id: int, *, panel: str, form, call, done: str, tab: str | None = None):
    """Bind an action's form, call its service; a refusal re-renders the page with the
    message in that action's panel (NotFound/PermissionDenied: the 404/403 page)."""
    actor = actor_of(request)
    req = selectors.get_requirement(actor=actor, requirement_id=requirement_id)
    if not form.is_valid():
        return _detail_response(request, req.pk, status=422, forms={panel: form}, panel=panel, tab=tab)
    try:
        result = call(actor, req, form.cleaned_data)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        form.add_domain_error(exc)
        return _detail_response(request, req.pk, status=exc.status, forms={panel: form}, panel=panel, tab=tab)
    messages.success(request, done if isinstance(done, str) else done(result))
    url = reverse("requirements:detail", kwargs={"requirement_id": req.pk})
    return redirect(f"{url}?tab={tab}#tabs" if tab else url)


def _reviewers_for(request, requirement_id: int) -> list:
    actor = actor_of(request)
    req = selectors.get_requirement(actor=actor, requirement_id=requirement_id)
    return _reviewer_users(_members(actor, req.product_id))


@login_required
@require_POST
def submit_for_review(request, requirement_id: int):
    form = SubmitForm(request.POST, reviewers=_reviewers_for(request, requirement_id))

    def call(actor, req, d):
        return services.submit_for_review(
            actor=actor, requirement_id=req.pk, expected_version=d["version"], reviewer_ids=d["reviewer_ids"],
            skip_review=d["skip_review"], note=d["note"],
        )  # fmt: skip

    def done(req):
        if req.status == Status.ACTIVE:
            return _("%(key)s is active (review skipped).") % {"key": req.key}
        return _("%(key)s is submitted for review; the reviewers are told.") % {"key": req.key}

    return _act(request, requirement_id, panel="submit", form=form, call=call, done=done)


@login_required
@require_POST
def withdraw_review(request, requirement_id: int):
    def call(actor, req, d):
        return services.withdraw_from_review(actor=actor, requirement_id=req.pk, expected_version=d["version"],
                                             note=d["note"])  # fmt: skip

    return _act(request, requirement_id, panel="withdraw_review", form=VersionNoteForm(request.POST), call=call,
                done=_("The review is withdrawn."))  # fmt: skip


@login_required
@require_POST
def give_verdict(request, requirement_id: int):
    form = VerdictForm(request.POST, change_round=True)

    def call(actor, req, d):
        return services.record_review_verdict(actor=actor, requirement_id=req.pk, verdict=d["verdict"],
                                              comment=d["comment"])  # fmt: skip

    def done(req):
        if req.status == Status.REVIEWING:
            return _("Your verdict is recorded; the review waits for the other reviewers.")
        return _("Your verdict is recorded and decided the review: the requirement is now %(s)s.") % {
            "s": req.get_status_display()
        }

    return _act(request, requirement_id, panel="verdict", form=form, call=call, done=done, tab="reviews")


@login_required
@require_POST
def submit_change(request, requirement_id: int):
    form = SubmitForm(request.POST, reviewers=_reviewers_for(request, requirement_id))

    def call(actor, req, d):
        return services.submit_change(actor=actor, requirement_id=req.pk, expected_version=d["version"],
                                      reviewer_ids=d["reviewer_ids"])  # fmt: skip

    return _act(request, requirement_id, panel="submit_change", form=form, call=call,
                done=_("The change is submitted for review."))  # fmt: skip


@login_required
@require_POST
def withdraw_change(request, requirement_id: int):
    def call(actor, req, d):
        return services.withdraw_change(actor=actor, requirement_id=req.pk, expected_version=d["version"],
                                        note=d["note"])  # fmt: skip

    return _act(request, requirement_id, panel="withdraw_change", form=VersionNoteForm(request.POST), call=call,
                done=_("The change is withdrawn; the spec is back to its version before the change."))  # fmt: skip


@login_required
@require_POST
def confirm_change(request, requirement_id: int):
    def call(actor, req, d):
        return services.confirm_change(actor=actor, requirement_id=req.pk)

    return _act(request, requirement_id, panel="confirm_change", form=VerifyForm(request.POST), call=call,
                done=_("The parent's change is confirmed."))  # fmt: skip


@login_required
@require_POST
def set_stage(request, requirement_id: int):
    def call(actor, req, d):
        return services.set_stage(actor=actor, requirement_id=req.pk, expected_version=d["version"],
                                  stage=d["stage"], note=d["note"])  # fmt: skip

    def done(req):
        return _("%(key)s moved to the stage “%(s)s”.") % {"key": req.key, "s": req.get_stage_display()}

    return _act(request, requirement_id, panel="stage", form=StageForm(request.POST), call=call, done=done)


@login_required
@require_POST
def close(request, requirement_id: int):
    def call(actor, req, d):
        dup = _resolve_key(actor, req.product, d.get("duplicate_of", ""), "duplicate_of_id")
        return services.close_requirement(actor=actor, requirement_id=req.pk, expected_version=d["version"],
                                          reason=d["reason"], duplicate_of_id=dup, note=d["note"])  # fmt: skip

    def done(req):
        return _("%(key)s is closed (%(why)s).") % {"key": req.key, "why": req.get_close_reason_display()}

    return _act(request, requirement_id, panel="close", form=CloseForm(request.POST), call=call, done=done)


@login_required
@require_POST
def reopen(request, requirement_id: int):
    def call(actor, req, d):
        return services.reopen_requirement(actor=actor, requirement_id=req.pk, expected_version=d["version"],
                                           note=d["note"])  # fmt: skip

    return _act(request, requirement_id, panel="reopen", form=ReopenForm(request.POST), call=call,
                done=_("The requirement is reopened as a draft."))  # fmt: skip


@login_required
@require_POST
def verify_criterion(request, requirement_id: int, criterion_id: int):
    """Verify or un-verify one acceptance criterion; htmx gets the checklist back."""
    actor = actor_of(request)
    req = selectors.get_requirement(actor=actor, requirement_id=requirement_id)
    if criterion_id not in {c.pk for c in req.criteria.all()}:
        raise Http404
    form = VerifyForm(request.POST)
    form.is_valid()
    error, status = "", 200
    try:
        services.set_criterion_verified(actor=actor, criterion_id=criterion_id,
                                        verified=bool(form.cleaned_data.get("verified")))  # fmt: skip
    except NotFound:
        raise
    except DomainError as exc:
        if not request.htmx and isinstance(exc, PermissionDenied):
            raise
        error, status = exc.message, exc.status
    if request.htmx:
        return _criteria_fragment(request, requirement_id, error=error, status=status)
    if error:
        messages.error(request, error)
    return redirect(reverse("requirements:detail", kwargs={"requirement_id": req.pk}) + "#criteria")


def _criteria_fragment(request, requirement_id: int, *, error: str = "", status: int = 200):
    context = _detail_context(request, requirement_id)
    context["criteria_error"] = error
    return render(request, "requirements/_criteria.html", context, status=status)


# ---- change request --------------------------------------------------------------------------------
@login_required
def change_request(request, requirement_id: int):
    """Request a change of an active requirement (变更): reason, impact and the edited sections."""
    actor = actor_of(request)
    req = selectors.get_requirement(actor=actor, requirement_id=requirement_id)
    product = req.product
    acl.require(actor, perms.CHANGE, product_id=product.pk)
    reviewers = _reviewer_users(_members(actor, product.pk))
    has_sources = pool_selectors.items_linked_to(actor=actor, requirement_id=req.pk).exists()
    page = {"product": product, "mode": "change", "req": req, "template": "requirements/change.html",
            "has_sources": has_sources}  # fmt: skip
    if req.status != Status.ACTIVE and request.method != "POST":
        messages.error(
            request,
            _("Only an active requirement takes a change request; this one is %(s)s.")
            % {"s": req.get_status_display()},
        )
        return redirect("requirements:detail", requirement_id=req.pk)
    if request.method != "POST":
        initial = {"version": req.version, "title": req.title, "submit": True,
                   "reviewer_ids": [u.pk for u in req.reviewers.all()], **spec_initial(req.spec)}  # fmt: skip
        return _form_page(request, form=ChangeForm(initial=initial, reviewers=reviewers), **page)
    form = ChangeForm(request.POST, reviewers=reviewers)
    if not form.is_valid():
        return _form_page(request, form=form, status=422, **page)
    d = form.cleaned_data
    try:
        services.request_change(
            actor=actor, requirement_id=req.pk, expected_version=d["version"], reason=d["reason"],
            impact=d["impact"], title=d["title"], spec=form.spec(), reviewer_ids=d["reviewer_ids"] or None,
            submit=d["submit"],
        )  # fmt: skip
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        form.add_domain_error(exc)
        return _form_page(request, form=form, status=exc.status, **page)
    if d["submit"]:
        messages.success(
            request, _("The change is recorded and submitted for review; everyone linked is told.")
        )
    else:
        messages.success(request, _("The change is recorded. Edit it further, then submit it for review."))
    return redirect("requirements:detail", requirement_id=req.pk)


# ---- links, pool items, attachments --------------------------------------------------------------
@login_required
@require_POST
def link_add(request, requirement_id: int):
    def call(actor, req, d):
        target = _resolve_key(actor, req.product, d["target"], "target_id")
        return services.link_requirements(
            actor=actor, requirement_id=req.pk, target_id=target, kind=d["kind"]
        )

    return _act(request, requirement_id, panel="link", form=LinkForm(request.POST), call=call,
                done=_("The link is added."), tab="links")  # fmt: skip


@login_required
@require_POST
def link_remove(request, requirement_id: int, link_id: int):
    actor = actor_of(request)
    req = selectors.get_requirement(actor=actor, requirement_id=requirement_id)
    try:
        services.unlink_requirements(actor=actor, link_id=link_id)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The link is removed."))
    return redirect(reverse("requirements:detail", kwargs={"requirement_id": req.pk}) + "?tab=links#tabs")


@login_required
@require_GET
def pool_search(request, requirement_id: int):
    """htmx: pool items of the product matching the words or key, to link to this requirement."""
    actor = actor_of(request)
    req = selectors.get_requirement(actor=actor, requirement_id=requirement_id)
    q = (request.GET.get("q") or "").strip()[:200]
    rows, error = [], ""
    if q:
        try:
            filters = PoolItemFilters(product=req.product_id, q=q,
                                      status=[PoolStatus.NEW, PoolStatus.TRIAGED, PoolStatus.LINKED])  # fmt: skip
            rows = list(pool_selectors.list_items(actor=actor, filters=filters)[:POOL_SEARCH_ROWS])
        except (DomainError, pydantic.ValidationError):
            error = _("Type words from the feedback, or a key like %(k)s.") % {"k": f"{req.product.code}-P3"}
    linked = set(
        pool_selectors.items_linked_to(actor=actor, requirement_id=req.pk).values_list("pk", flat=True)
    )
    context = {"req": req, "rows": rows, "q": q, "error": error, "linked": linked}
    return render(request, "requirements/_pool_search.html", context)


@login_required
@require_POST
def pool_link(request, requirement_id: int):
    def call(actor, req, d):
        return services.link_pool_items(actor=actor, requirement_id=req.pk, pool_item_ids=d["pool_item_ids"])

    form = PoolLinkForm(request.POST)
    return _act(request, requirement_id, panel="pool", form=form, call=call,
                done=_("The pool items are linked; their voices count for this requirement."),
                tab="asked")  # fmt: skip


@login_required
@require_POST
def pool_unlink(request, requirement_id: int, item_id: int):
    actor = actor_of(request)
    req = selectors.get_requirement(actor=actor, requirement_id=requirement_id)
    try:
        services.unlink_pool_item(actor=actor, requirement_id=req.pk, pool_item_id=item_id)
    except PermissionDenied:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The pool item is unlinked."))
    return redirect(reverse("requirements:detail", kwargs={"requirement_id": req.pk}) + "?tab=asked#tabs")


@login_required
@require_POST
def attachment_add(request, requirement_id: int):
    form = AttachmentForm(request.POST, request.FILES)

    def call(actor, req, d):
        upload = d["file"]
        content = upload.read(_max_mb() * 1024 * 1024 + 1)
        return services.add_attachment(
            actor=actor, requirement_id=req.pk, name=upload.name or "", content=content
        )

    def done(att):
        return _("“%(name)s” is attached.") % {"name": att.name}

    return _act(request, requirement_id, panel="attach", form=form, call=call, done=done, tab="files")


def _attachment(request, requirement_id: int, attachment_id: int):
    actor = actor_of(request)
    req = selectors.get_requirement(actor=actor, requirement_id=requirement_id)  # visibility
    att = req.attachments.filter(pk=attachment_id).first()
    if att is None:
        raise NotFound(_("No such attachment."))
    return req, att


@login_required
@require_GET
def attachment_download(request, requirement_id: int, attachment_id: int):
    _req, att = _attachment(request, requirement_id, attachment_id)
    try:
        handle = att.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise NotFound(_("The file of this attachment is missing from the server.")) from exc
    response = FileResponse(handle, as_attachment=True, filename=att.name,
                            content_type=att.content_type or "application/octet-stream")  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_POST
def attachment_remove(request, requirement_id: int, attachment_id: int):
    req, att = _attachment(request, requirement_id, attachment_id)
    try:
        services.remove_attachment(actor=actor_of(request), attachment_id=att.pk)
    except PermissionDenied:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("“%(name)s” is removed.") % {"name": att.name})
    return redirect(reverse("requirements:detail", kwargs={"requirement_id": req.pk}) + "?tab=files#tabs")


# ---- versions and diff -----------------------------------------------------------------------------
def _inline_diff(left: str, right: str) -> tuple[str, str]:
    """Character-level marks inside a changed line (works for Chinese, which has no spaces)."""
    out_l, out_r = [], []
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        a, b = escape(left[i1:i2]), escape(right[j1:j2])
        if tag == "equal":
            out_l.append(a)
            out_r.append(b)
            continue
        if a:
            out_l.append(format_html("<del>{}</del>", left[i1:i2]))
        if b:
            out_r.append(format_html("<ins>{}</ins>", right[j1:j2]))
    return mark_safe("".join(str(x) for x in out_l)), mark_safe("".join(str(x) for x in out_r))  # noqa: S308


def _section_text(key: str, value: Any) -> str:
    section = prd.BY_KEY.get(key)
    if section is None:
        return str(value or "")
    return prd._as_text(section, value)  # the same text the unified diff compares


@login_required
@require_GET
def version_diff(request, requirement_id: int):
    actor = actor_of(request)
    versions = list(selectors.list_versions(actor=actor, requirement_id=requirement_id))
    req = selectors.get_requirement(actor=actor, requirement_id=requirement_id)
    numbers = [v.number for v in versions]

    def number(name: str, default: int) -> int:
        raw = request.GET.get(name, "")
        return int(raw) if raw.isdigit() else default

    latest = numbers[0] if numbers else 1
    b = number("b", latest)
    a = number("a", max([n for n in numbers if n < b], default=b))
    if a > b:
        a, b = b, a
    result = selectors.diff_versions(actor=actor, requirement_id=req.pk, a=a, b=b)
    sections = []
    for d in result.sections:
        rows = []
        for tag, left, right in prd.side_by_side(
            _section_text(d.key, d.before), _section_text(d.key, d.after)
        ):
            if tag == "replace":
                left_html, right_html = _inline_diff(left, right)
            else:
                left_html, right_html = escape(left), escape(right)
            rows.append({"tag": tag, "left": left_html, "right": right_html})
        sections.append({"key": d.key, "label": d.label, "rows": rows})
    context = _product_context(request, req.product, "list")
    context.update({"req": req, "diff": result, "sections": sections, "versions": versions, "a": a, "b": b})
    return render(request, "requirements/diff.html", context)


# ---- traceability matrix, settings, my work ------------------------------------------------------
@login_required
def matrix(request, product_id: int):
    actor = actor_of(request)
    product = product_selectors.get_product(actor=actor, product_id=product_id)
    filters, dropped = _filters(request, product.pk)
    query = replace(_query(filters), product_id=product.pk)
    page = selectors.list_page(
        actor=actor, query=query, page=filters.page, page_size=MATRIX_PAGE, with_spec=False
    )
    page.items = selectors.matrix_rows(page.items)  # only this page's pool items and reviews
    context = _product_context(request, product, "matrix")
    context.update(_filter_context(request, actor, product, filters))
    context.update(
        {
            "page": page,
            "dropped": dropped,
            "matrix_xlsx": _export_url("requirements:matrix_xlsx", request, product.pk),
        }
    )
    return render(request, "requirements/matrix.html", context)


@login_required
def settings_page(request, product_id: int):
    actor = actor_of(request)
    product = product_selectors.get_product(actor=actor, product_id=product_id)
    acl.require(actor, perms.SETTINGS, product_id=product.pk)
    current = selectors.get_settings(actor=actor, product_id=product.pk)
    members = [m.user for m in _members(actor, product.pk)]
    status = 200
    if request.method != "POST":
        form = SettingsForm(
            initial={
                "version": current["version"],
                "required_sections": current["required_sections"],
                "skip_review_user_ids": current["skip_review_user_ids"],
                "force_review_user_ids": current["force_review_user_ids"],
            },
            members=members,
        )
    else:
        form = SettingsForm(request.POST, members=members)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.update_settings(
                    actor=actor, product_id=product.pk, expected_version=d["version"],
                    required_sections=d["required_sections"], skip_review_user_ids=d["skip_review_user_ids"],
                    force_review_user_ids=d["force_review_user_ids"],
                )  # fmt: skip
            except (NotFound, PermissionDenied):
                raise
            except DomainError as exc:
                form.add_domain_error(exc)
                status = exc.status
            else:
                messages.success(request, _("The requirement settings are saved."))
                return redirect("requirements:settings", product_id=product.pk)
        else:
            status = 422
    context = _product_context(request, product, "settings")
    context.update({"form": form, "sections": prd.SECTIONS, "current": current})
    return render(request, "requirements/settings.html", context, status=status)


@login_required
def my_work(request):
    """Across products: requirements I own, reviews waiting for my verdict, changes of a
    parent I have not confirmed yet."""
    actor = actor_of(request)
    uid = actor.user_id
    owned = list(
        selectors.list_requirements(
            actor=actor, query=selectors.RequirementQuery(owner_id=uid, status=[str(s) for s in OPEN_STATUSES],
                                                          sort="updated"),
        )[:100]
    )  # fmt: skip
    votes = list(review_selectors.pending_for_reviewer(user_id=uid, subject_type="requirement")[:100])
    waiting_ids = {v.round.subject_id for v in votes}
    by_id = {r.pk: r for r in selectors.list_requirements(actor=actor).filter(pk__in=waiting_ids)}
    waiting = [{"vote": v, "req": by_id[v.round.subject_id]} for v in votes if v.round.subject_id in by_id]
    unconfirmed = list(
        selectors.list_requirements(
            actor=actor, query=selectors.RequirementQuery(owner_id=uid, unconfirmed_change=True)
        )[:100]
    )
    context = {"owned": owned, "waiting": waiting, "unconfirmed": unconfirmed}
    return render(request, "requirements/mine.html", context)
