"""The products API contract: status codes, error shape, schema fields, pagination, filters,
optimistic concurrency (version in the body; no ETag/If-Match), the module tree."""

from __future__ import annotations

import pytest
from django.test import Client

from pmloop.audit.models import AuditEntry
from pmloop.products import services
from pmloop.products.models import Module, Product

pytestmark = pytest.mark.django_db
API = "/api/v1"

PRODUCT_FIELDS = {
    "id", "code", "name", "description", "review_rule", "archived", "owner", "version", "created_at", "updated_at",
}  # fmt: skip
MODULE_FIELDS = {"id", "product_id", "parent_id", "name", "description", "position", "version"}


def assert_error(response, status: int, code: str | None = None, field: str | None = None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "fields", "missing"}, body
    assert body["message"]
    if code:
        assert body["code"] == code, body
    if field:
        assert field in [f["field"] for f in body["fields"]], body
    return body


def row(obj) -> dict:
    return type(obj).objects.filter(pk=obj.pk).values().get()


def send(client, method, path, data=None):
    return getattr(client, method)(API + path, data=data, content_type="application/json")


@pytest.fixture
def c(owner, token_client):
    return token_client(owner, "write")[0]


# ---- products -----------------------------------------------------------------------------
def test_create_product(c, owner):
    r = send(c, "post", "/products", {"code": "chat", "name": "Chat", "review_rule": "majority"})
    assert r.status_code == 201
    body = r.json()
    assert set(body) == PRODUCT_FIELDS
    assert (body["code"], body["review_rule"], body["version"], body["archived"]) == (
        "CHAT",
        "majority",
        1,
        False,
    )
    assert body["owner"] == {"id": owner.pk, "username": "owner", "display_name": ""}
    entry = AuditEntry.objects.get(action="products.created")
    assert entry.via == "api" and entry.actor_id == owner.pk


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "1X", "name": "x"}, "code"),
        ({"code": "A", "name": "x"}, "code"),
        ({"code": "A" * 21, "name": "x"}, "code"),
        ({"code": "AB", "name": ""}, "name"),
        ({"code": "AB", "name": "n" * 101}, "name"),
        ({"code": "AB", "name": "x", "review_rule": "vote"}, "review_rule"),
        ({"code": "AB", "name": "x", "description": "d" * 20001}, "description"),
        ({"name": "x"}, "code"),
        ({"code": 12, "name": "x"}, "code"),
        ({"code": "IMSDK", "name": "dup"}, "code"),
    ],
)
def test_create_product_validation(c, product, body, field):
    count, log = Product.objects.count(), AuditEntry.objects.count()
    err = assert_error(send(c, "post", "/products", body), 422, field=field)
    assert field in err["message"] or err["code"] == "invalid"
    assert Product.objects.count() == count and AuditEntry.objects.count() == log


def test_get_product(c, product):
    r = c.get(f"{API}/products/{product.pk}")
    assert r.status_code == 200 and set(r.json()) == PRODUCT_FIELDS and r.json()["code"] == "IMSDK"


def test_list_products_pagination(c, owner, actor_for):
    a = actor_for(owner)
    for i in range(11):
        services.create_product(actor=a, code=f"P{i:02d}", name=f"Product {i:02d}")
    r = c.get(f"{API}/products", {"page_size": 5, "page": 3})
    body = r.json()
    assert set(body) == {"items", "count", "page", "page_size", "pages", "count_capped"}
    assert (body["count"], body["page"], body["page_size"], body["pages"]) == (11, 3, 5, 3)
    assert body["count_capped"] is False  # only text searches cap their count
    assert [p["code"] for p in body["items"]] == ["P10"]
    beyond = c.get(f"{API}/products", {"page_size": 5, "page": 9}).json()
    assert beyond["items"] == [] and beyond["count"] == 11
    default = c.get(f"{API}/products").json()
    assert default["page"] == 1 and default["page_size"] == 50 and len(default["items"]) == 11
    assert_error(c.get(f"{API}/products", {"page": 0}), 422, field="page")
    assert_error(c.get(f"{API}/products", {"page_size": 201}), 422, field="page_size")
    assert_error(c.get(f"{API}/products", {"page": "two"}), 422, field="page")


