"""The pool API contract: status codes, the one error shape, fields, filters, pagination,
stale versions (409), all-or-nothing bulk actions, per-product visibility."""

from __future__ import annotations

import pytest
from django.test import Client

from pmloop.accounts.roles import Role
from pmloop.customers.tests.support import assert_error, audit_count, send, state
from pmloop.pool import services
from pmloop.pool.models import PoolItem, PoolSource

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("wired")]

ITEM_FIELDS = {
    "id", "key", "number", "product_id", "source", "title", "text", "customer", "reporter", "module", "importance",
    "tags", "status", "merged_into_id", "decline_reason", "voices", "version", "created_at", "updated_at",
}  # fmt: skip
DETAIL_FIELDS = ITEM_FIELDS | {"merged_items", "customers", "requirement_ids"}


@pytest.fixture
def c(owner, token_client):
    return token_client(owner, "write")[0]


def test_anonymous_gets_401():
    assert_error(Client().get("/api/v1/pool/items"), 401, "unauthenticated")


def test_create_and_get(c, world, owner):
    r = send(c, "post", "/pool/items", {
        "product_id": world.product.pk, "text": "群聊需要支持一万人。消息必达", "customer_id": world.customers["bank"].pk,
        "module_id": world.modules["群聊"].pk, "importance": "high", "tags": ["API", "群聊"],
    })  # fmt: skip
    assert r.status_code == 201, r.content
    body = r.json()
    assert set(body) == DETAIL_FIELDS
    assert (body["key"], body["title"], body["source"], body["status"], body["voices"]) == (
        "IMSDK-P1", "群聊需要支持一万人", "customer", "new", 1,
    )  # fmt: skip
    assert body["tags"] == ["api", "群聊"]
    assert body["customer"] == {"id": world.customers["bank"].pk, "name": "招商银行"}
    assert body["module"] == {"id": world.modules["群聊"].pk, "name": "群聊"}
    assert body["reporter"]["username"] == "owner"
    assert body["customers"] == [{"id": world.customers["bank"].pk, "name": "招商银行"}]
    got = send(c, "get", f"/pool/items/{body['id']}").json()
    assert got == body


@pytest.mark.parametrize(
    ("data", "status", "field"),
    [
        ({}, 422, "text"),
        ({"text": ""}, 422, "text"),
        ({"text": "x", "importance": "urgent"}, 422, "importance"),
        ({"text": "x", "customer_id": 999999}, 422, "customer_id"),
        ({"text": "x", "module_id": 999999}, 422, "module_id"),
        ({"text": "x", "source": "fax"}, 422, "source"),
    ],
)
def test_create_refusals_name_the_field(c, world, data, status, field):
    data = {"product_id": world.product.pk, **data}
    assert_error(send(c, "post", "/pool/items", data), status, field=field)
    assert not PoolItem.objects.exists()


def test_viewer_read_only_token_and_outsider(world, member, token_client, outsider, file_item, owner):
    viewer_client = token_client(member(Role.VIEWER), "write")[0]
    data = {"product_id": world.product.pk, "text": "x"}
    assert_error(send(viewer_client, "post", "/pool/items", data), 403, "role_forbidden")
    assert_error(send(token_client(owner, "read")[0], "post", "/pool/items", data), 403, "read_only_token")
    item = file_item("mine")
    them = token_client(outsider, "write")[0]
    assert_error(send(them, "post", "/pool/items", data), 404, "product_not_found")
    assert_error(send(them, "get", f"/pool/items/{item.pk}"), 404, "item_not_found")
    assert_error(send(them, "post", f"/pool/items/{item.pk}/triage", {}), 404)
    assert send(them, "get", "/pool/items").json()["count"] == 0


