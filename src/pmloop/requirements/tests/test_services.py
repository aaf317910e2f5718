"""Every requirement rule and refusal, through the services. A refusal changes nothing:
the row is reloaded unchanged and no operation-log entry is written."""

from __future__ import annotations

import pytest

from pmloop.audit.models import AuditEntry
from pmloop.core.errors import Conflict, GuardFailed, InvalidInput, NotFound, PermissionDenied
from pmloop.notifications.models import Notification
from pmloop.pool.models import PoolItem
from pmloop.requirements import selectors, services
from pmloop.requirements.models import Requirement, RequirementVersion
from pmloop.requirements.tests.conftest import FULL_SPEC


class Unchanged:
    """Context manager: assert the requirement row and the log are unchanged."""

    def __init__(self, req):
        self.req = req

    def __enter__(self):
        self.before = Requirement.objects.filter(pk=self.req.pk).values().first()
        self.log = AuditEntry.objects.count()
        self.versions = RequirementVersion.objects.filter(requirement_id=self.req.pk).count()
        return self

    def __exit__(self, *exc):
        assert Requirement.objects.filter(pk=self.req.pk).values().first() == self.before
        assert AuditEntry.objects.count() == self.log
        assert RequirementVersion.objects.filter(requirement_id=self.req.pk).count() == self.versions
        return False


# ---- create ---------------------------------------------------------------------------------
def test_create_makes_a_draft_with_version_criteria_and_log(world, make_req):
    req = make_req()
    assert req.status == "draft" and req.stage == "wait" and req.number == 1
    assert req.key == "IMSDK-1"
    assert req.versions.count() == 1 and req.spec_version == 1
    assert [c.text for c in req.criteria.all()] == FULL_SPEC["acceptance_criteria"]
    entry = AuditEntry.objects.filter(action="requirements.created").get()
    assert entry.actor_label == "pm" and entry.after["title"] == "群组角色权限"
    assert req.completeness > 0
    assert make_req().number == 2


@pytest.mark.parametrize(
    ("who", "error"), [("sales", PermissionDenied), ("viewer", PermissionDenied), ("outsider", NotFound)]
)
def test_create_refused_for_wrong_role_or_product(world, make_user, who, error):
    user = make_user("outsider") if who == "outsider" else getattr(world, who)
    before = (Requirement.objects.count(), AuditEntry.objects.count())
    with pytest.raises(error):
        services.create_requirement(actor=world.a(user), product_id=world.product.pk, title="x")
    assert (Requirement.objects.count(), AuditEntry.objects.count()) == before


def test_create_refuses_references_outside_the_product(world, other_product, make_req, make_user):
    from pmloop.products import services as products

    foreign_module = products.create_module(
        actor=world.a(other_product.owner), product_id=other_product.pk, name="X"
    )
    stranger = make_user("stranger")
    before = (Requirement.objects.count(), AuditEntry.objects.count())
    for kwargs, field in [
        ({"module_id": foreign_module.pk}, "module_id"),
        ({"reviewer_ids": [stranger.pk]}, "reviewer_ids"),
        ({"owner_id": stranger.pk}, "owner_id"),
        ({"priority": 7}, "priority"),
        ({"category": "wish"}, "category"),
        ({"estimate": -1}, "estimate"),
        ({"spec": {"sumary": "typo"}}, "spec"),
        ({"reviewer_ids": [world.sales.pk]}, "reviewer_ids"),  # sales may not review
    ]:
        with pytest.raises(InvalidInput) as exc:
            make_req(**kwargs)
        assert exc.value.field == field, kwargs
    assert (Requirement.objects.count(), AuditEntry.objects.count()) == before


def test_create_from_pool_item_is_prefilled_and_links_the_item(world):
    req = services.create_from_pool_item(actor=world.a(world.pm), pool_item_id=world.item.pk)
    assert req.title and "好未来教育" in req.spec["background"]
    assert req.priority == 2  # importance high
    world.item.refresh_from_db()
    assert world.item.status == "linked"
    assert req.voices == 1
    trace = selectors.trace_requirement(actor=world.a(world.sales), requirement_id=req.pk)
    assert [i.pk for i in trace.pool_items] == [world.item.pk]
    assert [c.pk for c in trace.customers] == [world.customer.pk]


