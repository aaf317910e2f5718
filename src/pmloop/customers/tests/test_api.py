"""The customers API contract: status codes, error shape, fields, filters, pagination,
stale versions, contacts, per-product visibility."""

from __future__ import annotations

import pytest

from pmloop.accounts.roles import Role
from pmloop.customers.models import Contact, Customer
from pmloop.customers.tests.support import assert_error, send, state

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("wired")]

CUSTOMER_FIELDS = {
    "id", "product_id", "name", "industry", "tier", "weight", "owner", "notes", "archived", "version",
    "created_at", "updated_at",
}  # fmt: skip


@pytest.fixture
def c(owner, token_client):
    return token_client(owner, "write")[0]


def test_create_get_patch_archive(c, product, member):
    sales = member(Role.SALES)
    r = send(c, "post", "/customers", {"product_id": product.pk, "name": "招商银行", "industry": "finance",
                                        "tier": "strategic", "owner_id": sales.pk})  # fmt: skip
    assert r.status_code == 201, r.content
    body = r.json()
    assert set(body) == CUSTOMER_FIELDS | {"contacts"}
    assert (body["weight"], body["owner"]["id"], body["contacts"], body["version"]) == (10, sales.pk, [], 1)
    cid = body["id"]
    assert send(c, "get", f"/customers/{cid}").json() == body
    r = send(c, "patch", f"/customers/{cid}", {"version": 1, "weight": 50, "owner_id": None})
    assert (r.json()["weight"], r.json()["owner"], r.json()["version"]) == (50, None, 2)
    before = state(Customer.objects.get(pk=cid))
    assert_error(send(c, "patch", f"/customers/{cid}", {"version": 1, "name": "x"}), 409, "stale_version")
    assert state(Customer.objects.get(pk=cid)) == before
    r = send(c, "post", f"/customers/{cid}/archive", {"version": 2})
    assert r.json()["archived"] is True
    assert_error(send(c, "post", f"/customers/{cid}/archive", {"version": 3}), 422, "no_change")


@pytest.mark.parametrize(
    ("data", "field"),
    [({"name": ""}, "name"), ({"name": "x", "weight": 0}, "weight"), ({"name": "x", "industry": "mining"}, "industry"),
     ({"name": "x", "owner_id": 999999}, "owner_id")],
)  # fmt: skip
def test_create_refusals(c, product, data, field):
    assert_error(send(c, "post", "/customers", {"product_id": product.pk, **data}), 422, field=field)
    assert not Customer.objects.exists()


def test_duplicate_name_and_permissions(c, product, customer, member, token_client, outsider):
    assert_error(
        send(c, "post", "/customers", {"product_id": product.pk, "name": "招商银行"}), 422, field="name"
    )
    dev = token_client(member(Role.DEVELOPER), "write")[0]
    assert_error(
        send(dev, "post", "/customers", {"product_id": product.pk, "name": "y"}), 403, "role_forbidden"
    )
    assert send(dev, "get", f"/customers/{customer.pk}").status_code == 200
    them = token_client(outsider, "write")[0]
    assert_error(send(them, "get", f"/customers/{customer.pk}"), 404, "customer_not_found")
    assert_error(send(them, "post", "/customers", {"product_id": product.pk, "name": "z"}), 404)
    assert send(them, "get", "/customers").json()["count"] == 0


def test_list_filters_and_pagination(c, product, po):
    from pmloop.customers import services

    for i, (industry, tier) in enumerate([("finance", "key"), ("retail", "small"), ("finance", "small")]):
        services.create_customer(actor=po, product_id=product.pk, name=f"C{i}", industry=industry, tier=tier)
    body = send(c, "get", "/customers", {"page_size": 2}).json()
    assert (body["count"], body["pages"], [x["name"] for x in body["items"]]) == (3, 2, ["C0", "C1"])
    assert set(body["items"][0]) == CUSTOMER_FIELDS
    assert [
        x["name"]
        for x in send(c, "get", "/customers", {"industry": "finance", "tier": "small"}).json()["items"]
    ] == ["C2"]
    assert [x["name"] for x in send(c, "get", "/customers", {"q": "c1"}).json()["items"]] == ["C1"]
    assert_error(send(c, "get", "/customers", {"tier": "gold"}), 422, "invalid")


def test_contacts(c, customer):
    r = send(c, "post", f"/customers/{customer.pk}/contacts", {"name": "王敏", "email": "wm@cmb.cn"})
    assert r.status_code == 201
    pid = r.json()["id"]
    assert_error(send(c, "post", f"/customers/{customer.pk}/contacts", {"name": "x", "email": "bad"}), 422,
                 field="email")  # fmt: skip
    r = send(c, "patch", f"/customers/contacts/{pid}", {"title": "CTO"})
    assert r.json()["title"] == "CTO"
    assert [x["name"] for x in send(c, "get", f"/customers/{customer.pk}/contacts").json()] == ["王敏"]
    assert send(c, "delete", f"/customers/contacts/{pid}").status_code == 204
    assert not Contact.objects.exists()
    assert_error(send(c, "delete", f"/customers/contacts/{pid}"), 404, "contact_not_found")