def test_list_filters_and_pagination(c, world, file_item):
    for i in range(5):
        file_item(f"item {i}", tags="a" if i % 2 else "b")
    services.triage_item(actor=world.po, item_id=PoolItem.objects.get(number=1).pk)
    services.triage_item(actor=world.po, item_id=PoolItem.objects.get(number=2).pk)
    r = send(c, "get", "/pool/items", {"page_size": 2, "page": 2, "sort": "created"})
    body = r.json()
    assert (body["count"], body["page"], body["page_size"], body["pages"]) == (5, 2, 2, 3)
    assert [i["key"] for i in body["items"]] == ["IMSDK-P3", "IMSDK-P4"]
    assert set(body["items"][0]) == ITEM_FIELDS
    r = c.get("/api/v1/pool/items?status=new&status=triaged&tag=a&sort=created")
    assert [i["key"] for i in r.json()["items"]] == ["IMSDK-P2", "IMSDK-P4"]
    r = c.get("/api/v1/pool/items?status=triaged")
    assert r.json()["count"] == 2
    counts = c.get("/api/v1/pool/items/counts?status=new").json()["counts"]
    assert counts == {"new": 3, "triaged": 2, "linked": 0, "merged": 0, "declined": 0}
    body = assert_error(c.get("/api/v1/pool/items?status=bogus"), 422, "invalid")
    assert "status" in body["fields"][0]["field"]
    assert_error(c.get("/api/v1/pool/items?page_size=500"), 422, "invalid")
    assert_error(c.get("/api/v1/pool/items?sort=name"), 422, "invalid")


def test_patch_with_version(c, world, file_item):
    item = file_item("old words")
    r = send(c, "patch", f"/pool/items/{item.pk}", {"version": 1, "text": "new words", "customer_id": None})
    assert r.status_code == 200 and (r.json()["text"], r.json()["version"]) == ("new words", 2)
    before = state(item)
    body = assert_error(
        send(c, "patch", f"/pool/items/{item.pk}", {"version": 1, "text": "lost"}), 409, "stale_version"
    )
    assert "now 2" in body["message"] and state(item) == before
    assert_error(send(c, "patch", f"/pool/items/{item.pk}", {"text": "x"}), 422, "invalid", field="version")


def test_transitions(c, world, file_item):
    a, b = file_item("a"), file_item("b")
    r = send(c, "post", f"/pool/items/{a.pk}/triage", {"version": 1, "importance": "critical", "tags": ["x"]})
    assert (r.status_code, r.json()["status"], r.json()["importance"], r.json()["tags"]) == (
        200,
        "triaged",
        "critical",
        ["x"],
    )
    assert_error(send(c, "post", f"/pool/items/{a.pk}/triage", {}), 422, "cannot_triage")
    assert_error(
        send(c, "post", f"/pool/items/{a.pk}/decline", {"version": 2, "reason": " "}),
        422,
        "reason_required",
        field="reason",
    )
    assert_error(
        send(c, "post", f"/pool/items/{a.pk}/decline", {"version": 1, "reason": "x"}), 409, "stale_version"
    )
    r = send(c, "post", f"/pool/items/{a.pk}/decline", {"version": 2, "reason": "Out of scope"})
    assert (r.json()["status"], r.json()["decline_reason"]) == ("declined", "Out of scope")
    r = send(c, "post", f"/pool/items/{a.pk}/reopen", {})
    assert r.json()["status"] == "triaged"
    r = send(c, "post", f"/pool/items/{b.pk}/merge", {"merge_into_id": a.pk})
    body = r.json()
    assert (body["id"], body["voices"], [m["key"] for m in body["merged_items"]]) == (a.pk, 2, ["IMSDK-P2"])
    assert_error(
        send(c, "post", f"/pool/items/{a.pk}/merge", {"merge_into_id": a.pk}), 422, "merge_into_self"
    )
    assert_error(send(c, "post", f"/pool/items/{a.pk}/merge", {}), 422, "invalid", field="merge_into_id")


