"""Burn-up data, roadmap and now/next/later, and visibility of the reads."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from pmloop.core.errors import InvalidInput, NotFound
from pmloop.plans import selectors, services
from pmloop.plans.models import PlanItem
from pmloop.requirements.models import StageChange

pytestmark = pytest.mark.django_db


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.get_current_timezone())


def _rewrite_history(req, planned_on: date, moves: list[tuple[str, date]]) -> None:
    """Test set-up: put the recorded stage changes of ``req`` on chosen days."""
    PlanItem.objects.filter(requirement=req).update(planned_at=at(planned_on, 9))
    rows = list(StageChange.objects.filter(requirement=req).exclude(from_stage="").order_by("at", "id"))
    assert [r.to_stage for r in rows] == [stage for stage, _d in moves]
    for row, (_stage, day) in zip(rows, moves, strict=True):
        StageChange.objects.filter(pk=row.pk).update(at=at(day))


def test_burn_up_rebuilds_stages_per_day_from_history(world, po, make_active):
    from pmloop.requirements import services as req_services

    d0 = date(2026, 10, 1)
    plan = services.create_plan(actor=po, product_id=world.product.pk, title="Sprint", start_date=d0,
                                end_date=d0 + timedelta(days=9))  # fmt: skip
    a, b = make_active("A"), make_active("B")
    services.add_to_plan(actor=po, plan_id=plan.pk, requirement_ids=[a.pk])
    a.refresh_from_db()
    for stage in ("developing", "testing", "released"):
        a = req_services.set_stage(actor=po, requirement_id=a.pk, expected_version=a.version, stage=stage)
    _rewrite_history(a, d0, [("planned", d0), ("developing", d0 + timedelta(days=2)),
                             ("testing", d0 + timedelta(days=5)), ("released", d0 + timedelta(days=7))])  # fmt: skip
    services.add_to_plan(actor=po, plan_id=plan.pk, requirement_ids=[b.pk])  # joins on day 4
    _rewrite_history(b, d0 + timedelta(days=4), [("planned", d0 + timedelta(days=4))])
    flow = selectors.plan_flow(actor=po, plan_id=plan.pk, today=d0 + timedelta(days=30))
    assert [p.day for p in flow.points] == [d0 + timedelta(days=i) for i in range(10)]
    by_day = {(p.day - d0).days: p for p in flow.points}
    assert by_day[0].scope == 1 and by_day[0].counts["planned"] == 1
    assert by_day[2].counts["developing"] == 1 and by_day[2].done == 0
    assert by_day[4].scope == 2 and by_day[4].counts == {**dict.fromkeys(flow.stages, 0), "developing": 1,
                                                          "planned": 1}  # fmt: skip
    assert by_day[5].counts["testing"] == 1
    assert by_day[7].done == 1 and by_day[9].done == 1 and flow.max_scope == 2
    # up to today only, while the plan runs
    assert flow.points[-1].day == d0 + timedelta(days=9)
    short = selectors.plan_flow(actor=po, plan_id=plan.pk, today=d0 + timedelta(days=3))
    assert short.points[-1].day == d0 + timedelta(days=3)


def test_burn_up_samples_long_plans(world, po):
    plan = services.create_plan(actor=po, product_id=world.product.pk, title="Year", start_date="2026-01-01",
                                end_date="2026-12-31")  # fmt: skip
    flow = selectors.plan_flow(actor=po, plan_id=plan.pk, today=date(2027, 6, 1))
    assert len(flow.points) <= selectors.MAX_FLOW_POINTS + 1
    assert flow.points[0].day == date(2026, 1, 1) and flow.points[-1].day == date(2026, 12, 31)


def test_roadmap_groups_planned_requirements(world, po, quarter, make_active):
    from pmloop.products import services as product_services

    mod = product_services.create_module(actor=po, product_id=world.product.pk, name="群聊")
    a = make_active("A")
    a.module_id = mod.pk
    a.save(update_fields=["module"])
    b = make_active("B")
    services.add_to_plan(actor=po, plan_id=quarter.pk, requirement_ids=[a.pk, b.pk])
    services.create_release(
        actor=po, product_id=world.product.pk, version_name="v3.2", planned_date="2026-11-30"
    )
    rm = selectors.roadmap(actor=po, product_ids=[world.product.pk])
    assert [lane.label for lane in rm.lanes] == ["No module", "群聊"]
    assert rm.lanes[1].rows[0].plan == "2026 Q4" and rm.lanes[1].rows[0].start == date(2026, 10, 1)
    assert [r.version for r in rm.releases] == ["v3.2"] and [p.title for p in rm.plans] == ["2026 Q4"]
    assert rm.start == date(2026, 10, 1) and rm.end == date(2026, 12, 31)
    by_cat = selectors.roadmap(actor=po, product_ids=[world.product.pk], group_by="category")
    assert [lane.label for lane in by_cat.lanes] == ["Feature"]
    with pytest.raises(InvalidInput):
        selectors.roadmap(actor=po, group_by="colour")


def test_roadmap_across_products_names_each_lane_by_product(
    world, po, quarter, make_active, admin, other_product
):
    from pmloop.core.actor import Actor

    a = make_active("A")
    services.add_to_plan(actor=po, plan_id=quarter.pk, requirement_ids=[a.pk])
    rm = selectors.roadmap(actor=Actor(user=admin))
    assert {p.code for p in rm.products} == {"IMSDK", "OTHER"}
    assert rm.lanes[0].label.startswith("IMSDK · ")
    with pytest.raises(NotFound):  # po is not a member of OTHER
        selectors.roadmap(actor=po, product_ids=[other_product.pk])


def test_now_next_later_hides_internal_detail(world, po, make_active):
    today = date(2026, 10, 10)
    now_plan = services.create_plan(actor=po, product_id=world.product.pk, title="Now", start_date="2026-10-01",
                                    end_date="2026-10-31")  # fmt: skip
    next_plan = services.create_plan(actor=po, product_id=world.product.pk, title="Next", start_date="2026-11-01",
                                     end_date="2026-11-30")  # fmt: skip
    later_plan = services.create_plan(actor=po, product_id=world.product.pk, title="Later",
                                      start_date="2027-06-01", end_date="2027-06-30")  # fmt: skip
    a, b, c, d = make_active("现在做"), make_active("接下来"), make_active("以后"), make_active("未排期")
    services.add_to_plan(actor=po, plan_id=now_plan.pk, requirement_ids=[a.pk])
    services.add_to_plan(actor=po, plan_id=next_plan.pk, requirement_ids=[b.pk])
    services.add_to_plan(actor=po, plan_id=later_plan.pk, requirement_ids=[c.pk])
    shipped = make_active("刚发布", stage="released")
    out = selectors.outlook(actor=po, product_ids=[world.product.pk], today=today)
    assert [c.title for c in out["now"]] == ["现在做"]
    assert [c.title for c in out["next"]] == ["接下来"]
    assert [c.title for c in out["later"]] == ["以后"]
    assert [c.title for c in out["shipped"]] == [shipped.title]
    assert d.title not in {c.title for cards in out.values() for c in cards}
    card = out["now"][0]
    assert (
        card.summary == "群聊支持按角色配置权限"
        and not hasattr(card, "key")
        and not hasattr(card, "estimate")
    )


def test_reads_are_limited_to_members(world, po, quarter, make_user):
    from pmloop.core.actor import Actor

    stranger = Actor(user=make_user("stranger"))
    assert list(selectors.list_plans(actor=stranger)) == []
    with pytest.raises(NotFound):
        selectors.get_plan(actor=stranger, plan_id=quarter.pk)
    with pytest.raises(NotFound):
        selectors.plan_summary(actor=stranger, plan_id=quarter.pk)
    with pytest.raises(NotFound):
        selectors.list_plans(actor=stranger, product_id=world.product.pk)
    assert [p.pk for p in selectors.list_plans(actor=world.a(world.viewer), product_id=world.product.pk)] == [
        quarter.pk
    ]


def test_plan_summary_queries_are_bounded(world, po, quarter, make_active, django_assert_max_num_queries):
    reqs = [make_active(f"R{i}", estimate=i) for i in range(5)]
    services.add_to_plan(actor=po, plan_id=quarter.pk, requirement_ids=[r.pk for r in reqs])
    with django_assert_max_num_queries(6):
        s = selectors.plan_summary(actor=po, plan_id=quarter.pk)
        [i.requirement.key for i in s.all_items]
