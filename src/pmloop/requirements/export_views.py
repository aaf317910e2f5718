"""Downloads of requirements as files, and the read models the exporters are fed with.

The builders (``requirement_doc``, ``list_rows``, ``matrix_lines``) read through the
requirement selectors, so visibility is the selectors' (a product you are not a member of does
not exist for you: 404), and turn the result into the exporters' dataclasses with labels in
the active language. The CLI uses the same builders. The views parse, call one builder and one
exporter, and answer with the file.

``urlpatterns`` is included by ``requirements/urls.py`` (app_name "requirements"):
``requirements:export_md`` / ``export_docx`` (one requirement), ``export_xlsx`` (a list with
the list page's filters, from the GET parameters) and ``matrix_xlsx`` (a product's
traceability matrix).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
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
from pmloop.requirements import exporters, selectors
from pmloop.requirements.schemas import RequirementFilters


# ---- read models ---------------------------------------------------------------------------
def _name(user: Any) -> str:
    return str(user) if user is not None else ""


def _rule_label(rule: str) -> str:
    from pmloop.products.choices import ReviewRule

    try:
        return str(ReviewRule(rule).label)
    except ValueError:
        return rule


def requirement_doc(*, actor: Actor, requirement_id: int) -> exporters.RequirementDoc:
    """One requirement with who asked, its reviews and its changes (NotFound if not visible)."""
    tr = selectors.trace_requirement(actor=actor, requirement_id=requirement_id)
    req = tr.requirement
    latest = tr.versions[0] if tr.versions else None  # newest first
    return exporters.RequirementDoc(
        key=req.key,
        title=req.title,
        product=f"{req.product.code} {req.product.name}",
        module=req.module.name if req.module_id else "",
        status=str(req.get_status_display()),
        stage=str(req.get_stage_display()),
        priority=str(req.get_priority_display()),
        owner=_name(req.owner),
        version=req.spec_version,
        date=latest.created_at if latest else req.updated_at,
        category=str(req.get_category_display()),
        estimate="" if req.estimate is None else f"{req.estimate.normalize():f}",
        completeness=req.completeness,
        close_reason=str(req.get_close_reason_display()) if req.close_reason else "",
        reviewers=[_name(u) for u in req.reviewers.all()],
        spec=dict(req.spec or {}),
        criteria=[
            exporters.CriterionDoc(
                text=c.text, verified=c.verified, verified_by=_name(c.verified_by), verified_at=c.verified_at
            )
            for c in tr.criteria
        ],
        asked=[
            exporters.AskerDoc(
                key=i.key,
                title=i.title,
                text=i.text,
                customer=i.customer.name if i.customer_id else "",
                source=i.source.label if i.source_id else "",
                status=str(i.get_status_display()),
                voices=i.voices,
            )
            for i in tr.pool_items
        ],
        customers=[c.name for c in tr.customers],
        rounds=[
            exporters.RoundDoc(
                kind=str(r.get_kind_display()),
                rule=_rule_label(r.rule),
                status=str(r.get_status_display()),
                outcome=str(r.get_outcome_display()) if r.outcome else "",
                opened_at=r.opened_at,
                decided_at=r.decided_at,
                note=r.note,
                votes=[
                    exporters.VoteDoc(
                        reviewer=_name(v.reviewer),
                        verdict=str(v.get_verdict_display()) if v.verdict else "",
                        comment=v.comment,
                        given_at=v.given_at,
                    )
                    for v in r.votes.all()
                ],
            )
            for r in reversed(tr.rounds)
        ],
        changes=[
            exporters.ChangeDoc(
                reason=c.reason,
                impact=c.impact,
                status=str(c.get_status_display()),
                base_version=c.base_version,
                created_by=_name(c.created_by),
                created_at=c.created_at,
                decided_at=c.decided_at,
            )
            for c in reversed(tr.changes)
        ],
        versions=[
            exporters.VersionDoc(
                number=v.number, title=v.title, author=_name(v.author), created_at=v.created_at, note=v.note
            )
            for v in reversed(tr.versions)
        ],
        generated_at=timezone.now(),
    )


def list_rows(*, actor: Actor, query: selectors.RequirementQuery) -> Iterator[exporters.ListRow]:
    """The rows of a requirement list. The query is checked now (bad filters raise here);
    the rows stream from the database in chunks as the exporter reads them."""
    qs = selectors.list_requirements(actor=actor, query=query)

    def rows() -> Iterator[exporters.ListRow]:
        for r in qs.iterator(chunk_size=2000):
            yield exporters.ListRow(
                key=r.key,
                title=r.title,
                module=r.module.name if r.module_id else "",
                status=str(r.get_status_display()),
                stage=str(r.get_stage_display()),
                priority=str(r.get_priority_display()),
                owner=_name(r.owner),
                completeness=r.completeness,
                voices=r.voices,
                estimate=r.estimate,
                created=r.created_at,
                updated=r.updated_at,
            )

    return rows()


def matrix_lines(
    *, actor: Actor, product_id: int, query: selectors.RequirementQuery | None = None
) -> list[exporters.MatrixLine]:
    """One line per (requirement, pool item); a requirement no pool item asked for has a
    line of its own with the pool columns empty."""
    out = []
    for row in selectors.traceability_matrix(actor=actor, product_id=product_id, query=query):
        r = row.requirement
        base = {
            "requirement_key": r.key, "requirement_title": r.title, "status": str(r.get_status_display()),
            "stage": str(r.get_stage_display()), "review_outcome": str(row.review_outcome or ""),
            "verdicts": row.reviewers,
        }  # fmt: skip
        if not row.pool_items:
            out.append(exporters.MatrixLine(**base))
        for item in row.pool_items:
            out.append(
                exporters.MatrixLine(
                    **base,
                    pool_key=item.key,
                    pool_title=item.title,
                    customer=item.customer.name if item.customer_id else "",
                    voices=item.voices,
                )
            )
    return out


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
    doc = requirement_doc(actor=actor_of(request), requirement_id=requirement_id)
    return download(
        exporters.requirement_markdown(doc).encode("utf-8"), f"{doc.key}.md", exporters.MARKDOWN_TYPE
    )


@login_required
@require_GET
def export_docx(request: HttpRequest, requirement_id: int) -> HttpResponse:
    doc = requirement_doc(actor=actor_of(request), requirement_id=requirement_id)
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
    content = exporters.requirements_xlsx(list_rows(actor=actor, query=query))
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
    content = exporters.matrix_xlsx(matrix_lines(actor=actor, product_id=product.pk, query=query))
    return download(content, f"{product.code}-traceability-{_stamp()}.xlsx", exporters.XLSX_TYPE)


urlpatterns = [
    path("<int:requirement_id>/export.md", export_md, name="export_md"),
    path("<int:requirement_id>/export.docx", export_docx, name="export_docx"),
    path("export.xlsx", export_xlsx, name="export_xlsx"),
    path("matrix.xlsx", matrix_xlsx, name="matrix_xlsx"),
]
