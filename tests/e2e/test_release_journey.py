"""The release journey in a real browser: plan two requirements, release them, and download
the release notes, which must name both."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-Secret-123"


def _tested_requirements(make_user):
    """A product with two requirements that passed review (set up through the services)."""
    from pmloop.accounts import services as accounts
    from pmloop.core.actor import Actor
    from pmloop.products import services as products
    from pmloop.requirements import services as reqs

    alice = make_user("alice", display_name="王敏", password=PASSWORD)
    reviewer = make_user("li", display_name="李强")
    po, rev = Actor(user=alice), Actor(user=reviewer)
    product = products.create_product(actor=po, code="IMSDK", name="IM SDK 即时通讯")
    accounts.add_member(actor=po, product_id=product.pk, user_id=reviewer.pk, role="reviewer")
    spec = {"summary": "群聊支持按角色配置权限", "value": "大客户要求细粒度权限",
            "scenarios": [{"title": "课堂禁言", "industry": "教育"}], "acceptance_criteria": ["群主可设置管理员"]}  # fmt: skip
    made = []
    for title in ("群组角色权限", "消息撤回时限可配置"):
        r = reqs.create_requirement(
            actor=po, product_id=product.pk, title=title, spec=spec, reviewer_ids=[reviewer.pk]
        )
        r = reqs.submit_for_review(actor=po, requirement_id=r.pk, expected_version=r.version)
        made.append(reqs.record_review_verdict(actor=rev, requirement_id=r.pk, verdict="pass"))
    return po, product, made


def _develop_and_test(po, requirements) -> None:
    """What the team does between planning and releasing: develop, then test."""
    from pmloop.requirements import services as reqs
    from pmloop.requirements.models import Requirement

    for r in requirements:
        for stage in ("developing", "testing"):
            version = Requirement.objects.get(pk=r.pk).version
            reqs.set_stage(actor=po, requirement_id=r.pk, expected_version=version, stage=stage)


def test_plan_release_and_download_notes(live_server, browser, make_user, artifacts):
    po, product, (a, b) = _tested_requirements(make_user)
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "alice")
        page.fill("#id_password", PASSWORD)
        page.click("#main form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

        # Plan: create the quarter, then put both requirements in it.
        page.goto(f"{live_server.url}/plans/product/{product.pk}/")
        assert page.locator("h1").inner_text() == "产品计划"
        page.fill("#id_title", "2026 Q4")
        page.fill("#id_start_date", "2026-10-01")
        page.fill("#id_end_date", "2026-12-31")
        page.fill("#id_capacity", "30")
        page.click("text=创建计划")
        page.wait_for_selector("text=计划“2026 Q4”已创建")
        page.select_option("#id_requirement_ids", [str(a.pk), str(b.pk)])
        page.click("text=排入本计划")
        page.wait_for_selector("text=已排入 2 个需求")
        table = page.locator("#items-h + table").inner_text()
        assert "群组角色权限" in table and "消息撤回时限可配置" in table and table.count("已计划") == 2
        page.screenshot(path=str(artifacts / "plan-zh-Hans.png"), full_page=True)

        _develop_and_test(po, [a, b])

        # Release: create v3.2, add both, release.
        page.click("nav.tabs >> text=发布")
        page.fill("#id_version_name", "v3.2")
        page.fill("#id_planned_date", "2026-11-30")
        page.click("text=创建发布")
        page.wait_for_selector("text=版本 v3.2 已创建")
        page.select_option("#id_requirement_ids", [str(a.pk), str(b.pk)])
        page.click("text=加入发布")
        page.wait_for_selector("text=已加入发布")
        page.click("#publish")
        page.wait_for_selector("text=版本 v3.2 已发布")
        assert page.locator("#ships-h + form table").inner_text().count("已发布") == 2

        # Download the release notes.
        with page.expect_download() as info:
            page.click("#notes-md")
        download = info.value
        assert download.suggested_filename == "IMSDK-v3.2-release-notes.md"
        path = artifacts / download.suggested_filename
        download.save_as(str(path))
        notes = path.read_text(encoding="utf-8")
        assert notes.startswith("# 发布说明：IM SDK 即时通讯 v3.2")
        assert "群组角色权限" in notes and "消息撤回时限可配置" in notes
        page.screenshot(path=str(artifacts / "release-zh-Hans.png"), full_page=True)
        assert errors == []
    finally:
        context.close()
