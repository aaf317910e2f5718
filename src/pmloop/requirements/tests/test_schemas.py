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


def test_row_dicts_are_validated_without_ninja_getters(owner, product, actor_for, monkeypatch):
    """RowSchema hands dicts straight to pydantic; model instances still go through ninja."""
    from ninja.schema import DjangoGetter

    from pmloop.core.http import PageOut

    actor = actor_for(owner)
    services.create_requirement(actor=actor, product_id=product.pk, title="群组权限")
    rows = list(selectors.list_requirements(actor=actor, query=selectors.RequirementQuery(), for_api=True))
    calls = []
    real = DjangoGetter.__getattr__
    monkeypatch.setattr(DjangoGetter, "__getattr__", lambda self, key: calls.append(key) or real(self, key))
    page = {"items": [requirement_row(r) for r in rows], "count": 1, "page": 1, "page_size": 50, "pages": 1}
    out = PageOut[RequirementOut].model_validate(page)
    assert out.items[0].title == "群组权限" and out.items[0].owner.username == "owner"
    assert not [k for k in calls if k in RequirementOut.model_fields]  # only the page envelope's own fields
    assert RequirementOut.from_orm(rows[0]).key == out.items[0].key
    assert "title" in calls  # the model instance was read through ninja


def test_a_bad_row_dict_is_still_refused(owner, product, actor_for):
    import pydantic

    actor = actor_for(owner)
    req = services.create_requirement(actor=actor, product_id=product.pk, title="x")
    row = requirement_row(selectors.get_requirement(actor=actor, requirement_id=req.pk, for_api=True))
    with pytest.raises(pydantic.ValidationError):
        RequirementOut.model_validate({**row, "status": "nonsense"})
    with pytest.raises(pydantic.ValidationError):
        RequirementOut.model_validate({k: v for k, v in row.items() if k != "title"})