def test_bulk_is_all_or_nothing(c, world, file_item):
    a, b, x = file_item("a"), file_item("b"), file_item("x")
    services.triage_item(actor=world.po, item_id=x.pk)
    rows, entries = [state(a), state(b), state(x)], audit_count()
    body = assert_error(send(c, "post", "/pool/items/bulk", {"action": "triage", "pool_item_ids": [a.pk, b.pk, 999999]}),
                        404, "item_not_found")  # fmt: skip
    assert body["missing"] == [999999]
    body = assert_error(send(c, "post", "/pool/items/bulk", {"action": "triage", "pool_item_ids": [a.pk, x.pk, b.pk]}),
                        422, "cannot_triage")  # fmt: skip
    assert "IMSDK-P3" in body["message"]
    assert [state(a), state(b), state(x)] == rows and audit_count() == entries
    r = send(
        c,
        "post",
        "/pool/items/bulk",
        {"action": "triage", "pool_item_ids": [a.pk, b.pk], "importance": "low"},
    )
    assert (r.status_code, r.json()["count"]) == (200, 2)
    assert {i["importance"] for i in r.json()["items"]} == {"low"}
    assert_error(
        send(c, "post", "/pool/items/bulk", {"action": "decline", "pool_item_ids": [a.pk]}),
        422,
        "reason_required",
    )
    assert_error(send(c, "post", "/pool/items/bulk", {"action": "merge", "pool_item_ids": [a.pk, b.pk]}), 422,
                 "target_required", field="merge_into_id")  # fmt: skip
    r = send(
        c,
        "post",
        "/pool/items/bulk",
        {"action": "merge", "pool_item_ids": [a.pk, b.pk, x.pk], "merge_into_id": x.pk},
    )
    assert r.status_code == 200
    assert {i["key"]: (i["status"], i["voices"]) for i in r.json()["items"]} == {
        "IMSDK-P1": ("merged", 1), "IMSDK-P2": ("merged", 1), "IMSDK-P3": ("triaged", 3),
    }  # fmt: skip
    assert_error(
        send(c, "post", "/pool/items/bulk", {"action": "zap", "pool_item_ids": [a.pk]}),
        422,
        "invalid",
        field="action",
    )
    assert_error(
        send(c, "post", "/pool/items/bulk", {"action": "triage", "pool_item_ids": []}),
        422,
        "invalid",
        field="pool_item_ids",
    )


def test_sources(c, world, admin, token_client):
    r = send(c, "get", "/pool/sources")
    assert [s["code"] for s in r.json()][:3] == ["customer", "user", "product_owner"]
    assert r.json()[0]["label"] == "Customer" and r.json()[0]["label_zh"] == "客户"
    assert_error(send(c, "post", "/pool/sources", {"code": "fax", "label_en": "Fax", "label_zh": "传真"}), 403,
                 "admin_only")  # fmt: skip
    adm = token_client(admin, "write")[0]
    r = send(adm, "post", "/pool/sources", {"code": "fax", "label_en": "Fax", "label_zh": "传真"})
    assert r.status_code == 201 and r.json()["builtin"] is False
    assert_error(send(adm, "post", "/pool/sources", {"code": "fax", "label_en": "Fax", "label_zh": "传真"}), 422,
                 field="code")  # fmt: skip
    fax_id = r.json()["id"]
    r = send(adm, "post", f"/pool/sources/{fax_id}/deactivate")
    assert r.json()["active"] is False
    assert_error(send(adm, "post", f"/pool/sources/{fax_id}/deactivate"), 422, "no_change")
    assert_error(send(c, "post", f"/pool/sources/{fax_id}/activate"), 403, "admin_only")
    assert "fax" not in [s["code"] for s in send(c, "get", "/pool/sources").json()]
    assert "fax" in [s["code"] for s in c.get("/api/v1/pool/sources?include_inactive=true").json()]
    assert PoolSource.objects.filter(active=False).count() == 1


def test_openapi_documents_every_pool_route(c):
    schema = c.get("/api/v1/openapi.json").json()
    paths = {
        p: ops for p, ops in schema["paths"].items() if p.startswith(("/api/v1/pool", "/api/v1/customers"))
    }
    assert len(paths) >= 12
    for ops in paths.values():
        for op in ops.values():
            assert (
                (op.get("summary") and "200" in op["responses"])
                or "201" in op["responses"]
                or "204" in op["responses"]
            )
    assert schema["paths"]["/api/v1/pool/items/bulk"]["post"]["x-pmloop-action"] == "pool.triage"
