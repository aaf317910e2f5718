"""The list's fast row dict says exactly what the schema would read from the model."""

import pytest

from pmloop.requirements import selectors, services
from pmloop.requirements.schemas import RequirementOut, requirement_row

pytestmark = pytest.mark.django_db


def test_requirement_row_equals_the_schema_read_from_the_model(owner, product, actor_for):
    actor = actor_for(owner)
    services.create_requirement(actor=actor, product_id=product.pk, title="群组权限", priority=2, estimate=3)
    req = services.create_requirement(actor=actor, product_id=product.pk, title="Message recall")
    req.owner = None
    req.save(update_fields=["owner"])
    rows = list(selectors.list_requirements(actor=actor, query=selectors.RequirementQuery(), for_api=True))
    assert len(rows) == 2 and any(r.owner is None for r in rows)
    for r in rows:
        assert (
            RequirementOut.model_validate(requirement_row(r)).model_dump()
            == RequirementOut.from_orm(r).model_dump()
        )
