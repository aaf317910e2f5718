"""Plan, release and roadmap pages. Each view parses, calls one service or selector, renders.
A refusal (DomainError) is shown on the form it concerns, with the status the API would give."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST

from pmloop.accounts import permissions as acl
from pmloop.core.errors import DomainError, InvalidInput
from pmloop.core.http import actor_of
from pmloop.plans import charts, exports, lifecycle, selectors, services
from pmloop.plans import permissions as perms
from pmloop.plans.choices import GroupBy, Horizon, MilestoneStatus
from pmloop.plans.forms import (
    ItemsForm,
    MilestoneForm,
    MilestoneStatusForm,
    MoveForm,
    PlanEditForm,
    PlanForm,
    PublishForm,
    ReleaseForm,
)
from pmloop.products import selectors as product_selectors
from pmloop.requirements.choices import STAGE_ORDER, Stage


def stage_labels() -> dict[str, str]:
    return {s.value: str(s.label) for s in Stage}


def chart_labels() -> dict[str, str]:
    return {**stage_labels(), "plans": _("Plans"), "releases": _("Releases"), "today": _("today"),
            "empty": _("No requirement is planned in this period yet."), "scope": pgettext("burn-up", "scope"), "done": _("released")}  # fmt: skip


def _product_context(request, product, tab: str) -> dict:
    actor = actor_of(request)
    return {
        "product": product, "tab": tab,
        "can_edit": acl.can(actor, perms.EDIT, product_id=product.pk),
        "can_edit_release": acl.can(actor, perms.EDIT_RELEASE, product_id=product.pk),
        "can_publish": acl.can(actor, perms.PUBLISH, product_id=product.pk),
    }  # fmt: skip


def _status(exc: DomainError) -> int:
    return exc.status


# ---- plans ------------------------------------------------------------------------------------
def _tree(plans) -> list[tuple[object, int]]:
    by_parent: dict = {}
    for p in plans:
        by_parent.setdefault(p.parent_id, []).append(p)
    out = []

    def walk(parent_id, depth):
        for p in by_parent.get(parent_id, []):
            out.append((p, depth))
            walk(p.pk, depth + 1)

    walk(None, 0)
    return out


def _plans_page(request, product, form=None, status=200):
    actor = actor_of(request)
    plans = list(selectors.list_plans(actor=actor, product_id=product.pk))
    context = _product_context(request, product, "plans")
    context.update(
        {"rows": _tree(plans), "form": form or PlanForm(parents=plans), "today": timezone.localdate()}
    )
    return render(request, "plans/list.html", context, status=status)


@login_required
def plan_list(request, product_id: int):
    actor = actor_of(request)
    product = product_selectors.get_product(actor=actor, product_id=product_id)
    if request.method != "POST":
        return _plans_page(request, product)
    plans = list(selectors.list_plans(actor=actor, product_id=product.pk))
    form = PlanForm(request.POST, parents=plans)
    if not form.is_valid():
        return _plans_page(request, product, form, 422)
    try:
        plan = services.create_plan(actor=actor, product_id=product.pk, **form.cleaned_data)
    except DomainError as exc:
        form.add_domain_error(exc)
        return _plans_page(request, product, form, _status(exc))
    messages.success(request, _("Plan “%(t)s” is created. Next: put requirements in it.") % {"t": plan.title})
    return redirect("plans:detail", plan_id=plan.pk)


def _plan_page(request, plan_id: int, status: int = 200, **forms):
    actor = actor_of(request)
    summary = selectors.plan_summary(actor=actor, plan_id=plan_id)
    plan = summary.plan
    flow = selectors.plan_flow(actor=actor, plan_id=plan.pk)
    others = [p for p in selectors.list_plans(actor=actor, product_id=plan.product_id) if p.pk != plan.pk]
    candidates = list(
        selectors.releasable_requirements(actor=actor, product_id=plan.product_id, unplanned=True)
    )
    context = _product_context(request, plan.product, "plans")
    context.update({
        "plan": plan, "s": summary,
        "flow_svg": charts.flow_svg(flow, labels=chart_labels(), title=_("Burn-up and cumulative flow")),
        "items_form": forms.get("items_form") or ItemsForm(requirements=candidates),
        "milestone_form": forms.get("milestone_form") or MilestoneForm(),
        "sub_form": forms.get("sub_form") or PlanForm(initial={"start_date": plan.start_date, "end_date": plan.end_date}),
        "edit_form": forms.get("edit_form") or PlanEditForm(initial={
            "version": plan.version, "title": plan.title, "start_date": plan.start_date, "end_date": plan.end_date,
            "capacity": plan.capacity, "description": plan.description}),
        "move_plans": others, "error": forms.get("error"), "candidates": candidates,
        "milestone_statuses": MilestoneStatus.choices, "stage_order": STAGE_ORDER, "stage_labels": stage_labels(),
        "is_plan_owner": actor.user_id == plan.owner_id,
        "children_rows": [(c, summary.child_items.get(c.pk, [])) for c in summary.children],
    })  # fmt: skip
    return render(request, "plans/detail.html", context, status=status)


@login_required
def plan_detail(request, plan_id: int):
    return _plan_page(request, plan_id)


@login_required
@require_GET
def plan_burnup_svg(request, plan_id: int):
    flow = selectors.plan_flow(actor=actor_of(request), plan_id=plan_id)
    svg = charts.flow_svg(
        flow, labels=chart_labels(), title=f"{flow.plan.title} · {_('Burn-up and cumulative flow')}"
    )
    return HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")


@login_required
@require_POST
def plan_edit(request, plan_id: int):
    form = PlanEditForm(request.POST)
    if not form.is_valid():
        return _plan_page(request, plan_id, 422, edit_form=form)
    data = dict(form.cleaned_data)
    try:
        services.update_plan(
            actor=actor_of(request), plan_id=plan_id, expected_version=data.pop("version"), **data
        )
    except DomainError as exc:
        form.add_domain_error(exc)
        return _plan_page(request, plan_id, _status(exc), edit_form=form)
    messages.success(request, _("Plan saved."))
    return redirect("plans:detail", plan_id=plan_id)


@login_required
@require_POST
def plan_sub(request, plan_id: int):
    plan = selectors.get_plan(actor=actor_of(request), plan_id=plan_id)
    form = PlanForm(request.POST)
    form.fields["parent_id"].required = False
    if not form.is_valid():
        return _plan_page(request, plan_id, 422, sub_form=form)
    data = {**form.cleaned_data, "parent_id": plan.pk}
    try:
        sub = services.create_plan(actor=actor_of(request), product_id=plan.product_id, **data)
    except DomainError as exc:
        form.add_domain_error(exc)
        return _plan_page(request, plan_id, _status(exc), sub_form=form)
    messages.success(request, _("Sub-plan “%(t)s” is created.") % {"t": sub.title})
    return redirect("plans:detail", plan_id=plan_id)


@login_required
@require_POST
def plan_items_add(request, plan_id: int):
    actor = actor_of(request)
    plan = selectors.get_plan(actor=actor, plan_id=plan_id)
    candidates = list(
        selectors.releasable_requirements(actor=actor, product_id=plan.product_id, unplanned=True)
    )
    form = ItemsForm(request.POST, requirements=candidates)
    if not form.is_valid():
        return _plan_page(request, plan_id, 422, items_form=form)
    try:
        items = services.add_to_plan(
            actor=actor, plan_id=plan_id, requirement_ids=form.cleaned_data["requirement_ids"]
        )
    except DomainError as exc:
        form.add_domain_error(exc)
        return _plan_page(request, plan_id, _status(exc), items_form=form)
    messages.success(request, _("%(n)s requirements planned.") % {"n": len(items)})
    return redirect("plans:detail", plan_id=plan_id)


def _plan_action(request, plan_id: int, call, done: str):
    try:
        call()
    except DomainError as exc:
        return _plan_page(request, plan_id, _status(exc), error=exc.message)
    messages.success(request, done)
    return redirect("plans:detail", plan_id=plan_id)


@login_required
@require_POST
def plan_item_remove(request, plan_id: int, requirement_id: int):
    return _plan_action(request, plan_id, lambda: services.remove_from_plan(
        actor=actor_of(request), plan_id=plan_id, requirement_id=requirement_id), _("Taken out of the plan."))  # fmt: skip


@login_required
@require_POST
def plan_item_move(request, plan_id: int, requirement_id: int):
    actor = actor_of(request)
    plan = selectors.get_plan(actor=actor, plan_id=plan_id)
    form = MoveForm(request.POST, plans=selectors.list_plans(actor=actor, product_id=plan.product_id))
    if not form.is_valid():
        return _plan_page(request, plan_id, 422, error=_("Choose the plan to move it to."))
    return _plan_action(request, plan_id, lambda: services.move_plan_item(
        actor=actor, requirement_id=requirement_id, to_plan_id=form.cleaned_data["to_plan_id"]), _("Moved."))  # fmt: skip


@login_required
@require_POST
def plan_item_confirm(request, plan_id: int, requirement_id: int):
    return _plan_action(request, plan_id, lambda: services.confirm_plan_change(
        actor=actor_of(request), plan_id=plan_id, requirement_id=requirement_id,
        note=request.POST.get("note", "")[:500]), _("Change confirmed: the plan holds."))  # fmt: skip


@login_required
@require_POST
def milestone_add(request, plan_id: int):
    form = MilestoneForm(request.POST)
    if not form.is_valid():
        return _plan_page(request, plan_id, 422, milestone_form=form)
    try:
        services.add_milestone(actor=actor_of(request), plan_id=plan_id, **form.cleaned_data)
    except DomainError as exc:
        form.add_domain_error(exc)
        return _plan_page(request, plan_id, _status(exc), milestone_form=form)
    messages.success(request, _("Milestone added."))
    return redirect("plans:detail", plan_id=plan_id)


@login_required
@require_POST
def milestone_status(request, plan_id: int, milestone_id: int):
    form = MilestoneStatusForm(request.POST)
    if not form.is_valid():
        return _plan_page(request, plan_id, 422, error=_("Choose a status."))
    return _plan_action(request, plan_id, lambda: services.update_milestone(
        actor=actor_of(request), milestone_id=milestone_id, expected_version=form.cleaned_data["version"],
        status=form.cleaned_data["status"]), _("Milestone updated."))  # fmt: skip


# ---- releases ---------------------------------------------------------------------------------
def _releases_page(request, product, form=None, status=200):
    actor = actor_of(request)
    plans = list(selectors.list_plans(actor=actor, product_id=product.pk))
    context = _product_context(request, product, "releases")
    context.update({"releases": selectors.list_releases(actor=actor, product_id=product.pk),
                    "form": form or ReleaseForm(plans=plans)})  # fmt: skip
    return render(request, "plans/releases.html", context, status=status)


@login_required
def release_list(request, product_id: int):
    actor = actor_of(request)
    product = product_selectors.get_product(actor=actor, product_id=product_id)
    if request.method != "POST":
        return _releases_page(request, product)
    form = ReleaseForm(request.POST, plans=selectors.list_plans(actor=actor, product_id=product.pk))
    if not form.is_valid():
        return _releases_page(request, product, form, 422)
    try:
        release = services.create_release(actor=actor, product_id=product.pk, **form.cleaned_data)
    except DomainError as exc:
        form.add_domain_error(exc)
        return _releases_page(request, product, form, _status(exc))
    messages.success(request, _("Release %(v)s is created. Next: add the requirements it ships.")
                     % {"v": release.version_name})  # fmt: skip
    return redirect("plans:release", release_id=release.pk)


def _release_page(request, release_id: int, status: int = 200, **forms):
    actor = actor_of(request)
    release = selectors.get_release(actor=actor, release_id=release_id)
    items = selectors.release_items(actor=actor, release_id=release.pk)
    candidates = list(selectors.releasable_requirements(actor=actor, product_id=release.product_id,
                                                        not_in_draft_release=True))  # fmt: skip
    labels = stage_labels()
    rows = [{"item": i, "untested": STAGE_ORDER.index(i.requirement.stage) < lifecycle.SHIP_READY,
             "stage_before": labels.get(i.stage_before, i.stage_before),
             "override": request.POST.get(f"override_{i.requirement_id}", "") if request.method == "POST" else ""}
            for i in items]  # fmt: skip
    context = _product_context(request, release.product, "releases")
    context.update({
        "release": release, "rows": rows, "untested": sum(1 for r in rows if r["untested"]),
        "items_form": forms.get("items_form") or ItemsForm(requirements=candidates),
        "publish_form": forms.get("publish_form") or PublishForm(initial={"version": release.version}),
        "may_override": actor.user_id == release.manager_id or acl.role_of(actor, release.product_id) == "owner",
        "error": forms.get("error"),
    })  # fmt: skip
    return render(request, "plans/release.html", context, status=status)


@login_required
def release_detail(request, release_id: int):
    return _release_page(request, release_id)


@login_required
@require_POST
def release_items_add(request, release_id: int):
    actor = actor_of(request)
    release = selectors.get_release(actor=actor, release_id=release_id)
    candidates = list(selectors.releasable_requirements(actor=actor, product_id=release.product_id,
                                                        not_in_draft_release=True))  # fmt: skip
    form = ItemsForm(request.POST, requirements=candidates)
    if not form.is_valid():
        return _release_page(request, release_id, 422, items_form=form)
    try:
        services.add_to_release(
            actor=actor, release_id=release_id, requirement_ids=form.cleaned_data["requirement_ids"]
        )
    except DomainError as exc:
        form.add_domain_error(exc)
        return _release_page(request, release_id, _status(exc), items_form=form)
    messages.success(request, _("Added to the release."))
    return redirect("plans:release", release_id=release_id)


@login_required
@require_POST
def release_item_remove(request, release_id: int, requirement_id: int):
    try:
        services.remove_from_release(
            actor=actor_of(request), release_id=release_id, requirement_id=requirement_id
        )
    except DomainError as exc:
        return _release_page(request, release_id, _status(exc), error=exc.message)
    messages.success(request, _("Taken out of the release."))
    return redirect("plans:release", release_id=release_id)


@login_required
@require_POST
def release_publish(request, release_id: int):
    form = PublishForm(request.POST)
    if not form.is_valid():
        return _release_page(request, release_id, 422, publish_form=form)
    overrides = {}
    for key, value in request.POST.items():
        if key.startswith("override_") and key[9:].isdigit() and value.strip():
            overrides[int(key[9:])] = value
    try:
        release = services.publish_release(actor=actor_of(request), release_id=release_id,
                                           expected_version=form.cleaned_data["version"], overrides=overrides,
                                           note=form.cleaned_data["note"])  # fmt: skip
    except DomainError as exc:
        form.add_domain_error(exc)
        return _release_page(request, release_id, _status(exc), publish_form=form)
    messages.success(request, _("Release %(v)s is released: its requirements are at 'released' and the customers' "
                                "owners are told.") % {"v": release.version_name})  # fmt: skip
    return redirect("plans:release", release_id=release_id)


# ---- roadmap and outlook ----------------------------------------------------------------------
def _roadmap(request, product_ids):
    group_by = request.GET.get("group_by") or GroupBy.MODULE
    if group_by not in GroupBy.values:
        raise InvalidInput(_("Group by one of: %(v)s.") % {"v": ", ".join(GroupBy.values)}, field="group_by")
    return selectors.roadmap(actor=actor_of(request), product_ids=product_ids, group_by=group_by)


def _roadmap_title(rm) -> str:
    names = "、".join(p.name for p in rm.products) or _("all products")
    return _("Roadmap: %(p)s") % {"p": names}


@login_required
def roadmap(request, product_id: int | None = None):
    ids = (
        [product_id]
        if product_id
        else [int(i) for i in request.GET.getlist("product") if i.isdigit()] or None
    )
    rm = _roadmap(request, ids)
    context = _product_context(request, rm.products[0], "roadmap") if product_id else {"tab": "roadmap"}
    context.update({"rm": rm, "svg": charts.roadmap_svg(rm, labels=chart_labels(), title=_roadmap_title(rm)),
                    "group_choices": GroupBy.choices, "group_by": rm.group_by, "across": not product_id,
                    "query": request.GET.urlencode()})  # fmt: skip
    return render(request, "plans/roadmap.html", context)


@login_required
@require_GET
def roadmap_export(request, fmt: str, product_id: int | None = None):
    ids = (
        [product_id]
        if product_id
        else [int(i) for i in request.GET.getlist("product") if i.isdigit()] or None
    )
    rm = _roadmap(request, ids)
    stem = f"{rm.products[0].code if len(rm.products) == 1 else 'pmloop'}-roadmap-{timezone.localdate()}"
    if fmt == "svg":
        content, ctype = (
            charts.roadmap_svg(rm, labels=chart_labels(), title=_roadmap_title(rm)).encode(),
            "image/svg+xml",
        )
    else:
        content, ctype = exports.roadmap_xlsx(rm, stage_labels()), exports.base.XLSX_TYPE
    response = HttpResponse(content, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response


@login_required
def outlook(request, product_id: int):
    actor = actor_of(request)
    product = product_selectors.get_product(actor=actor, product_id=product_id)
    columns = selectors.outlook(actor=actor, product_ids=[product.pk])
    context = _product_context(request, product, "outlook")
    context["columns"] = [(h.value, h.label, columns[h.value]) for h in (Horizon.SHIPPED, Horizon.NOW, Horizon.NEXT,
                                                                          Horizon.LATER)]  # fmt: skip
    return render(request, "plans/outlook.html", context)
