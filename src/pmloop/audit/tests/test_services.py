"""audit.services.record and the selectors that read the log (history, list, verify)."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection, transaction

from pmloop.audit import selectors
from pmloop.audit import services as audit
from pmloop.audit.chain import GENESIS, HASHED_FIELDS, entry_hash
from pmloop.audit.models import AuditEntry
from pmloop.core.errors import NotFound, PermissionDenied
from pmloop.products import services as product_services
from pmloop.products.models import Module

pytestmark = pytest.mark.django_db


@pytest.mark.django_db(transaction=True)
def test_record_refuses_to_run_outside_a_transaction(owner, actor_for):
    with pytest.raises(RuntimeError, match="transaction"):
        audit.record(actor=actor_for(owner), action="x.happened")
    assert not AuditEntry.objects.exists()


def test_record_fills_who_what_when_and_chains(product, owner, actor_for):
    actor = actor_for(owner, via="api")
    with transaction.atomic():
        module = Module.objects.create(product=product, name="单聊")
        entry = audit.record(actor=actor, action="products.module_created", obj=module, note="by hand")
    assert entry.actor_id == owner.pk and entry.actor_label == "owner"
    assert entry.via == "api" and entry.request_id == actor.request_id
    assert (entry.object_type, entry.object_id, entry.object_repr) == (
        "products.module",
        str(module.pk),
        "单聊",
    )
    assert entry.product_id == product.pk and entry.note == "by hand"
    assert entry.after["name"] == "单聊" and entry.before is None
    assert entry.created_at.tzinfo is not None
    previous = AuditEntry.objects.get(seq=entry.seq - 1)
    assert entry.prev_hash == previous.hash
    values = {f: getattr(entry, f) for f in HASHED_FIELDS}
    assert entry.hash == entry_hash(previous.hash, values)


def test_first_entry_links_to_genesis(owner, actor_for):
    with transaction.atomic():
        entry = audit.record(actor=actor_for(owner), action="test.done", object_type="x", object_id=1)
    assert entry.seq == 1 and entry.prev_hash == GENESIS


def test_snapshot_is_json_ready(product):
    snap = audit.snapshot(product)
    assert set(snap) == set(product.audit_fields)
    assert snap["owner_id"] == product.owner_id and snap["archived"] is False


def test_values_round_trip_so_the_stored_entry_verifies(owner, actor_for):
    odd = {
        "when": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
        "day": datetime.date(2026, 1, 2),
        "ids": (1, 2),
        "nested": {1: "一"},
    }
    with transaction.atomic():
        audit.record(
            actor=actor_for(owner), action="test.done", object_type="x", object_id=1, before=odd, after={}
        )
    stored = AuditEntry.objects.get()
    assert stored.before == {
        "when": "2026-01-02T03:04:05+00:00",
        "day": "2026-01-02",
        "ids": [1, 2],
        "nested": {"1": "一"},
    }
    assert selectors.verify_chain().ok


def test_system_and_anonymous_labels(db):
    from pmloop.core.actor import Actor, system_actor

    with transaction.atomic():
        s = audit.record(actor=system_actor(), action="test.done", object_type="x", object_id=1)
        a = audit.record(actor=Actor(user=None), action="test.done", object_type="x", object_id=2)
    assert (s.actor_label, s.actor_id, s.via) == ("system", None, "system")
    assert (a.actor_label, a.actor_id) == ("anonymous", None)


def test_every_write_in_a_service_flow_is_logged_and_the_chain_verifies(product, owner, member, actor_for):
    a = actor_for(owner)
    m = product_services.create_module(actor=a, product_id=product.pk, name="单聊")
    product_services.update_module(actor=a, module_id=m.pk, expected_version=1, name="单聊2")
    product_services.delete_module(actor=a, module_id=m.pk, expected_version=2)
    member("pm")
    actions = list(AuditEntry.objects.order_by("seq").values_list("action", flat=True))
    assert actions == [
        "products.created", "accounts.member_added", "products.module_created", "products.module_updated",
        "products.module_deleted", "accounts.member_added",
    ]  # fmt: skip
    result = selectors.verify_chain()
    assert result.ok and result.checked == len(actions)


def test_verify_reports_an_inserted_entry(product):
    entries = list(AuditEntry.objects.order_by("seq"))
    head = entries[-1]
    with connection.cursor() as cur:  # a forged entry appended with a made-up hash
        cur.execute(
            "INSERT INTO audit_auditentry (seq, created_at, actor_label, via, request_id, action, object_type,"
            " object_id, object_repr, note, prev_hash, hash) VALUES (%s, %s, '', '', '', 'x', '', '', '', '', %s, %s)",
            [head.seq + 1, head.created_at, head.hash, "f" * 64],
        )
    result = selectors.verify_chain()
    assert not result.ok and result.first_bad_seq == head.seq + 1


# ---- reading the log ----------------------------------------------------------------------
@pytest.fixture
def logged(product, other_product, owner, admin, actor_for, member):
    a = actor_for(owner)
    product_services.create_module(actor=a, product_id=product.pk, name="单聊")
    from pmloop.accounts import services as accounts_services

    accounts_services.create_api_token(actor=a, name="site-wide entry")
    viewer = member("viewer", "viewer")
    return {"viewer": viewer}


def test_members_read_only_their_products_entries(logged, product, other_product, actor_for):
    viewer = actor_for(logged["viewer"])
    product_ids = set(selectors.list_entries(actor=viewer).values_list("product_id", flat=True))
    assert product_ids == {product.pk}
    outsider = actor_for(other_product.owner)
    assert set(selectors.list_entries(actor=outsider).values_list("product_id", flat=True)) == {
        other_product.pk
    }


def test_site_wide_entries_are_for_admins_only(logged, admin, owner, actor_for):
    assert not selectors.list_entries(actor=actor_for(owner)).filter(action="accounts.token_created").exists()
    assert selectors.list_entries(actor=actor_for(admin)).filter(action="accounts.token_created").exists()


def test_anonymous_reads_nothing(logged, actor_for):
    with pytest.raises(PermissionDenied):
        selectors.list_entries(actor=actor_for(None))


def test_filtering_by_a_product_you_cannot_see_is_not_found(logged, product, other_product, actor_for):
    viewer = actor_for(logged["viewer"])
    with pytest.raises(NotFound) as exc:
        list(selectors.list_entries(actor=viewer, product_id=other_product.pk))
    assert exc.value.code == "product_not_found"
    assert selectors.list_entries(actor=viewer, product_id=product.pk).exists()


def test_filters(logged, product, owner, actor_for):
    a = actor_for(owner)
    assert {e.action for e in selectors.list_entries(actor=a, action="products")} == {
        "products.created", "products.module_created",
    }  # fmt: skip
    assert {e.action for e in selectors.list_entries(actor=a, action="products.")} == {
        "products.created", "products.module_created",
    }  # fmt: skip
    assert not selectors.list_entries(actor=a, action="product").exists()  # a prefix ends at a dot
    assert [e.action for e in selectors.list_entries(actor=a, object_type="products.module")] == [
        "products.module_created"
    ]
    assert selectors.list_entries(actor=a, actor_id=owner.pk).count() == 4
    assert not selectors.list_entries(actor=a, actor_id=owner.pk + 999).exists()
    first = AuditEntry.objects.order_by("seq").first()
    assert selectors.list_entries(actor=a, until=first.created_at).count() == 0
    assert selectors.list_entries(actor=a, since=first.created_at).count() == 4
    seqs = list(selectors.list_entries(actor=a).values_list("seq", flat=True))
    assert seqs == sorted(seqs, reverse=True)


def test_history_of_one_object(logged, product, owner, actor_for):
    a = actor_for(owner)
    product_services.update_product(actor=a, product_id=product.pk, expected_version=1, name="New name")
    assert [e.action for e in selectors.history(actor=a, obj=product)] == [
        "products.updated",
        "products.created",
    ]


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_do_not_fork_the_chain(owner, actor_for):
    """Two writers at once: seq stays contiguous and every entry links to the one before."""
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL); SQLite serialises writers anyway")
    product = product_services.create_product(actor=actor_for(owner), code="CONC", name="Concurrent")
    errors = []

    def writer(prefix):
        try:
            for i in range(10):
                product_services.create_module(
                    actor=actor_for(owner), product_id=product.pk, name=f"{prefix}{i}"
                )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(p,)) for p in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    result = selectors.verify_chain()
    assert result.ok and result.checked == AuditEntry.objects.count() == 22


def test_changed_fields_lists_only_what_changed(product, owner, actor_for):
    product_services.update_product(
        actor=actor_for(owner), product_id=product.pk, expected_version=1, name="New", description="d"
    )
    entry = AuditEntry.objects.get(action="products.updated")
    # jsonb (PostgreSQL) does not keep key order, so the order of the list is not promised
    assert sorted(entry.changed_fields) == [
        ("description", "", "d"),
        ("name", "IM SDK", "New"),
        ("version", 1, 2),
    ]
    assert str(entry) == f"#{entry.seq} products.updated products.product:{product.pk}"
    created = AuditEntry.objects.get(action="products.created")
    assert ("code", None, "IMSDK") in created.changed_fields  # before is None on creation
