"""Launch-kit services: checklist owners and sign-offs, training sessions and attendance."""

from __future__ import annotations

import pytest

from pmloop.audit.models import AuditEntry
from pmloop.core.errors import Conflict, GuardFailed, InvalidInput, NotFound, PermissionDenied
from pmloop.deliverables import selectors, services
from pmloop.deliverables.models import Attendee, ChecklistItem, LaunchKit, TrainingSession
from pmloop.plans.tests.conftest import audit_count

pytestmark = pytest.mark.django_db


@pytest.fixture
def kit(shipped, po):
    return services.open_launch_kit(
        actor=po, release_id=shipped.pk, training_goal="让客户管理员学会配置群角色"
    )


def test_a_kit_starts_with_the_standard_checklist(world, kit, shipped, po):
    items = list(kit.items.order_by("position"))
    assert [i.category for i in items] == ["functional", "performance", "security", "docs", "training"]
    assert {i.owner_id for i in items} == {shipped.manager_id}
    with pytest.raises(GuardFailed) as exc:
        services.open_launch_kit(actor=po, release_id=shipped.pk)
    assert exc.value.code == "kit_exists" and LaunchKit.objects.count() == 1


def test_only_the_owner_signs_off(world, kit, po):
    item = kit.items.get(category="functional")
    item = services.update_checklist_item(actor=po, item_id=item.pk, expected_version=item.version,
                                          owner_id=world.dev.pk)  # fmt: skip
    before = audit_count()
    with pytest.raises(PermissionDenied) as exc:
        services.sign_off(actor=po, item_id=item.pk, expected_version=item.version)
    assert exc.value.code == "not_item_owner" and audit_count() == before
    item = services.sign_off(actor=world.a(world.dev), item_id=item.pk, expected_version=item.version,
                             note="回归用例 132 条全部通过")  # fmt: skip
    assert item.signed_off_by_id == world.dev.pk and item.signed_off_at is not None
    assert AuditEntry.objects.filter(
        action="deliverables.signed_off", note="回归用例 132 条全部通过"
    ).exists()
    with pytest.raises(GuardFailed):
        services.sign_off(actor=world.a(world.dev), item_id=item.pk, expected_version=item.version)
    # signed off: settled until revoked
    with pytest.raises(GuardFailed) as exc:
        services.update_checklist_item(actor=po, item_id=item.pk, expected_version=item.version, title="x")
    assert exc.value.code == "signed_off"
    with pytest.raises(InvalidInput):
        services.revoke_sign_off(actor=po, item_id=item.pk, expected_version=item.version, reason=" ")
    item = services.revoke_sign_off(
        actor=po, item_id=item.pk, expected_version=item.version, reason="复测失败"
    )
    assert not item.signed_off


def test_viewers_cannot_sign_off_and_stale_versions_conflict(world, kit, po):
    item = kit.items.first()
    with pytest.raises(PermissionDenied):
        services.sign_off(actor=world.a(world.viewer), item_id=item.pk, expected_version=item.version)
    with pytest.raises(Conflict):
        services.sign_off(actor=po, item_id=item.pk, expected_version=item.version + 1)


def test_checklist_items_need_an_owner_of_the_product(world, kit, po, make_user):
    outsider = make_user("outsider")
    for owner_id, field in ((None, "owner_id"), (outsider.pk, "owner_id")):
        with pytest.raises(InvalidInput) as exc:
            services.add_checklist_item(
                actor=po, kit_id=kit.pk, category="other", title="灰度开关", owner_id=owner_id
            )
        assert field in exc.value.fields
    with pytest.raises(InvalidInput):
        services.add_checklist_item(actor=po, kit_id=kit.pk, category="nope", title="x", owner_id=world.pm.pk)
    item = services.add_checklist_item(
        actor=po, kit_id=kit.pk, category="other", title="灰度开关", owner_id=world.pm.pk
    )
    services.delete_checklist_item(actor=po, item_id=item.pk, expected_version=item.version)
    assert ChecklistItem.objects.count() == 5


def test_training_sessions_and_attendance(world, kit, po):
    support = world.a(world.sales)  # sales run customer training too
    session = services.add_training_session(
        actor=support, kit_id=kit.pk, title="群管理新功能培训", starts_at="2026-12-02 14:00", duration_minutes=90,
        location="好未来总部 3 楼", trainer_id=world.pm.pk, customer_id=world.customer.pk, agenda="1. 角色\n2. 权限",
    )  # fmt: skip
    assert session.starts_at.hour == 14
    a = services.add_attendee(actor=support, session_id=session.pk, name="张老师", organisation="好未来教育",
                              contact="138-0000-0000")  # fmt: skip
    with pytest.raises(InvalidInput):
        services.add_attendee(actor=support, session_id=session.pk, name="张老师", organisation="好未来教育")
    services.set_attendance(actor=support, attendee_id=a.pk, signed_in=True)
    with pytest.raises(GuardFailed):
        services.set_attendance(actor=support, attendee_id=a.pk, signed_in=True)
    with pytest.raises(GuardFailed):
        services.remove_attendee(actor=support, attendee_id=a.pk)
    with pytest.raises(GuardFailed) as exc:
        services.delete_training_session(
            actor=support, session_id=session.pk, expected_version=session.version
        )
    assert exc.value.code == "session_has_sign_ins"
    assert Attendee.objects.get().signed_in_at is not None
    with pytest.raises(PermissionDenied):
        services.add_attendee(actor=world.a(world.dev), session_id=session.pk, name="李四")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"starts_at": "tomorrow"}, "starts_at"), ({"duration_minutes": 0}, "duration_minutes"),
     ({"title": ""}, "title"), ({"trainer_id": -1}, "trainer_id")],
)  # fmt: skip
def test_bad_session_input(world, kit, po, kwargs, field):
    data = {"title": "培训", "starts_at": "2026-12-02 14:00", **kwargs}
    with pytest.raises(InvalidInput) as exc:
        services.add_training_session(actor=po, kit_id=kit.pk, **data)
    assert field in exc.value.fields and not TrainingSession.objects.exists()


def test_kit_reads_are_for_members(world, kit, shipped, make_user):
    from pmloop.core.actor import Actor

    view = selectors.kit_for_release(actor=world.a(world.viewer), release_id=shipped.pk)
    assert view.kit.pk == kit.pk and len(view.items) == 5 and view.signed_off == 0
    with pytest.raises(NotFound):
        selectors.kit_for_release(actor=Actor(user=make_user("x")), release_id=shipped.pk)


def test_release_data_is_frozen_at_release(world, shipped, po):
    from pmloop.requirements import services as req_services
    from pmloop.requirements.models import Requirement

    data = selectors.release_data(actor=po, release_id=shipped.pk)
    assert [r.title for r in data.requirements] == ["群组角色权限", "消息撤回时限可配置"]
    assert data.requirements[0].functional_design.startswith("群主在群设置中")
    # a change after the release does not rewrite what shipped
    req = Requirement.objects.get(title="消息撤回时限可配置")
    req_services.request_change(actor=po, requirement_id=req.pk, expected_version=req.version, reason="r",
                                title="消息撤回时限（新）", spec={"summary": "新概述"}, submit=False)  # fmt: skip
    again = selectors.release_data(actor=po, release_id=shipped.pk)
    assert again.requirements[1].title == "消息撤回时限可配置"
    assert again.requirements[1].summary == "群聊支持按角色配置权限"
