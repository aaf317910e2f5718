"""Release services: shipping rules, the override, notifications, the freeze."""

from __future__ import annotations

import pytest

from pmloop.audit.models import AuditEntry
from pmloop.core.errors import Conflict, GuardFailed, InvalidInput, PermissionDenied
from pmloop.plans import selectors, services
from pmloop.plans.models import Release, ReleaseItem
from pmloop.plans.tests.conftest import audit_count
from pmloop.requirements.models import Requirement

pytestmark = pytest.mark.django_db


@pytest.fixture
def release(world, po):
    return services.create_release(actor=po, product_id=world.product.pk, version_name="v3.2",
                                   planned_date="2026-11-30", title="群管理增强")  # fmt: skip


def test_version_names_are_unique_per_product(world, po, release, admin, other_product):
    from pmloop.core.actor import Actor

    before = audit_count()
    with pytest.raises(InvalidInput) as exc:
        services.create_release(actor=po, product_id=world.product.pk, version_name=" V3.2 ")
    assert exc.value.code == "version_taken" and "version_name" in exc.value.fields
    assert "“V3.2” is already used in this product" in exc.value.message
    assert Release.objects.count() == 1 and audit_count() == before
    # another product may use the same name
    services.create_release(actor=Actor(user=admin), product_id=other_product.pk, version_name="v3.2")
    with pytest.raises(InvalidInput):
        services.create_release(actor=po, product_id=world.product.pk, version_name="")


def test_release_manager_must_be_a_manager(world, po):
    with pytest.raises(InvalidInput) as exc:
        services.create_release(
            actor=po, product_id=world.product.pk, version_name="v1", manager_id=world.sales.pk
        )
    assert "manager_id" in exc.value.fields


def test_publishing_releases_every_requirement_and_tells_the_customers_owner(
    world, po, release, make_active, django_capture_on_commit_callbacks
):
    from pmloop.notifications.models import Notification
    from pmloop.requirements import services as req_services

    a = make_active("群组角色权限", stage="testing")
    b = make_active("消息撤回时限", stage="testing")
    req_services.link_pool_items(actor=po, requirement_id=a.pk, pool_item_ids=[world.item.pk])
    services.add_to_release(actor=po, release_id=release.pk, requirement_ids=[a.pk, b.pk])
    release.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        done = services.publish_release(actor=po, release_id=release.pk, expected_version=release.version,
                                        note="按计划发布")  # fmt: skip
    assert (
        done.status == "released" and done.released_at is not None and done.released_by_id == world.owner.pk
    )
    assert set(Requirement.objects.filter(pk__in=[a.pk, b.pk]).values_list("stage", flat=True)) == {
        "released"
    }
    # the customer's owner (sales) is told that what their customer asked for shipped
    assert Notification.objects.filter(user=world.sales, kind="requirement_released_customer").count() == 1
    assert AuditEntry.objects.filter(action="plans.release_published", note="按计划发布").count() == 1
    assert AuditEntry.objects.filter(action="requirements.stage_changed").count() >= 2
    assert callbacks  # events queued on commit
    item = ReleaseItem.objects.get(requirement=a)
    assert item.stage_before == "testing" and item.snapshot["title"] == "群组角色权限"
    assert item.snapshot["key"] == a.key and item.snapshot["spec_version"] == 1


def test_untested_requirements_are_refused_and_nothing_changes(world, po, release, make_active):
    a = make_active("A", stage="testing")
    b = make_active("B", stage="developing")
    services.add_to_release(actor=po, release_id=release.pk, requirement_ids=[a.pk, b.pk])
    release.refresh_from_db()
    before = audit_count()
    with pytest.raises(GuardFailed) as exc:
        services.publish_release(actor=po, release_id=release.pk, expected_version=release.version)
    assert exc.value.code == "not_tested" and exc.value.missing == [b.key]
    assert f"{b.key} (Developing)" in exc.value.message
    assert audit_count() == before
    assert Release.objects.get().status == "draft"
    assert list(Requirement.objects.order_by("pk").values_list("stage", flat=True)) == [
        "testing",
        "developing",
    ]


def test_the_release_manager_overrides_with_a_logged_reason(world, po, release, make_active):
    b = make_active("B", stage="developing")
    services.add_to_release(actor=po, release_id=release.pk, requirement_ids=[b.pk])
    release.refresh_from_db()
    services.publish_release(actor=po, release_id=release.pk, expected_version=release.version,
                             overrides={b.pk: "客户合同约定 11 月底上线，测试随后补做"})  # fmt: skip
    b.refresh_from_db()
    assert b.stage == "released"
    item = ReleaseItem.objects.get()
    assert (
        item.override_reason == "客户合同约定 11 月底上线，测试随后补做" and item.stage_before == "developing"
    )
    entry = AuditEntry.objects.get(action="plans.release_override")
    assert entry.note == item.override_reason and entry.product_id == world.product.pk


