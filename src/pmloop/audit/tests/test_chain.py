import itertools

import pytest
from django.db import connection

from pmloop.audit.models import AuditEntry
from pmloop.audit.selectors import verify_chain
from pmloop.products import services


@pytest.fixture
def some_entries(product, owner, actor_for):
    a = actor_for(owner)
    for name in ("单聊", "群聊", "消息必达"):
        services.create_module(actor=a, product_id=product.pk, name=name)
    return list(AuditEntry.objects.order_by("seq"))


def test_chain_verifies_and_links(some_entries):
    assert [e.seq for e in some_entries] == list(range(1, len(some_entries) + 1))
    for prev, cur in itertools.pairwise(some_entries):
        assert cur.prev_hash == prev.hash
    result = verify_chain()
    assert result.ok and result.checked == len(some_entries)


def test_altered_entry_is_reported(some_entries):
    victim = some_entries[2]
    with connection.cursor() as cur:
        cur.execute("UPDATE audit_auditentry SET note = %s WHERE seq = %s", ["edited", victim.seq])
    result = verify_chain()
    assert not result.ok
    assert result.first_bad_seq == victim.seq
    assert "altered" in result.reason


def test_deleted_entry_is_reported(some_entries):
    with connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditentry WHERE seq = %s", [2])
    result = verify_chain()
    assert not result.ok and result.first_bad_seq == 2 and "missing" in result.reason


def test_entries_cannot_be_rewritten_through_the_orm(some_entries):
    entry = some_entries[0]
    entry.note = "x"
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()
