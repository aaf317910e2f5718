# ruff: noqa: F811  (fixtures imported from the requirement tests are used by name)
"""Plans tests reuse the requirement world (set up through the real services)."""

from __future__ import annotations

from datetime import date

import pytest

from pmloop.requirements.tests.conftest import FULL_SPEC, World, active_req, make_req, world  # noqa: F401

Q4 = (date(2026, 10, 1), date(2026, 12, 31))


@pytest.fixture
def po(world):
    return world.a(world.owner)


@pytest.fixture
def quarter(world, po):
    from pmloop.plans import services

    return services.create_plan(actor=po, product_id=world.product.pk, title="2026 Q4", start_date=Q4[0],
                                end_date=Q4[1], capacity=20)  # fmt: skip


@pytest.fixture
def make_active(world, make_req):
    """make_active(title, stage="wait", estimate=None) → an active requirement at ``stage``."""
    from pmloop.requirements import services
    from pmloop.requirements.choices import STAGE_ORDER

    def make(title: str = "群组角色权限", stage: str = "wait", estimate=None):
        req = make_req(title=title, estimate=estimate)
        req = services.submit_for_review(actor=world.a(world.pm), requirement_id=req.pk,
                                         expected_version=req.version)  # fmt: skip
        services.record_review_verdict(actor=world.a(world.rev1), requirement_id=req.pk, verdict="pass")
        req = services.record_review_verdict(actor=world.a(world.rev2), requirement_id=req.pk, verdict="pass")
        for s in STAGE_ORDER[1 : STAGE_ORDER.index(stage) + 1]:
            req = services.set_stage(actor=world.a(world.dev), requirement_id=req.pk,
                                     expected_version=req.version, stage=s)  # fmt: skip
        return req

    return make


def audit_count() -> int:
    from pmloop.audit.models import AuditEntry

    return AuditEntry.objects.count()
