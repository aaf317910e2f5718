"""A small product world for requirement tests, set up through the real services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from pmloop.core.actor import Actor

FULL_SPEC = {
    "summary": "群聊支持按角色配置权限",
    "value": "教育和金融客户要求细粒度的群管理权限",
    "scenarios": [{"title": "直播课堂禁言", "industry": "教育", "customer_type": "大客户"}],
    "acceptance_criteria": ["群主可以设置管理员", "管理员可以禁言成员"],
}


@dataclass
class World:
    product: Any
    owner: Any
    pm: Any
    rev1: Any
    rev2: Any
    dev: Any
    sales: Any
    viewer: Any
    customer: Any
    item: Any

    def a(self, user, **kw) -> Actor:
        return Actor(user=user, via="cli", **kw)


@pytest.fixture
def world(product, owner, member, actor_for):
    from pmloop.customers import services as customers
    from pmloop.pool import services as pool

    w = World(product=product, owner=owner, pm=member("pm", "pm"), rev1=member("reviewer", "rev1"),
              rev2=member("reviewer", "rev2"), dev=member("developer", "dev"), sales=member("sales", "sales"),
              viewer=member("viewer", "viewer"), customer=None, item=None)  # fmt: skip
    w.customer = customers.create_customer(actor=actor_for(owner), product_id=product.pk, name="好未来教育",
                                           industry="education", owner_id=w.sales.pk)  # fmt: skip
    w.item = pool.create_item(actor=actor_for(w.sales), product_id=product.pk, customer_id=w.customer.pk,
                              text="希望群聊里可以按角色设置权限，老师能禁言学生", importance="high")  # fmt: skip
    return w


@pytest.fixture
def make_req(world):
    from pmloop.requirements import services

    def make(spec: dict | None = None, actor_user=None, **kw):
        kw.setdefault("reviewer_ids", [world.rev1.pk, world.rev2.pk])
        return services.create_requirement(actor=world.a(actor_user or world.pm), product_id=world.product.pk,
                                           title=kw.pop("title", "群组角色权限"), spec=FULL_SPEC if spec is None else spec,
                                           **kw)  # fmt: skip

    return make


@pytest.fixture
def active_req(world, make_req):
    """A requirement that passed review (status active)."""
    from pmloop.requirements import services

    req = make_req()
    req = services.submit_for_review(
        actor=world.a(world.pm), requirement_id=req.pk, expected_version=req.version
    )
    services.record_review_verdict(actor=world.a(world.rev1), requirement_id=req.pk, verdict="pass")
    return services.record_review_verdict(actor=world.a(world.rev2), requirement_id=req.pk, verdict="pass")
