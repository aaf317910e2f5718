"""Cross-app pages: the home dashboard, the product switcher, the error pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pmloop.accounts import permissions as acl
from pmloop.accounts.roles import Role
from pmloop.audit import selectors as audit_selectors
from pmloop.audit.views import describe
from pmloop.core.errors import DomainError, InvalidInput, NotFound
from pmloop.core.http import actor_of
from pmloop.pool.choices import Status as PoolStatus
from pmloop.products import selectors as product_selectors
from pmloop.requirements.choices import Priority
from pmloop.requirements.choices import Status as RequirementStatus
from pmloop.web import search as one_search
from pmloop.web.middleware import SESSION_KEY

RECENT_ACTIVITY = 8


@login_required
def home(request):
    actor = actor_of(request)
    products = list(product_selectors.list_products(actor=actor))
    stats = product_selectors.product_stats(actor=actor, product_ids=[p.pk for p in products])
    cards = []
    for p in products:
        role = acl.role_of(actor, p.pk)
        cards.append(
            {
                "product": p,
                "modules": stats.get(p.pk, {}).get("modules", 0),
                "role": Role(role).label if role else "",
            }
        )
    entries = audit_selectors.list_entries(actor=actor)[:RECENT_ACTIVITY] if products else []
    recent = [describe(e) for e in entries]
    return render(request, "web/home.html", {"cards": cards, "recent": recent})


@login_required
@require_POST
def switch_product(request):
    """Remember the chosen product in the session and go to its home (or to ``next``)."""
    raw = request.POST.get("product_id", "")
    if raw == "":
        request.session.pop(SESSION_KEY, None)
        return redirect("web:home")
    try:
        product_id = int(raw)
    except ValueError:
        return HttpResponseBadRequest(_("Choose a product from the list."))
    # NotFound for a product the user may not see: the middleware renders the 404 page.
    product = product_selectors.get_product(actor=actor_of(request), product_id=product_id)
    request.session[SESSION_KEY] = product.pk
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("products:detail", product_id=product.pk)


# ---- one search box ---------------------------------------------------------------------------
def _view_all_links(result: one_search.SearchResult) -> dict[str, str]:
    """The two list pages with the same words and filters (both are product pages)."""
    p, product = result.params, result.product
    if product is None or not p.q:
        return {}
    req = [("q", p.q), *[("status", s) for s in p.requirement_statuses]]
    req += [("module_id", p.module_id)] if p.module_id else []
    req += [("priority", p.priority)] if p.priority else []
    req += [("owner_id", p.owner_id)] if p.owner_id else []
    pool = [("product", product.pk), ("q", p.q)]
    pool += [("status", s) for s in p.pool_statuses] or [("status", "all")]
    pool += [("module", p.module_id)] if p.module_id else []
    pool += [("importance", p.importance)] if p.importance else []
    return {
        "requirements": f"{reverse('requirements:list', args=[product.pk])}?{urlencode(req)}",
        "pool_items": f"{reverse('pool:list')}?{urlencode(pool)}",
    }


def _as_given(request) -> one_search.SearchParams:
    """The form's values as typed, for a form shown again with errors (nothing is searched)."""

    def number(name: str) -> int | None:
        raw = (request.GET.get(name) or "").strip()
        return int(raw) if raw.isdigit() and len(raw) <= 18 else None

    return one_search.SearchParams(
        q=(request.GET.get("q") or "").strip()[: one_search.Q_MAX],
        product_id=number("product"),
        module_id=number("module"),
        status=[s for s in request.GET.getlist("status") if s],
        priority=number("priority"),
        owner=(request.GET.get("owner") or "").strip()[:150] or None,
    )


@login_required
def search(request):
    """/search/: one box over requirements and pool items (web/search.py holds the rules)."""
    actor = actor_of(request)
    errors: dict[str, str] = {}
    current = None if "product" in request.GET else getattr(request, "current_product_id", None)
    result = None
    try:
        params = one_search.from_query(actor, request.GET, default_product_id=current)
    except InvalidInput as exc:
        errors = exc.fields or {"q": exc.message}
        params = _as_given(request)
    if not errors:
        try:
            result = one_search.search(actor, params)
        except NotFound as exc:
            if params.product_id is not None and params.product_id == current:
                # The remembered product is gone (or the membership): search them all.
                params.product_id = None
                result = one_search.search(actor, params)
            else:
                errors = {"product": exc.message}
    modules = []
    if result is not None and result.product is not None:
        nodes = product_selectors.flatten(
            product_selectors.module_tree(actor=actor, product_id=result.product.pk)
        )
        modules = [(n.module.pk, "\u3000" * n.depth + n.module.name) for n in nodes]
    context = {
        "params": params,
        "result": result,
        "errors": errors,
        "modules": modules,
        "requirement_statuses": RequirementStatus.choices,
        "pool_statuses": PoolStatus.choices,
        "priorities": Priority.choices,
        "links": _view_all_links(result) if result is not None else {},
    }
    return render(request, "web/search.html", context)


# ---- error pages -------------------------------------------------------------------------
def not_found(request, exception=None):
    # Django's own Http404 carries developer text (which model, which query): not shown.
    message = exception.message if isinstance(exception, DomainError) else ""
    return render(request, "web/error.html", {"status": 404, "message": message}, status=404)


def forbidden(request, exception=None):
    message = exception.message if isinstance(exception, DomainError) else str(exception or "")
    return render(request, "web/error.html", {"status": 403, "message": message}, status=403)


def domain_error(request, exception: DomainError):
    """A refusal that reached a page without a form to hold it (e.g. a bad page number)."""
    return render(
        request,
        "web/error.html",
        {"status": exception.status, "message": exception.message},
        status=exception.status,
    )


def server_error(request):
    # Rendered without the request: no context processors, so no database access, which
    # may be what failed.
    html = loader.get_template("web/error.html").render({"status": 500})
    return HttpResponse(html, status=500)