def test_only_the_release_manager_or_product_owner_overrides(world, po, release, make_active):
    b = make_active("B", stage="planned")
    services.add_to_release(actor=po, release_id=release.pk, requirement_ids=[b.pk])
    release.refresh_from_db()
    before = audit_count()
    with pytest.raises(PermissionDenied) as exc:
        services.publish_release(actor=world.a(world.pm), release_id=release.pk, expected_version=release.version,
                                 overrides={b.pk: "急"})  # fmt: skip
    assert exc.value.code == "not_release_manager" and audit_count() == before
    # a blank reason is no override
    with pytest.raises(GuardFailed):
        services.publish_release(actor=po, release_id=release.pk, expected_version=release.version,
                                 overrides={b.pk: "  "})  # fmt: skip
    with pytest.raises(InvalidInput):
        services.publish_release(actor=po, release_id=release.pk, expected_version=release.version,
                                 overrides={999999: "x"})  # fmt: skip


def test_requirements_under_review_cannot_ship(world, po, release, make_active):
    from pmloop.requirements import services as req_services

    a = make_active("A", stage="testing")
    services.add_to_release(actor=po, release_id=release.pk, requirement_ids=[a.pk])
    a.refresh_from_db()
    req_services.request_change(
        actor=po, requirement_id=a.pk, expected_version=a.version, reason="r", spec={"summary": "改"}
    )  # fmt: skip (submitted: now under review)
    release.refresh_from_db()
    with pytest.raises(GuardFailed) as exc:
        services.publish_release(actor=po, release_id=release.pk, expected_version=release.version,
                                 overrides={a.pk: "急"})  # fmt: skip
    assert exc.value.code == "not_active" and exc.value.missing == [a.key]


def test_a_released_release_is_frozen(world, po, release, make_active):
    a, b = make_active("A", stage="testing"), make_active("B", stage="testing")
    services.add_to_release(actor=po, release_id=release.pk, requirement_ids=[a.pk])
    release.refresh_from_db()
    release = services.publish_release(actor=po, release_id=release.pk, expected_version=release.version)
    before = audit_count()
    for call in (
        lambda: services.add_to_release(actor=po, release_id=release.pk, requirement_ids=[b.pk]),
        lambda: services.remove_from_release(actor=po, release_id=release.pk, requirement_id=a.pk),
        lambda: services.update_release(
            actor=po, release_id=release.pk, expected_version=release.version, title="x"
        ),
        lambda: services.publish_release(actor=po, release_id=release.pk, expected_version=release.version),
        lambda: services.delete_release(actor=po, release_id=release.pk, expected_version=release.version),
    ):
        with pytest.raises(GuardFailed) as exc:
            call()
        assert exc.value.code == "release_frozen"
    assert audit_count() == before and ReleaseItem.objects.count() == 1


def test_publishing_a_stale_view_is_refused(world, po, release, make_active):
    a, b = make_active("A", stage="testing"), make_active("B", stage="testing")
    services.add_to_release(actor=po, release_id=release.pk, requirement_ids=[a.pk])
    release.refresh_from_db()
    seen = release.version
    services.add_to_release(actor=po, release_id=release.pk, requirement_ids=[b.pk])  # someone adds one more
    with pytest.raises(Conflict):
        services.publish_release(actor=po, release_id=release.pk, expected_version=seen)
    assert Release.objects.get().status == "draft"


def test_a_requirement_is_in_one_draft_release(world, po, release, make_active, make_req):
    nxt = services.create_release(actor=po, product_id=world.product.pk, version_name="v3.3")
    a = make_active("A")
    services.add_to_release(actor=po, release_id=release.pk, requirement_ids=[a.pk])
    with pytest.raises(GuardFailed) as exc:
        services.add_to_release(actor=po, release_id=nxt.pk, requirement_ids=[a.pk])
    assert "already in draft release v3.2" in exc.value.message
    draft = make_req(title="草稿")
    with pytest.raises(GuardFailed) as exc:
        services.add_to_release(actor=po, release_id=nxt.pk, requirement_ids=[draft.pk])
    assert exc.value.code == "not_releasable"
    services.remove_from_release(actor=po, release_id=release.pk, requirement_id=a.pk)
    services.add_to_release(actor=po, release_id=nxt.pk, requirement_ids=[a.pk])
    with pytest.raises(GuardFailed):
        services.remove_from_release(actor=po, release_id=release.pk, requirement_id=a.pk)


def test_empty_release_cannot_ship_and_drafts_can_be_deleted(world, po, release):
    with pytest.raises(GuardFailed) as exc:
        services.publish_release(actor=po, release_id=release.pk, expected_version=release.version)
    assert exc.value.code == "empty_release"
    services.delete_release(actor=po, release_id=release.pk, expected_version=release.version)
    assert not Release.objects.exists()


def test_release_lookup_by_version(world, po, release):
    assert selectors.get_release_by_version(actor=po, version_name="V3.2").pk == release.pk
    from pmloop.core.errors import NotFound

    with pytest.raises(NotFound):
        selectors.get_release_by_version(actor=world.a(world.viewer), version_name="v9")


def test_viewers_see_but_do_not_edit_releases(world, release):
    viewer = world.a(world.viewer)
    assert [r.pk for r in selectors.list_releases(actor=viewer, product_id=world.product.pk)] == [release.pk]
    with pytest.raises(PermissionDenied):
        services.update_release(
            actor=viewer, release_id=release.pk, expected_version=release.version, title="x"
        )
