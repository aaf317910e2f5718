"""The requirements API contract: status codes, the one error shape {code, message, fields,
missing}, schema fields, filters (Chinese and English search), pagination, optimistic
concurrency (a stale ``version`` gets 409 and changes nothing), guard refusals (422 with the
code and what is missing), references that must stay inside the product, visibility (another
product's requirement is 404) and roles (403) — then the whole lifecycle through the API, and
no lost update when two clients edit the same version (also truly concurrently on PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from pmloop.audit.models import AuditEntry
from pmloop.requirements import services
from pmloop.requirements.models import (
    AcceptanceCriterion,
    Attachment,
    ChangeRequest,
    Requirement,
    RequirementLink,
    RequirementVersion,
)
from pmloop.requirements.tests.conftest import FULL_SPEC

pytestmark = pytest.mark.django_db
API = "/api/v1/requirements"

SUMMARY_FIELDS = {
    "id", "key", "product_id", "number", "title", "module_id", "category", "priority", "estimate", "owner", "status",
    "stage", "close_reason", "duplicate_of_id", "parent_id", "spec_version", "completeness", "voices",
    "unconfirmed_change_id", "version", "created_at", "updated_at",
}  # fmt: skip
DETAIL_FIELDS = SUMMARY_FIELDS | {"spec", "reviewers", "criteria"}


# ---- helpers -----------------------------------------------------------------------------------
def assert_error(response, status: int, code: str | None = None, field: str | None = None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "fields", "missing"}, body
    assert body["message"]
    if code:
        assert body["code"] == code, body
    if field:
        names = [f["field"] for f in body["fields"]]
        assert any(n == field or n.startswith(f"{field}.") for n in names), body
    return body


def send(client, method, path, data=None):
    return getattr(client, method)(API + path, data=data, content_type="application/json")


def fingerprint(req_id: int | None = None):
    """What a refused call must leave alone: the rows, their versions and criteria, the log."""
    reqs = Requirement.objects.order_by("pk")
    if req_id is not None:
        reqs = reqs.filter(pk=req_id)
    return (
        list(reqs.values()),
        RequirementVersion.objects.count(),
        list(AcceptanceCriterion.objects.order_by("pk").values()),
        ChangeRequest.objects.count(),
        RequirementLink.objects.count(),
        AuditEntry.objects.exclude(action__startswith="accounts.").count(),  # not the test's own API tokens
    )


@pytest.fixture
def as_(token_client):
    """as_(user) → an API client with a read-write token of ``user`` (cached per user)."""
    clients = {}

    def get(user):
        if user.pk not in clients:
            clients[user.pk] = token_client(user, "write")[0]
        return clients[user.pk]

    return get


@pytest.fixture
def outsider(make_user):
    return make_user("outsider")


def fresh(req) -> Requirement:
    return Requirement.objects.get(pk=req.pk)


# ---- create ---------------------------------------------------------------------------------------
def test_create(as_, world):
    r = send(as_(world.pm), "post", "", {"product_id": world.product.pk, "title": "群组角色权限", "priority": 2,
                                         "spec": FULL_SPEC, "reviewer_ids": [world.rev1.pk]})  # fmt: skip
    assert r.status_code == 201, r.content
    body = r.json()
    assert set(body) == DETAIL_FIELDS
    assert (body["key"], body["status"], body["stage"], body["priority"], body["version"], body["spec_version"]) == (
        "IMSDK-1", "draft", "wait", 2, 1, 1,
    )  # fmt: skip
    assert body["spec"]["summary"] == FULL_SPEC["summary"]
    assert body["spec"]["scenarios"][0] == {**FULL_SPEC["scenarios"][0], "description": ""}
    assert [c["text"] for c in body["criteria"]] == FULL_SPEC["acceptance_criteria"]
    assert [u["username"] for u in body["reviewers"]] == ["rev1"]
    assert body["owner"]["username"] == "pm"
    entry = AuditEntry.objects.get(action="requirements.created")
    assert entry.via == "api" and entry.actor_id == world.pm.pk


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"priority": 7}, "priority"),
        ({"priority": "high"}, "priority"),
        ({"category": "wish"}, "category"),
        ({"estimate": -1}, "estimate"),
        ({"spec": {"sumary": "typo"}}, "spec.sumary"),
        ({"spec": {"why_chain": "not a list"}}, "spec.why_chain"),
        ({"product_id": "IMSDK"}, "product_id"),
    ],
)
def test_create_shape_validation(as_, world, body, field):
    before = fingerprint()
    r = send(as_(world.pm), "post", "", {"product_id": world.product.pk, "title": "t", **body})
    assert_error(r, 422, "invalid", field)
    assert fingerprint() == before


@pytest.mark.parametrize("section", ["scenarios", "performance", "competitors"])
def test_unknown_columns_of_a_rows_section_are_refused(as_, world, section):
    r = send(as_(world.pm), "post", "", {"product_id": world.product.pk, "title": "t",
                                         "spec": {section: [{"colour": "red"}]}})  # fmt: skip
    assert_error(r, 422, "invalid", f"spec.{section}")


def test_create_refuses_references_outside_the_product(as_, world, other_product, make_user):
    from pmloop.pool import services as pool
    from pmloop.products import services as products

    foreign_module = products.create_module(actor=world.a(other_product.owner), product_id=other_product.pk,
                                             name="X")  # fmt: skip
    foreign_item = pool.create_item(
        actor=world.a(other_product.owner), product_id=other_product.pk, text="别家的"
    )
    foreign_req = services.create_requirement(actor=world.a(other_product.owner), product_id=other_product.pk,
                                              title="别家的需求")  # fmt: skip
    stranger = make_user("stranger")
    before = fingerprint()
    for extra, field in [
        ({"module_id": foreign_module.pk}, "module_id"),
        ({"reviewer_ids": [stranger.pk]}, "reviewer_ids"),
        ({"reviewer_ids": [world.sales.pk]}, "reviewer_ids"),  # a sales role may not review
        ({"owner_id": stranger.pk}, "owner_id"),
        ({"pool_item_ids": [foreign_item.pk]}, "pool_item_ids"),
        ({"parent_id": foreign_req.pk}, "parent_id"),
    ]:
        r = send(as_(world.pm), "post", "", {"product_id": world.product.pk, "title": "t", **extra})
        body = assert_error(r, 422, "invalid", field)
        assert body["fields"][0]["message"], extra
    assert fingerprint() == before


@pytest.mark.parametrize(("who", "status", "code"), [("sales", 403, "role_forbidden"), ("viewer", 403, "role_forbidden"),
                                                     ("dev", 403, "role_forbidden"), ("outsider", 404, "product_not_found")])  # fmt: skip
def test_create_refused_for_wrong_role_or_product(as_, world, outsider, who, status, code):
    user = outsider if who == "outsider" else getattr(world, who)
    before = fingerprint()
    r = send(as_(user), "post", "", {"product_id": world.product.pk, "title": "t"})
    body = assert_error(r, status, code)
    if status == 403:
        assert "requirements.create" in body["message"]
    assert fingerprint() == before


def test_anonymous_and_read_only_tokens(client, token_client, world, make_req):
    req = make_req()
    assert_error(client.get(API), 401, "unauthenticated")
    assert_error(
        send(client, "post", "", {"product_id": world.product.pk, "title": "t"}), 401, "unauthenticated"
    )
    ro, _token = token_client(world.pm, "read")
    assert ro.get(f"{API}/{req.pk}").status_code == 200
    before = fingerprint()
    r = send(ro, "patch", f"/{req.pk}", {"version": req.version, "title": "new"})
    assert_error(r, 403, "read_only_token")
    assert fingerprint() == before


def test_create_from_pool_item(as_, world, other_product):
    r = send(as_(world.pm), "post", "/from-pool-item", {"pool_item_id": world.item.pk})
    assert r.status_code == 201
    body = r.json()
    assert "好未来教育" in body["spec"]["background"] and body["voices"] == 1 and body["priority"] == 2
    assert_error(send(as_(world.pm), "post", "/from-pool-item", {"pool_item_id": 999999}), 404)
    assert_error(send(as_(world.sales), "post", "/from-pool-item", {"pool_item_id": world.item.pk}), 403)


# ---- read ----------------------------------------------------------------------------------------
def test_get_and_visibility(as_, world, make_req, outsider):
    req = make_req()
    r = as_(world.viewer).get(f"{API}/{req.pk}")
    assert r.status_code == 200 and set(r.json()) == DETAIL_FIELDS
    assert r.json()["criteria"][0] == {"id": req.criteria.first().pk, "position": 0, "text": "群主可以设置管理员",
                                       "verified": False, "verified_at": None}  # fmt: skip
    for path in (f"/{req.pk}", f"/{req.pk}/versions", f"/{req.pk}/trace", f"/{req.pk}/completeness",
                 f"/{req.pk}/diff?a=1&b=1"):  # fmt: skip
        assert_error(as_(outsider).get(API + path), 404, "requirement_not_found")
    assert_error(as_(world.viewer).get(f"{API}/999999"), 404, "requirement_not_found")


@pytest.fixture
def listed(world, make_req, active_req):
    """IMSDK-1 active (Chinese, P3), IMSDK-2 draft (English, P1), IMSDK-3 draft in a module (P4)."""
    from pmloop.products import services as products

    module = products.create_module(actor=world.a(world.owner), product_id=world.product.pk, name="消息")
    make_req(title="Message recall", spec={"summary": "Recall a sent message within two minutes"}, priority=1)
    make_req(title="已读回执", spec={"summary": "群消息已读回执"}, priority=4, module_id=module.pk,
             owner_id=world.owner.pk)  # fmt: skip
    return module


def keys(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [i["key"] for i in response.json()["items"]]


def test_list_filters_search_and_sorting(as_, world, listed):
    c = as_(world.viewer)
    assert keys(c.get(API)) == ["IMSDK-3", "IMSDK-2", "IMSDK-1"]
    assert set(c.get(API).json()["items"][0]) == SUMMARY_FIELDS
    assert keys(c.get(API, {"product_id": world.product.pk, "sort": "oldest"})) == [
        "IMSDK-1",
        "IMSDK-2",
        "IMSDK-3",
    ]
    assert keys(c.get(API, {"status": "active"})) == ["IMSDK-1"]
    assert keys(c.get(API, {"status": ["active", "draft"], "sort": "oldest"})) == [
        "IMSDK-1",
        "IMSDK-2",
        "IMSDK-3",
    ]
    assert keys(c.get(API, {"stage": "wait", "priority": [1, 4], "sort": "priority"})) == [
        "IMSDK-2",
        "IMSDK-3",
    ]
    assert keys(c.get(API, {"module_id": listed.pk})) == ["IMSDK-3"]
    assert keys(c.get(API, {"owner_id": world.owner.pk})) == ["IMSDK-3"]
    assert keys(c.get(API, {"q": "权限"})) == ["IMSDK-1"]  # a two-character Chinese word
    assert keys(c.get(API, {"q": "已读"})) == ["IMSDK-3"]
    assert keys(c.get(API, {"q": "recall"})) == ["IMSDK-2"]  # English, any case
    assert keys(c.get(API, {"q": "Message"})) == ["IMSDK-2"]
    assert keys(c.get(API, {"q": "IMSDK-3"})) == ["IMSDK-3"]  # a key
    assert keys(c.get(API, {"q": "权限", "status": "draft"})) == []
    assert keys(c.get(API, {"category": "feature", "sort": "completeness"}))[-1] == "IMSDK-1"


@pytest.mark.parametrize(
    ("params", "field"),
    [({"status": "done"}, "status"), ({"stage": "shipped"}, "stage"), ({"sort": "random"}, "sort"),
     ({"priority": "x"}, "priority"), ({"page": 0}, "page"), ({"page_size": 201}, "page_size"),
     ({"q": "x" * 201}, "q"), ({"category": "wish"}, "category")],
)  # fmt: skip
def test_list_refuses_bad_filters(as_, world, params, field):
    assert_error(as_(world.viewer).get(API, params), 422, "invalid", field)


def test_list_filter_errors_name_the_query_parameter(as_, world):
    body = as_(world.viewer).get(API, {"status": "done"}).json()
    assert [f["field"] for f in body["fields"]] == ["status"]


def test_list_pagination(as_, world, listed):
    c = as_(world.viewer)
    first = c.get(API, {"page_size": 2}).json()
    assert (first["count"], first["page"], first["page_size"], first["pages"]) == (3, 1, 2, 2)
    second = c.get(API, {"page_size": 2, "page": 2}).json()
    assert [i["key"] for i in first["items"] + second["items"]] == ["IMSDK-3", "IMSDK-2", "IMSDK-1"]
    assert c.get(API, {"page": 5}).json()["items"] == []


def test_list_of_another_product(as_, world, listed, outsider, other_product):
    assert as_(outsider).get(API).json()["count"] == 0
    assert_error(as_(outsider).get(API, {"product_id": world.product.pk}), 404, "product_not_found")


def test_versions_diff_completeness_and_trace(as_, world, make_req):
    req = make_req(pool_item_ids=[world.item.pk])
    services.update_requirement(actor=world.a(world.pm), requirement_id=req.pk, expected_version=req.version,
                                title="群组自定义角色", spec={"summary": "群聊支持自定义角色"})  # fmt: skip
    c = as_(world.viewer)
    versions = c.get(f"{API}/{req.pk}/versions").json()
    assert [v["number"] for v in versions] == [2, 1]
    assert set(versions[0]) == {"number", "title", "note", "created_at", "author", "change_request_id"}
    diff = c.get(f"{API}/{req.pk}/diff", {"a": 1, "b": 2}).json()
    assert [s["key"] for s in diff["sections"]] == ["title", "summary"]
    assert (
        diff["sections"][1]["after"] == "群聊支持自定义角色"
        and "+群聊支持自定义角色" in diff["sections"][1]["unified"]
    )
    assert_error(c.get(f"{API}/{req.pk}/diff", {"a": 1, "b": 9}), 404)
    assert_error(c.get(f"{API}/{req.pk}/diff", {"a": 1}), 422, "invalid", "b")
    report = c.get(f"{API}/{req.pk}/completeness").json()
    assert {s["key"] for s in report["sections"]} >= {"summary", "value", "scenarios", "acceptance_criteria"}
    assert 0 < report["score"] < 100
    trace = c.get(f"{API}/{req.pk}/trace").json()
    assert set(trace) == {
        "requirement",
        "pool_items",
        "customer_ids",
        "rounds",
        "changes",
        "versions",
        "stages",
    }
    assert [i["key"] for i in trace["pool_items"]] == ["IMSDK-P1"]
    assert trace["customer_ids"] == [world.customer.pk]
    assert [s["to_stage"] for s in trace["stages"]] == ["wait"]


# ---- edit: versions, guards, references ---------------------------------------------------------
def test_patch_draft(as_, world, make_req):
    req = make_req()
    r = send(as_(world.pm), "patch", f"/{req.pk}", {"version": req.version, "title": "群组自定义角色",
                                                    "spec": {"goal": "30 天内 50 个客户启用"}, "priority": 1})  # fmt: skip
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["title"], body["priority"], body["spec_version"], body["version"]) == (
        "群组自定义角色", 1, 2, req.version + 1,
    )  # fmt: skip
    assert body["spec"]["goal"] == "30 天内 50 个客户启用"
    assert body["spec"]["summary"] == FULL_SPEC["summary"]  # untouched sections stay


def test_stale_version_is_409_and_changes_nothing(as_, world, make_req):
    req = make_req()
    before = fingerprint()
    for stale in (req.version + 1, req.version - 1 or 99):
        body = assert_error(send(as_(world.pm), "patch", f"/{req.pk}", {"version": stale, "title": "x"}), 409,
                            "stale_version", "version")  # fmt: skip
        assert str(req.version) in body["message"]
    assert_error(send(as_(world.pm), "patch", f"/{req.pk}", {"title": "x"}), 422, "invalid", "version")
    for path, data in [("/submit", {"version": req.version + 5}), ("/close", {"version": 9, "reason": "cancelled"}),
                       ("/stage", {"version": 9, "stage": "planned"})]:  # fmt: skip
        assert_error(send(as_(world.pm), "post", f"/{req.pk}{path}", data), 409, "stale_version")
    assert fingerprint() == before


@pytest.mark.parametrize(
    ("data", "status", "code", "field"),
    [
        ({"category": "wish"}, 422, "invalid", "category"),
        ({"priority": 0}, 422, "invalid", "priority"),
        ({"spec": {"sumary": "x"}}, 422, "invalid", "spec.sumary"),
        ({"spec": {"performance": [{"metric": "m", "target": 5}]}}, 422, "invalid", "spec.performance"),
        ({"owner_id": 999999}, 422, "invalid", "owner_id"),
        ({"module_id": "FOREIGN"}, 422, "invalid", "module_id"),
        ({"parent_id": "SELF"}, 422, "parent_cycle", "parent_id"),
        ({"unknown_field": 1}, 200, None, None),  # ignored, like every other patch schema
    ],
)
def test_patch_refusals_name_the_field(as_, world, make_req, other_product, data, status, code, field):
    from pmloop.products import services as products

    req = make_req()
    if data.get("module_id") == "FOREIGN":
        data = {"module_id": products.create_module(actor=world.a(other_product.owner), product_id=other_product.pk,
                                                    name="X").pk}  # fmt: skip
    if data.get("parent_id") == "SELF":
        data = {"parent_id": req.pk}
    before = fingerprint(req.pk)
    r = send(as_(world.pm), "patch", f"/{req.pk}", {"version": req.version, **data})
    if status == 200:
        assert r.status_code == 200
        return
    assert_error(r, status, code, field)
    assert fingerprint(req.pk) == before


def test_patch_roles_and_visibility(as_, world, make_req, outsider):
    req = make_req()
    before = fingerprint()
    for user, status, code in [(world.viewer, 403, "role_forbidden"), (world.rev1, 403, "role_forbidden"),
                               (world.sales, 403, "role_forbidden"), (outsider, 404, "requirement_not_found")]:  # fmt: skip
        assert_error(
            send(as_(user), "patch", f"/{req.pk}", {"version": req.version, "title": "x"}), status, code
        )
    assert_error(send(as_(world.pm), "patch", "/999999", {"version": 1, "title": "x"}), 404)
    assert fingerprint() == before


def test_active_spec_changes_only_through_a_change_request(as_, world, active_req):
    before = fingerprint()
    r = send(
        as_(world.pm), "patch", f"/{active_req.pk}", {"version": active_req.version, "spec": {"goal": "x"}}
    )
    body = assert_error(r, 422, "needs_change_request")
    assert "change request" in body["message"]
    assert fingerprint() == before
    ok = send(as_(world.pm), "patch", f"/{active_req.pk}", {"version": active_req.version, "estimate": "3.5"})
    assert ok.status_code == 200 and ok.json()["estimate"] == "3.5"


# ---- guards: 422 with the code and what is missing -----------------------------------------------
def test_submit_incomplete_prd(as_, world, make_req):
    req = make_req(spec={"summary": "只有一句话"})
    before = fingerprint()
    body = assert_error(send(as_(world.pm), "post", f"/{req.pk}/submit", {"version": req.version}), 422,
                        "prd_incomplete")  # fmt: skip
    assert set(body["missing"]) == {"value", "scenarios", "acceptance_criteria"}
    assert "Value" in body["message"] and "Scenarios" in body["message"]
    assert fingerprint() == before


def test_submit_without_reviewers(as_, world, make_req):
    req = make_req(reviewer_ids=None)
    body = assert_error(send(as_(world.pm), "post", f"/{req.pk}/submit", {"version": req.version}), 422,
                        "no_reviewers", "reviewer_ids")  # fmt: skip
    assert body["missing"] == []


def test_submit_skip_review_needs_permission(as_, world, make_req):
    req = make_req()
    assert_error(send(as_(world.pm), "post", f"/{req.pk}/submit", {"version": req.version, "skip_review": True}), 403,
                 "review_required")  # fmt: skip


def test_verdict_refusals(as_, world, make_req, outsider):
    req = make_req()
    assert_error(
        send(as_(world.rev1), "post", f"/{req.pk}/verdict", {"verdict": "pass"}), 422, "not_reviewing"
    )
    services.submit_for_review(actor=world.a(world.pm), requirement_id=req.pk, expected_version=req.version,
                               reviewer_ids=[world.rev1.pk])  # fmt: skip
    before = fingerprint()
    assert_error(
        send(as_(world.rev2), "post", f"/{req.pk}/verdict", {"verdict": "pass"}), 403, "not_reviewer"
    )
    assert_error(
        send(as_(world.sales), "post", f"/{req.pk}/verdict", {"verdict": "pass"}), 403, "role_forbidden"
    )
    assert_error(send(as_(outsider), "post", f"/{req.pk}/verdict", {"verdict": "pass"}), 404)
    assert_error(
        send(as_(world.rev1), "post", f"/{req.pk}/verdict", {"verdict": "maybe"}), 422, "invalid", "verdict"
    )
    assert_error(send(as_(world.rev1), "post", f"/{req.pk}/verdict", {"verdict": "clarify"}), 422, "invalid",
                 "comment")  # fmt: skip
    assert_error(send(as_(world.rev1), "post", f"/{req.pk}/verdict", {"verdict": "revert", "comment": "x"}), 422,
                 "invalid", "verdict")  # fmt: skip
    assert fingerprint() == before


def test_stage_and_close_guards(as_, world, active_req, make_req, other_product):
    c, pk = as_(world.pm), active_req.pk
    v = active_req.version
    before = fingerprint()
    assert_error(send(c, "post", f"/{pk}/stage", {"version": v, "stage": "accepted"}), 422, "not_released")
    assert_error(send(c, "post", f"/{pk}/stage", {"version": v, "stage": "shipped"}), 422, "invalid", "stage")
    assert_error(send(c, "post", f"/{pk}/stage", {"version": v, "stage": "wait"}), 422, "no_change")
    body = assert_error(send(c, "post", f"/{pk}/close", {"version": v, "reason": "done"}), 422,
                        "acceptance_unverified")  # fmt: skip
    assert body["missing"] == FULL_SPEC["acceptance_criteria"]
    assert_error(send(c, "post", f"/{pk}/close", {"version": v, "reason": "bored"}), 422, "invalid", "reason")
    assert_error(send(c, "post", f"/{pk}/close", {"version": v, "reason": "duplicate"}), 422,
                 "duplicate_target_missing", "duplicate_of_id")  # fmt: skip
    foreign = services.create_requirement(actor=world.a(other_product.owner), product_id=other_product.pk,
                                          title="别家的")  # fmt: skip
    before = fingerprint()
    assert_error(send(c, "post", f"/{pk}/close", {"version": v, "reason": "duplicate", "duplicate_of_id": foreign.pk}),
                 422, "invalid", "duplicate_of_id")  # fmt: skip
    assert_error(send(c, "post", f"/{pk}/close", {"version": v, "reason": "subdivided"}), 422, "no_children")
    assert_error(send(c, "post", f"/{pk}/reopen", {"version": v, "note": "x"}), 422, "not_closed")
    assert_error(send(c, "post", f"/{pk}/changes", {"version": v, "reason": "r"}), 422, "empty_change")
    assert_error(send(c, "post", f"/{pk}/changes", {"version": v, "reason": ""}), 422, "invalid", "reason")
    assert fingerprint() == before
    # a developer moves the stage, a viewer may not; a viewer cannot close
    assert_error(send(as_(world.viewer), "post", f"/{pk}/stage", {"version": v, "stage": "planned"}), 403)
    assert_error(send(as_(world.dev), "post", f"/{pk}/close", {"version": v, "reason": "cancelled"}), 403,
                 "role_forbidden")  # fmt: skip
    assert send(as_(world.dev), "post", f"/{pk}/stage", {"version": v, "stage": "planned"}).status_code == 200


def test_verify_refusals(as_, world, make_req, active_req, outsider):
    draft = make_req()
    crit = draft.criteria.first()
    assert_error(send(as_(world.dev), "post", f"/criteria/{crit.pk}/verify", {}), 422, "not_active")
    active_crit = active_req.criteria.first()
    assert_error(send(as_(outsider), "post", f"/criteria/{active_crit.pk}/verify", {}), 404)
    assert_error(
        send(as_(world.sales), "post", f"/criteria/{active_crit.pk}/verify", {}), 403, "role_forbidden"
    )
    assert_error(send(as_(world.dev), "post", "/criteria/999999/verify", {}), 404)
    assert_error(send(as_(world.dev), "post", f"/criteria/{active_crit.pk}/verify", {"verified": False}), 422,
                 "no_change")  # fmt: skip
    ok = send(as_(world.dev), "post", f"/criteria/{active_crit.pk}/verify", {"note": "测试通过"})
    assert ok.status_code == 200
    assert [c["verified"] for c in ok.json()["criteria"]] == [True, False]


def test_reopen_needs_a_note(as_, world, make_req):
    req = make_req()
    req = services.close_requirement(actor=world.a(world.pm), requirement_id=req.pk, expected_version=req.version,
                                     reason="postponed")  # fmt: skip
    before = fingerprint()
    assert_error(send(as_(world.pm), "post", f"/{req.pk}/reopen", {"version": req.version}), 422, "reason_required",
                 "note")  # fmt: skip
    assert fingerprint() == before
    r = send(as_(world.pm), "post", f"/{req.pk}/reopen", {"version": req.version, "note": "客户又提了"})
    assert r.status_code == 200 and r.json()["status"] == "draft"


# ---- links, pool items, attachments, settings -----------------------------------------------------
def test_links(as_, world, make_req, other_product):
    a, b = make_req(), make_req(title="另一个")
    foreign = services.create_requirement(
        actor=world.a(other_product.owner), product_id=other_product.pk, title="x"
    )
    c = as_(world.pm)
    r = send(c, "post", f"/{a.pk}/links", {"target_id": b.pk, "kind": "depends_on"})
    assert r.status_code == 201 and r.json() == {"id": r.json()["id"], "source_id": a.pk, "target_id": b.pk,
                                                 "kind": "depends_on"}  # fmt: skip
    assert_error(
        send(c, "post", f"/{a.pk}/links", {"target_id": b.pk, "kind": "depends_on"}), 422, "already_linked"
    )
    assert_error(send(c, "post", f"/{a.pk}/links", {"target_id": foreign.pk, "kind": "relates_to"}), 422, "invalid",
                 "target_id")  # fmt: skip
    assert_error(send(c, "post", f"/{a.pk}/links", {"target_id": a.pk, "kind": "relates_to"}), 422, "invalid",
                 "target_id")  # fmt: skip
    assert_error(
        send(c, "post", f"/{a.pk}/links", {"target_id": b.pk, "kind": "loves"}), 422, "invalid", "kind"
    )
    assert c.delete(f"{API}/links/{r.json()['id']}").status_code == 204
    assert_error(c.delete(f"{API}/links/{r.json()['id']}"), 404)


def test_pool_items(as_, world, make_req, other_product):
    from pmloop.pool import services as pool

    req = make_req()
    foreign = pool.create_item(actor=world.a(other_product.owner), product_id=other_product.pk, text="别家的")
    c = as_(world.pm)
    r = send(c, "post", f"/{req.pk}/pool-items", {"pool_item_ids": [world.item.pk]})
    assert r.status_code == 200 and r.json()["voices"] == 1
    assert_error(
        send(c, "post", f"/{req.pk}/pool-items", {"pool_item_ids": [world.item.pk]}), 422, "already_linked"
    )
    body = assert_error(send(c, "post", f"/{req.pk}/pool-items", {"pool_item_ids": [foreign.pk]}), 422, "invalid",
                        "pool_item_ids")  # fmt: skip
    assert str(foreign.pk) in body["message"]
    assert_error(
        send(c, "post", f"/{req.pk}/pool-items", {"pool_item_ids": []}), 422, "invalid", "pool_item_ids"
    )
    r = c.delete(f"{API}/{req.pk}/pool-items/{world.item.pk}")
    assert r.status_code == 200 and r.json()["voices"] == 0
    assert_error(c.delete(f"{API}/{req.pk}/pool-items/{world.item.pk}"), 404)


def test_attachments(as_, world, make_req, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    req = make_req()
    c = as_(world.rev1)
    ok = c.post(
        f"{API}/{req.pk}/attachments", {"file": SimpleUploadedFile("原型.png", b"\x89PNG...", "image/png")}
    )
    assert ok.status_code == 201, ok.content
    assert {k: ok.json()[k] for k in ("name", "size", "content_type")} == {"name": "原型.png", "size": 7,
                                                                           "content_type": "image/png"}  # fmt: skip
    bad = c.post(
        f"{API}/{req.pk}/attachments",
        {"file": SimpleUploadedFile("run.exe", b"MZ", "application/x-msdownload")},
    )
    assert_error(bad, 422, "invalid", "file")
    assert_error(as_(world.sales).post(f"{API}/{req.pk}/attachments", {"file": SimpleUploadedFile("a.png", b"x")}),
                 403, "role_forbidden")  # fmt: skip
    assert c.delete(f"{API}/attachments/{ok.json()['id']}").status_code == 204
    assert not Attachment.objects.exists()


def test_settings(as_, world):
    pid = world.product.pk
    got = as_(world.viewer).get(f"{API}/settings/{pid}").json()
    assert got["required_sections"] == ["summary", "value", "scenarios", "acceptance_criteria"]
    assert_error(send(as_(world.pm), "put", f"/settings/{pid}", {"version": got["version"], "required_sections": []}),
                 403, "role_forbidden")  # fmt: skip
    r = send(as_(world.owner), "put", f"/settings/{pid}", {"version": got["version"],
                                                          "required_sections": ["summary", "goal"]})  # fmt: skip
    assert r.status_code == 200 and r.json()["required_sections"] == ["summary", "goal"]
    assert_error(
        send(as_(world.owner), "put", f"/settings/{pid}", {"version": got["version"]}), 409, "stale_version"
    )
    assert_error(send(as_(world.owner), "put", f"/settings/{pid}", {"version": r.json()["version"],
                                                                   "required_sections": ["nope"]}),
                 422, "invalid", "required_sections")  # fmt: skip


# ---- the whole lifecycle through the API -----------------------------------------------------------
def test_full_lifecycle(as_, world):
    pm, rev1, rev2, dev = as_(world.pm), as_(world.rev1), as_(world.rev2), as_(world.dev)

    def ok(response, status=200):
        assert response.status_code == status, response.content
        return response.json()

    req = ok(send(pm, "post", "", {"product_id": world.product.pk, "title": "群组角色权限",
                                   "spec": {"summary": FULL_SPEC["summary"]},
                                   "reviewer_ids": [world.rev1.pk, world.rev2.pk]}), 201)  # fmt: skip
    pk = req["id"]
    # incomplete: refused, with what is missing; completed in a PATCH
    assert_error(send(pm, "post", f"/{pk}/submit", {"version": req["version"]}), 422, "prd_incomplete")
    req = ok(send(pm, "patch", f"/{pk}", {"version": req["version"], "spec": FULL_SPEC}))
    req = ok(send(pm, "post", f"/{pk}/submit", {"version": req["version"]}))
    assert req["status"] == "reviewing"
    # clarify → back to draft
    ok(send(rev1, "post", f"/{pk}/verdict", {"verdict": "pass"}))
    req = ok(
        send(rev2, "post", f"/{pk}/verdict", {"verdict": "clarify", "comment": "老师和助教的权限区别？"})
    )
    assert req["status"] == "draft"
    req = ok(send(pm, "patch", f"/{pk}", {"version": req["version"], "spec": {"value": "区分老师和助教"}}))
    req = ok(send(pm, "post", f"/{pk}/submit", {"version": req["version"]}))
    ok(send(rev1, "post", f"/{pk}/verdict", {"verdict": "pass"}))
    req = ok(send(rev2, "post", f"/{pk}/verdict", {"verdict": "pass"}))
    assert req["status"] == "active"
    spec_before_change = req["spec"]
    # a change, reverted by review: the text returns to the version before it
    change = ok(send(pm, "post", f"/{pk}/changes", {"version": req["version"], "reason": "客户要求按班级分组",
                                                    "impact": "群管理接口", "spec": {"summary": "按班级配置权限"}}), 201)  # fmt: skip
    assert change["status"] == "reviewing"
    assert ok(pm.get(f"{API}/{pk}"))["status"] == "reviewing"
    ok(send(rev1, "post", f"/{pk}/verdict", {"verdict": "revert", "comment": "班级不归我们管"}))
    req = ok(send(rev2, "post", f"/{pk}/verdict", {"verdict": "revert", "comment": "同意撤销"}))
    assert req["status"] == "active" and req["spec"] == spec_before_change
    assert ChangeRequest.objects.get(pk=change["id"]).status == "reverted"
    # a change that passes
    change = ok(send(pm, "post", f"/{pk}/changes", {"version": req["version"], "reason": "补充性能指标",
                                                    "spec": {"performance": [{"metric": "群人数", "target": "10000"}]}}),
                201)  # fmt: skip
    ok(send(rev1, "post", f"/{pk}/verdict", {"verdict": "pass"}))
    req = ok(send(rev2, "post", f"/{pk}/verdict", {"verdict": "pass"}))
    assert req["status"] == "active" and req["spec"]["performance"][0]["target"] == "10000"
    # delivery: stages, verification, acceptance, done
    for stage in ("planned", "developing", "testing", "released"):
        req = ok(send(dev, "post", f"/{pk}/stage", {"version": req["version"], "stage": stage}))
    assert_error(send(pm, "post", f"/{pk}/close", {"version": req["version"], "reason": "done"}), 422,
                 "acceptance_unverified")  # fmt: skip
    for crit in req["criteria"]:
        ok(send(dev, "post", f"/criteria/{crit['id']}/verify", {}))
    req = ok(dev.get(f"{API}/{pk}"))
    req = ok(send(pm, "post", f"/{pk}/stage", {"version": req["version"], "stage": "accepted"}))
    req = ok(
        send(pm, "post", f"/{pk}/close", {"version": req["version"], "reason": "done", "note": "上线验收"})
    )
    assert (req["status"], req["close_reason"], req["stage"]) == ("closed", "done", "accepted")
    trace = ok(pm.get(f"{API}/{pk}/trace"))
    assert [r["kind"] for r in trace["rounds"]] == ["change", "change", "initial", "initial"]
    assert [c["status"] for c in trace["changes"]] == ["approved", "reverted"]
    actions = list(AuditEntry.objects.filter(object_type="requirements.requirement", object_id=str(pk))
                   .order_by("seq").values_list("action", flat=True))  # fmt: skip
    assert actions[0] == "requirements.created" and actions[-1] == "requirements.closed"
    assert "requirements.review_revert" in actions and "requirements.review_clarify" in actions
    assert set(AuditEntry.objects.filter(object_type="requirements.requirement", object_id=str(pk))
               .values_list("via", flat=True)) == {"api"}  # fmt: skip


def test_search_finds_the_text_of_a_draft_edit(as_, world, make_req):
    req = make_req()
    send(
        as_(world.pm),
        "patch",
        f"/{req.pk}",
        {"version": req.version, "spec": {"summary": "支持按班级分组配置"}},
    )
    assert keys(as_(world.viewer).get(API, {"q": "班级"})) == [req.key]


def test_search_finds_the_text_of_a_change(as_, world, active_req):
    send(as_(world.pm), "post", f"/{active_req.pk}/changes", {"version": active_req.version, "reason": "分组",
                                                              "spec": {"summary": "支持按班级分组配置"}})  # fmt: skip
    assert keys(as_(world.viewer).get(API, {"q": "班级"})) == [active_req.key]


# ---- no lost update ----------------------------------------------------------------------------------
def test_two_clients_patch_the_same_version(as_, world, make_req):
    req = make_req()
    v = req.version
    first = send(as_(world.pm), "patch", f"/{req.pk}", {"version": v, "spec": {"goal": "first writer"}})
    second = send(as_(world.owner), "patch", f"/{req.pk}", {"version": v, "spec": {"goal": "second writer"}})
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    assert_error(second, 409, "stale_version")
    assert fresh(req).spec["goal"] == "first writer"
    assert AuditEntry.objects.filter(action="requirements.updated", object_id=str(req.pk)).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_clients_patch_the_same_version_at_the_same_moment(world, make_req, token_client):
    """Two threads, two connections, one barrier: on PostgreSQL the row lock makes the second
    writer wait and then see the new version — exactly one 200 and one 409."""
    if connection.vendor == "sqlite":
        pytest.skip(
            "SQLite test databases are in-memory with a shared cache: a second writer gets SQLITE_LOCKED at once "
            "(busy_timeout does not apply there), so this race cannot be staged; the production file database "
            "queues writers with BEGIN IMMEDIATE. The sequential test above covers SQLite."
        )
    from django.db import connections

    req = make_req()
    clients = {"pm": token_client(world.pm, "write")[0], "owner": token_client(world.owner, "write")[0]}
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def patch(name: str) -> None:
        try:
            barrier.wait(timeout=10)
            results[name] = send(clients[name], "patch", f"/{req.pk}",
                                 {"version": req.version, "spec": {"goal": f"written by {name}"}})  # fmt: skip
        except Exception as exc:  # surfaced by the assertion below
            results[name] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=patch, args=(n,)) for n in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    statuses = {n: getattr(r, "status_code", r) for n, r in results.items()}
    assert sorted(statuses.values()) == [200, 409], statuses
    winner = next(n for n, s in statuses.items() if s == 200)
    loser = next(n for n, s in statuses.items() if s == 409)
    assert_error(results[loser], 409, "stale_version")
    stored = fresh(req)
    assert stored.spec["goal"] == f"written by {winner}" and stored.version == req.version + 1
    assert AuditEntry.objects.filter(action="requirements.updated", object_id=str(req.pk)).count() == 1
    assert RequirementVersion.objects.filter(requirement_id=req.pk).count() == 2
