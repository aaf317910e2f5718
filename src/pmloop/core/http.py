"""Request → Actor, and the shapes every API router shares (error body, page envelope).

Lives in core so that each app's api.py can use it without importing a higher layer."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from django.http import HttpRequest
from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import ModelWrapValidatorHandler, ValidationInfo, model_validator

from pmloop.core.actor import Actor
from pmloop.core.pagination import Page

T = TypeVar("T")


def actor_of(request: HttpRequest, via: str | None = None) -> Actor:
    """The Actor for a request, memoised on it. API requests authenticated by a read-only
    token get a read-only actor."""
    actor = getattr(request, "_pmloop_actor", None)
    if actor is None:
        token = getattr(request, "api_token", None)
        is_api = request.path.startswith("/api/")
        actor = Actor(
            user=request.user if request.user.is_authenticated else None,
            via=via or ("api" if is_api else "web"),
            read_only=bool(token is not None and token.scope == "read"),
        )
        request._pmloop_actor = actor
    return actor


class RowSchema(Schema):
    """A response schema whose rows may be plain dicts, validated in pydantic's own (Rust) path.

    ninja wraps every input of a ``Schema``, dicts too, in a ``DjangoGetter`` that reads each
    field through Python ``__getattr__`` (1,270 calls for a 50-row requirement page: a quarter of
    the list's time). A dict built for the schema (``requirements.schemas.requirement_row``)
    needs none of that; model instances, and schemas with ``resolve_*`` methods, still go
    through ninja as before."""

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(
        cls, values: Any, handler: ModelWrapValidatorHandler, info: ValidationInfo
    ) -> Any:
        if type(values) is dict and not cls._ninja_resolvers:
            return handler(values)
        return handler(DjangoGetter(values, cls, info.context))


class FieldError(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    code: str
    message: str
    fields: list[FieldError] = []
    missing: list[Any] = []


class PageOut(Schema, Generic[T]):
    items: list[T]
    count: int
    page: int
    page_size: int
    pages: int
    count_capped: bool = False
    """True when more rows match than ``count``: a text search counts up to 1,000 matches."""


def page_out(page: Page, converter=None) -> dict[str, Any]:
    items = [converter(i) for i in page.items] if converter else page.items
    return {
        "items": items,
        "count": page.count,
        "page": page.page,
        "page_size": page.page_size,
        "pages": page.pages,
        "count_capped": page.count_capped,
    }


def requires(action: Any) -> dict[str, Any]:
    """``openapi_extra`` for an operation: the permission action it checks, by name.

    Shown in the OpenAPI schema (``x-pmloop-action``) and read by the permission-matrix test,
    which derives who may call the operation from that action's roles. Leave it out only for
    operations open to every signed-in user (lists already limited to what the caller sees)."""
    return {"x-pmloop-action": getattr(action, "name", action)}


# The error responses every operation may give, for the OpenAPI schema.
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
