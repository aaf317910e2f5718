from datetime import date

import pytest

from pmloop.core.errors import GuardFailed, InvalidInput
from pmloop.plans import lifecycle


def test_dates_in_order():
    lifecycle.check_dates(date(2026, 1, 1), date(2026, 1, 1))
    with pytest.raises(InvalidInput) as exc:
        lifecycle.check_dates(date(2026, 2, 1), date(2026, 1, 1))
    assert exc.value.fields == {"end_date": exc.value.message}
    assert "2026-01-01" in exc.value.message and "2026-02-01" in exc.value.message


def test_missing_dates_name_the_field():
    with pytest.raises(InvalidInput) as exc:
        lifecycle.check_dates(None, date(2026, 1, 1))
    assert "start_date" in exc.value.fields


def test_sub_plan_within_parent():
    args = {"parent_title": "Q4", "parent_start": date(2026, 10, 1), "parent_end": date(2026, 12, 31)}
    lifecycle.check_within_parent(date(2026, 10, 1), date(2026, 10, 14), **args)
    with pytest.raises(InvalidInput) as exc:
        lifecycle.check_within_parent(date(2026, 12, 20), date(2027, 1, 3), **args)
    assert "end_date" in exc.value.fields and "Q4" in exc.value.message


def test_milestone_inside_plan():
    lifecycle.check_milestone_date(date(2026, 10, 1), start=date(2026, 10, 1), end=date(2026, 10, 31))
    with pytest.raises(InvalidInput) as exc:
        lifecycle.check_milestone_date(date(2026, 11, 1), start=date(2026, 10, 1), end=date(2026, 10, 31))
    assert "date" in exc.value.fields


@pytest.mark.parametrize(
    ("status", "word"), [("draft", "draft"), ("reviewing", "review"), ("closed", "closed")]
)
def test_only_active_requirements_are_planned(status, word):
    assert lifecycle.plannable_problem("IM-1", "active") is None
    assert lifecycle.plannable_problem("IM-1", "changing") is None
    assert word in lifecycle.plannable_problem("IM-1", status)


def test_shipping_needs_testing_or_an_override():
    lifecycle.check_shippable([(1, "IM-1", "active", "testing"), (2, "IM-2", "active", "released")], {})
    with pytest.raises(GuardFailed) as exc:
        lifecycle.check_shippable([(1, "IM-1", "active", "developing"), (2, "IM-2", "active", "testing")], {})
    assert exc.value.code == "not_tested" and exc.value.missing == ["IM-1"]
    lifecycle.check_shippable([(1, "IM-1", "active", "developing")], {1: "hotfix for 好未来"})


def test_shipping_refuses_requirements_under_review_and_empty_releases():
    with pytest.raises(GuardFailed) as exc:
        lifecycle.check_shippable([(1, "IM-1", "reviewing", "testing")], {})
    assert exc.value.code == "not_active"
    with pytest.raises(GuardFailed) as exc:
        lifecycle.check_shippable([], {})
    assert exc.value.code == "empty_release"
