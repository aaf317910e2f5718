"""customers.services: each rule and refusal. A refusal changes nothing and writes no
operation-log entry; a success writes one entry with before and after."""

from __future__ import annotations

import pytest

from pmloop.accounts.roles import Role
from pmloop.audit.models import AuditEntry
from pmloop.core.errors import Conflict, GuardFailed, InvalidInput, NotFound, PermissionDenied
from pmloop.customers import services
from pmloop.customers.models import Contact, Customer
from pmloop.customers.tests.support import audit_count, last_entry, state

pytestmark = pytest.mark.django_db


def refused(exc_type, fn, *objs, code=None, field=None, **kwargs):
    before = [state(o) for o in objs]
    entries, customers, contacts = audit_count(), Customer.objects.count(), Contact.objects.count()
    with pytest.raises(exc_type) as exc:
        fn(**kwargs)
    assert [state(o) for o in objs] == before
    assert (audit_count(), Customer.objects.count(), Contact.objects.count()) == (
        entries,
        customers,
        contacts,
    )
    if code:
        assert exc.value.code == code, exc.value.as_dict()
    if field:
        assert exc.value.field == field, exc.value.as_dict()
    assert exc.value.message
    return exc.value


@pytest.mark.parametrize(("tier", "weight"), [("strategic", 10), ("key", 5), ("standard", 2), ("small", 1)])
def test_weight_defaults_from_tier(product, po, tier, weight):
    c = services.create_customer(actor=po, product_id=product.pk, name=f"C {tier}", tier=tier)
    assert c.weight == weight


def test_create_customer_audits(product, po, member):
    sales = member(Role.SALES)
    c = services.create_customer(
        actor=po, product_id=product.pk, name="  招商  银行 ", industry="finance", tier="key", weight=30,
        owner_id=sales.pk, notes="总行科技部",
    )  # fmt: skip
    assert (c.name, c.industry, c.tier, c.weight, c.owner_id, c.version) == (
        "招商 银行",
        "finance",
        "key",
        30,
        sales.pk,
        1,
    )
    entry = last_entry()
    assert (entry.action, entry.product_id, entry.before) == ("customers.created", product.pk, None)
    assert entry.after["weight"] == 30 and entry.after["owner_id"] == sales.pk


@pytest.mark.parametrize("role", [Role.OWNER, Role.PM, Role.SALES, Role.SUPPORT])
def test_editors(product, member, actor_for, role):
    assert services.create_customer(actor=actor_for(member(role)), product_id=product.pk, name=role).pk


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.DEVELOPER, Role.VIEWER])
def test_non_editors_are_refused(product, member, actor_for, role):
    exc = refused(PermissionDenied, services.create_customer, actor=actor_for(member(role)),
                  product_id=product.pk, name="x", code="role_forbidden")  # fmt: skip
    assert "customers.edit" in exc.message


def test_outsider_gets_not_found(product, outsider, actor_for):
    refused(NotFound, services.create_customer, actor=actor_for(outsider), product_id=product.pk, name="x")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"industry": "mining"}, "industry"),
        ({"tier": "gold"}, "tier"),
        ({"weight": 0}, "weight"),
        ({"weight": 101}, "weight"),
        ({"owner_id": 999999}, "owner_id"),
    ],
)
def test_create_refuses_bad_input(product, po, kwargs, field):
    kwargs.setdefault("name", "ok")
    refused(InvalidInput, services.create_customer, actor=po, product_id=product.pk, field=field, **kwargs)


def test_owner_must_be_a_member(product, po, make_user):
    stranger = make_user("stranger")
    exc = refused(InvalidInput, services.create_customer, actor=po, product_id=product.pk, name="x",
                  owner_id=stranger.pk, field="owner_id")  # fmt: skip
    assert "member" in exc.message


def test_names_are_unique_per_product_ignoring_case(product, po, other_product, actor_for):
    services.create_customer(actor=po, product_id=product.pk, name="Acme")
    refused(
        InvalidInput, services.create_customer, actor=po, product_id=product.pk, name="ACME", field="name"
    )
    assert services.create_customer(
        actor=actor_for(other_product.owner), product_id=other_product.pk, name="Acme"
    )


