"""Pure guards and the PRD template: no database."""

import pytest

from pmloop.core.errors import GuardFailed, InvalidInput
from pmloop.requirements import lifecycle
from pmloop.requirements import spec as prd


def full_spec():
    return prd.normalise({
        "summary": "群聊支持按角色配置权限",
        "value": "大客户需要细粒度管控",
        "scenarios": [{"title": "教育直播课", "industry": "教育"}],
        "acceptance_criteria": ["群主可以设置管理员", "管理员可以禁言成员"],
    })  # fmt: skip


def test_completeness_lists_what_is_missing():
    report = prd.completeness(prd.normalise({}), required=["summary", "acceptance_criteria"])
    assert report.score == 0
    assert [m.key for m in report.missing_required] == ["summary", "acceptance_criteria"]
    full = prd.completeness(full_spec(), required=["summary", "value", "scenarios", "acceptance_criteria"])
    assert full.missing_required == [] and 0 < full.score < 100


def test_scenario_needs_industry_or_customer_type():
    report = prd.completeness(prd.normalise({"scenarios": [{"title": "x"}]}), required=["scenarios"])
    assert report.missing_required[0].key == "scenarios"
    assert "industry" in report.missing_required[0].hint


def test_background_counts_linked_sources():
    assert prd.completeness(prd.normalise({}), has_sources=True).sections[1].filled


def test_normalise_refuses_unknown_sections_and_bad_shapes():
    with pytest.raises(InvalidInput) as exc:
        prd.normalise({"summry": "typo"})
    assert "summry" in exc.value.message
    with pytest.raises(InvalidInput):
        prd.normalise({"scenarios": [{"titel": "typo"}]})
    with pytest.raises(InvalidInput):
        prd.normalise({"summary": ["not", "text"]})
    assert prd.normalise({"acceptance_criteria": "- a\n- b\n\n"})["acceptance_criteria"] == ["a", "b"]


def test_diff_is_per_section():
    a = full_spec()
    b = {
        **a,
        "summary": "群聊支持自定义角色",
        "acceptance_criteria": [*a["acceptance_criteria"], "新增角色可审计"],
    }
    d = prd.diff(a, b, title_a="T1", title_b="T2")
    assert [s.key for s in d] == ["title", "summary", "acceptance_criteria"]
    assert "+- 新增角色可审计" in d[2].unified
    rows = prd.side_by_side("a\nb", "a\nc")
    assert rows[0] == ("equal", "a", "a") and rows[1] == ("replace", "b", "c")


def test_submit_guards():
    ok = prd.completeness(full_spec(), required=["summary"])
    lifecycle.check_can_submit(status="draft", report=ok, reviewer_ids=[1], skip_review=False)
    with pytest.raises(GuardFailed) as exc:
        lifecycle.check_can_submit(status="active", report=ok, reviewer_ids=[1], skip_review=False)
    assert exc.value.code == "not_draft"
    bad = prd.completeness(prd.normalise({}), required=["summary", "acceptance_criteria"])
    with pytest.raises(GuardFailed) as exc:
        lifecycle.check_can_submit(status="draft", report=bad, reviewer_ids=[1], skip_review=False)
    assert exc.value.code == "prd_incomplete" and exc.value.missing == ["summary", "acceptance_criteria"]
    assert "Summary" in exc.value.message and "Acceptance criteria" in exc.value.message
    with pytest.raises(GuardFailed) as exc:
        lifecycle.check_can_submit(status="draft", report=ok, reviewer_ids=[], skip_review=False)
    assert exc.value.code == "no_reviewers"
    lifecycle.check_can_submit(status="draft", report=ok, reviewer_ids=[], skip_review=True)


def test_spec_editable_only_in_draft_or_changing():
    lifecycle.check_spec_editable("draft")
    lifecycle.check_spec_editable("changing")
    for status, code in [
        ("active", "needs_change_request"),
        ("reviewing", "under_review"),
        ("closed", "closed"),
    ]:
        with pytest.raises(GuardFailed) as exc:
            lifecycle.check_spec_editable(status)
        assert exc.value.code == code


def _close(**kw):
    base = {"requirement_id": 1, "status": "active", "reason": "done", "duplicate_of_id": None, "duplicate_product_ok": False,
                "child_count": 0, "unverified": [], "criteria_total": 2}  # fmt: skip
    lifecycle.check_can_close(**{**base, **kw})


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"status": "closed"}, "closed"),
        ({"reason": "duplicate"}, "duplicate_target_missing"),
        ({"reason": "duplicate", "duplicate_of_id": 1}, "duplicate_self"),
        ({"reason": "subdivided"}, "no_children"),
        ({"criteria_total": 0}, "no_acceptance_criteria"),
        ({"unverified": ["管理员可以禁言成员"]}, "acceptance_unverified"),
    ],
)
def test_close_guards(kw, code):
    with pytest.raises(GuardFailed) as exc:
        _close(**kw)
    assert exc.value.code == code


def test_close_refusals_of_input():
    with pytest.raises(InvalidInput):
        _close(reason="finished")
    with pytest.raises(InvalidInput):
        _close(reason="duplicate", duplicate_of_id=2, duplicate_product_ok=False)
    with pytest.raises(InvalidInput):
        _close(reason="postponed", duplicate_of_id=2)
    _close()
    _close(reason="duplicate", duplicate_of_id=2, duplicate_product_ok=True)
    _close(reason="subdivided", child_count=2, unverified=["x"])


def test_stage_guards():
    args = {"status": "active", "current": "testing", "criteria_total": 1, "criteria_verified": 1}
    lifecycle.check_can_set_stage(target="released", **args)
    with pytest.raises(GuardFailed) as exc:
        lifecycle.check_can_set_stage(target="accepted", **args)
    assert exc.value.code == "not_released"
    with pytest.raises(GuardFailed) as exc:
        lifecycle.check_can_set_stage(
            target="accepted", **{**args, "current": "released", "criteria_verified": 0}
        )
    assert exc.value.code == "acceptance_unverified"
    with pytest.raises(GuardFailed):
        lifecycle.check_can_set_stage(target="planned", **{**args, "status": "draft"})
    with pytest.raises(InvalidInput):
        lifecycle.check_can_set_stage(target="shipped", **args)
    with pytest.raises(GuardFailed) as exc:  # back to developing: say why
        lifecycle.check_can_set_stage(target="developing", **args)
    assert exc.value.code == "reason_required"
    lifecycle.check_can_set_stage(target="developing", note="测试发现阻塞缺陷", **args)


def test_transition_table_covers_every_status():
    from pmloop.requirements.choices import Status

    assert set(lifecycle.TRANSITIONS) == set(Status.values)
    lifecycle.check_transition("draft", "reviewing")
    with pytest.raises(GuardFailed):
        lifecycle.check_transition("draft", "changing")
