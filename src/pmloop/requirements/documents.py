"""The read models behind the requirement exports: what a PRD document, a list sheet and a
traceability matrix hold, filled through the requirement selectors.

``requirement_doc``, ``list_rows`` and ``matrix_lines`` read through the selectors, so
visibility is the selectors' (a product you are not a member of does not exist for you:
``NotFound``), and turn the result into the dataclasses of ``exporters`` with labels in the
active language. Not a front: no request, no response. The web downloads
(``export_views``) and the CLI (``pmloop requirements export|export-list|matrix|show``) both
call these and hand the result to an exporter.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils import timezone

from pmloop.core.actor import Actor
from pmloop.requirements import exporters, selectors


def _name(user: Any) -> str:
    return str(user) if user is not None else ""


def _rule_label(rule: str) -> str:
    from pmloop.products.choices import ReviewRule

    try:
        return str(ReviewRule(rule).label)
    except ValueError:
        return rule


def _heading(req: Any) -> dict[str, Any]:
    """The fields a PRD document and a list row share, with labels in the active language."""
    return {
        "key": req.key,
        "title": req.title,
        "module": req.module.name if req.module_id else "",
        "status": str(req.get_status_display()),
        "stage": str(req.get_stage_display()),
        "priority": str(req.get_priority_display()),
        "owner": _name(req.owner),
    }


def requirement_doc(*, actor: Actor, requirement_id: int) -> exporters.RequirementDoc:
    """One requirement with who asked, its reviews and its changes (NotFound if not visible)."""
    tr = selectors.trace_requirement(actor=actor, requirement_id=requirement_id)
    req = tr.requirement
    latest = tr.versions[0] if tr.versions else None  # newest first
    return exporters.RequirementDoc(
        **_heading(req),
        product=f"{req.product.code} {req.product.name}",
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
                **_heading(r),
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
