"""customers.selectors: visibility (anonymous, no membership, member, member of another
product), filters, bounded query counts."""

from __future__ import annotations

import pytest

from pmloop.accounts.roles import Role
from pmloop.core.actor import Actor
from pmloop.core.errors import NotFound, PermissionDenied
from pmloop.customers import selectors, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(product, po, member):
    sales = member(Role.SALES, "sales1")
    made = [
        services.create_customer(actor=po, product_id=product.pk, name="招商银行", industry="finance", tier="strategic",
                                 owner_id=sales.pk),
        services.create_customer(actor=po, product_id=product.pk, name="Shopline", industry="retail", tier="small"),
        services.create_customer(actor=po, product_id=product.pk, name="国家电网", industry="energy", tier="key"),
    ]  # fmt: skip
    services.add_contact(actor=po, customer_id=made[1].pk, name="Lily Chen")
    services.archive_customer(actor=po, customer_id=made[2].pk, expected_version=1)
    return {"sales": sales, "customers": made}


def names(qs) -> list[str]:
    return [c.name for c in qs]


def test_visibility(book, product, actor_for, outsider, member):
    bank = book["customers"][0]
    with pytest.raises(PermissionDenied):
        selectors.list_customers(actor=Actor(user=None))
    assert names(selectors.list_customers(actor=actor_for(outsider))) == []
    with pytest.raises(NotFound):
        selectors.get_customer(actor=actor_for(outsider), customer_id=bank.pk)
    viewer = actor_for(member(Role.VIEWER))
    assert names(selectors.list_customers(actor=viewer, product_id=product.pk)) == ["Shopline", "招商银行"]
    assert selectors.get_customer(actor=viewer, customer_id=bank.pk) == bank


def test_filters(book, po, product):
    def ls(**kw):
        return names(selectors.list_customers(actor=po, product_id=product.pk, **kw))

    assert ls(include_archived=True) == ["Shopline", "国家电网", "招商银行"]
    assert ls(q="招商") == ["招商银行"]
    assert ls(q="lily") == ["Shopline"]  # a contact's name
    assert ls(industry="retail") == ["Shopline"]
    assert ls(tier="strategic") == ["招商银行"]
    assert ls(owner_id=book["sales"].pk) == ["招商银行"]
    assert selectors.find_customer(actor=po, product_id=product.pk, name="shopline").name == "Shopline"
    with pytest.raises(NotFound):
        selectors.find_customer(actor=po, product_id=product.pk, name="nobody")


def test_list_query_count_is_constant(book, po, product, django_assert_max_num_queries):
    for i in range(10):
        c = services.create_customer(actor=po, product_id=product.pk, name=f"C{i}")
        services.add_contact(actor=po, customer_id=c.pk, name="p")
    actor = po.__class__(user=po.user)
    with django_assert_max_num_queries(2):  # the actor's roles, then the list with owner and counts
        rows = list(selectors.list_customers(actor=actor, product_id=product.pk))
        assert [(r.owner.username if r.owner else None, r.contact_count) for r in rows]
    assert len(rows) == 12
