"""The plans and releases API contract: status codes, the error shape, stale versions."""

from __future__ import annotations

import pytest

from pmloop.plans.models import Plan, PlanItem, Release

pytestmark = pytest.mark.django_db
API = "/api/v1"
ERROR_KEYS = {"code", "message", "fields", "missing"}


def err(r, status, code=None, field=None) -> dict:
    assert r.status_code == status, r.content[:400]
    body = r.json()
    assert set(body) == ERROR_KEYS and body["message"]
    if code:
        assert body["code"] == code, body
    if field:
        assert field in [f["field"] for f in body["fields"]], body
    return body


@pytest.fixture
def c(world, api_client):
    return api_client(world.owner)


@pytest.fixture
def plan(c, world):
    r = c.post(f"{API}/plans", {"product_id": world.product.pk, "title": "2026 Q4", "start_date": "2026-10-01",
                                "end_date": "2026-12-31", "capacity": 20}, content_type="application/json")  # fmt: skip
    assert r.status_code == 201, r.content
    return r.json()


def test_create_read_update_plan(c, world, plan):
    assert plan["title"] == "2026 Q4" and plan["capacity"] == "20.0" and plan["items"] == []
    assert plan["owner"]["username"] == "owner"
    r = c.get(f"{API}/plans?product_id={world.product.pk}")
    assert r.status_code == 200 and r.json()["count"] == 1 and r.json()["items"][0]["id"] == plan["id"]
    r = c.patch(
        f"{API}/plans/{plan['id']}", {"version": 1, "title": "2026 第四季度"}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["version"] == 2
    body = err(c.patch(f"{API}/plans/{plan['id']}", {"version": 1, "title": "x"}, content_type="application/json"),
               409, "stale_version", "version")  # fmt: skip
    assert "version 1" in body["message"]
    assert Plan.objects.get().title == "2026 第四季度"


def test_bad_plan_input_is_4xx_with_the_field(c, world, plan):
    base = {"product_id": world.product.pk, "title": "x"}
    err(c.post(f"{API}/plans", {**base, "start_date": "2026-12-31", "end_date": "2026-10-01"},
               content_type="application/json"), 422, "invalid", "end_date")  # fmt: skip
    err(c.post(f"{API}/plans", {**base, "start_date": "2026-13-45", "end_date": "2026-10-01"},
               content_type="application/json"), 422, "invalid", "start_date")  # fmt: skip
    err(c.post(f"{API}/plans", {**base, "start_date": "2027-01-01", "end_date": "2027-02-01", "parent_id": plan["id"]},
               content_type="application/json"), 422, "invalid", "end_date")  # fmt: skip
    err(c.post(f"{API}/plans/{plan['id']}/milestones", {"name": "上线", "date": "2027-01-05"},
               content_type="application/json"), 422, "invalid", "date")  # fmt: skip
    assert Plan.objects.count() == 1


def test_plan_requirements_and_milestones(c, world, plan, make_active, make_req):
    req = make_active(estimate=25)
    r = c.post(
        f"{API}/plans/{plan['id']}/items", {"requirement_ids": [req.pk]}, content_type="application/json"
    )
    assert r.status_code == 201
    body = r.json()
    assert body["items"][0]["requirement"]["stage"] == "planned" and body["over_capacity"] is True
    assert body["load"] == "25.0" and body["stage_counts"]["planned"] == 1
    draft = make_req(title="草稿")
    body = err(c.post(f"{API}/plans/{plan['id']}/items", {"requirement_ids": [draft.pk]},
                      content_type="application/json"), 422, "not_plannable")  # fmt: skip
    assert body["missing"] == [draft.key] and "draft" in body["message"]
    r = c.post(f"{API}/plans/{plan['id']}/milestones", {"name": "提测", "date": "2026-11-15"},
               content_type="application/json")  # fmt: skip
    assert r.status_code == 201 and r.json()["status"] == "open"
    ms = r.json()
    r = c.patch(
        f"{API}/plans/milestones/{ms['id']}",
        {"version": 1, "status": "done"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == "done"
    assert c.get(f"{API}/plans/{plan['id']}/burnup").json()["points"][-1]["scope"] == 1
    assert c.delete(f"{API}/plans/{plan['id']}/items/{req.pk}").status_code == 204
    assert not PlanItem.objects.exists()


def test_requirement_of_another_product_is_a_422(world, plan, admin, other_product, api_client):
    from pmloop.core.actor import Actor
    from pmloop.requirements import services as req_services

    foreign = req_services.create_requirement(
        actor=Actor(user=admin), product_id=other_product.pk, title="别家的"
    )
    body = err(api_client(admin).post(f"{API}/plans/{plan['id']}/items", {"requirement_ids": [foreign.pk]},
                                      content_type="application/json"), 422, "invalid", "requirement_ids")  # fmt: skip
    assert "another product" in body["message"]


def test_non_members_get_404_and_viewers_403(world, plan, api_client, make_user):
    err(api_client(make_user("x")).get(f"{API}/plans/{plan['id']}"), 404, "plan_not_found")
    viewer = api_client(world.viewer)
    assert viewer.get(f"{API}/plans/{plan['id']}").status_code == 200
    err(viewer.patch(f"{API}/plans/{plan['id']}", {"version": 1, "title": "x"}, content_type="application/json"),
        403, "role_forbidden")  # fmt: skip


def test_release_lifecycle_over_the_api(c, world, make_active):
    a = make_active("A", stage="testing")
    b = make_active("B", stage="developing")
    r = c.post(f"{API}/releases", {"product_id": world.product.pk, "version_name": "v3.2", "planned_date": "2026-11-30"},
               content_type="application/json")  # fmt: skip
    assert r.status_code == 201
    rel = r.json()
    err(c.post(f"{API}/releases", {"product_id": world.product.pk, "version_name": "v3.2"},
               content_type="application/json"), 422, "version_taken", "version_name")  # fmt: skip
    r = c.post(
        f"{API}/releases/{rel['id']}/items",
        {"requirement_ids": [a.pk, b.pk]},
        content_type="application/json",
    )
    assert r.status_code == 201 and len(r.json()["items"]) == 2
    version = r.json()["version"]
    body = err(c.post(f"{API}/releases/{rel['id']}/publish", {"version": version}, content_type="application/json"),
               422, "not_tested")  # fmt: skip
    assert body["missing"] == [b.key]
    err(c.post(f"{API}/releases/{rel['id']}/publish", {"version": version - 1}, content_type="application/json"),
        409, "stale_version")  # fmt: skip
    r = c.post(f"{API}/releases/{rel['id']}/publish",
               {"version": version, "overrides": {str(b.pk): "合同约定上线日"}}, content_type="application/json")  # fmt: skip
    assert r.status_code == 200, r.content
    out = r.json()
    assert out["status"] == "released" and {i["requirement"]["stage"] for i in out["items"]} == {"released"}
    assert [i["override_reason"] for i in out["items"]] == ["", "合同约定上线日"]
    err(c.delete(f"{API}/releases/{rel['id']}/items/{a.pk}"), 422, "release_frozen")
    assert Release.objects.get().status == "released"


def test_roadmap_and_outlook(c, world, plan, make_active):
    req = make_active()
    c.post(f"{API}/plans/{plan['id']}/items", {"requirement_ids": [req.pk]}, content_type="application/json")
    r = c.get(f"{API}/plans/roadmap?product_id={world.product.pk}&group_by=category")
    assert r.status_code == 200 and r.json()["lanes"][0]["rows"][0]["key"] == req.key
    err(c.get(f"{API}/plans/roadmap?group_by=colour"), 422)
    r = c.get(f"{API}/plans/outlook?product_id={world.product.pk}")
    assert r.status_code == 200 and set(r.json()) == {"shipped", "now", "next", "later"}
    assert "key" not in r.json()["now"][0]
