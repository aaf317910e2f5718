"""Demo data for the launch kit of v3.2, made through the services only.

Runs after ``pmloop.plans.demo.seed_plans`` (which releases v3.2): the launch checklist half
signed off (3 of 6 items) and a customer training session with its sign-in sheet (3 of 5
signed in). Add to ``pmloop.demo.seed.SEEDERS`` after the plans seeder::

    Seeder("launch kits", launch_demo.seed_launch_kits, steps=launch_demo.STEPS),
"""

from __future__ import annotations

from typing import Any

from pmloop.deliverables import services as launch
from pmloop.plans import selectors as plan_selectors

STEPS = 2
ATTENDEES = [("刘老师", "好未来教育", True), ("陈经理", "招商银行信用卡中心", True), ("周主任", "平安好医生", True),
             ("吴处长", "浙江政务服务网", False), ("孙工", "顺丰科技", False)]  # fmt: skip


def seed_launch_kits(ctx: Any) -> None:
    product = ctx.products["IMSDK"]
    po, dev, rev = ctx.actor("wangmin"), ctx.actor("liuyang"), ctx.actor("liqiang")
    v32 = plan_selectors.get_release_by_version(actor=ctx.system, version_name="v3.2", product_id=product.pk)
    # the checklist: half signed off
    kit = launch.open_launch_kit(actor=po, release_id=v32.pk,
                                 training_goal="让客户的管理员会配置群角色与撤回时限，客服能解答常见问题。")  # fmt: skip
    launch.add_checklist_item(actor=po, kit_id=kit.pk, category="other", title="灰度开关与回滚方案已验证",
                                      owner_id=ctx.users["liuyang"].pk)  # fmt: skip
    owners = {"functional": dev, "performance": dev, "security": rev, "training": po, "docs": po}
    for item in list(kit.items.order_by("position")):
        who = owners.get(item.category)
        if who is not None and who.user.pk != item.owner_id:
            item = launch.update_checklist_item(actor=po, item_id=item.pk, expected_version=item.version,
                                                owner_id=who.user.pk)  # fmt: skip
        if item.category in ("functional", "performance"):
            launch.sign_off(actor=dev, item_id=item.pk, expected_version=item.version,
                            note="回归与压测报告见测试平台 v3.2 任务")  # fmt: skip
        elif item.category == "docs":
            launch.sign_off(actor=po, item_id=item.pk, expected_version=item.version, note="说明书已审阅")
    ctx.count("checklist items", kit.items.count())
    ctx.tick("launch checklist")
    customer = ctx.customers.get("好未来教育") if hasattr(ctx, "customers") else None
    session = launch.add_training_session(
        actor=po, kit_id=kit.pk, title="IM SDK v3.2 新功能培训", starts_at="2026-11-25 14:00", duration_minutes=90,
        location="线上会议", audience="客户管理员与客服主管", trainer_id=ctx.users["wangmin"].pk,
        customer_id=customer.pk if customer else None,
        agenda="1. 群角色与权限配置\n2. 消息撤回时限设置\n3. 弱网音视频参数\n4. 答疑",
    )  # fmt: skip
    for name, org, signed in ATTENDEES:
        person = launch.add_attendee(actor=po, session_id=session.pk, name=name, organisation=org)
        if signed:
            launch.set_attendance(actor=po, attendee_id=person.pk, signed_in=True)
    ctx.count("training sessions")
    ctx.tick("training session")
