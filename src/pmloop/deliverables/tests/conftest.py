# ruff: noqa: F811  (fixtures imported from the requirement tests are used by name)
from __future__ import annotations

import pytest

from pmloop.plans.tests.conftest import make_active, po, quarter  # noqa: F401
from pmloop.requirements.tests.conftest import active_req, make_req, world  # noqa: F401


@pytest.fixture
def shipped(world, po, make_active):
    """A released v3.2 shipping two requirements (one with scenarios and a functional design)."""
    from pmloop.plans import services
    from pmloop.requirements import services as req_services

    a = make_active("群组角色权限", stage="testing")
    b = make_active("消息撤回时限可配置", stage="testing")
    a = req_services.request_change(actor=po, requirement_id=a.pk, expected_version=a.version, reason="补充功能设计",
                                    spec={"functional_design": "群主在群设置中打开“角色与权限”，为管理员勾选可用操作。"},
                                    submit=False)  # fmt: skip
    release = services.create_release(actor=po, product_id=world.product.pk, version_name="v3.2",
                                      planned_date="2026-11-30", title="群管理增强", description="本版本增强群管理能力。")  # fmt: skip
    services.add_to_release(actor=po, release_id=release.pk, requirement_ids=[a.requirement_id, b.pk])
    release.refresh_from_db()
    return services.publish_release(actor=po, release_id=release.pk, expected_version=release.version)
