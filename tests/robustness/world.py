"""One product world with an object of every kind the API names by id, built through the real
services (shared by the robustness tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pmloop.core.actor import Actor

SPEC = {
    "summary": "群聊支持按角色配置权限",
    "value": "教育和金融客户要求细粒度的群管理权限",
    "scenarios": [{"title": "直播课堂禁言", "industry": "教育", "customer_type": "大客户"}],
    "acceptance_criteria": ["群主可以设置管理员", "管理员可以禁言成员"],
}


@dataclass
class FuzzWorld:
    users: dict[str, Any]
    ids: dict[str, int] = field(default_factory=dict)  # path parameter name → an existing object's id
    objects: dict[str, Any] = field(default_factory=dict)


def act(user) -> Actor:
    return Actor(user=user, via="cli")


def make_user(name: str, admin: bool = False):
    from pmloop.accounts.models import User

    u = User(username=name, is_superuser=admin, is_staff=admin)
    u.set_password("pw-Secret-123")
    u.save()
    return u


def build_world(text: str = "", name: str = "") -> FuzzWorld:
    """``text`` is appended to every Markdown field and ``name`` to every name (hostile-input tests)."""
    from pmloop.accounts import services as accounts
    from pmloop.customers import services as customers
    from pmloop.deliverables import services as launch
    from pmloop.plans import services as plans
    from pmloop.pool import services as pool
    from pmloop.products import services as products
    from pmloop.requirements import services as reqs

    u = {n: make_user(n) for n in ("owner", "pm", "rev1", "rev2", "dev", "sales", "viewer")}
    o = act(u["owner"])
    product = products.create_product(
        actor=o, code="IMSDK", name=f"IM SDK{name}", description=f"产品描述{text}"
    )
    for role, who in (("pm", "pm"), ("reviewer", "rev1"), ("reviewer", "rev2"), ("developer", "dev"),
                      ("sales", "sales"), ("viewer", "viewer")):  # fmt: skip
        accounts.add_member(actor=o, product_id=product.pk, user_id=u[who].pk, role=role)
    module = products.create_module(
        actor=o, product_id=product.pk, name=f"群聊{name}", description=f"模块{text}"
    )
    customer = customers.create_customer(actor=o, product_id=product.pk, name=f"好未来教育{name}",
                                         industry="education", owner_id=u["sales"].pk, notes=f"客户{text}")  # fmt: skip
    contact = customers.add_contact(actor=o, customer_id=customer.pk, name=f"张老师{name}")
    items = [
        pool.create_item(
            actor=act(u["sales"]),
            product_id=product.pk,
            customer_id=customer.pk,
            text=f"希望群聊里可以按角色设置权限 {i}{text}",
            importance="high",
        )
        for i in range(3)
    ]
    source = pool.create_source(actor=act(u["owner"]) if u["owner"].is_superuser else _admin_actor(),
                                code="fuzz", label_en="Fuzz", label_zh="模糊")  # fmt: skip
    spec = {**SPEC, "summary": SPEC["summary"] + text, "value": SPEC["value"] + text}
    pm = act(u["pm"])

    def new_req(title):
        return reqs.create_requirement(actor=pm, product_id=product.pk, title=title + name, spec=spec,
                                       module_id=module.pk, reviewer_ids=[u["rev1"].pk, u["rev2"].pk])  # fmt: skip

    def activate(req, comment=""):
        req = reqs.submit_for_review(actor=pm, requirement_id=req.pk, expected_version=req.version)
        reqs.record_review_verdict(
            actor=act(u["rev1"]), requirement_id=req.pk, verdict="pass", comment=comment
        )
        return reqs.record_review_verdict(actor=act(u["rev2"]), requirement_id=req.pk, verdict="pass")

    draft = new_req("草稿需求")
    active = activate(new_req("群组角色权限"), comment=f"评审意见{text}")
    in_release = activate(new_req("消息撤回时限可配置"))
    changing = activate(new_req("已读回执"))
    # request_change returns the ChangeRequest, not the requirement: keep both apart (its id
    # used as a requirement id named no requirement, or on SQLite a different one by chance).
    change = reqs.request_change(actor=pm, requirement_id=changing.pk, expected_version=changing.version,
                                 reason=f"补充场景{text}", spec={"functional_design": f"功能设计{text}"},
                                 submit=False)  # fmt: skip
    changing.refresh_from_db()
    reqs.link_pool_items(actor=pm, requirement_id=active.pk, pool_item_ids=[items[0].pk])
    link = reqs.link_requirements(actor=pm, requirement_id=active.pk, target_id=draft.pk, kind="relates_to")
    attachment = reqs.add_attachment(actor=pm, requirement_id=draft.pk, name="a.txt", content=b"hello")
    criterion = active.criteria.first() if hasattr(active, "criteria") else None
    plan = plans.create_plan(actor=o, product_id=product.pk, title=f"2026 Q4{name}", start_date=date(2026, 10, 1),
                             end_date=date(2026, 12, 31), capacity=20, description=f"计划{text}")  # fmt: skip
    plans.add_to_plan(actor=o, plan_id=plan.pk, requirement_ids=[active.pk])
    milestone = plans.add_milestone(actor=o, plan_id=plan.pk, name=f"冻结{name}", date=date(2026, 11, 1))
    release = plans.create_release(actor=o, product_id=product.pk, version_name="v3.2", planned_date="2026-11-30",
                                   title=f"群管理增强{name}", description=f"本版本{text}")  # fmt: skip
    plans.add_to_release(actor=o, release_id=release.pk, requirement_ids=[in_release.pk])
    kit = launch.open_launch_kit(actor=o, release_id=release.pk, training_goal=f"培训{text}")
    check = launch.add_checklist_item(actor=o, kit_id=kit.pk, category=_first_category(), title=f"文档{name}",
                                      owner_id=u["pm"].pk)  # fmt: skip
    session = launch.add_training_session(actor=o, kit_id=kit.pk, title=f"培训会{name}",
                                          starts_at="2026-11-20T10:00:00+08:00", agenda=f"议程{text}")  # fmt: skip
    attendee = launch.add_attendee(actor=o, session_id=session.pk, name=f"学员{name}")
    token = accounts.create_api_token(actor=o, name="spare", scope="write").token
    from pmloop.requirements.models import AcceptanceCriterion

    criterion = AcceptanceCriterion.objects.filter(requirement_id=active.pk).first()
    w = FuzzWorld(users=u)
    w.ids = {
        "product_id": product.pk, "module_id": module.pk, "user_id": u["viewer"].pk, "token_id": token.pk,
        "customer_id": customer.pk, "contact_id": contact.pk, "pool_item_id": items[0].pk,
        "source_id": source.pk, "requirement_id": active.pk, "criterion_id": criterion.pk, "link_id": link.pk,
        "attachment_id": attachment.pk, "plan_id": plan.pk, "milestone_id": milestone.pk,
        "release_id": release.pk, "kit_id": kit.pk, "session_id": session.pk, "attendee_id": attendee.pk,
        "pool:item_id": items[1].pk, "pool:pool_item_id": items[1].pk, "pool_source_id": source.pk, "launch:item_id": check.pk,
    }  # fmt: skip
    w.objects = {"product": product, "module": module, "customer": customer, "items": items, "draft": draft,
                 "active": active, "changing": changing, "change": change, "in_release": in_release, "plan": plan,
                 "release": release, "kit": kit, "session": session}  # fmt: skip
    return w


def _admin_actor() -> Actor:
    from pmloop.accounts.models import User

    admin = User.objects.filter(is_superuser=True).first() or make_user("admin", admin=True)
    return act(admin)


def _first_category() -> str:
    from pmloop.deliverables import choices

    enum = next(v for k, v in vars(choices).items() if "Categ" in k)
    return enum.values[0]