# ---- edit and versions -------------------------------------------------------------------------
def test_draft_edit_makes_a_version_and_diffs(world, make_req):
    req = make_req()
    req = services.update_requirement(actor=world.a(world.pm), requirement_id=req.pk, expected_version=req.version,
                                      spec={"summary": "群聊支持自定义角色"}, title="群组自定义角色")  # fmt: skip
    assert req.spec_version == 2 and req.versions.count() == 2
    diff = selectors.diff_versions(actor=world.a(world.viewer), requirement_id=req.pk, a=1, b=2)
    assert [s.key for s in diff.sections] == ["title", "summary"]
    # Changing only the priority makes no new spec version.
    req = services.update_requirement(actor=world.a(world.pm), requirement_id=req.pk, expected_version=req.version,
                                      priority=1)  # fmt: skip
    assert req.spec_version == 2 and req.priority == 1


def test_stale_version_is_a_conflict_and_changes_nothing(world, make_req):
    req = make_req()
    services.update_requirement(actor=world.a(world.pm), requirement_id=req.pk, expected_version=req.version,
                                spec={"goal": "first writer"})  # fmt: skip
    fresh = Requirement.objects.get(pk=req.pk)
    with Unchanged(fresh), pytest.raises(Conflict) as exc:
        services.update_requirement(actor=world.a(world.owner), requirement_id=req.pk, expected_version=req.version,
                                    spec={"goal": "second writer"})  # fmt: skip
    assert exc.value.code == "stale_version"
    assert Requirement.objects.get(pk=req.pk).spec["goal"] == "first writer"


def test_active_spec_changes_only_through_a_change_request(world, active_req):
    with Unchanged(active_req), pytest.raises(GuardFailed) as exc:
        services.update_requirement(actor=world.a(world.pm), requirement_id=active_req.pk,
                                    expected_version=active_req.version, spec={"goal": "sneaky"})  # fmt: skip
    assert exc.value.code == "needs_change_request"
    # Non-spec fields still change on an active requirement.
    services.update_requirement(actor=world.a(world.pm), requirement_id=active_req.pk,
                                expected_version=active_req.version, estimate="3.5")  # fmt: skip


# ---- review ----------------------------------------------------------------------------------------
def test_submit_refused_while_required_sections_are_missing(world, make_req):
    req = make_req(spec={"summary": "只有一句话"})
    with Unchanged(req), pytest.raises(GuardFailed) as exc:
        services.submit_for_review(
            actor=world.a(world.pm), requirement_id=req.pk, expected_version=req.version
        )
    assert exc.value.code == "prd_incomplete"
    assert exc.value.missing == ["value", "scenarios", "acceptance_criteria"]
    assert "Value" in exc.value.message


def test_submit_opens_a_round_and_tells_the_reviewers(world, make_req):
    req = make_req()
    req = services.submit_for_review(
        actor=world.a(world.pm), requirement_id=req.pk, expected_version=req.version
    )
    assert req.status == "reviewing"
    told = set(Notification.objects.filter(kind="review_requested").values_list("user_id", flat=True))
    assert told == {world.rev1.pk, world.rev2.pk}


def test_all_must_pass_and_verdicts_are_only_for_requested_reviewers(world, make_req):
    req = make_req()
    req = services.submit_for_review(
        actor=world.a(world.pm), requirement_id=req.pk, expected_version=req.version
    )
    with pytest.raises(PermissionDenied) as exc:
        services.record_review_verdict(actor=world.a(world.dev), requirement_id=req.pk, verdict="pass")
    assert exc.value.code == "not_reviewer"
    req = services.record_review_verdict(actor=world.a(world.rev1), requirement_id=req.pk, verdict="pass")
    assert req.status == "reviewing"
    with pytest.raises(GuardFailed):
        services.record_review_verdict(actor=world.a(world.rev1), requirement_id=req.pk, verdict="pass")
    req = services.record_review_verdict(actor=world.a(world.rev2), requirement_id=req.pk, verdict="pass")
    assert req.status == "active"
    assert Notification.objects.filter(kind="verdict_given", user=world.pm).count() == 2


def test_clarify_returns_to_draft_and_needs_a_comment(world, make_req):
    req = make_req()
    services.submit_for_review(actor=world.a(world.pm), requirement_id=req.pk, expected_version=req.version)
    with pytest.raises(InvalidInput) as exc:
        services.record_review_verdict(actor=world.a(world.rev1), requirement_id=req.pk, verdict="clarify")
    assert exc.value.field == "comment"
    with pytest.raises(InvalidInput) as exc:  # revert applies only when a change is reviewed
        services.record_review_verdict(
            actor=world.a(world.rev1), requirement_id=req.pk, verdict="revert", comment="x"
        )
    assert exc.value.field == "verdict"
    services.record_review_verdict(actor=world.a(world.rev1), requirement_id=req.pk, verdict="clarify",
                                   comment="禁言的时长没写")  # fmt: skip
    req = services.record_review_verdict(actor=world.a(world.rev2), requirement_id=req.pk, verdict="pass")
    assert req.status == "draft"
    trace = selectors.trace_requirement(actor=world.a(world.pm), requirement_id=req.pk)
    assert [v.comment for v in trace.rounds[0].votes.all() if v.comment] == ["禁言的时长没写"]