def test_list_products_filters(c, product, owner, actor_for):
    a = actor_for(owner)
    chat = services.create_product(actor=a, code="CHAT", name="Chat room")
    services.set_product_archived(actor=a, product_id=chat.pk, expected_version=1, archived=True)
    assert [p["code"] for p in c.get(f"{API}/products").json()["items"]] == ["IMSDK"]
    assert [p["code"] for p in c.get(f"{API}/products", {"include_archived": "true"}).json()["items"]] == [
        "CHAT", "IMSDK",
    ]  # fmt: skip
    assert [
        p["code"] for p in c.get(f"{API}/products", {"include_archived": 1, "q": "room"}).json()["items"]
    ] == ["CHAT"]
    assert_error(c.get(f"{API}/products", {"q": "q" * 101}), 422, field="q")


def test_products_of_others_are_invisible(c, other_product):
    assert "OTHER" not in [p["code"] for p in c.get(f"{API}/products").json()["items"]]
    hidden = assert_error(c.get(f"{API}/products/{other_product.pk}"), 404, "product_not_found")
    missing = assert_error(c.get(f"{API}/products/987654"), 404, "product_not_found")
    assert hidden == missing
    before = row(other_product)
    assert_error(send(c, "patch", f"/products/{other_product.pk}", {"version": 1, "name": "mine"}), 404)
    assert row(other_product) == before


def test_patch_product(c, product):
    r = send(
        c, "patch", f"/products/{product.pk}", {"version": 1, "name": "IM SDK v2", "review_rule": "majority"}
    )
    assert r.status_code == 200
    assert (r.json()["name"], r.json()["review_rule"], r.json()["version"]) == ("IM SDK v2", "majority", 2)
    entry = AuditEntry.objects.get(action="products.updated")
    assert entry.before["name"] == "IM SDK" and entry.after["name"] == "IM SDK v2"


def test_stale_patch_is_409_and_changes_nothing(c, product):
    assert send(c, "patch", f"/products/{product.pk}", {"version": 1, "name": "First"}).status_code == 200
    before, log = row(product), AuditEntry.objects.count()
    err = assert_error(
        send(c, "patch", f"/products/{product.pk}", {"version": 1, "name": "Second"}), 409, "stale_version"
    )
    assert err["fields"] == [{"field": "version", "message": err["message"]}]
    assert row(product) == before and row(product)["name"] == "First"
    assert AuditEntry.objects.count() == log


def test_patch_without_version_is_refused(c, product):
    before = row(product)
    assert_error(send(c, "patch", f"/products/{product.pk}", {"name": "x"}), 422, field="version")
    assert_error(
        send(c, "patch", f"/products/{product.pk}", {"version": 0, "name": "x"}), 422, field="version"
    )
    assert row(product) == before


def test_version_travels_in_the_body_not_in_etag_headers(c, product):
    """ETag / If-Match are not implemented: the response has no ETag, a stale If-Match is
    ignored, and only the body's version counts."""
    r = c.get(f"{API}/products/{product.pk}")
    assert "ETag" not in r
    ok = c.patch(
        f"{API}/products/{product.pk}", {"version": 1, "name": "Body wins"},
        content_type="application/json", HTTP_IF_MATCH='"stale-etag"',
    )  # fmt: skip
    assert ok.status_code == 200 and "ETag" not in ok
    no_version = c.patch(
        f"{API}/products/{product.pk}", {"name": "x"}, content_type="application/json", HTTP_IF_MATCH='"2"'
    )
    assert_error(no_version, 422, field="version")
    assert row(product)["name"] == "Body wins"


@pytest.mark.parametrize(
    ("body", "field"),
    [({"version": 1, "name": ""}, "name"), ({"version": 1, "review_rule": "x"}, "review_rule"),
     ({"version": 1, "owner_id": 987654}, "owner_id"), ({"version": "one"}, "version")],
)  # fmt: skip
def test_patch_validation(c, product, body, field):
    before = row(product)
    assert_error(send(c, "patch", f"/products/{product.pk}", body), 422, field=field)
    assert row(product) == before


def test_archive_endpoint(c, product):
    r = send(c, "post", f"/products/{product.pk}/archive", {"version": 1})
    assert r.status_code == 200 and r.json()["archived"] is True
    assert_error(send(c, "post", f"/products/{product.pk}/archive", {"version": 2}), 422, "no_change")
    r = send(c, "post", f"/products/{product.pk}/archive", {"version": 2, "archived": False})
    assert r.status_code == 200 and r.json()["archived"] is False
    assert_error(send(c, "post", f"/products/{product.pk}/archive", {"version": 1}), 409, "stale_version")


