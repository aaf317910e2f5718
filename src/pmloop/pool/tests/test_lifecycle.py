"""The pool item's state machine and guards: pure, no database."""

from __future__ import annotations

import pytest

from pmloop.core.errors import GuardFailed, InvalidInput
from pmloop.pool import lifecycle
from pmloop.pool.choices import Status
from pmloop.pool.models import PoolItem
from pmloop.products.models import Product

ALL = list(Status.values)


def item(status=Status.NEW, pk=1, number=1, product_id=1, code="IMSDK", merged_into=None):
    it = PoolItem(pk=pk, number=number, status=status, product_id=product_id)
    it.product = Product(pk=product_id, code=code)
    it.merged_into = merged_into
    return it


def test_transitions_table_is_the_documented_machine():
    assert {a: (sorted(src), to) for a, (src, to) in lifecycle.TRANSITIONS.items()} == {
        "triage": (["new"], "triaged"),
        "decline": (["new", "triaged"], "declined"),
        "merge": (["new", "triaged"], "merged"),
        "reopen": (["declined"], "triaged"),
        "link": (["linked", "new", "triaged"], "linked"),
        "unlink": (["linked"], "triaged"),
    }


@pytest.mark.parametrize("status", ALL)
@pytest.mark.parametrize("action", ["triage", "decline", "merge", "reopen", "link", "unlink"])
def test_check_transition_matches_the_table(action, status):
    it = item(status)
    if lifecycle.allowed(action, status):
        lifecycle.check_transition(it, action)
    else:
        with pytest.raises(GuardFailed) as exc:
            lifecycle.check_transition(it, action)
        assert exc.value.code == f"cannot_{action}"
        assert exc.value.missing == ["IMSDK-P1"]
        assert "IMSDK-P1" in exc.value.message


def test_messages_say_what_to_do_instead():
    target = item(Status.TRIAGED, pk=2, number=7)
    with pytest.raises(GuardFailed, match="merged into IMSDK-P7: work on IMSDK-P7 instead"):
        lifecycle.check_can_triage(item(Status.MERGED, merged_into=target))
    with pytest.raises(GuardFailed, match="reopen it first"):
        lifecycle.check_can_triage(item(Status.DECLINED))
    with pytest.raises(GuardFailed, match="already triaged"):
        lifecycle.check_can_triage(item(Status.TRIAGED))
    with pytest.raises(GuardFailed, match="unlink it from the requirement"):
        lifecycle.check_can_decline(item(Status.LINKED), "no")
    with pytest.raises(GuardFailed, match="nothing to reopen"):
        lifecycle.check_can_reopen(item(Status.NEW))


def test_name_of_works_without_a_product():
    it = PoolItem(number=12, status=Status.NEW)
    assert lifecycle.name_of(it) == "P12"


@pytest.mark.parametrize("reason", [None, "", "   \n "])
def test_decline_needs_a_reason(reason):
    with pytest.raises(GuardFailed) as exc:
        lifecycle.check_can_decline(item(), reason)
    assert (exc.value.code, exc.value.field, exc.value.missing) == ("reason_required", "reason", ["reason"])
    assert "reason is required" in exc.value.message


def test_decline_reason_is_trimmed_and_bounded():
    assert lifecycle.check_can_decline(item(), "  out of scope  ") == "out of scope"
    with pytest.raises(InvalidInput) as exc:
        lifecycle.check_can_decline(item(), "x" * 2001)
    assert exc.value.field == "reason"


def test_decline_of_a_declined_item_names_the_state_before_the_reason():
    with pytest.raises(GuardFailed) as exc:
        lifecycle.check_can_decline(item(Status.DECLINED), "")
    assert exc.value.code == "cannot_decline"


def test_merge_target_rules():
    it = item(Status.NEW, pk=1)
    lifecycle.check_can_merge(it, item(Status.TRIAGED, pk=2, number=2))
    lifecycle.check_can_merge(it, item(Status.LINKED, pk=3, number=3))
    with pytest.raises(InvalidInput) as exc:
        lifecycle.check_can_merge(it, None)
    assert exc.value.field == "merge_into_id"
    with pytest.raises(InvalidInput, match="another product") as exc:
        lifecycle.check_can_merge(it, item(pk=2, product_id=9, code="OTHER"))
    assert exc.value.field == "merge_into_id"
    with pytest.raises(GuardFailed) as exc:
        lifecycle.check_can_merge(it, it)
    assert exc.value.code == "merge_into_self"
    final = item(Status.TRIAGED, pk=5, number=5)
    with pytest.raises(GuardFailed, match="merge into IMSDK-P5 instead") as exc:
        lifecycle.check_can_merge(it, item(Status.MERGED, pk=4, number=4, merged_into=final))
    assert exc.value.code == "target_merged"
    with pytest.raises(GuardFailed) as exc:
        lifecycle.check_can_merge(it, item(Status.DECLINED, pk=4, number=4))
    assert exc.value.code == "target_declined"


@pytest.mark.parametrize("status", [Status.LINKED, Status.MERGED, Status.DECLINED])
def test_only_open_items_merge(status):
    with pytest.raises(GuardFailed) as exc:
        lifecycle.check_can_merge(item(status), item(Status.NEW, pk=2, number=2))
    assert exc.value.code == "cannot_merge"


def test_edit_refuses_merged_items_only():
    for status in (Status.NEW, Status.TRIAGED, Status.LINKED, Status.DECLINED):
        lifecycle.check_can_edit(item(status))
    with pytest.raises(GuardFailed) as exc:
        lifecycle.check_can_edit(item(Status.MERGED, merged_into=item(pk=2, number=2)))
    assert exc.value.code == "item_merged"


def test_actions_for_each_status():
    assert lifecycle.actions_for(Status.NEW) == ["triage", "decline", "merge"]
    assert lifecycle.actions_for(Status.TRIAGED) == ["decline", "merge"]
    assert lifecycle.actions_for(Status.DECLINED) == ["reopen"]
    assert lifecycle.actions_for(Status.LINKED) == []
    assert lifecycle.actions_for(Status.MERGED) == []
