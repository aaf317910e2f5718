"""Plan services: every rule and refusal; a refusal changes nothing and logs nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from pmloop.audit.models import AuditEntry
from pmloop.core.errors import GuardFailed, InvalidInput, NotFound, PermissionDenied
from pmloop.plans import selectors, services
from pmloop.plans.models import Milestone, Plan, PlanItem
from pmloop.plans.tests.conftest import Q4, audit_count
from pmloop.requirements.models import Requirement, StageChange

pytestmark = pytest.mark.django_db


def test_create_plan_is_audited(world, po):
    plan = services.create_plan(actor=po, product_id=world.product.pk, title="2026 Q4", start_date="2026-10-01",
                                end_date=date(2026, 12, 31), capacity="40.5")  # fmt: skip
    assert plan.capacity == Decimal("40.5") and plan.owner_id == world.owner.pk
    entry = AuditEntry.objects.get(action="plans.created")
    assert entry.object_id == str(plan.pk) and entry.product_id == world.product.pk


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"start_date": date(2026, 12, 31), "end_date": date(2026, 10, 1)}, "end_date"),
        ({"start_date": None, "end_date": date(2026, 10, 1)}, "start_date"),
        ({"start_date": "2026-13-01", "end_date": date(2026, 10, 1)}, "start_date"),
        ({"start_date": date(2026, 10, 1), "end_date": date(2026, 10, 2), "capacity": -1}, "capacity"),
        ({"start_date": date(2026, 10, 1), "end_date": date(2026, 10, 2), "title": " "}, "title"),
    ],
)
def test_bad_plan_input_changes_nothing(world, po, kwargs, field):
    before = audit_count()
    kwargs = {"title": "Q4", **kwargs}
    with pytest.raises(InvalidInput) as exc:
        services.create_plan(actor=po, product_id=world.product.pk, **kwargs)
    assert field in exc.value.fields
    assert Plan.objects.count() == 0 and audit_count() == before


def test_viewer_may_not_plan(world):
    with pytest.raises(PermissionDenied):
        services.create_plan(actor=world.a(world.viewer), product_id=world.product.pk, title="Q4",
                             start_date=Q4[0], end_date=Q4[1])  # fmt: skip


def test_plan_owner_must_be_a_manager(world, po):
    with pytest.raises(InvalidInput) as exc:
        services.create_plan(actor=po, product_id=world.product.pk, title="Q4", start_date=Q4[0], end_date=Q4[1],
                             owner_id=world.dev.pk)  # fmt: skip
    assert "owner_id" in exc.value.fields
    plan = services.create_plan(actor=po, product_id=world.product.pk, title="Q4", start_date=Q4[0], end_date=Q4[1],
                                owner_id=world.pm.pk)  # fmt: skip
    assert plan.owner_id == world.pm.pk


def test_sprints_nest_inside_their_quarter(world, po, quarter):
    sprint = services.create_plan(actor=po, product_id=world.product.pk, title="Sprint 1", parent_id=quarter.pk,
                                  start_date=date(2026, 10, 1), end_date=date(2026, 10, 14))  # fmt: skip
    assert sprint.parent_id == quarter.pk
    before = audit_count()
    with pytest.raises(InvalidInput) as exc:
        services.create_plan(actor=po, product_id=world.product.pk, title="Sprint 9", parent_id=quarter.pk,
                             start_date=date(2026, 12, 20), end_date=date(2027, 1, 2))  # fmt: skip
    assert "2026 Q4" in exc.value.message and audit_count() == before
    # the quarter cannot shrink away from its sprint
    with pytest.raises(InvalidInput) as exc:
        services.update_plan(actor=po, plan_id=quarter.pk, expected_version=quarter.version,
                             start_date=date(2026, 10, 5))  # fmt: skip
    assert "Sprint 1" in exc.value.message
    with pytest.raises(GuardFailed) as gexc:
        services.delete_plan(actor=po, plan_id=quarter.pk, expected_version=quarter.version)
    assert gexc.value.code == "plan_has_children"


def test_parent_plan_of_another_product_is_refused(world, po, quarter, admin, other_product):
    from pmloop.core.actor import Actor

    with pytest.raises(InvalidInput) as exc:
        services.create_plan(actor=Actor(user=admin), product_id=other_product.pk, title="S", parent_id=quarter.pk,
                             start_date=Q4[0], end_date=Q4[1])  # fmt: skip
    assert "parent_id" in exc.value.fields


def test_update_plan_needs_the_current_version(world, po, quarter):
    from pmloop.core.errors import Conflict

    plan = services.update_plan(actor=po, plan_id=quarter.pk, expected_version=quarter.version, capacity=None,
                                title="2026 第四季度")  # fmt: skip
    assert plan.capacity is None and plan.version == 2
    with pytest.raises(Conflict):
        services.update_plan(actor=po, plan_id=quarter.pk, expected_version=1, title="x")
    assert Plan.objects.get().title == "2026 第四季度"


def test_milestones_stay_inside_their_plan(world, po, quarter):
    ms = services.add_milestone(actor=po, plan_id=quarter.pk, name="提测", date="2026-11-15")
    assert ms.status == "open"
    before = audit_count()
    with pytest.raises(InvalidInput) as exc:
        services.add_milestone(actor=po, plan_id=quarter.pk, name="上线", date=date(2027, 1, 5))
    assert exc.value.fields["date"].startswith("The milestone date 2027-01-05 is outside the plan")
    with pytest.raises(InvalidInput):
        services.update_milestone(
            actor=po, milestone_id=ms.pk, expected_version=ms.version, date="2026-09-30"
        )
    with pytest.raises(InvalidInput) as exc:
        services.update_plan(
            actor=po, plan_id=quarter.pk, expected_version=quarter.version, end_date="2026-11-01"
        )
    assert "提测" in exc.value.message
    assert audit_count() == before and Milestone.objects.get().date == date(2026, 11, 15)
    ms = services.update_milestone(actor=po, milestone_id=ms.pk, expected_version=ms.version, status="done")
    assert ms.status == "done"
    with pytest.raises(InvalidInput):
        services.update_milestone(actor=po, milestone_id=ms.pk, expected_version=ms.version, status="late")
    services.delete_milestone(actor=po, milestone_id=ms.pk, expected_version=ms.version)
    assert not Milestone.objects.exists()


def test_planning_moves_the_stage_to_planned(world, po, quarter, make_active):
    req = make_active("群组角色权限", estimate=8)
    items = services.add_to_plan(actor=po, plan_id=quarter.pk, requirement_ids=[req.pk])
    req.refresh_from_db()
    assert req.stage == "planned" and items[0].requirement_id == req.pk
    change = StageChange.objects.exclude(from_stage="").get(requirement=req)
    assert (change.from_stage, change.to_stage, change.actor_id) == ("wait", "planned", world.owner.pk)
    assert AuditEntry.objects.filter(action="plans.item_added").count() == 1
    assert AuditEntry.objects.filter(action="requirements.stage_changed", object_id=str(req.pk)).count() == 1


def test_a_requirement_further_along_keeps_its_stage(world, po, quarter, make_active):
    req = make_active(stage="developing")
    services.add_to_plan(actor=po, plan_id=quarter.pk, requirement_ids=[req.pk])
    req.refresh_from_db()
    assert req.stage == "developing"


def test_only_active_requirements_can_be_planned(world, po, quarter, make_req, make_active):
    draft = make_req(title="草稿需求")
    ok = make_active("已评审需求")
    before, version = audit_count(), Requirement.objects.get(pk=ok.pk).version
    with pytest.raises(GuardFailed) as exc:
        services.add_to_plan(actor=po, plan_id=quarter.pk, requirement_ids=[ok.pk, draft.pk])
    assert exc.value.code == "not_plannable"
    assert "is a draft: it is planned once it has passed review" in exc.value.message
    assert exc.value.missing == [draft.key]
    assert not PlanItem.objects.exists() and audit_count() == before
    assert Requirement.objects.get(pk=ok.pk).version == version  # the good one was not moved either


def test_requirement_of_another_product_is_refused(world, po, quarter, admin, other_product):
    from pmloop.core.actor import Actor
    from pmloop.requirements import services as req_services

    foreign = req_services.create_requirement(
        actor=Actor(user=admin), product_id=other_product.pk, title="别家的"
    )
    with pytest.raises(InvalidInput) as exc:
        services.add_to_plan(actor=Actor(user=admin), plan_id=quarter.pk, requirement_ids=[foreign.pk])
    assert "another product" in exc.value.message and exc.value.missing == [foreign.key]
    # a member of IMSDK only cannot even see it
    with pytest.raises(NotFound):
        services.add_to_plan(actor=po, plan_id=quarter.pk, requirement_ids=[foreign.pk])
    assert not PlanItem.objects.exists()


def test_a_requirement_sits_in_one_plan(world, po, quarter, make_active):
    other = services.create_plan(actor=po, product_id=world.product.pk, title="2027 Q1",
                                 start_date="2027-01-01", end_date="2027-03-31")  # fmt: skip
    req = make_active()
    services.add_to_plan(actor=po, plan_id=quarter.pk, requirement_ids=[req.pk])
    with pytest.raises(GuardFailed) as exc:
        services.add_to_plan(actor=po, plan_id=other.pk, requirement_ids=[req.pk])
    assert "already in plan “2026 Q4”: move it instead" in exc.value.message
    with pytest.raises(GuardFailed) as exc:
        services.add_to_plan(actor=po, plan_id=quarter.pk, requirement_ids=[req.pk])
    assert "already in this plan" in exc.value.message


def test_moving_keeps_history(world, po, quarter, make_active):
    sprint = services.create_plan(actor=po, product_id=world.product.pk, title="Sprint 1", parent_id=quarter.pk,
                                  start_date="2026-10-01", end_date="2026-10-14")  # fmt: skip
    req = make_active()
    item = services.add_to_plan(actor=po, plan_id=quarter.pk, requirement_ids=[req.pk])[0]
    moved = services.move_plan_item(
        actor=po, requirement_id=req.pk, to_plan_id=sprint.pk, note="排进第一个迭代"
    )
    assert moved.pk == item.pk and moved.plan_id == sprint.pk
    assert list(StageChange.objects.filter(requirement=req).values_list("to_stage", flat=True)) == [
        "wait",
        "planned",
    ]
    history = selectors.item_history(actor=po, item=moved)
    assert [e.action for e in history] == ["plans.item_moved", "plans.item_added"]
    assert history[0].before["plan_id"] == quarter.pk and history[0].after["plan_id"] == sprint.pk
    # the quarter still counts it (through its sprint)
    summary = selectors.plan_summary(actor=po, plan_id=quarter.pk)
    assert summary.items == [] and [i.requirement_id for i in summary.all_items] == [req.pk]
    with pytest.raises(GuardFailed):
        services.move_plan_item(actor=po, requirement_id=req.pk, to_plan_id=sprint.pk)


def test_moving_to_another_products_plan_is_refused(world, po, quarter, make_active, admin, other_product):
    from pmloop.core.actor import Actor

    foreign_plan = services.create_plan(actor=Actor(user=admin), product_id=other_product.pk, title="X",
                                        start_date=Q4[0], end_date=Q4[1])  # fmt: skip
    req = make_active()
    services.add_to_plan(actor=po, plan_id=quarter.pk, requirement_ids=[req.pk])
    with pytest.raises(InvalidInput):
        services.move_plan_item(actor=Actor(user=admin), requirement_id=req.pk, to_plan_id=foreign_plan.pk)
    assert PlanItem.objects.get().plan_id == quarter.pk


def test_removing_a_planned_requirement_sends_it_back_to_waiting(world, po, quarter, make_active):
    req = make_active()
    services.add_to_plan(actor=po, plan_id=quarter.pk, requirement_ids=[req.pk])
    services.remove_from_plan(actor=po, plan_id=quarter.pk, requirement_id=req.pk)
    req.refresh_from_db()
    assert req.stage == "wait" and not PlanItem.objects.exists()
    assert AuditEntry.objects.filter(action="plans.item_removed").exists()
    with pytest.raises(NotFound):
        services.remove_from_plan(actor=po, plan_id=quarter.pk, requirement_id=req.pk)


def test_capacity_against_estimates_warns_when_over(world, po, quarter, make_active):
    a, b, c = make_active("A", estimate=12), make_active("B", estimate=10), make_active("C")
    services.add_to_plan(actor=po, plan_id=quarter.pk, requirement_ids=[a.pk, b.pk, c.pk])
    s = selectors.plan_summary(actor=po, plan_id=quarter.pk)
    assert s.load == Decimal(22) and s.capacity == Decimal(20)
    assert s.over_capacity and s.over_by == Decimal(2) and s.load_percent == 110
    assert s.unestimated == [c.key] and s.stage_counts["planned"] == 3
    services.update_plan(actor=po, plan_id=quarter.pk, expected_version=quarter.version, capacity=30)
    assert not selectors.plan_summary(actor=po, plan_id=quarter.pk).over_capacity


def test_an_empty_plan_can_be_deleted(world, po, quarter, make_active):
    req = make_active()
    services.add_to_plan(actor=po, plan_id=quarter.pk, requirement_ids=[req.pk])
    with pytest.raises(GuardFailed) as exc:
        services.delete_plan(actor=po, plan_id=quarter.pk, expected_version=quarter.version)
    assert exc.value.code == "plan_not_empty"
    services.remove_from_plan(actor=po, plan_id=quarter.pk, requirement_id=req.pk)
    services.delete_plan(actor=po, plan_id=quarter.pk, expected_version=quarter.version)
    assert not Plan.objects.exists()


def test_a_change_request_flags_the_plan_item_until_the_owner_confirms(
    world, po, quarter, make_active, django_capture_on_commit_callbacks
):
    from pmloop.notifications.models import Notification
    from pmloop.requirements import services as req_services

    pm_plan = services.create_plan(actor=po, product_id=world.product.pk, title="Sprint PM", owner_id=world.pm.pk,
                                   start_date=Q4[0], end_date=Q4[1])  # fmt: skip
    req = make_active()
    services.add_to_plan(actor=po, plan_id=pm_plan.pk, requirement_ids=[req.pk])
    req.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        change = req_services.request_change(actor=po, requirement_id=req.pk, expected_version=req.version,
                                             reason="客户要求增加审批", spec={"summary": "群权限变更需审批"},
                                             submit=False)  # fmt: skip
    item = PlanItem.objects.get()
    assert item.unconfirmed_change_id == change.pk and item.flagged_at is not None
    assert Notification.objects.filter(user=world.pm, kind="plan_change_unconfirmed").exists()
    assert [i.pk for i in selectors.plan_summary(actor=po, plan_id=pm_plan.pk).flagged] == [item.pk]
    # a product manager who does not own the plan may not confirm
    other_pm = world.a(world.pm)
    other_pm.user = world.rev1
    with pytest.raises(PermissionDenied):
        services.confirm_plan_change(actor=world.a(world.rev1), plan_id=pm_plan.pk, requirement_id=req.pk)
    services.confirm_plan_change(
        actor=world.a(world.pm), plan_id=pm_plan.pk, requirement_id=req.pk, note="计划不变"
    )
    item.refresh_from_db()
    assert item.unconfirmed_change_id is None
    assert AuditEntry.objects.filter(action="plans.item_change_confirmed", note="计划不变").exists()
    with pytest.raises(GuardFailed) as exc:
        services.confirm_plan_change(actor=world.a(world.pm), plan_id=pm_plan.pk, requirement_id=req.pk)
    assert exc.value.code == "nothing_to_confirm"


def test_an_unplanned_change_flags_nothing(world, make_active, django_capture_on_commit_callbacks):
    from pmloop.requirements import services as req_services

    req = make_active()
    with django_capture_on_commit_callbacks(execute=True):
        req_services.request_change(actor=world.a(world.owner), requirement_id=req.pk, expected_version=req.version,
                                    reason="r", spec={"summary": "新的概述"}, submit=False)  # fmt: skip
    assert not AuditEntry.objects.filter(action="plans.item_change_flagged").exists()
