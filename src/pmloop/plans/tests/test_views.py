"""Pages in zh-Hans and en; forms post; refusals are form errors with the API's status."""

from __future__ import annotations

import pytest

from pmloop.plans import services
from pmloop.plans.models import Plan, PlanItem, Release

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(world, api_client):
    return api_client(world.owner)


def zh(client):
    client.cookies["django_language"] = "zh-hans"
    return client


@pytest.fixture
def planned(world, po, quarter, make_active):
    a = make_active("群组角色权限", estimate=12)
    b = make_active("消息撤回时限可配置", estimate=12)
    services.add_to_plan(actor=po, plan_id=quarter.pk, requirement_ids=[a.pk, b.pk])
    services.add_milestone(actor=po, plan_id=quarter.pk, name="提测", date="2026-11-15")
    return a, b


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ["Product plans", "New plan", "2026 Q4"]),
    ("zh-hans", ["产品计划", "新建计划", "2026 Q4"]),
])  # fmt: skip
def test_plan_list_in_both_languages(web, world, quarter, lang, words):
    web.cookies["django_language"] = lang
    r = web.get(f"/plans/product/{world.product.pk}/")
    assert r.status_code == 200
    text = r.content.decode()
    for w in words:
        assert w in text


def test_empty_plan_list_says_what_to_do(web, world):
    r = zh(web).get(f"/plans/product/{world.product.pk}/")
    assert "还没有计划" in r.content.decode()


def test_create_plan_form_and_date_error(web, world):
    url = f"/plans/product/{world.product.pk}/"
    r = web.post(url, {"title": "Q4", "start_date": "2026-12-31", "end_date": "2026-10-01"})
    assert r.status_code == 422 and "The end date (2026-10-01) is before the start date" in r.content.decode()
    assert not Plan.objects.exists()
    r = web.post(url, {"title": "Q4", "start_date": "2026-10-01", "end_date": "2026-12-31", "capacity": "20"})
    assert r.status_code == 302 and Plan.objects.get().capacity == 20


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_plan_page_with_capacity_warning_and_burn_up(web, world, quarter, planned, lang):
    web.cookies["django_language"] = lang
    r = web.get(f"/plans/{quarter.pk}/")
    text = r.content.decode()
    assert r.status_code == 200 and "<svg" in text and "群组角色权限" in text
    assert ("Over capacity by 4.0 person-days" if lang == "en" else "超出容量 4.0 人天") in text
    assert ("提测" in text) and ("Milestones" in text if lang == "en" else "里程碑" in text)


def test_milestone_outside_the_plan_is_a_form_error(web, quarter):
    r = web.post(f"/plans/{quarter.pk}/milestones/", {"name": "上线", "date": "2027-01-05", "status": "open"})
    assert r.status_code == 422 and "outside the plan" in r.content.decode()


def test_plan_a_requirement_through_the_page(web, world, quarter, make_active, make_req):
    req = make_active()
    r = web.post(f"/plans/{quarter.pk}/items/", {"requirement_ids": [req.pk]})
    assert r.status_code == 302 and PlanItem.objects.get().requirement_id == req.pk
    draft = make_req(title="草稿")
    r = web.post(f"/plans/{quarter.pk}/items/", {"requirement_ids": [draft.pk]})
    assert r.status_code == 422  # not a choice: only active, unplanned requirements are offered


def test_viewer_sees_no_forms_and_cannot_post(world, quarter, api_client):
    viewer = api_client(world.viewer)
    r = viewer.get(f"/plans/{quarter.pk}/")
    assert r.status_code == 200 and f'action="/plans/{quarter.pk}/items/"' not in r.content.decode()
    r = viewer.post(f"/plans/{quarter.pk}/milestones/", {"name": "x", "date": "2026-11-01", "status": "open"})
    assert r.status_code == 403


def test_outsiders_get_404(quarter, api_client, make_user):
    assert api_client(make_user("x")).get(f"/plans/{quarter.pk}/").status_code == 404


def test_release_pages_publish_with_override(web, world, po, make_active):
    a = make_active("A", stage="testing")
    b = make_active("B", stage="developing")
    url = f"/plans/product/{world.product.pk}/releases/"
    r = web.post(url, {"version_name": "v3.2", "planned_date": "2026-11-30"})
    release = Release.objects.get()
    assert r.status_code == 302
    r = web.post(url, {"version_name": "v3.2"})
    assert r.status_code == 422 and "already used in this product" in r.content.decode()
    services.add_to_release(actor=po, release_id=release.pk, requirement_ids=[a.pk, b.pk])
    release.refresh_from_db()
    r = zh(web).get(f"/plans/releases/{release.pk}/")
    assert (
        r.status_code == 200 and "发布说明" in r.content.decode() and f"override_{b.pk}" in r.content.decode()
    )
    r = web.post(f"/plans/releases/{release.pk}/publish/", {"version": release.version})
    assert r.status_code == 422 and "尚未通过测试" in r.content.decode()
    r = web.post(
        f"/plans/releases/{release.pk}/publish/", {"version": release.version, f"override_{b.pk}": "合同约定"}
    )
    assert r.status_code == 302 and Release.objects.get().status == "released"


def test_roadmap_pages_and_exports(web, world, quarter, planned):
    r = web.get(f"/plans/product/{world.product.pk}/roadmap/?group_by=module")
    assert r.status_code == 200 and "<svg" in r.content.decode()
    r = web.get(f"/plans/product/{world.product.pk}/roadmap/?group_by=colour")
    assert r.status_code == 422
    r = web.get(f"/plans/product/{world.product.pk}/roadmap.svg")
    assert r["Content-Type"].startswith("image/svg+xml") and "群组角色权限".encode() in r.content
    r = web.get(f"/plans/product/{world.product.pk}/roadmap.xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert web.get("/plans/roadmap/").status_code == 200
    r = zh(web).get(f"/plans/product/{world.product.pk}/outlook/")
    text = r.content.decode()
    assert (
        r.status_code == 200
        and "群组角色权限" in text
        and "以后" in text
        and world.product.code + "-" not in text
    )