def test_update_with_version_and_tier_weight(customer, po):
    assert (customer.tier, customer.weight) == ("key", 5)
    c = services.update_customer(actor=po, customer_id=customer.pk, expected_version=1, tier="strategic")
    assert (c.weight, c.version) == (10, 2)  # followed the tier: it was the default
    entry = last_entry()
    assert entry.action == "customers.updated"
    assert (entry.before["weight"], entry.after["weight"]) == (5, 10)
    c = services.update_customer(actor=po, customer_id=c.pk, expected_version=2, weight=42)
    c = services.update_customer(actor=po, customer_id=c.pk, expected_version=3, tier="small")
    assert (c.tier, c.weight) == ("small", 42)  # an overridden weight stays


def test_update_owner_keep_and_clear(customer, po, member):
    sales = member(Role.SALES)
    c = services.update_customer(actor=po, customer_id=customer.pk, expected_version=1, owner_id=sales.pk)
    c = services.update_customer(actor=po, customer_id=c.pk, expected_version=2, notes="n")
    assert c.owner_id == sales.pk
    c = services.update_customer(actor=po, customer_id=c.pk, expected_version=3, owner_id=None)
    assert c.owner_id is None


def test_update_refusals(customer, po, product):
    other = services.create_customer(actor=po, product_id=product.pk, name="Other")
    refused(Conflict, services.update_customer, customer, actor=po, customer_id=customer.pk, expected_version=9,
            name="n", code="stale_version")  # fmt: skip
    refused(InvalidInput, services.update_customer, customer, actor=po, customer_id=customer.pk, expected_version=1,
            name="other", field="name")  # fmt: skip
    refused(NotFound, services.update_customer, actor=po, customer_id=999999, expected_version=1, name="n")
    assert other.pk


def test_update_without_change_writes_nothing(customer, po):
    entries = audit_count()
    c = services.update_customer(actor=po, customer_id=customer.pk, expected_version=1, name=customer.name)
    assert c.version == 1 and audit_count() == entries


def test_archive_and_restore(customer, po):
    c = services.archive_customer(actor=po, customer_id=customer.pk, expected_version=1)
    assert (c.archived, c.version, last_entry().action) == (True, 2, "customers.archived")
    refused(
        GuardFailed,
        services.archive_customer,
        c,
        actor=po,
        customer_id=c.pk,
        expected_version=2,
        code="no_change",
    )
    c = services.archive_customer(actor=po, customer_id=c.pk, expected_version=2, archived=False)
    assert (c.archived, last_entry().action) == (False, "customers.restored")


def test_contacts(customer, po, member, actor_for):
    p = services.add_contact(actor=po, customer_id=customer.pk, name="王敏", title="CTO", email="wm@cmb.cn")
    entry = last_entry()
    assert (entry.action, entry.product_id, entry.after["email"]) == (
        "customers.contact_added",
        customer.product_id,
        "wm@cmb.cn",
    )
    p = services.update_contact(actor=po, contact_id=p.pk, phone="138")
    assert p.phone == "138" and last_entry().before["phone"] == ""
    refused(InvalidInput, services.update_contact, p, actor=po, contact_id=p.pk, email="nope", field="email")
    refused(InvalidInput, services.add_contact, actor=po, customer_id=customer.pk, name=" ", field="name")
    refused(
        PermissionDenied, services.remove_contact, p, actor=actor_for(member(Role.VIEWER)), contact_id=p.pk
    )
    services.remove_contact(actor=po, contact_id=p.pk)
    assert not Contact.objects.exists()
    entry = last_entry()
    assert (entry.action, entry.after, entry.before["name"]) == ("customers.contact_removed", {}, "王敏")
    assert AuditEntry.objects.filter(object_type="customers.contact").count() == 3


def test_contacts_of_another_product_are_not_found(customer, po, outsider, actor_for):
    p = services.add_contact(actor=po, customer_id=customer.pk, name="A")
    them = actor_for(outsider)
    refused(NotFound, services.add_contact, actor=them, customer_id=customer.pk, name="B")
    refused(NotFound, services.update_contact, p, actor=them, contact_id=p.pk, name="B")
    refused(NotFound, services.remove_contact, p, actor=them, contact_id=p.pk)