# ---- modules ------------------------------------------------------------------------------
def test_module_crud_and_tree(c, product):
    root = send(c, "post", f"/products/{product.pk}/modules", {"name": "单聊"})
    assert root.status_code == 201 and set(root.json()) == MODULE_FIELDS
    rid = root.json()["id"]
    child = send(c, "post", f"/products/{product.pk}/modules", {"name": "已读", "parent_id": rid}).json()
    send(c, "post", f"/products/{product.pk}/modules", {"name": "群聊"})
    first = send(c, "post", f"/products/{product.pk}/modules", {"name": "首页", "position": 0}).json()
    assert first["position"] == 0
    tree = c.get(f"{API}/products/{product.pk}/modules").json()
    assert [(n["name"], n["position"], n["depth"]) for n in tree] == [
        ("首页", 0, 0),
        ("单聊", 1, 0),
        ("群聊", 2, 0),
    ]
    assert [(n["name"], n["depth"], n["parent_id"]) for n in tree[1]["children"]] == [("已读", 1, rid)]
    got = c.get(f"{API}/products/modules/{child['id']}")
    assert got.status_code == 200 and got.json()["parent_id"] == rid
    renamed = send(c, "patch", f"/products/modules/{child['id']}", {"version": 1, "name": "已读回执"})
    assert renamed.status_code == 200 and renamed.json()["version"] == 2
    moved = send(
        c, "post", f"/products/modules/{child['id']}/move", {"version": 2, "parent_id": None, "position": 0}
    )
    assert moved.status_code == 200 and moved.json()["parent_id"] is None and moved.json()["position"] == 0
    gone = c.delete(f"{API}/products/modules/{child['id']}?version=3")
    assert gone.status_code == 204 and not Module.objects.filter(pk=child["id"]).exists()
    assert [n["position"] for n in c.get(f"{API}/products/{product.pk}/modules").json()] == [0, 1, 2]


def test_module_refusals(c, product, other_product, owner, actor_for):
    a = actor_for(owner)
    root = services.create_module(actor=a, product_id=product.pk, name="单聊")
    child = services.create_module(actor=a, product_id=product.pk, name="已读", parent_id=root.pk)
    foreign = services.create_module(
        actor=actor_for(other_product.owner), product_id=other_product.pk, name="X"
    )
    before, log = list(Module.objects.values()), AuditEntry.objects.count()
    p = f"/products/{product.pk}/modules"
    assert_error(send(c, "post", p, {"name": "单聊"}), 422, field="name")
    assert_error(send(c, "post", p, {"name": ""}), 422, field="name")
    assert_error(send(c, "post", p, {"name": "n" * 101}), 422, field="name")
    assert_error(send(c, "post", p, {"name": "x", "position": -1}), 422, field="position")
    assert_error(send(c, "post", p, {"name": "x", "parent_id": foreign.pk}), 422, field="parent_id")
    assert_error(send(c, "post", p, {"name": "x", "parent_id": "top"}), 422, field="parent_id")
    cyc = assert_error(
        send(c, "post", f"/products/modules/{root.pk}/move", {"version": 1, "parent_id": child.pk}),
        422,
        "module_cycle",
    )
    assert cyc["fields"][0]["field"] == "parent_id"
    kids = assert_error(c.delete(f"{API}/products/modules/{root.pk}?version=1"), 422, "module_has_children")
    assert kids["missing"] == ["已读"]
    assert_error(c.delete(f"{API}/products/modules/{child.pk}"), 422, field="version")
    assert_error(c.delete(f"{API}/products/modules/{child.pk}?version=9"), 409, "stale_version")
    assert_error(
        send(c, "patch", f"/products/modules/{child.pk}", {"version": 9, "name": "x"}), 409, "stale_version"
    )
    assert_error(c.get(f"{API}/products/modules/{foreign.pk}"), 404, "module_not_found")
    assert_error(send(c, "post", f"/products/{other_product.pk}/modules", {"name": "x"}), 404)
    assert list(Module.objects.values()) == before and AuditEntry.objects.count() == log


def test_anonymous_gets_401_everywhere(product):
    anon = Client()
    for r in (anon.get(f"{API}/products"), anon.get(f"{API}/products/{product.pk}"),
              send(anon, "post", "/products", {"code": "AN", "name": "x"})):  # fmt: skip
        assert_error(r, 401, "unauthenticated")
