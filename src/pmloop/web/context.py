"""Context every page's shell needs: the products for the switcher, the current product,
and whether the user is a site admin (for the Users link)."""

from __future__ import annotations

from pmloop.core.http import actor_of
from pmloop.notifications import selectors as notification_selectors
from pmloop.products import selectors as product_selectors


def shell(request) -> dict:
    if (
        not getattr(request, "user", None)
        or not request.user.is_authenticated
        or request.path.startswith("/api/")
    ):
        return {}
    actor = actor_of(request)
    products = list(
        product_selectors.list_products(actor=actor).select_related(None).only("id", "code", "name")
    )
    wanted = getattr(request, "current_product_id", None)
    current = next((p for p in products if p.pk == wanted), None)
    return {
        "shell_products": products,
        "current_product": current,
        "shell_is_admin": actor.is_admin,
        # The inbox bell in the top bar (notifications/_badge.html polls it every minute).
        "shell_unread": notification_selectors.unread_count(actor=actor),
    }
