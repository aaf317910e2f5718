"""Demo data for plans and releases, made through the services only.

Runs after the requirement seeders (``pmloop.demo.loop.seed_requirements``) and reads what they
left in the database: a 2026 Q4 plan with two sprints and milestones, the released version
v3.2 shipping the demo's released requirements and a draft v3.3. The launch kit of v3.2 is
seeded by ``pmloop.deliverables.demo`` (a higher layer). Add to ``pmloop.demo.seed.SEEDERS``::

    Seeder("plans", plans_demo.seed_plans, steps=plans_demo.STEPS),
    Seeder("launch kits", launch_demo.seed_launch_kits, steps=launch_demo.STEPS),
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pmloop.plans import services
from pmloop.requirements import selectors as req_selectors

STEPS = 8
Q4 = (date(2026, 10, 1), date(2026, 12, 31))
SPRINTS = [
    ("迭代 23", date(2026, 10, 12), date(2026, 11, 6)),
    ("迭代 24", date(2026, 11, 9), date(2026, 12, 4)),
]
MILESTONES = [("需求评审完成", date(2026, 10, 9), "done"), ("v3.2 上线", date(2026, 11, 18), "done"),
              ("v3.3 提测", date(2026, 12, 11), "open"), ("v3.3 上线", date(2026, 12, 22), "open")]  # fmt: skip
# Which demo requirement goes where (titles from pmloop.demo.loop.PLANNED).
IN_SPRINT_23 = [
    "群聊支持自定义角色与权限",
    "消息撤回时限可配置",
    "弱网音视频抗丢包",
    "厂商推送通道到达率提升",
]
IN_SPRINT_24 = ["万人大群", "通话云端录制"]
IN_QUARTER = ["多人会议屏幕共享", "单聊已读回执", "实时音频审核"]
V33 = ["厂商推送通道到达率提升", "万人大群"]


def _by_title(ctx: Any, product) -> dict[str, Any]:
    reqs = req_selectors.list_requirements(
        actor=ctx.system, query=req_selectors.RequirementQuery(product_id=product.pk)
    )
    return {r.title: r for r in reqs}


def seed_plans(ctx: Any) -> None:
    product = ctx.products["IMSDK"]
    po = ctx.actor("wangmin")
    reqs = _by_title(ctx, product)

    def ids(titles: list[str]) -> list[int]:
        return [reqs[t].pk for t in titles if t in reqs]

    quarter = services.create_plan(actor=po, product_id=product.pk, title="2026 Q4", start_date=Q4[0], end_date=Q4[1],
                                   capacity=150, description="群管理与消息可靠性：教育、金融大客户续约前交付。")  # fmt: skip
    ctx.count("plans")
    ctx.tick("plan 2026 Q4")
    sprints = []
    for title, start, end in SPRINTS:
        sprints.append(services.create_plan(actor=po, product_id=product.pk, title=title, parent_id=quarter.pk,
                                            start_date=start, end_date=end, capacity=60))  # fmt: skip
        ctx.count("plans")
        ctx.tick(f"plan {title}")
    for name, day, status in MILESTONES:
        services.add_milestone(actor=po, plan_id=quarter.pk, name=name, date=day, status=status)
    ctx.tick("milestones")
    for plan, titles in ((sprints[0], IN_SPRINT_23), (sprints[1], IN_SPRINT_24), (quarter, IN_QUARTER)):
        if ids(titles):
            services.add_to_plan(actor=po, plan_id=plan.pk, requirement_ids=ids(titles), note="季度规划会")
            ctx.count("plan items", len(ids(titles)))
        ctx.tick(f"planned in {plan.title}")

    shipped = [
        r.pk
        for r in reqs.values()
        if r.stage in ("released", "accepted") and r.status in ("active", "changing")
    ]
    v32 = services.create_release(actor=po, product_id=product.pk, version_name="v3.2", planned_date=date(2026, 11, 18),
                                  title="群管理增强与弱网优化", plan_id=sprints[0].pk,
                                  description="群聊角色与权限、可配置的消息撤回时限、弱网音视频抗丢包。")  # fmt: skip
    if shipped:
        services.add_to_release(actor=po, release_id=v32.pk, requirement_ids=shipped)
        v32.refresh_from_db()
        v32 = services.publish_release(
            actor=po, release_id=v32.pk, expected_version=v32.version, note="按计划上线"
        )
    ctx.count("releases")
    ctx.tick("release v3.2")
    v33 = services.create_release(actor=po, product_id=product.pk, version_name="v3.3", planned_date=date(2026, 12, 22),
                                  title="万人大群", plan_id=sprints[1].pk)  # fmt: skip
    if ids(V33):
        services.add_to_release(actor=po, release_id=v33.pk, requirement_ids=ids(V33))
    ctx.count("releases")
    ctx.tick("release v3.3")
