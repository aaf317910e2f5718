"""The requirement pages: every page renders in zh-Hans and en, each form posts through its
service, and the service's rules hold through the page (a refusal shows its message and
changes nothing). Also: visibility (404 for non-members), roles (no buttons, 403 on POST),
sanitised Markdown, and bounded query counts."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from pmloop.audit.models import AuditEntry
from pmloop.requirements import selectors, services
from pmloop.requirements.models import Attachment, Requirement, RequirementLink
from pmloop.requirements.tests.conftest import FULL_SPEC

pytestmark = pytest.mark.django_db


@pytest.fixture
def login():
    def make(user, lang: str = "en") -> Client:
        c = Client()
        c.force_login(user)
        c.cookies["django_language"] = lang
        return c

    return make


@pytest.fixture
def draft(make_req):
    return make_req()


def text_of(response) -> str:
    return response.content.decode()


def audit_count() -> int:
    return AuditEntry.objects.count()


def url(name, *args, **kw):
    return reverse(f"requirements:{name}", args=args, kwargs=kw or None)


def detail(req) -> str:
    return url("detail", req.pk)


def reload(req) -> Requirement:
    return Requirement.objects.get(pk=req.pk)


def spec_post(spec: dict, **fields) -> dict:
    """A form post of a spec (the page's field names)."""
    data = {}
    for key, value in spec.items():
        if key in ("scenarios", "performance", "competitors"):
            for i, row in enumerate(value):
                for col, v in row.items():
                    data[f"spec_{key}-{i}-{col}"] = v
        elif isinstance(value, list):
            data[f"spec_{key}"] = "\n".join(value)
        else:
            data[f"spec_{key}"] = value
    data.update({"category": "feature", "priority": "3"})
    data.update(fields)
    return data


# ---- every page, both languages ------------------------------------------------------------
PAGES = [
    ("list", "产品需求", "Requirements"),
    ("create", "需求验收标准", "Acceptance standard"),
    ("detail", "下一步", "Next step"),
    ("edit", "保存", "Save"),
    ("active", "推进研发阶段", "Move the delivery stage"),
    ("change", "变更原因", "Reason for the change"),
    ("diff", "版本对比", "Compare versions"),
    ("matrix", "需求跟踪矩阵", "Traceability matrix"),
    ("mine", "等我评审", "Waiting for my verdict"),
    ("from_pool", "来自需求池条目", "From pool item"),
    ("settings", "必填的 PRD 章节", "Required PRD sections"),
    ("index", "产品需求", "Requirements"),
    ("tab_reviews", "评审记录", "Not reviewed yet"),
    ("tab_versions", "版本", "Only one version so far"),
    ("tab_history", "操作记录", "History"),
    ("tab_files", "上传附件", "Attach a file"),
    ("tab_links", "添加关联", "Add link"),
    ("tab_stages", "阶段记录", "Stage history"),
    ("tab_changes", "变更记录", "No change requests"),
]


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
@pytest.mark.parametrize("page,zh,en", PAGES, ids=[p[0] for p in PAGES])
def test_every_page_renders_in_both_languages(world, draft, active_req, login, page, zh, en, lang):
    pid = world.product.pk
    urls = {
        "list": url("list", pid), "create": url("create", pid), "detail": detail(draft),
        "edit": url("edit", draft.pk), "active": detail(active_req), "change": url("change", active_req.pk),
        "diff": url("diff", active_req.pk), "matrix": url("matrix", pid), "mine": url("mine"),
        "from_pool": url("create_from_pool", world.item.pk), "settings": url("settings", pid),
        "index": url("index"), "tab_reviews": detail(draft) + "?tab=reviews",
        "tab_versions": detail(draft) + "?tab=versions", "tab_history": detail(draft) + "?tab=history",
        "tab_files": detail(draft) + "?tab=files", "tab_links": detail(draft) + "?tab=links",
        "tab_stages": detail(draft) + "?tab=stages", "tab_changes": detail(draft) + "?tab=changes",
    }  # fmt: skip
    user = world.owner if page == "settings" else world.pm
    r = login(user, lang).get(urls[page], follow=True)
    assert r.status_code == 200
    body = text_of(r)
    assert (zh if lang == "zh-hans" else en) in body
    if lang == "zh-hans":
        assert 'lang="zh-Hans"' in body


def test_status_and_choice_labels_are_translated(world, active_req, login):
    body = text_of(login(world.pm, "zh-hans").get(url("list", world.product.pk)))
    assert "有效" in body and "未开始" in body  # status Active, stage Waiting
    body = text_of(login(world.pm, "zh-hans").get(detail(active_req)))
    assert "验收标准" in body and "群主可以设置管理员" in body


# ---- list: filters, search, tabs, pagination ---------------------------------------------------
def test_list_filters_search_and_tabs(world, make_req, active_req, login):
    other = make_req(
        title="Message read receipts", spec={"summary": "Show who read a group message"}, priority=1
    )
    c = login(world.pm)
    pid = world.product.pk
    body = text_of(c.get(url("list", pid), {"q": "权限"}))
    assert active_req.title in body and "Message read receipts" not in body
    body = text_of(c.get(url("list", pid), {"q": "receipts"}))
    assert "Message read receipts" in body and active_req.title not in body
    body = text_of(c.get(url("list", pid), {"q": other.key}))
    assert "Message read receipts" in body and active_req.title not in body
    body = text_of(c.get(url("list", pid), {"status": "active"}))
    assert active_req.title in body and "Message read receipts" not in body
    assert re.search(r'aria-current="page">Active <span class="count">1</span>', body)
    body = text_of(c.get(url("list", pid), {"priority": "1"}))
    assert "Message read receipts" in body and active_req.title not in body
    body = text_of(c.get(url("list", pid), {"stage": "wait", "owner_id": world.pm.pk, "category": "feature",
                                             "sort": "priority"}))  # fmt: skip
    assert "Message read receipts" in body and active_req.title in body
    body = text_of(c.get(url("list", pid), {"page_size": "1", "page": "2", "sort": "oldest"}))
    assert "Message read receipts" in body and active_req.title not in body
    # A value that does not parse is named and ignored, the page still shows.
    r = c.get(url("list", pid), {"sort": "nonsense", "priority": "x"})
    assert r.status_code == 200 and "not understood" in text_of(r)


def test_list_tabs_count_what_the_other_filters_leave(world, make_req, active_req, login):
    make_req(title="Message read receipts", spec={"summary": "Show who read a group message"})  # a draft
    make_req(title="群公告置顶", spec={"summary": "群主可以置顶公告"})  # another draft
    c = login(world.pm)
    pid = world.product.pk
    body = text_of(c.get(url("list", pid)))
    assert re.search(r'>Draft <span class="count">2</span>', body)
    assert re.search(r'>All <span class="count">3</span>', body)
    body = text_of(c.get(url("list", pid), {"q": "receipts", "status": "active"}))  # tab counts ignore status
    assert re.search(r'>Draft <span class="count">1</span>', body)
    assert re.search(r'>Active <span class="count">0</span>', body)
    assert re.search(r'>All <span class="count">1</span>', body)


def test_list_empty_says_what_to_do(world, login):
    body = text_of(login(world.pm, "zh-hans").get(url("list", world.product.pk)))
    assert "还没有产品需求" in body and url("create", world.product.pk) in body


def test_list_and_matrix_link_to_exports_with_filters(world, active_req, login):
    c = login(world.pm)
    body = text_of(c.get(url("list", world.product.pk), {"status": "active"}))
    assert f"{reverse('requirements:export_xlsx')}?product_id={world.product.pk}&amp;status=active" in body
    body = text_of(c.get(url("matrix", world.product.pk)))
    assert f"{reverse('requirements:matrix_xlsx')}?product_id={world.product.pk}" in body


# ---- create, edit, from a pool item ------------------------------------------------------------------
def test_create_posts_the_prd_and_redirects(world, login):
    c = login(world.pm)
    spec = {
        **FULL_SPEC,
        "performance": [{"metric": "群规模", "target": "10000", "boundary": "100/1000/10000"}],
    }
    data = spec_post(spec, title="群组角色权限", reviewer_ids=[world.rev1.pk], owner_id=world.pm.pk)
    data["spec_scenarios-7-title"] = ""  # an empty extra row is dropped
    r = c.post(url("create", world.product.pk), data)
    req = Requirement.objects.get(title="群组角色权限")
    assert r.status_code == 302 and r["Location"] == detail(req)
    assert req.spec["scenarios"] == [{"title": "直播课堂禁言", "industry": "教育", "customer_type": "大客户",
                                      "description": ""}]  # fmt: skip
    assert req.spec["acceptance_criteria"] == FULL_SPEC["acceptance_criteria"]
    assert req.spec["performance"][0]["target"] == "10000"
    assert list(req.reviewers.values_list("pk", flat=True)) == [world.rev1.pk]
    assert req.completeness > 40


def test_create_refusal_keeps_the_text_and_changes_nothing(world, login):
    c = login(world.pm)
    before = Requirement.objects.count()
    r = c.post(url("create", world.product.pk), spec_post({"summary": "我的一句话"}, title=""))
    assert r.status_code == 422
    assert "我的一句话" in text_of(r)
    r = c.post(url("create", world.product.pk), spec_post({"summary": "x"}, title="t", parent="NOPE-999"))
    assert r.status_code == 422 and "NOPE-999" in text_of(r)
    assert Requirement.objects.count() == before


def test_create_is_refused_to_a_reviewer(world, login):
    assert login(world.rev1).get(url("create", world.product.pk)).status_code == 403
    r = login(world.rev1).post(url("create", world.product.pk), spec_post({}, title="x"))
    assert r.status_code == 403 and not Requirement.objects.exists()


def test_create_from_pool_item_prefills_and_links(world, login):
    c = login(world.pm, "zh-hans")
    r = c.get(url("create_from_pool", world.item.pk))
    body = text_of(r)
    assert "希望群聊里可以按角色设置权限" in body and "好未来教育" in body
    data = spec_post(
        {**FULL_SPEC, "background": "好未来教育: 希望群聊里可以按角色设置权限"}, title="按角色设置群权限"
    )
    r = c.post(url("create_from_pool", world.item.pk), data)
    req = Requirement.objects.get(title="按角色设置群权限")
    assert r.status_code == 302
    body = text_of(c.get(detail(req)))
    assert world.item.key in body and "好未来教育" in body
    world.item.refresh_from_db()
    assert world.item.status == "linked"


def test_edit_saves_a_new_version(world, draft, login):
    c = login(world.pm)
    data = spec_post({**FULL_SPEC, "summary": "新的概述"}, title=draft.title, version=draft.version,
                     reviewer_ids=[world.rev1.pk])  # fmt: skip
    r = c.post(url("edit", draft.pk), data)
    assert r.status_code == 302
    req = reload(draft)
    assert req.spec["summary"] == "新的概述" and req.spec_version == 2


def test_edit_with_a_stale_version_keeps_my_text(world, draft, login):
    c = login(world.pm)
    services.update_requirement(actor=world.a(world.owner), requirement_id=draft.pk, expected_version=draft.version,
                                priority=1)  # fmt: skip
    data = spec_post({**FULL_SPEC, "summary": "我刚写的文字"}, title=draft.title, version=draft.version)
    r = c.post(url("edit", draft.pk), data)
    assert r.status_code == 409
    body = text_of(r)
    assert "Someone else changed this" in body and "我刚写的文字" in body
    assert reload(draft).spec["summary"] == FULL_SPEC["summary"]


def test_edit_of_an_active_requirement_has_no_spec_fields(world, active_req, login):
    c = login(world.pm)
    body = text_of(c.get(url("edit", active_req.pk)))
    assert 'name="spec_summary"' not in body and "change request" in body
    r = c.post(
        url("edit", active_req.pk), {"version": active_req.version, "category": "feature", "priority": "1"}
    )
    assert r.status_code == 302 and reload(active_req).priority == 1


def test_completeness_preview_recomputes_from_the_form(world, login):
    c = login(world.pm, "zh-hans")
    r = c.post(
        url("completeness", world.product.pk), spec_post({"summary": "一句话"}), HTTP_HX_REQUEST="true"
    )
    body = text_of(r)
    assert r.status_code == 200 and "<html" not in body
    assert "PRD 完整度" in body and "3 个必填章节" in body
    r = c.post(url("completeness", world.product.pk), spec_post(FULL_SPEC), HTTP_HX_REQUEST="true")
    assert "必填章节已全部填写" in text_of(r)


def test_lookup_offers_matching_keys(world, active_req, login):
    r = login(world.pm).get(url("lookup", world.product.pk), {"q": "权限"})
    assert f'<option value="{active_req.key}">' in text_of(r)


# ---- review ---------------------------------------------------------------------------------------
def test_submit_with_missing_sections_is_refused_and_changes_nothing(world, make_req, login):
    req = make_req(spec={"summary": "只有概述"})
    c = login(world.pm)
    n = audit_count()
    r = c.post(url("submit", req.pk), {"version": req.version, "reviewer_ids": [world.rev1.pk]})
    assert r.status_code == 422
    body = text_of(r)
    assert "Complete the PRD before review. Missing:" in body and "Acceptance criteria" in body
    assert reload(req).status == "draft" and audit_count() == n


def test_submit_then_each_reviewer_passes(world, draft, login):
    r = login(world.pm).post(url("submit", draft.pk), {"version": draft.version,
                                                        "reviewer_ids": [world.rev1.pk, world.rev2.pk]})  # fmt: skip
    assert r.status_code == 302 and reload(draft).status == "reviewing"
    rev = login(world.rev1)
    body = text_of(rev.get(detail(draft)))
    assert "Give your verdict" in body and "Revert the change" not in body
    assert rev.post(url("verdict", draft.pk), {"verdict": "pass"}).status_code == 302
    assert reload(draft).status == "reviewing"
    assert (
        login(world.rev2).post(url("verdict", draft.pk), {"verdict": "pass", "comment": "好"}).status_code
        == 302
    )
    assert reload(draft).status == "active"
    body = text_of(login(world.pm).get(detail(draft) + "?tab=reviews"))
    assert "rev1" in body and "Pass" in body and "好" in body


def test_clarify_needs_a_comment(world, draft, login):
    services.submit_for_review(
        actor=world.a(world.pm), requirement_id=draft.pk, expected_version=draft.version
    )
    r = login(world.rev1).post(url("verdict", draft.pk), {"verdict": "clarify", "comment": ""})
    assert r.status_code == 422 and "needs a comment" in text_of(r)
    assert reload(draft).status == "reviewing"


def test_verdict_by_a_non_reviewer_is_refused(world, draft, login):
    services.submit_for_review(
        actor=world.a(world.pm), requirement_id=draft.pk, expected_version=draft.version
    )
    n = audit_count()
    r = login(world.dev).post(url("verdict", draft.pk), {"verdict": "pass"})
    assert r.status_code == 403 and "not a reviewer of this round" in text_of(r)
    assert "Give your verdict" not in text_of(login(world.dev).get(detail(draft)))
    assert reload(draft).status == "reviewing" and audit_count() == n


def test_withdraw_from_review(world, draft, login):
    draft = services.submit_for_review(actor=world.a(world.pm), requirement_id=draft.pk,
                                       expected_version=draft.version)  # fmt: skip
    r = login(world.pm).post(url("withdraw_review", draft.pk), {"version": draft.version})
    assert r.status_code == 302 and reload(draft).status == "draft"


def test_skip_review_checkbox_only_when_allowed(world, draft, login):
    assert 'name="skip_review"' not in text_of(login(world.pm).get(detail(draft)))
    r = login(world.pm).post(url("submit", draft.pk), {"version": draft.version, "skip_review": "on"})
    assert r.status_code == 403 and reload(draft).status == "draft"
    s = services.update_settings(actor=world.a(world.owner), product_id=world.product.pk, expected_version=1,
                                 skip_review_user_ids=[world.pm.pk])  # fmt: skip
    assert s.version == 2
    assert 'name="skip_review"' in text_of(login(world.pm).get(detail(draft)))
    r = login(world.pm).post(url("submit", draft.pk), {"version": draft.version, "skip_review": "on"})
    assert r.status_code == 302 and reload(draft).status == "active"


# ---- change ---------------------------------------------------------------------------------------
def test_change_request_through_the_page(world, active_req, make_req, login):
    child = make_req(title="子需求", parent_id=active_req.pk, actor_user=world.pm)
    c = login(world.pm)
    data = spec_post({**FULL_SPEC, "summary": "群聊支持按角色配置权限，并支持审批"}, title=active_req.title,
                     version=active_req.version, reason="客户要求审批", impact="入群流程", submit="on")  # fmt: skip
    r = c.post(url("change", active_req.pk), data)
    assert r.status_code == 302
    req = reload(active_req)
    assert req.status == "reviewing" and req.spec["summary"].endswith("审批")
    assert "客户要求审批" in text_of(c.get(detail(req) + "?tab=changes"))
    # the child carries the banner until its owner confirms
    body = text_of(c.get(detail(child)))
    assert "Change not yet confirmed" in body and "客户要求审批" in body
    assert c.post(url("confirm_change", child.pk)).status_code == 302
    assert reload(child).unconfirmed_change_id is None
    # a change review offers "revert"
    assert "Revert the change" in text_of(login(world.rev1).get(detail(req)))


def test_change_that_changes_nothing_is_refused(world, active_req, login):
    data = spec_post(FULL_SPEC, title=active_req.title, version=active_req.version, reason="无", submit="on")
    r = login(world.pm).post(url("change", active_req.pk), data)
    assert r.status_code == 422 and "leaves the spec as it is" in text_of(r)
    assert reload(active_req).status == "active"


def test_change_written_then_submitted_or_withdrawn(world, active_req, login):
    c = login(world.pm)
    data = spec_post({**FULL_SPEC, "goal": "新目标"}, title=active_req.title, version=active_req.version,
                     reason="补充目标")  # fmt: skip
    assert c.post(url("change", active_req.pk), data).status_code == 302
    req = reload(active_req)
    assert req.status == "changing"
    body = text_of(c.get(detail(req)))
    assert "Submit the change for review" in body and "Withdraw the change" in body
    assert c.post(url("withdraw_change", req.pk), {"version": req.version}).status_code == 302
    req = reload(req)
    assert req.status == "active" and req.spec.get("goal") == ""


# ---- delivery and closing -------------------------------------------------------------------------
def test_stage_verify_and_close_done(world, active_req, login):
    c = login(world.pm)
    for stage in ("planned", "developing", "testing", "released"):
        req = reload(active_req)
        assert c.post(url("stage", req.pk), {"version": req.version, "stage": stage}).status_code == 302
    req = reload(active_req)
    assert req.stage == "released"
    # close as done with unverified criteria: the message names them, nothing changes
    n = audit_count()
    r = c.post(url("close", req.pk), {"version": req.version, "reason": "done"})
    assert r.status_code == 422
    body = text_of(r)
    assert "needs every acceptance criterion verified" in body and "群主可以设置管理员" in body
    assert reload(req).status == "active" and audit_count() == n
    # verify each criterion through the htmx checklist
    for crit in req.criteria.all():
        r = c.post(url("verify", req.pk, crit.pk), {"verified": "on"}, HTTP_HX_REQUEST="true")
        assert r.status_code == 200 and 'id="criteria"' in text_of(r) and "<html" not in text_of(r)
    assert "2 of 2 verified" in text_of(r)
    req = reload(req)
    r = c.post(url("close", req.pk), {"version": req.version, "reason": "done", "note": "全部验收"})
    assert r.status_code == 302
    req = reload(req)
    assert req.status == "closed" and req.close_reason == "done"
    assert "Reopen" in text_of(c.get(detail(req)))


def test_unverify_and_verify_refused_in_draft(world, draft, active_req, login):
    c = login(world.rev1)
    crit = active_req.criteria.first()
    c.post(url("verify", active_req.pk, crit.pk), {"verified": "on"})
    c.post(url("verify", active_req.pk, crit.pk), {})
    crit.refresh_from_db()
    assert crit.verified is False
    dcrit = draft.criteria.first()
    r = c.post(url("verify", draft.pk, dcrit.pk), {"verified": "on"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 422 and "once the requirement is active" in text_of(r)


def test_close_as_duplicate_with_a_key_and_reopen(world, draft, active_req, login):
    c = login(world.pm)
    r = c.post(url("close", draft.pk), {"version": draft.version, "reason": "duplicate"})
    assert r.status_code == 422 and "Say which requirement this duplicates" in text_of(r)
    r = c.post(
        url("close", draft.pk), {"version": draft.version, "reason": "duplicate", "duplicate_of": "99999"}
    )
    assert r.status_code == 422 and "99999" in text_of(r)
    r = c.post(url("close", draft.pk), {"version": draft.version, "reason": "duplicate",
                                        "duplicate_of": active_req.key})  # fmt: skip
    assert r.status_code == 302
    req = reload(draft)
    assert req.status == "closed" and req.duplicate_of_id == active_req.pk
    assert active_req.key in text_of(c.get(detail(req)))
    r = c.post(url("reopen", req.pk), {"version": req.version, "note": ""})
    assert r.status_code == 422 and "Say why the requirement is reopened" in text_of(r)
    r = c.post(url("reopen", req.pk), {"version": req.version, "note": "客户又要了"})
    assert r.status_code == 302 and reload(req).status == "draft"


def test_stale_version_on_an_action_shows_the_conflict(world, active_req, login):
    r = login(world.pm).post(
        url("stage", active_req.pk), {"version": active_req.version - 1, "stage": "planned"}
    )
    assert r.status_code == 409 and "Someone else changed this" in text_of(r)
    assert reload(active_req).stage == "wait"


# ---- links, pool items, attachments -----------------------------------------------------------------
def test_links_by_key(world, draft, active_req, login):
    c = login(world.pm)
    r = c.post(url("link_add", draft.pk), {"kind": "depends_on", "target": str(active_req.number)})
    assert r.status_code == 302
    link = RequirementLink.objects.get()
    assert active_req.key in text_of(c.get(detail(draft) + "?tab=links"))
    assert "depends on" in text_of(c.get(detail(active_req) + "?tab=links"))
    r = c.post(url("link_add", draft.pk), {"kind": "depends_on", "target": active_req.key})
    assert r.status_code == 422 and "already linked" in text_of(r)
    assert c.post(url("link_remove", draft.pk, link.pk)).status_code == 302
    assert not RequirementLink.objects.exists()


def test_pool_search_link_and_unlink(world, draft, login, actor_for):
    from pmloop.pool import services as pool

    other = pool.create_item(
        actor=actor_for(world.sales), product_id=world.product.pk, text="Need read receipts in groups"
    )
    c = login(world.pm)
    r = c.get(url("pool_search", draft.pk), {"q": "receipts"}, HTTP_HX_REQUEST="true")
    body = text_of(r)
    assert other.key in body and world.item.key not in body
    r = c.get(url("pool_search", draft.pk), {"q": world.item.key})
    assert world.item.key in text_of(r)
    r = c.post(url("pool_link", draft.pk), {"pool_item_ids": [other.pk, world.item.pk]})
    assert r.status_code == 302
    assert reload(draft).voices == 2
    body = text_of(c.get(detail(draft)))
    assert other.key in body and "好未来教育" in body
    assert c.post(url("pool_unlink", draft.pk, other.pk)).status_code == 302
    assert reload(draft).voices == 1


def test_attachments_upload_errors_and_download(world, draft, login, settings, make_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.PMLOOP_ATTACHMENT_MAX_MB = 1
    c = login(world.pm)
    r = c.post(url("attachment_add", draft.pk), {"file": SimpleUploadedFile("x.exe", b"MZ")})
    assert r.status_code == 422 and "are not accepted" in text_of(r)
    big = SimpleUploadedFile("big.pdf", b"0" * (1024 * 1024 + 10))
    r = c.post(url("attachment_add", draft.pk), {"file": big})
    assert r.status_code == 422 and "the limit is 1 MB" in text_of(r)
    assert not Attachment.objects.exists()
    r = c.post(url("attachment_add", draft.pk), {"file": SimpleUploadedFile("原型.png", b"\x89PNG....")})
    assert r.status_code == 302
    att = Attachment.objects.get()
    assert "原型.png" in text_of(c.get(detail(draft) + "?tab=files"))
    r = login(world.viewer).get(url("attachment_download", draft.pk, att.pk))
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment;")
    assert b"".join(r.streaming_content) == b"\x89PNG...."
    stranger = make_user("stranger")
    assert login(stranger).get(url("attachment_download", draft.pk, att.pk)).status_code == 404
    assert login(world.viewer).post(url("attachment_remove", draft.pk, att.pk)).status_code == 403
    assert c.post(url("attachment_remove", draft.pk, att.pk)).status_code == 302
    assert not Attachment.objects.exists()


# ---- versions, matrix, settings, my work ------------------------------------------------------------
def test_diff_shows_both_versions_side_by_side(world, draft, login):
    services.update_requirement(actor=world.a(world.pm), requirement_id=draft.pk, expected_version=draft.version,
                                spec={"summary": "群聊支持按角色配置权限，含审批"})  # fmt: skip
    c = login(world.pm)
    body = text_of(c.get(url("diff", draft.pk)))
    assert "v1" in body and "v2" in body and "<ins>，含审批</ins>" in body
    body = text_of(c.get(url("diff", draft.pk), {"a": 2, "b": 2}))
    assert "No difference" in body
    assert c.get(url("diff", draft.pk), {"a": 1, "b": 9}).status_code == 404


def test_matrix_rows_trace_pool_items_and_reviews(world, make_req, login, actor_for):
    req = services.create_from_pool_item(actor=actor_for(world.pm), pool_item_id=world.item.pk, spec=FULL_SPEC,
                                         reviewer_ids=[world.rev1.pk])  # fmt: skip
    services.submit_for_review(actor=actor_for(world.pm), requirement_id=req.pk, expected_version=req.version)
    body = text_of(login(world.pm, "zh-hans").get(url("matrix", world.product.pk), {"status": "reviewing"}))
    assert world.item.key in body and req.key in body and "好未来教育" in body and "评审中" in body


def test_settings_owner_only_and_stale(world, login):
    assert login(world.pm).get(url("settings", world.product.pk)).status_code == 403
    c = login(world.owner)
    r = c.post(url("settings", world.product.pk), {"version": 1, "required_sections": ["summary", "goal"],
                                                   "force_review_user_ids": [world.pm.pk]})  # fmt: skip
    assert r.status_code == 302
    r = c.post(url("settings", world.product.pk), {"version": 1, "required_sections": ["summary"]})
    assert r.status_code == 409 and "changed since you loaded them" in text_of(r)
    r = c.post(url("settings", world.product.pk), {"version": 2, "skip_review_user_ids": [world.pm.pk],
                                                   "force_review_user_ids": [world.pm.pk]})  # fmt: skip
    assert r.status_code == 422 and "cannot both skip review" in text_of(r)
    from pmloop.requirements import selectors

    assert selectors.get_settings(actor=world.a(world.owner), product_id=world.product.pk)["required_sections"] == [
        "summary", "goal"]  # fmt: skip


def test_my_work_lists_reviews_waiting_and_owned(world, draft, login):
    services.submit_for_review(
        actor=world.a(world.pm), requirement_id=draft.pk, expected_version=draft.version
    )
    body = text_of(login(world.rev1).get(url("mine")))
    assert draft.key in body
    body = text_of(login(world.pm).get(url("mine")))
    assert draft.key in body and "No review is waiting for you" in body


# ---- who may see and do what --------------------------------------------------------------------------
def test_non_member_gets_404_everywhere(world, draft, make_user, login):
    crit = draft.criteria.first()
    c = login(make_user("stranger"))
    pid = world.product.pk
    for path in [url("list", pid), url("create", pid), url("matrix", pid), url("settings", pid), detail(draft),
                 url("edit", draft.pk), url("change", draft.pk), url("diff", draft.pk), url("lookup", pid),
                 url("create_from_pool", world.item.pk), url("pool_search", draft.pk)]:  # fmt: skip
        assert c.get(path).status_code == 404, path
    for path in [url("submit", draft.pk), url("close", draft.pk), url("verdict", draft.pk), url("stage", draft.pk),
                 url("verify", draft.pk, crit.pk), url("link_add", draft.pk), url("completeness", pid)]:  # fmt: skip
        assert (
            c.post(path, {"version": draft.version, "reason": "done", "verdict": "pass"}).status_code == 404
        ), path
    assert reload(draft).status == "draft"


def test_viewer_sees_no_action_and_a_post_is_refused(world, draft, active_req, login):
    c = login(world.viewer)
    for req in (draft, active_req):
        body = text_of(c.get(detail(req)))
        for action in (
            "submit",
            "close",
            "stage",
            "edit",
            "change",
            "link_add",
            "attachment_add",
            "pool_link",
        ):
            assert url(action, req.pk) not in body, action
        assert "your role on the product does not let you change it" in body
    n = audit_count()
    r = c.post(url("submit", draft.pk), {"version": draft.version, "reviewer_ids": [world.rev1.pk]})
    assert r.status_code == 403
    r = c.post(url("close", active_req.pk), {"version": active_req.version, "reason": "cancelled"})
    assert r.status_code == 403
    crit = active_req.criteria.first()
    assert c.post(url("verify", active_req.pk, crit.pk), {"verified": "on"}).status_code == 403
    assert c.get(url("edit", draft.pk)).status_code == 403
    assert reload(draft).status == "draft" and reload(active_req).status == "active" and audit_count() == n


def test_anonymous_is_sent_to_log_in(world, draft):
    r = Client().get(detail(draft))
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


# ---- sanitised Markdown ---------------------------------------------------------------------------------
def test_spec_markup_renders_no_script(world, make_req, login):
    evil = "<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1)) **粗体**"
    req = make_req(spec={**FULL_SPEC, "problem": evil, "functional_design": '<a href="JAVASCRIPT:alert(2)" onclick="x()">y</a>',
                         "why_chain": ["<script>alert(3)</script>", "b", "c"],
                         "scenarios": [{"title": "<img src=x onerror=alert(4)>", "industry": "教育"}]})  # fmt: skip
    body = text_of(login(world.pm).get(detail(req)))
    spec_html = body.split('id="grp-1"')[1].split('id="tabs"')[0]
    assert "<script" not in spec_html.lower()
    assert not re.search(r"<[^>]+\son\w+\s*=", spec_html, re.I)
    assert "javascript:" not in spec_html.lower()
    assert "<strong>粗体</strong>" in spec_html
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in spec_html  # list items are plain text


def test_markdown_filter_unit():
    from pmloop.requirements.templatetags.requirement_markup import render_markdown

    html = render_markdown("[ok](https://example.com) <iframe src=x></iframe> <b onmouseover=x>b</b>")
    assert 'href="https://example.com"' in html and 'rel="noopener noreferrer nofollow"' in html
    assert "<iframe" not in html and "onmouseover" not in html


# ---- bounded queries ------------------------------------------------------------------------------------
def _many(world, make_req, n):
    reqs = [make_req(title=f"需求 {i}", spec={**FULL_SPEC, "summary": f"概述 {i}"}) for i in range(n)]
    return reqs


def test_list_page_query_count_is_bounded(world, make_req, login, django_assert_max_num_queries):
    c = login(world.pm)
    _many(world, make_req, 2)
    with django_assert_max_num_queries(16):
        assert c.get(url("list", world.product.pk)).status_code == 200
    _many(world, make_req, 25)
    with django_assert_max_num_queries(16):
        assert c.get(url("list", world.product.pk), {"q": "概述"}).status_code == 200


def test_detail_page_query_count_is_bounded(world, make_req, login, actor_for, django_assert_max_num_queries):
    from pmloop.pool import services as pool

    c = login(world.pm)
    req = make_req()
    with django_assert_max_num_queries(30):
        assert c.get(detail(req)).status_code == 200
    # many versions, criteria, pool items, children, links, review votes
    spec = {**FULL_SPEC, "acceptance_criteria": [f"标准 {i}" for i in range(20)]}
    for i in range(6):
        req = reload(req)
        services.update_requirement(actor=world.a(world.pm), requirement_id=req.pk, expected_version=req.version,
                                    spec={**spec, "summary": f"v{i}"})  # fmt: skip
    items = [pool.create_item(actor=actor_for(world.sales), product_id=world.product.pk, customer_id=world.customer.pk,
                              text=f"反馈 {i}") for i in range(8)]  # fmt: skip
    services.link_pool_items(
        actor=world.a(world.pm), requirement_id=req.pk, pool_item_ids=[i.pk for i in items]
    )
    for i in range(5):
        child = make_req(title=f"子 {i}", parent_id=req.pk)
        services.link_requirements(
            actor=world.a(world.pm), requirement_id=child.pk, target_id=req.pk, kind="relates_to"
        )
    req = reload(req)
    services.submit_for_review(actor=world.a(world.pm), requirement_id=req.pk, expected_version=req.version)
    for tab in ("asked", "reviews", "versions", "links", "history", "files", "changes", "stages"):
        with django_assert_max_num_queries(24):
            assert c.get(detail(req), {"tab": tab}).status_code == 200


def test_detail_page_reads_only_the_tab_it_shows(world, make_req, login):
    """Versions, stages, links, history and attachments are read for their own tab only; the
    tab numbers come from one counting query and equal what each tab then lists."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = login(world.pm)
    req = make_req()
    for i in range(2):
        req = reload(req)
        services.update_requirement(actor=world.a(world.pm), requirement_id=req.pk, expected_version=req.version,
                                    spec={**FULL_SPEC, "summary": f"v{i}"})  # fmt: skip
    child = make_req(title="子需求")
    services.link_requirements(
        actor=world.a(world.pm), requirement_id=child.pk, target_id=req.pk, kind="relates_to"
    )
    with CaptureQueriesContext(connection) as ctx:
        html = c.get(detail(req)).content.decode()
    read = " ".join(q["sql"] for q in ctx.captured_queries)
    for table in ("audit_auditentry", "requirements_attachment", "requirements_stagechange",
                  "requirements_requirementversion"):  # fmt: skip
        assert f'"{table}"."id"' not in read, table  # no row read (the count names them as U0)
    trace = selectors.trace_requirement(actor=world.a(world.pm), requirement_id=req.pk)
    assert trace.counts == {"versions": len(trace.versions), "stages": len(trace.stages),
                            "links_out": len(trace.links_out), "links_in": len(trace.links_in)}  # fmt: skip
    assert trace.counts["versions"] == 3 and trace.counts["links_in"] == 1
    assert re.search(r'tab=versions[^>]*>[^<]*<span class="count">3</span>', html)
    assert re.search(r'tab=links[^>]*>[^<]*<span class="count">1</span>', html)


def test_the_lifecycle_table_in_the_docs_matches_the_code():
    from pathlib import Path

    from pmloop.requirements.lifecycle import TRANSITIONS

    doc = Path(__file__).resolve().parents[4] / "docs" / "requirements.md"
    section = doc.read_text(encoding="utf-8").split("## Lifecycle", 1)[1].split("##", 1)[0]
    rows = re.findall(r"^\| (\w+) \| (\w+) \| ", section, re.M)
    documented = {(a, b) for a, b in rows if a != "from"}
    assert documented == {(str(a), str(b)) for a, targets in TRANSITIONS.items() for b in targets}


def test_markdown_converter_keeps_nothing_from_one_text_to_the_next():
    from pmloop.requirements.templatetags.requirement_markup import render_markdown

    first = render_markdown("见 [文档][d]。\n\n[d]: https://example.com/doc\n\n脚注[^1]\n\n[^1]: 第一条")
    assert 'href="https://example.com/doc"' in first and "第一条" in first
    second = render_markdown("再见 [文档][d]，脚注[^1]")  # its own references are undefined
    assert "example.com" not in second and "第一条" not in second
    assert "[文档][d]" in second