def test_reject_closes_as_will_not_do(world, make_req):
    req = make_req(reviewer_ids=[world.rev1.pk])
    services.submit_for_review(actor=world.a(world.pm), requirement_id=req.pk, expected_version=req.version)
    req = services.record_review_verdict(actor=world.a(world.rev1), requirement_id=req.pk, verdict="reject",
                                         comment="不符合产品方向")  # fmt: skip
    assert (req.status, req.close_reason) == ("closed", "will_not_do")


def test_majority_rule(world, make_req):
    from pmloop.products import services as products

    product = world.product
    products.update_product(actor=world.a(world.owner), product_id=product.pk, expected_version=product.version,
                            review_rule="majority")  # fmt: skip
    extra = world.dev
    req = make_req(reviewer_ids=[world.rev1.pk, world.rev2.pk, extra.pk])
    services.submit_for_review(actor=world.a(world.pm), requirement_id=req.pk, expected_version=req.version)
    services.record_review_verdict(
        actor=world.a(world.rev1), requirement_id=req.pk, verdict="reject", comment="no"
    )
    services.record_review_verdict(actor=world.a(world.rev2), requirement_id=req.pk, verdict="pass")
    req = services.record_review_verdict(actor=world.a(extra), requirement_id=req.pk, verdict="pass")
    assert req.status == "active"


def test_skip_review_only_for_listed_users(world, make_req):
    req = make_req()
    with Unchanged(req), pytest.raises(PermissionDenied) as exc:
        services.submit_for_review(actor=world.a(world.pm), requirement_id=req.pk, expected_version=req.version,
                                   skip_review=True)  # fmt: skip
    assert exc.value.code == "review_required"
    settings = selectors.get_settings(actor=world.a(world.owner), product_id=world.product.pk)
    services.update_settings(actor=world.a(world.owner), product_id=world.product.pk,
                             expected_version=settings["version"], skip_review_user_ids=[world.pm.pk])  # fmt: skip
    req = services.submit_for_review(actor=world.a(world.pm), requirement_id=req.pk, expected_version=req.version,
                                     skip_review=True)  # fmt: skip
    assert req.status == "active"
    assert AuditEntry.objects.filter(action="requirements.activated_without_review").exists()


def test_required_sections_come_from_product_settings(world, make_req):
    settings = selectors.get_settings(actor=world.a(world.owner), product_id=world.product.pk)
    services.update_settings(actor=world.a(world.owner), product_id=world.product.pk,
                             expected_version=settings["version"], required_sections=["summary", "competitors"])  # fmt: skip
    req = make_req()
    with pytest.raises(GuardFailed) as exc:
        services.submit_for_review(
            actor=world.a(world.pm), requirement_id=req.pk, expected_version=req.version
        )
    assert exc.value.missing == ["competitors"]
    with pytest.raises(InvalidInput):
        services.update_settings(actor=world.a(world.owner), product_id=world.product.pk,
                                 expected_version=settings["version"] + 1, required_sections=["nonsense"])  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.update_settings(actor=world.a(world.pm), product_id=world.product.pk,
                                 expected_version=settings["version"] + 1, required_sections=[])  # fmt: skip


