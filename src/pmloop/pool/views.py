"""Pool pages: the triage list (filters in the URL, dense table, bulk bar, keyboard), an
item page (text, voices, history, actions), the "file a pool item" form and, for site
admins, the list of sources.

Each view parses, calls one service or selector, and renders; a refusal is shown on the
form (with the status the API would give) or as a message after a redirect."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pydantic
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from pmloop.accounts import permissions as acl
from pmloop.audit import selectors as audit_selectors
from pmloop.audit.views import describe
from pmloop.core.errors import DomainError, InvalidInput, NotFound
from pmloop.core.http import actor_of
from pmloop.core.pagination import statuses_total
from pmloop.customers import selectors as customer_selectors
from pmloop.customers.views import choose_product, current_product
from pmloop.pool import lifecycle, selectors, services
from pmloop.pool import permissions as perms
from pmloop.pool.choices import SORTS, BulkAction, Importance, Status
from pmloop.pool.forms import (
    BulkForm,
    DeclineForm,
    MergeForm,
    PoolItemForm,
    ReopenForm,
    SourceForm,
    TriageForm,
    module_choices,
)
from pmloop.pool.schemas import PoolItemFilters
from pmloop.products import selectors as product_selectors

HISTORY = 30
OPEN = [Status.NEW, Status.TRIAGED]
FILTER_FIELDS = ("q", "source", "customer", "module", "importance", "tag", "reporter",
                 "created_since", "created_until", "sort", "page", "page_size")  # fmt: skip

ACTION_LABELS = {
    "pool.item_created": gettext_lazy("Filed"),
    "pool.item_updated": gettext_lazy("Changed"),
    "pool.item_triaged": gettext_lazy("Triaged"),
    "pool.item_declined": gettext_lazy("Declined"),
    "pool.item_merged": gettext_lazy("Merged"),
    "pool.item_repointed": gettext_lazy("Re-pointed to the merge target"),
    "pool.voices_added": gettext_lazy("Voices added by a merge"),
    "pool.item_reopened": gettext_lazy("Reopened"),
    "pool.item_linked": gettext_lazy("Linked to a requirement"),
    "pool.item_unlinked": gettext_lazy("Unlinked from a requirement"),
}
SORT_LABELS = {
    "-created": gettext_lazy("Newest first"),
    "created": gettext_lazy("Oldest first"),
    "-voices": gettext_lazy("Most voices"),
    "-importance": gettext_lazy("Most important"),
    "-number": gettext_lazy("Highest number"),
}


# ---- helpers -----------------------------------------------------------------------------
def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


def parse_filters(request, product_id: int | None) -> tuple[PoolItemFilters, list[str], bool]:
    """The list filters from the URL (the API's query names). A bad value is dropped with a
    note rather than failing the page. Returns (filters, notes, status given explicitly)."""
    raw: dict = {k: request.GET[k] for k in FILTER_FIELDS if request.GET.get(k, "") != ""}
    statuses = [s for s in request.GET.getlist("status") if s]
    explicit = "status" in request.GET
    raw["status"] = [] if statuses == ["all"] else (statuses if explicit else list(OPEN))
    raw["product"] = product_id
    notes: list[str] = []
    for _attempt in range(len(raw) + 1):
        try:
            return PoolItemFilters(**raw), notes, explicit
        except pydantic.ValidationError as exc:
            for err in exc.errors():
                name = str(err["loc"][0]) if err.get("loc") else ""
                if name in raw and name != "product":
                    notes.append(
                        _("Ignored the filter '%(f)s': %(m)s") % {"f": name, "m": err.get("msg", "")}
                    )
                    raw.pop(name)
    return PoolItemFilters(product=product_id), notes, explicit


def _choices(actor, product_id: int) -> dict:
    return {
        "sources": list(selectors.list_sources(actor=actor)),
        "customers": list(customer_selectors.list_customers(actor=actor, product_id=product_id)),
        "modules": product_selectors.flatten(
            product_selectors.module_tree(actor=actor, product_id=product_id)
        ),
    }


_REF = re.compile(r"^\s*(?:([A-Za-z][A-Za-z0-9_-]*)-)?[Pp#]?(\d+)\s*$")


def resolve_item_ref(actor, ref: str, product_id: int | None, field: str = "target") -> int:
    """An item id from 'P12', '12' or 'IMSDK-P12' (the number people see)."""
    match = _REF.match(ref or "")
    if not match:
        raise InvalidInput(_("Write the item to merge into as its number, e.g. P12."), field=field)
    code, number = match.groups()
    if code:
        try:
            product_id = product_selectors.get_product(actor=actor, code=code).pk
        except NotFound as exc:
            raise InvalidInput(exc.message, field=field, code="target_not_found") from exc
    if product_id is None:
        raise InvalidInput(_("Write the item with its product code, e.g. IMSDK-P12."), field=field)
    try:
        return selectors.get_item_by_key(actor=actor, product_id=product_id, number=int(number)).pk
    except NotFound as exc:
        raise InvalidInput(exc.message, field=field, code="target_not_found") from exc


def _tags_text(item) -> str:
    return ", ".join(item.tag_list)


def _history(actor, item) -> list[dict]:
    rows = [describe(e) for e in audit_selectors.history(actor=actor, obj=item)[:HISTORY]]
    for row in rows:
        row["action_label"] = ACTION_LABELS.get(row["entry"].action, row["action_label"])
    return rows


# ---- the list ----------------------------------------------------------------------------
@login_required
def item_list(request):
    actor = actor_of(request)
    product = current_product(request)
    if product is None:
        return choose_product(request, _("Requirement pool"), "pool:list")
    filters, notes, _explicit = parse_filters(request, product.pk)
    choices = _choices(actor, product.pk)
    page, counts = selectors.list_page_with_tabs(actor=actor, filters=filters)
    wanted = {str(s) for s in filters.status}
    base = {k: v for k, v in request.GET.items() if k not in ("status", "page", "selected", "product")}
    base["product"] = product.pk

    def tab(label, statuses):
        query = urlencode([*base.items(), *[("status", s) for s in statuses]])
        return {
            "label": label,
            "url": f"?{query}",
            "count": statuses_total(counts, [] if statuses == ["all"] else statuses),
            "current": (set(statuses) == wanted) or (statuses == ["all"] and not wanted),
        }

    tabs = [
        tab(_("Open"), list(OPEN)),
        *[tab(Status(s).label, [s]) for s in Status.values],
        tab(_("All"), ["all"]),
    ]
    selected = {int(i) for i in request.GET.get("selected", "").split(",") if i.isdigit()}
    filtered = any(k != "status" for k in filters.active())
    context = {
        "product": product,
        "filters": filters,
        "filter_notes": notes,
        "page": page,
        "tabs": tabs,
        "selected": selected,
        "any_items": sum(counts.values()) > 0 or filtered,
        "filtered": filtered,
        "importances": Importance.choices,
        "sort_choices": [(k, SORT_LABELS[k]) for k in SORTS],
        "status_values": [str(s) for s in filters.status],
        "can_triage": acl.can(actor, perms.TRIAGE, product_id=product.pk),
        "can_create": acl.can(actor, perms.CREATE, product_id=product.pk),
        **choices,
        "module_options": module_choices(choices["modules"]),
    }
    return render(request, "pool/list.html", context)


@login_required
@require_POST
def bulk(request):
    actor = actor_of(request)
    form = BulkForm(request.POST)
    back = _safe_next(request, reverse("pool:list"))
    if not form.is_valid():
        messages.error(request, _("Choose an action and at least one item."))
        return redirect(back)
    data = form.cleaned_data
    ids = data["ids"]
    try:
        if data["action"] == BulkAction.TRIAGE:
            extra = {"importance": data["importance"]} if data["importance"] else {}
            items = services.bulk_triage(actor=actor, item_ids=ids, **extra)
            done = ngettext("%(n)s item triaged.", "%(n)s items triaged.", len(items)) % {"n": len(items)}
        elif data["action"] == BulkAction.DECLINE:
            items = services.bulk_decline(actor=actor, item_ids=ids, reason=data["reason"])
            done = ngettext("%(n)s item declined.", "%(n)s items declined.", len(items)) % {"n": len(items)}
        else:
            first = selectors.items_by_ids(actor=actor, item_ids=ids[:1]).first() if ids else None
            product_id = first.product_id if first else getattr(request, "current_product_id", None)
            target_id = resolve_item_ref(actor, data["target"], product_id)
            target = services.bulk_merge(actor=actor, item_ids=ids, target_id=target_id)
            n = len([i for i in ids if i != target.pk])
            done = ngettext(
                "%(n)s item merged into %(t)s (now %(v)s voices).",
                "%(n)s items merged into %(t)s (now %(v)s voices).",
                n,
            ) % {"n": n, "t": target.key, "v": target.voices}
    except DomainError as exc:
        messages.error(request, exc.message)
        sep = "&" if "?" in back else "?"
        return redirect(f"{back}{sep}selected={','.join(map(str, ids))}" if ids else back)
    messages.success(request, done)
    return redirect(back)


# ---- one item ----------------------------------------------------------------------------
def _item_page(request, item_id: int, forms: dict | None = None, status: int = 200):
    actor = actor_of(request)
    item = selectors.get_item(actor=actor, item_id=item_id)
    voices = selectors.voices_of(actor=actor, item=item)
    can_triage = acl.can(actor, perms.TRIAGE, product_id=item.product_id)
    own_new = item.reporter_id == actor.user_id and item.status == Status.NEW
    can_edit = item.status != Status.MERGED and (
        acl.can(actor, perms.EDIT, product_id=item.product_id)
        or (own_new and acl.can(actor, perms.CREATE, product_id=item.product_id))
    )
    forms = forms or {}
    choices = _choices(actor, item.product_id) if can_triage else {}
    triage_form = forms.get("triage") or TriageForm(
        initial={
            "module_id": item.module_id,
            "importance": item.importance,
            "tags": _tags_text(item),
            "version": item.version,
        }
    )
    if can_triage:
        triage_form.set_choices(modules=choices["modules"])
    context = {
        "item": item,
        "product": item.product,
        "voices": voices,
        "requirement_ids": selectors.requirement_ids_of(actor=actor, item=item),
        "history": _history(actor, item),
        "actions": lifecycle.actions_for(item.status) if can_triage else [],
        "can_edit": can_edit,
        "triage_form": triage_form,
        "decline_form": forms.get("decline") or DeclineForm(initial={"version": item.version}),
        "merge_form": forms.get("merge") or MergeForm(initial={"version": item.version}),
        "reopen_form": ReopenForm(initial={"version": item.version}),
        "open_form": forms.get("open", ""),
    }
    shown = context["actions"]
    if context["open_form"] and context["open_form"] not in shown:
        # The action is no longer offered (someone changed the item meanwhile): say why on top.
        context["top_errors"] = forms.get(context["open_form"])
    return render(request, "pool/detail.html", context, status=status)


@login_required
def item_detail(request, item_id: int):
    return _item_page(request, item_id)


def _transition(request, item_id: int, form, key: str, call, success: str):
    """Bind ``form``; call the service; on refusal re-render the item page with the form
    open and the error on it."""
    if not form.is_valid():
        return _item_page(request, item_id, {key: form, "open": key}, status=422)
    try:
        call(form.cleaned_data)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        form.add_domain_error(exc)
        return _item_page(request, item_id, {key: form, "open": key}, status=exc.status)
    messages.success(request, success)
    return redirect(_safe_next(request, reverse("pool:detail", args=[item_id])))


@login_required
@require_POST
def item_triage(request, item_id: int):
    actor = actor_of(request)
    item = selectors.get_item(actor=actor, item_id=item_id)
    form = TriageForm(request.POST)
    form.set_choices(modules=_choices(actor, item.product_id)["modules"])

    def call(d):
        services.triage_item(
            actor=actor, item_id=item.pk, expected_version=d.get("version"), module_id=d.get("module_id"),
            importance=d.get("importance") or None, tags=d.get("tags", ""),
        )  # fmt: skip

    return _transition(request, item.pk, form, "triage", call, _("%(k)s is triaged.") % {"k": item.key})


@login_required
@require_POST
def item_decline(request, item_id: int):
    actor = actor_of(request)
    item = selectors.get_item(actor=actor, item_id=item_id)

    def call(d):
        services.decline_item(
            actor=actor, item_id=item.pk, reason=d["reason"], expected_version=d.get("version")
        )

    return _transition(request, item.pk, DeclineForm(request.POST), "decline", call,
                       _("%(k)s is declined.") % {"k": item.key})  # fmt: skip


@login_required
@require_POST
def item_merge(request, item_id: int):
    actor = actor_of(request)
    item = selectors.get_item(actor=actor, item_id=item_id)
    result = {}

    def call(d):
        target_id = resolve_item_ref(actor, d["target"], item.product_id)
        result["target"] = services.merge_item(
            actor=actor, item_id=item.pk, target_id=target_id, expected_version=d.get("version")
        )

    response = _transition(request, item.pk, MergeForm(request.POST), "merge", call,
                           _("%(k)s is merged.") % {"k": item.key})  # fmt: skip
    if "target" in result and response.status_code == 302 and not request.POST.get("next"):
        return redirect("pool:detail", item_id=result["target"].pk)
    return response


@login_required
@require_POST
def item_reopen(request, item_id: int):
    actor = actor_of(request)
    item = selectors.get_item(actor=actor, item_id=item_id)

    def call(d):
        services.reopen_item(actor=actor, item_id=item.pk, expected_version=d.get("version"))

    return _transition(request, item.pk, ReopenForm(request.POST), "reopen", call,
                       _("%(k)s is open again (triaged).") % {"k": item.key})  # fmt: skip


# ---- filing and editing ------------------------------------------------------------------
@login_required
def item_create(request):
    actor = actor_of(request)
    product = current_product(request)
    if product is None:
        return choose_product(request, _("File a pool item"), "pool:create")
    choices = _choices(actor, product.pk)
    initial = {k: request.GET.get(k) for k in ("source", "importance") if request.GET.get(k)}
    if request.GET.get("customer", "").isdigit():
        initial["customer_id"] = int(request.GET["customer"])
    form = PoolItemForm(request.POST or None, initial=initial)
    form.set_choices(**choices)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            data.pop("version", None)
            data["source"] = data.get("source") or None
            try:
                item = services.create_item(actor=actor, product_id=product.pk, **data)
            except DomainError as exc:
                form.add_domain_error(exc)
                status = exc.status
            else:
                messages.success(request, _("Filed %(k)s: %(t)s") % {"k": item.key, "t": item.title})
                if request.POST.get("another"):
                    keep = {"product": product.pk, "source": item.source.code}
                    if item.customer_id:
                        keep["customer"] = item.customer_id
                    return redirect(f"{reverse('pool:create')}?{urlencode(keep)}")
                return redirect("pool:detail", item_id=item.pk)
        else:
            status = 422
    return render(request, "pool/form.html", {"form": form, "product": product}, status=status)


@login_required
def item_edit(request, item_id: int):
    actor = actor_of(request)
    item = selectors.get_item(actor=actor, item_id=item_id)
    initial = {
        "text": item.text, "title": item.title, "source": item.source.code, "customer_id": item.customer_id,
        "module_id": item.module_id, "importance": item.importance, "tags": _tags_text(item),
        "version": item.version,
    }  # fmt: skip
    form = PoolItemForm(request.POST or None, initial=initial)
    form.set_choices(auto_source=False, **_choices(actor, item.product_id))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            try:
                services.update_item(actor=actor, item_id=item.pk, expected_version=version, **data)
            except DomainError as exc:
                if isinstance(exc, NotFound):
                    raise
                form.add_domain_error(exc)
                status = exc.status
            else:
                messages.success(request, _("Saved."))
                return redirect("pool:detail", item_id=item.pk)
        else:
            status = 422
    return render(
        request, "pool/form.html", {"form": form, "product": item.product, "item": item}, status=status
    )


# ---- sources (site admins) ---------------------------------------------------------------
@login_required
def sources(request):
    actor = actor_of(request)
    can_manage = acl.can(actor, perms.MANAGE_SOURCES)
    form = SourceForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                source = services.create_source(actor=actor, **form.cleaned_data)
            except DomainError as exc:
                form.add_domain_error(exc)
                status = exc.status
            else:
                messages.success(request, _("Source “%(s)s” added.") % {"s": source.label})
                return redirect("pool:sources")
        else:
            status = 422
    rows = selectors.list_sources(actor=actor, include_inactive=True)
    return render(
        request, "pool/sources.html", {"rows": rows, "form": form, "can_manage": can_manage}, status=status
    )


@login_required
@require_POST
def source_active(request, source_id: int):
    actor = actor_of(request)
    active = request.POST.get("active") == "1"
    try:
        source = services.set_source_active(actor=actor, source_id=source_id, active=active)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            (_("Source “%(s)s” is active again.") if active else _("Source “%(s)s” is no longer offered."))
            % {"s": source.label},
        )
    return redirect("pool:sources")
