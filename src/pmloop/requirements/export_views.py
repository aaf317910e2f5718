"""Downloads of requirements as files (a front: Django views).

The views parse, call one builder from ``documents`` (``requirement_doc``, ``list_rows``,
``matrix_lines``: the read models, filled through the requirement selectors, so a product you
are not a member of does not exist for you: 404) and one exporter, and answer with the file.
The CLI calls the same builders from ``documents``; no shipped module but ``urls.py`` imports
this one (tests/architecture/test_export_views_imports.py).

``urlpatterns`` is included by ``requirements/urls.py`` (app_name "requirements"):
``requirements:export_md`` / ``export_docx`` (one requirement), ``export_xlsx`` (a list with
the list page's filters, from the GET parameters) and ``matrix_xlsx`` (a product's
traceability matrix).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from pydantic import ValidationError

from pmloop.core.actor import Actor
from pmloop.core.errors import InvalidInput
from pmloop.core.http import actor_of
from pmloop.requirements import documents, exporters, selectors
from pmloop.requirements.schemas import RequirementFilters

# ---- GET parameters → the list's query ------------------------------------------------------
LIST_PARAMS = ("status", "stage", "priority")


def query_from_params(params: QueryDict) -> selectors.RequirementQuery:
    """The list page's filters (RequirementFilters, shared with the API) from GET parameters.
    Multi-valued filters come repeated (``status=draft&status=active``) or comma-separated;
    ``product`` is accepted for ``product_id``; empty values are ignored."""
    data: dict[str, Any] = {}
    for name in RequirementFilters.model_fields:
        if name in ("page", "page_size"):
            continue
        if name in LIST_PARAMS:
            values = [v.strip() for raw in params.getlist(name) for v in raw.split(",") if v.strip()]
            if values:
                data[name] = values
        elif params.get(name, "").strip():
            data[name] = params[name].strip()
    if "product_id" not in data and params.get("product", "").strip():
        data["product_id"] = params["product"].strip()
    try:
        filters = RequirementFilters(**data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first.get("loc") else "filters"
        raise InvalidInput(
            _("The filter '%(f)s' is not valid: %(m)s") % {"f": field, "m": first.get("msg", "")}, field=field
        ) from exc
    values = filters.dict()
    values.pop("page"), values.pop("page_size")
    return selectors.RequirementQuery(**values)


# ---- responses ----------------------------------------------------------------------------
def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the UTF-8 name (RFC 6266 / RFC 5987)."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name).strip("_") or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename)
    response["Content-Length"] = str(len(content))
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _stamp() -> str:
    return timezone.localdate().isoformat()


# ---- views -------------------------------------------------------------------------------
@login_required
@require_GET
def export_md(request: HttpRequest, requirement_id: int) -> HttpResponse:
    doc = documents.requirement_doc(actor=actor_of(request), requirement_id=requirement_id)
    return download(
        exporters.requirement_markdown(doc).encode("utf-8"), f"{doc.key}.md", exporters.MARKDOWN_TYPE
    )


@login_required
@require_GET
def export_docx(request: HttpRequest, requirement_id: int) -> HttpResponse:
    doc = documents.requirement_doc(actor=actor_of(request), requirement_id=requirement_id)
    return download(exporters.requirement_docx(doc), f"{doc.key}.docx", exporters.DOCX_TYPE)


def _product(actor: Actor, product_id: int):
    from pmloop.products import selectors as product_selectors

    return product_selectors.get_product(actor=actor, product_id=product_id)


@login_required
@require_GET
def export_xlsx(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    query = query_from_params(request.GET)
    prefix = _product(actor, query.product_id).code if query.product_id is not None else "pmloop"
    content = exporters.requirements_xlsx(documents.list_rows(actor=actor, query=query))
    return download(content, f"{prefix}-requirements-{_stamp()}.xlsx", exporters.XLSX_TYPE)


@login_required
@require_GET
def matrix_xlsx(request: HttpRequest) -> HttpResponse:
    """A product's traceability matrix: ``?product_id=`` (or ``?product=``, else the current
    product), with the list filters narrowing the requirements."""
    actor = actor_of(request)
    query = query_from_params(request.GET)
    product_id = query.product_id or getattr(request, "current_product_id", None)
    if product_id is None:
        raise InvalidInput(_("Choose a product for the traceability matrix."), field="product_id")
    product = _product(actor, product_id)
    content = exporters.matrix_xlsx(documents.matrix_lines(actor=actor, product_id=product.pk, query=query))
    return download(content, f"{product.code}-traceability-{_stamp()}.xlsx", exporters.XLSX_TYPE)


urlpatterns = [
    path("<int:requirement_id>/export.md", export_md, name="export_md"),
    path("<int:requirement_id>/export.docx", export_docx, name="export_docx"),
    path("export.xlsx", export_xlsx, name="export_xlsx"),
    path("matrix.xlsx", matrix_xlsx, name="matrix_xlsx"),
]