# ---- change ------------------------------------------------------------------------------------------
def test_change_request_reopens_review_flags_children_and_tells_everyone(world, active_req, make_req):
    child = make_req(title="子需求：禁言", parent_id=active_req.pk, owner_id=world.dev.pk)
    services.link_pool_items(
        actor=world.a(world.pm), requirement_id=active_req.pk, pool_item_ids=[world.item.pk]
    )
    active_req.refresh_from_db()
    with pytest.raises(InvalidInput):
        services.request_change(actor=world.a(world.pm), requirement_id=active_req.pk,
                                expected_version=active_req.version, reason=" ", spec={"goal": "x"})  # fmt: skip
    change = services.request_change(actor=world.a(world.pm), requirement_id=active_req.pk,
                                     expected_version=active_req.version, reason="客户要求支持自定义角色",
                                     impact="影响群管理 API", spec={"summary": "群聊支持自定义角色与权限"})  # fmt: skip
    req = Requirement.objects.get(pk=active_req.pk)
    assert req.status == "reviewing" and change.status == "reviewing"
    assert req.spec_version == 2 and change.base_version == 1
    assert Requirement.objects.get(pk=child.pk).unconfirmed_change_id == change.pk
    told = set(Notification.objects.filter(kind="change_requested").values_list("user_id", flat=True))
    assert {world.rev1.pk, world.rev2.pk, world.dev.pk, world.sales.pk} <= told  # sales owns the customer
    # the child's owner confirms
    services.confirm_change(actor=world.a(world.dev), requirement_id=child.pk)
    assert Requirement.objects.get(pk=child.pk).unconfirmed_change_id is None
    with pytest.raises(GuardFailed):
        services.confirm_change(actor=world.a(world.dev), requirement_id=child.pk)


def test_change_review_pass_keeps_the_new_text(world, active_req):
    services.request_change(actor=world.a(world.pm), requirement_id=active_req.pk, expected_version=active_req.version,
                            reason="r", spec={"goal": "新的目标"})  # fmt: skip
    services.record_review_verdict(actor=world.a(world.rev1), requirement_id=active_req.pk, verdict="pass")
    req = services.record_review_verdict(
        actor=world.a(world.rev2), requirement_id=active_req.pk, verdict="pass"
    )
    assert req.status == "active" and req.spec["goal"] == "新的目标"
    assert req.changes.get().status == "approved"


def test_revert_restores_the_version_before_the_change(world, active_req):
    services.request_change(actor=world.a(world.pm), requirement_id=active_req.pk, expected_version=active_req.version,
                            reason="r", spec={"summary": "改坏了的描述"})  # fmt: skip
    services.record_review_verdict(actor=world.a(world.rev1), requirement_id=active_req.pk, verdict="revert",
                                   comment="改动太大")  # fmt: skip
    req = services.record_review_verdict(
        actor=world.a(world.rev2), requirement_id=active_req.pk, verdict="pass"
    )
    assert req.status == "active"
    assert req.spec["summary"] == FULL_SPEC["summary"]
    assert req.changes.get().status == "reverted"
    assert req.spec_version == 3  # v1 original, v2 change, v3 the restored text


def test_change_refused_unless_active(world, make_req):
    req = make_req()
    with Unchanged(req), pytest.raises(GuardFailed) as exc:
        services.request_change(actor=world.a(world.pm), requirement_id=req.pk, expected_version=req.version,
                                reason="r", spec={"goal": "x"})  # fmt: skip
    assert exc.value.code == "not_active"


def test_withdraw_change_restores_text(world, active_req):
    services.request_change(actor=world.a(world.pm), requirement_id=active_req.pk, expected_version=active_req.version,
                            reason="r", submit=False)  # fmt: skip
    req = Requirement.objects.get(pk=active_req.pk)
    assert req.status == "changing"
    req = services.update_requirement(actor=world.a(world.pm), requirement_id=req.pk, expected_version=req.version,
                                      spec={"goal": "草稿中的改动"})  # fmt: skip
    req = services.withdraw_change(
        actor=world.a(world.pm), requirement_id=req.pk, expected_version=req.version
    )
    assert req.status == "active" and req.spec["goal"] == ""


# ---- delivery and closing -------------------------------------------------------------------------------
def test_stage_moves_and_release_tells_the_customers_owner(world, active_req):
    services.link_pool_items(
        actor=world.a(world.pm), requirement_id=active_req.pk, pool_item_ids=[world.item.pk]
    )
    req = Requirement.objects.get(pk=active_req.pk)
    for stage in ["planned", "developing", "testing", "released"]:
        req = services.set_stage(actor=world.a(world.dev), requirement_id=req.pk, expected_version=req.version,
                                 stage=stage)  # fmt: skip
    assert Notification.objects.filter(kind="requirement_released_customer", user=world.sales).count() == 1
    with pytest.raises(GuardFailed) as exc:
        services.set_stage(actor=world.a(world.dev), requirement_id=req.pk, expected_version=req.version,
                           stage="accepted")  # fmt: skip
    assert exc.value.code == "acceptance_unverified"
    assert list(req.stage_changes.values_list("to_stage", flat=True)) == [
        "wait", "planned", "developing", "testing", "released"]  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.set_stage(actor=world.a(world.sales), requirement_id=req.pk, expected_version=req.version,
                           stage="testing")  # fmt: skip


