"""The operation-log API: who reads what, filters, pagination, and that API writes are logged."""

from __future__ import annotations

import pytest
from django.test import Client

from pmloop.audit.models import AuditEntry
from pmloop.products import services

pytestmark = pytest.mark.django_db
API = "/api/v1/audit/entries"
ENTRY_FIELDS = {
    "seq", "created_at", "actor_id", "actor_label", "via", "action", "object_type", "object_id", "object_repr",
    "product_id", "before", "after", "note", "hash",
}  # fmt: skip


def assert_error(response, status: int, code: str | None = None, field: str | None = None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields", "missing"}, body
    if code:
        assert body["code"] == code, body
    if field:
        assert field in [f["field"] for f in body["fields"]], body
    return body


@pytest.fixture
def history(product, other_product, owner, actor_for, token_client):
    a = actor_for(owner)
    for name in ("单聊", "群聊", "推送"):
        services.create_module(actor=a, product_id=product.pk, name=name)
    client, _ = token_client(owner, "write")  # a site-wide entry (accounts.token_created)
    return client


def test_api_writes_are_logged_with_actor_and_via(history, product, owner):
    r = history.patch(
        f"/api/v1/products/{product.pk}", {"version": 1, "name": "Renamed"}, content_type="application/json"
    )
    assert r.status_code == 200
    entry = history.get(API, {"action": "products.updated"}).json()["items"][0]
    assert set(entry) == ENTRY_FIELDS
    assert (entry["actor_id"], entry["actor_label"], entry["via"]) == (owner.pk, "owner", "api")
    assert (entry["object_type"], entry["object_id"], entry["product_id"]) == (
        "products.product",
        str(product.pk),
        product.pk,
    )
    assert entry["before"]["name"] == "IM SDK" and entry["after"]["name"] == "Renamed"
    assert len(entry["hash"]) == 64 and entry["created_at"]


def test_member_sees_own_products_entries_only(history, product, other_product):
    items = history.get(API, {"page_size": 200}).json()["items"]
    assert {e["product_id"] for e in items} == {product.pk}
    assert "accounts.token_created" not in {e["action"] for e in items}  # site-wide: admins only


def test_admin_sees_everything(history, admin, api_client, product, other_product):
    items = api_client(admin).get(API, {"page_size": 200}).json()["items"]
    assert {e["product_id"] for e in items} == {product.pk, other_product.pk, None}


def test_filters_and_pagination(history, product, owner):
    all_items = history.get(API).json()
    assert all_items["count"] == 5 and [e["seq"] for e in all_items["items"]] == sorted(
        (e["seq"] for e in all_items["items"]), reverse=True
    )
    page = history.get(API, {"page_size": 2, "page": 2}).json()
    assert (page["count"], page["page"], page["pages"], len(page["items"])) == (5, 2, 3, 2)
    modules = history.get(API, {"object_type": "products.module"}).json()
    assert modules["count"] == 3
    prefixed = history.get(API, {"action": "products"}).json()
    assert {e["action"] for e in prefixed["items"]} == {"products.created", "products.module_created"}
    by_actor = history.get(API, {"actor_id": owner.pk, "product_id": product.pk}).json()
    assert by_actor["count"] == 5
    first = AuditEntry.objects.order_by("seq").first()
    assert history.get(API, {"until": first.created_at.isoformat()}).json()["count"] == 0
    assert_error(history.get(API, {"since": "yesterday"}), 422, field="since")
    assert_error(history.get(API, {"page_size": 500}), 422, field="page_size")
    assert_error(history.get(API, {"object_type": "x" * 81}), 422, field="object_type")


def test_filter_by_invisible_product_is_404(history, other_product):
    assert_error(history.get(API, {"product_id": other_product.pk}), 404, "product_not_found")


def test_anonymous_is_401(history):
    assert_error(Client().get(API), 401, "unauthenticated")


def test_read_only_token_may_read_the_log(owner, token_client, product):
    ro, _ = token_client(owner, "read")
    assert ro.get(API).status_code == 200


def test_the_log_has_no_write_endpoints(history):
    for method in ("post", "put", "patch", "delete"):
        r = getattr(history, method)(API, {}, content_type="application/json")
        assert_error(r, 405, "method_not_allowed")
    assert_error(history.delete(f"{API}/1"), 404)
