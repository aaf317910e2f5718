"""The web shell's middleware.

1. The current product. Pages read ``request.current_product_id``: the product in the URL
   (``<int:product_id>`` of a product page), else ``?product=``, else the one remembered in
   the session. A product page that rendered (status 200, so the user may see it) becomes
   the remembered one, so the switcher and the next page agree.
2. Domain errors on pages. A selector's NotFound becomes the 404 page and a PermissionDenied
   the 403 page, with the service's message; the API handles its own errors.
"""

from __future__ import annotations

from pmloop.core.errors import DomainError, NotFound, PermissionDenied

SESSION_KEY = "product_id"


def _as_int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


class CurrentProductMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        remembered = _as_int(session.get(SESSION_KEY)) if session is not None else None
        request.current_product_id = _as_int(request.GET.get("product")) or remembered
        request.product_from_url = False
        response = self.get_response(request)
        if (
            request.product_from_url
            and response.status_code == 200
            and session is not None
            and request.user.is_authenticated
            and request.current_product_id != remembered
        ):
            session[SESSION_KEY] = request.current_product_id
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        pid = _as_int(view_kwargs.get("product_id"))
        if pid is not None:
            request.current_product_id = pid
            request.product_from_url = True
        return None

    def process_exception(self, request, exception):
        if request.path.startswith("/api/") or not isinstance(exception, DomainError):
            return None
        from pmloop.web import views  # late: views import templates and selectors

        if isinstance(exception, NotFound):
            return views.not_found(request, exception)
        if isinstance(exception, PermissionDenied):
            return views.forbidden(request, exception)
        return views.domain_error(request, exception)