def test_close_done_needs_every_criterion_verified(world, active_req):
    req = active_req
    with Unchanged(req), pytest.raises(GuardFailed) as exc:
        services.close_requirement(actor=world.a(world.pm), requirement_id=req.pk, expected_version=req.version,
                                   reason="done")  # fmt: skip
    assert exc.value.code == "acceptance_unverified" and len(exc.value.missing) == 2
    for crit in req.criteria.all():
        services.set_criterion_verified(actor=world.a(world.dev), criterion_id=crit.pk, verified=True)
    with pytest.raises(PermissionDenied):
        services.set_criterion_verified(actor=world.a(world.sales), criterion_id=crit.pk, verified=False)
    req = services.close_requirement(actor=world.a(world.pm), requirement_id=req.pk, expected_version=req.version,
                                     reason="done")  # fmt: skip
    assert (req.status, req.close_reason) == ("closed", "done")


def test_close_as_duplicate_names_the_other_in_the_same_product(world, make_req, other_product):
    a, b = make_req(), make_req(title="另一个")
    with Unchanged(a), pytest.raises(GuardFailed):
        services.close_requirement(actor=world.a(world.pm), requirement_id=a.pk, expected_version=a.version,
                                   reason="duplicate")  # fmt: skip
    with Unchanged(a), pytest.raises(GuardFailed):
        services.close_requirement(actor=world.a(world.pm), requirement_id=a.pk, expected_version=a.version,
                                   reason="duplicate", duplicate_of_id=a.pk)  # fmt: skip
    foreign = services.create_requirement(
        actor=world.a(other_product.owner), product_id=other_product.pk, title="f"
    )
    with Unchanged(a), pytest.raises(InvalidInput):
        services.close_requirement(actor=world.a(world.pm), requirement_id=a.pk, expected_version=a.version,
                                   reason="duplicate", duplicate_of_id=foreign.pk)  # fmt: skip
    a = services.close_requirement(actor=world.a(world.pm), requirement_id=a.pk, expected_version=a.version,
                                   reason="duplicate", duplicate_of_id=b.pk)  # fmt: skip
    assert a.duplicate_of_id == b.pk


def test_close_subdivided_needs_children_and_reopen_needs_a_reason(world, make_req):
    parent = make_req()
    with pytest.raises(GuardFailed):
        services.close_requirement(actor=world.a(world.pm), requirement_id=parent.pk, expected_version=parent.version,
                                   reason="subdivided")  # fmt: skip
    make_req(title="child", parent_id=parent.pk)
    parent = services.close_requirement(actor=world.a(world.pm), requirement_id=parent.pk,
                                        expected_version=parent.version, reason="subdivided")  # fmt: skip
    with pytest.raises(GuardFailed) as exc:
        services.reopen_requirement(
            actor=world.a(world.pm), requirement_id=parent.pk, expected_version=parent.version
        )
    assert exc.value.code == "reason_required"
    parent = services.reopen_requirement(actor=world.a(world.pm), requirement_id=parent.pk,
                                         expected_version=parent.version, note="拆分有误")  # fmt: skip
    assert parent.status == "draft" and parent.close_reason == ""


def test_closing_during_review_cancels_the_round(world, make_req):
    req = make_req()
    req = services.submit_for_review(
        actor=world.a(world.pm), requirement_id=req.pk, expected_version=req.version
    )
    req = services.close_requirement(actor=world.a(world.pm), requirement_id=req.pk, expected_version=req.version,
                                     reason="postponed")  # fmt: skip
    from pmloop.reviews.models import ReviewRound

    assert ReviewRound.objects.get(subject_id=req.pk).status == "cancelled"


# ---- links, pool, attachments ------------------------------------------------------------------------------
def test_links_stay_inside_the_product(world, make_req, other_product):
    a, b = make_req(), make_req(title="b")
    services.link_requirements(
        actor=world.a(world.pm), requirement_id=a.pk, target_id=b.pk, kind="depends_on"
    )
    with pytest.raises(GuardFailed):
        services.link_requirements(
            actor=world.a(world.pm), requirement_id=a.pk, target_id=b.pk, kind="depends_on"
        )
    with pytest.raises(InvalidInput):
        services.link_requirements(
            actor=world.a(world.pm), requirement_id=a.pk, target_id=a.pk, kind="relates_to"
        )
    with pytest.raises(InvalidInput):
        services.link_requirements(
            actor=world.a(world.pm), requirement_id=a.pk, target_id=b.pk, kind="blocks"
        )
    foreign = services.create_requirement(
        actor=world.a(other_product.owner), product_id=other_product.pk, title="f"
    )
    with pytest.raises(InvalidInput):
        services.link_requirements(
            actor=world.a(world.pm), requirement_id=a.pk, target_id=foreign.pk, kind="relates_to"
        )


