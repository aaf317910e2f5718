"""The one NinjaAPI: authentication, the error shape, and every app's router."""

from __future__ import annotations

import functools

from django.core.exceptions import RequestDataTooBig
from django.db import DataError
from django.http import Http404, HttpRequest
from django.urls import URLPattern, re_path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as _noop
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from ninja.security.session import SessionAuth

from pmloop.accounts import services as accounts_services
from pmloop.core.errors import DomainError


class TokenAuth(HttpBearer):
    """``Authorization: Bearer pml_…``: a personal API token, read-only or read-write."""

    def authenticate(self, request: HttpRequest, token: str):
        api_token = accounts_services.resolve_token(token)
        if api_token is None:
            return None
        request.user = api_token.user
        request.api_token = api_token
        return api_token.user


class SessionUser(SessionAuth):
    """The browser session (CSRF-checked on writes by django-ninja).

    Only a logged-in session is CSRF-checked: a request with neither a valid token nor a
    session gets 401 'unauthenticated', not a misleading 403 'CSRF check Failed'."""

    def __call__(self, request: HttpRequest):
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)


class PmloopAPI(NinjaAPI):
    """NinjaAPI whose every 4xx has the one error shape, including the two that django-ninja
    answers outside its exception handlers: a wrong method on a known path (405) and a path
    that is no route at all (404)."""

    def _get_urls(self):
        urls = [
            URLPattern(u.pattern, _json_errors(self, u.callback), u.default_args, u.name)
            if isinstance(u, URLPattern)
            else u
            for u in super()._get_urls()
        ]
        urls.append(re_path(r"^.*$", _json_errors(self, _no_such_route), name="api-unknown"))
        return urls


def _no_such_route(request: HttpRequest, *args, **kwargs):
    raise Http404


# It only answers 404 and changes nothing: a POST to no route (say, a negative id the path
# converter refuses) must get the JSON 404, not Django's HTML CSRF page.
_no_such_route.csrf_exempt = True  # type: ignore[attr-defined]


def _json_errors(api_: NinjaAPI, view):
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return _error(
                request, 404, "no_such_route",
                _("There is no API route %(m)s %(p)s; see %(docs)s.")
                % {"m": request.method, "p": request.path, "docs": reverse(f"{api_.urls_namespace}:openapi-view")},
            )  # fmt: skip
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            allowed = response.get("Allow", "")
            new = _error(
                request, 405, "method_not_allowed",
                _("%(m)s is not allowed on %(p)s; use one of: %(a)s.")
                % {"m": request.method, "p": request.path, "a": allowed},
            )  # fmt: skip
            new["Allow"] = allowed
            return new
        return response

    wrapper.csrf_exempt = getattr(view, "csrf_exempt", False)  # type: ignore[attr-defined]
    return wrapper


api = PmloopAPI(
    title="pmloop API",
    version="1",
    description=(
        "REST API of pmloop. Authenticate with a personal token (`Authorization: Bearer pml_…`, "
        "created under *Account → API tokens*) or the browser session. Every 4xx has the same "
        "body: `code`, `message`, `fields` (per-field messages) and `missing` (what a guard "
        "wants). Updates carry the `version` they read; a stale one gets 409."
    ),
    urls_namespace="api",
    auth=[TokenAuth(), SessionUser()],
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _error(request, status: int, code: str, message: str, fields=None, missing=None):
    body = {"code": code, "message": message, "fields": fields or [], "missing": missing or []}
    return api.create_response(request, body, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(RequestDataTooBig)
def on_body_too_big(request, exc: RequestDataTooBig):
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE: the error shape, not Django's HTML 400 page."""
    return _error(request, 400, "body_too_large", _("The request body is too large."))


def _out_of_range(request, exc: Exception):
    return _error(
        request, 422, "invalid", _("A number in the request is too large or too small to be stored.")
    )


# An id or number beyond the database's 64-bit integers (in a body, a query or an id list):
# SQLite's driver raises OverflowError, PostgreSQL "integer out of range" (a DataError).
api.exception_handler(OverflowError)(_out_of_range)


@api.exception_handler(DataError)
def on_data_error(request, exc: DataError):
    if "cannot contain NUL" in str(exc):  # PostgreSQL text never holds U+0000 (SQLite stores it)
        return _error(request, 422, "invalid", _("Text may not contain the NUL character (U+0000)."))
    if "out of range" not in str(exc):
        raise exc
    return _out_of_range(request, exc)


def _field_name(loc) -> str:
    """The field a client sent, from ninja's error location: ("body", "body", "spec", "scenarios", 0)
    → "spec.scenarios.0"; ("query", "filters", "status", 0) → "status"; ("path", "id") → "id"."""
    parts = [str(p) for p in loc]
    if not parts:
        return "body"
    source, rest = parts[0], parts[1:]
    if source in ("body", "query", "form", "file", "header", "cookie") and len(rest) >= 2:
        rest = rest[1:]  # drop the view's parameter name (body / filters / payload …)
    if source == "query":
        while len(rest) > 1 and rest[-1].isdigit():
            rest = rest[:-1]  # a repeated query parameter: name it, not its position
    return ".".join(rest) or source


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    fields = []
    for err in exc.errors:
        fields.append({"field": _field_name(err.get("loc", ())), "message": err.get("msg", "invalid")})
    summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:5])
    return _error(request, 422, "invalid", _("The request is not valid: %(s)s") % {"s": summary}, fields)


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return _error(
        request, 401, "unauthenticated",
        _("Authenticate with 'Authorization: Bearer <token>' or a logged-in session."),
    )  # fmt: skip


@api.exception_handler(Http404)
def on_404(request, exc):
    return _error(request, 404, "not_found", _("Not found."))


# django-ninja's own HttpErrors, by message: a stable code and a message that says what to do.
_NINJA_HTTP_ERRORS = {
    "Cannot parse request body": (
        "bad_request",
        _noop(
            "The request body is not valid JSON: send a JSON object with 'Content-Type: application/json'."
        ),
    ),
    "CSRF check Failed": (
        "csrf_failed",
        _noop(
            "A logged-in browser session must send its CSRF token (header X-CSRFToken) with every write; "
            "scripts should authenticate with an API token instead."
        ),
    ),
}
_STATUS_CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 409: "conflict", 429: "throttled"}


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    code, message = _NINJA_HTTP_ERRORS.get(str(exc), (None, None))
    if code is None:
        code, message = _STATUS_CODES.get(exc.status_code, "http_error"), str(exc)
    return _error(request, exc.status_code, code, _(message))


def _register_routers() -> None:
    from pmloop.accounts.api import router as accounts_router
    from pmloop.audit.api import router as audit_router
    from pmloop.customers.api import router as customers_router
    from pmloop.deliverables.api import router as launch_router
    from pmloop.notifications.api import router as notifications_router
    from pmloop.plans.api import releases_router
    from pmloop.plans.api import router as plans_router
    from pmloop.pool.api import router as pool_router
    from pmloop.products.api import router as products_router
    from pmloop.requirements.api import router as requirements_router
    from pmloop.web.api import router as system_router

    api.add_router("/", system_router)
    api.add_router("/accounts", accounts_router)
    api.add_router("/products", products_router)
    api.add_router("/audit", audit_router)
    api.add_router("/customers", customers_router)
    api.add_router("/pool", pool_router)
    api.add_router("/notifications", notifications_router)
    api.add_router("/requirements", requirements_router)
    api.add_router("/plans", plans_router)
    api.add_router("/releases", releases_router)
    api.add_router("/launch", launch_router)


_register_routers()
