"""One requirement from a pool item to closed-done, through the pages, in a real browser (zh-Hans):
file the customer's words in the pool, create the requirement from the pool item, fill the PRD
sections (with a table row added), submit it for review, pass it as each reviewer, move the
stage to released, verify the acceptance criteria and close it as done.

The pool item is filed on the pool pages when they are installed (``pool:create``); until
then it is created through ``pool.services.create_item`` in the setup."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import expect

from tests.e2e.htmx import settled
from tests.e2e.test_shell import assert_not_blank

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-Secret-123"
CUSTOMER_WORDS = "希望群聊里可以按角色设置权限，老师能禁言学生"


def _pool_pages() -> bool:
    try:
        reverse("pool:create")
    except NoReverseMatch:
        return False
    return True


@pytest.fixture
def team(make_user):
    from pmloop.accounts import services as accounts
    from pmloop.core.actor import Actor
    from pmloop.customers import services as customers
    from pmloop.products import services as products

    owner = make_user("owner", password=PASSWORD, display_name="王产品")
    pm = make_user("pm", password=PASSWORD, display_name="李经理")
    rev1 = make_user("rev1", password=PASSWORD, display_name="张研发")
    rev2 = make_user("rev2", password=PASSWORD, display_name="赵测试")
    sales = make_user("sales", password=PASSWORD, display_name="钱销售")
    a = Actor(user=owner, via="cli")
    product = products.create_product(actor=a, code="IMSDK", name="IM SDK 即时通讯")
    for user, role in ((pm, "pm"), (rev1, "reviewer"), (rev2, "developer"), (sales, "sales")):
        accounts.add_member(actor=a, product_id=product.pk, user_id=user.pk, role=role)
    customer = customers.create_customer(actor=a, product_id=product.pk, name="好未来教育", industry="education",
                                         owner_id=sales.pk)  # fmt: skip
    return {"product": product, "pm": pm, "rev1": rev1, "rev2": rev2, "sales": sales, "customer": customer}


def _login(browser, live_server, username):
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return context, page


def _file_pool_item(browser, live_server, team) -> int:
    from pmloop.pool.models import PoolItem

    if _pool_pages():
        context, page = _login(browser, live_server, "sales")
        try:
            page.goto(f"{live_server.url}{reverse('pool:create')}?product={team['product'].pk}")
            page.fill("#id_text", CUSTOMER_WORDS)
            page.select_option("#id_customer_id", str(team["customer"].pk))
            page.select_option("#id_importance", "high")
            page.click("#main form button.btn-primary")
            page.wait_for_selector(f"text={CUSTOMER_WORDS}")
        finally:
            context.close()
    else:  # the pool pages are not installed yet: the same service the page calls
        from pmloop.core.actor import Actor
        from pmloop.pool import services as pool

        pool.create_item(actor=Actor(user=team["sales"], via="web"), product_id=team["product"].pk,
                         customer_id=team["customer"].pk, text=CUSTOMER_WORDS, importance="high")  # fmt: skip
    return PoolItem.objects.get(text=CUSTOMER_WORDS).pk


def test_requirement_from_pool_item_to_closed_done(live_server, browser, team, artifacts):
    from pmloop.requirements.models import Requirement

    item_id = _file_pool_item(browser, live_server, team)
    errors: list[str] = []
    context, page = _login(browser, live_server, "pm")
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        # The pool item → "create requirement from this pool item": the form comes prefilled.
        page.goto(f"{live_server.url}{reverse('requirements:create_from_pool', args=[item_id])}")
        assert page.locator("h1").inner_text() == "从需求池条目新建产品需求"
        assert CUSTOMER_WORDS in page.input_value("#id_spec_background")
        assert "好未来教育" in page.inner_text(".alert-info")
        page.fill("#id_title", "群聊按角色配置权限")
        page.fill("#id_spec_summary", "群聊支持按角色（群主、管理员、成员）配置权限")
        page.fill("#id_spec_value", "教育、金融客户需要**细粒度**的群管理权限。")
        page.fill("input[name='spec_scenarios-0-title']", "直播课堂禁言")
        page.fill("input[name='spec_scenarios-0-industry']", "教育")
        page.click("button[data-add-row='spec_scenarios']")
        page.fill("input[name='spec_scenarios-1-title']", "入群审批")
        page.fill("input[name='spec_scenarios-1-customer_type']", "银行大客户")
        page.fill("#id_spec_acceptance_criteria", "群主可以设置管理员\n管理员可以禁言成员")
        page.check("label:has-text('张研发') input")
        page.check("label:has-text('赵测试') input")
        # The completeness panel follows the typing (htmx).
        page.wait_for_selector("#completeness >> text=必填章节已全部填写，可以提交评审。")
        settled(page)
        page.click("text=保存草稿并关联需求池条目")
        page.wait_for_selector("text=已保存为草稿")
        req = Requirement.objects.get(title="群聊按角色配置权限")
        assert page.url.endswith(reverse("requirements:detail", args=[req.pk]))
        assert "好未来教育" in page.inner_text("#tab-panel")  # who asked

        # Submit for review: the reviewers chosen on the form are already ticked.
        page.click("#panel-submit summary")
        page.click("#panel-submit button.btn-primary")
        page.wait_for_selector(".flash >> text=已提交评审")
        assert page.inner_text(".req-meta .st") == "评审中"
    finally:
        context.close()

    # Each reviewer logs in and passes it.
    for reviewer in ("rev1", "rev2"):
        ctx, rpage = _login(browser, live_server, reviewer)
        try:
            rpage.goto(f"{live_server.url}{reverse('requirements:detail', args=[req.pk])}")
            rpage.check("#panel-verdict input[value=pass]")
            rpage.fill("#verdict_comment", "方案清楚，同意")
            rpage.click("#panel-verdict button.btn-primary")
            rpage.wait_for_selector(".flash >> text=你的结论已记录")
        finally:
            ctx.close()
    req.refresh_from_db()
    assert req.status == "active"

    context, page = _login(browser, live_server, "pm")
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{live_server.url}{reverse('requirements:detail', args=[req.pk])}")
        assert page.inner_text(".req-meta .st") == "有效"
        # Move the delivery stage to released.
        page.click("#panel-stage summary")
        page.select_option("#stage_stage", "released")
        page.click("#panel-stage button.btn-primary")
        page.wait_for_selector(".flash >> text=已推进到")
        # Closing as done is refused while a criterion is unverified; the message says which.
        page.click("#panel-close summary")
        page.select_option("#close_reason", "done")
        page.click("#panel-close button.btn-danger")
        page.wait_for_selector("#panel-close .alert-error")
        page.wait_for_load_state()  # htmx binds on DOMContentLoaded, after the text shows
        assert "群主可以设置管理员" in page.inner_text("#panel-close .alert-error")
        # Verify the acceptance criteria (htmx, no page load), then close as done. Each
        # criterion is clicked by its text: htmx settles the swapped <li> classes ~20 ms after
        # the new text shows, so ":not(.verified)" can still match the one just verified.
        page.locator("#criteria li:has-text('群主可以设置管理员') button").click()
        page.wait_for_selector("#criteria >> text=已验证 1 / 2")
        settled(page)
        page.locator("#criteria li:has-text('管理员可以禁言成员') button").click()
        page.wait_for_selector("#criteria >> text=已验证 2 / 2")
        settled(page)
        expect(page.locator("#criteria li.verified")).to_have_count(2)  # retries past the settle
        assert page.get_attribute("#panel-close", "open") is not None  # still open after the refusal
        page.select_option("#close_reason", "done")
        page.fill("#close_note", "两条验收标准均已验证")
        page.click("#panel-close button.btn-danger")
        page.wait_for_selector(".flash >> text=已关闭")
        req.refresh_from_db()
        assert req.status == "closed" and req.close_reason == "done"
        shot = artifacts / "requirement-journey-zh-Hans.png"
        page.screenshot(path=str(shot), full_page=True)
        assert_not_blank(shot)
        assert errors == []
    finally:
        context.close()