def test_linking_pool_items_of_another_product_is_refused(world, make_req, other_product):
    from pmloop.pool import services as pool

    foreign = pool.create_item(
        actor=world.a(other_product.owner), product_id=other_product.pk, text="别的产品的反馈"
    )
    req = make_req()
    with Unchanged(req), pytest.raises(InvalidInput):
        services.link_pool_items(actor=world.a(world.pm), requirement_id=req.pk, pool_item_ids=[foreign.pk])
    assert PoolItem.objects.get(pk=foreign.pk).status == "new"
    req = services.link_pool_items(
        actor=world.a(world.pm), requirement_id=req.pk, pool_item_ids=[world.item.pk]
    )
    assert req.voices == 1
    req = services.unlink_pool_item(
        actor=world.a(world.pm), requirement_id=req.pk, pool_item_id=world.item.pk
    )
    assert req.voices == 0 and PoolItem.objects.get(pk=world.item.pk).status == "triaged"


def test_attachments_are_type_and_size_checked(world, make_req, settings):
    settings.PMLOOP_ATTACHMENT_MAX_MB = 1
    req = make_req()
    att = services.add_attachment(
        actor=world.a(world.pm), requirement_id=req.pk, name="原型.png", content=b"\x89PNG..."
    )
    assert att.size == 7 and att.content_type == "image/png"
    for name, content in [("x.exe", b"MZ"), ("big.pdf", b"0" * (1024 * 1024 + 1)), ("empty.txt", b"")]:
        with pytest.raises(InvalidInput):
            services.add_attachment(
                actor=world.a(world.pm), requirement_id=req.pk, name=name, content=content
            )
    assert req.attachments.count() == 1
    services.remove_attachment(actor=world.a(world.pm), attachment_id=att.pk)
    assert req.attachments.count() == 0


def test_search_finds_chinese_and_english(world, make_req):
    from pmloop.requirements.selectors import RequirementQuery

    make_req(title="消息必达 delivery guarantee", spec={"summary": "离线消息推送保证送达"})
    make_req()
    a = world.a(world.viewer)
    assert [r.title for r in selectors.list_requirements(actor=a, query=RequirementQuery(q="权限"))] == [
        "群组角色权限"
    ]
    assert [r.title for r in selectors.list_requirements(actor=a, query=RequirementQuery(q="delivery"))] == [
        "消息必达 delivery guarantee"]  # fmt: skip
    assert selectors.list_requirements(actor=a, query=RequirementQuery(q="IMSDK-2")).get().number == 2


def test_non_member_sees_nothing(world, make_req, make_user):
    req = make_req()
    outsider = world.a(make_user("outsider"))
    assert not selectors.list_requirements(actor=outsider).exists()
    with pytest.raises(NotFound):
        selectors.get_requirement(actor=outsider, requirement_id=req.pk)
    with pytest.raises(NotFound):
        services.close_requirement(
            actor=outsider, requirement_id=req.pk, expected_version=req.version, reason="done"
        )


def test_notifications_are_worded_for_the_reader_not_the_sender(world, make_req):
    """A zh-Hans PM submits; each reviewer reads the notification in their own language."""
    from django.utils import translation

    req = make_req()
    with translation.override("zh-hans"):
        services.submit_for_review(
            actor=world.a(world.pm), requirement_id=req.pk, expected_version=req.version
        )
    n = Notification.objects.get(kind="review_requested", user=world.rev1)
    assert n.params == {"requirement_id": req.pk, "key": req.key, "title": req.title}
    with translation.override("en"):
        assert n.rendered().title == f"Review requested: {req.key} {req.title}"
    with translation.override("zh-hans"):
        assert n.rendered().title == f"请求评审：{req.key} {req.title}"
    with translation.override("en"):
        services.record_review_verdict(actor=world.a(world.rev1), requirement_id=req.pk, verdict="pass")
    verdict = Notification.objects.get(kind="verdict_given", user=world.pm)
    with translation.override("zh-hans"):
        assert verdict.rendered().title.endswith("的评审结论：通过")
