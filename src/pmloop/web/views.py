"""Cross-app pages: the home dashboard, the product switcher, the error pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pmloop.accounts import permissions as acl
from pmloop.accounts.roles import Role
from pmloop.audit import selectors as audit_selectors
from pmloop.audit.views import describe
from pmloop.core.errors import DomainError
from pmloop.core.http import actor_of
from pmloop.products import selectors as product_selectors
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
