"""pool.selectors: visibility, every filter of the shared PoolItemFilters, status counts,
voices, and query counts that do not grow with the rows (no N+1)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from pmloop.accounts.roles import Role
from pmloop.core.actor import Actor
from pmloop.core.errors import NotFound, PermissionDenied
from pmloop.pool import selectors, services
from pmloop.pool.models import PoolItem
from pmloop.pool.schemas import PoolItemFilters

pytestmark = pytest.mark.django_db


@pytest.fixture
def pool(world, file_item, member, actor_for):
    sales = member(Role.SALES, "sales1")
    bank, shop = world.customers["bank"], world.customers["shop"]
    items = {
        "read": file_item("希望群公告支持已读回执。", customer_id=bank.pk, module_id=world.modules["群公告"].pk,
                          importance="critical", tags="群公告,回执"),
        "push": file_item("iOS push arrives late", actor=actor_for(sales), customer_id=shop.pk, tags="push"),
        "big": file_item("群聊人数上限提高到一万人", customer_id=bank.pk, importance="high", source="survey"),
        "dup": file_item("群聊要支持 10000 人", customer_id=shop.pk),
    }  # fmt: skip
    services.triage_item(actor=world.po, item_id=items["push"].pk, module_id=world.modules["推送"].pk)
    services.merge_item(actor=world.po, item_id=items["dup"].pk, target_id=items["big"].pk)
    for key in items:
        items[key].refresh_from_db()
    return {"items": items, "sales": sales}


def keys(qs) -> list[str]:
    return [f"P{i.number}" for i in qs]


def ls(actor, **kw) -> list[str]:
    return keys(selectors.list_items(actor=actor, filters=PoolItemFilters(**kw)))


def test_visibility(pool, world, actor_for, outsider, member):
    with pytest.raises(PermissionDenied):
        selectors.list_items(actor=Actor(user=None))
    assert ls(actor_for(outsider)) == []
    with pytest.raises(NotFound):
        selectors.get_item(actor=actor_for(outsider), item_id=pool["items"]["read"].pk)
    with pytest.raises(NotFound):
        selectors.voices_of(actor=actor_for(outsider), item=pool["items"]["read"])
    assert ls(actor_for(member(Role.VIEWER))) == ["P4", "P3", "P2", "P1"]


def test_filters(pool, world):
    po, m, c = world.po, world.modules, world.customers
    assert ls(po, status=["new"]) == ["P3", "P1"]
    assert ls(po, status=["new", "triaged"]) == ["P3", "P2", "P1"]
    assert ls(po, source="survey") == ["P3"]
    assert ls(po, customer=c["bank"].pk) == ["P3", "P1"]
    assert ls(po, module=m["推送"].pk) == ["P2"]
    assert ls(po, importance="critical") == ["P1"]
    assert ls(po, tag="群公告") == ["P1"]
    assert ls(po, tag="#PUSH") == ["P2"]
    assert ls(po, tag="群") == []  # whole tags only
    assert ls(po, reporter=pool["sales"].pk) == ["P2"]
    assert ls(po, product=world.product.pk, sort="-voices") == ["P3", "P4", "P2", "P1"]
    assert ls(po, sort="-importance") == ["P1", "P3", "P4", "P2"]
    assert ls(po, sort="created") == ["P1", "P2", "P3", "P4"]
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    assert ls(po, created_since=tomorrow) == []
    assert ls(po, created_until=tomorrow) == ["P4", "P3", "P2", "P1"]


def test_naive_dates_from_a_form_work(pool, world):
    today = timezone.localdate()
    assert len(ls(world.po, created_since=datetime.datetime.combine(today, datetime.time.min))) == 4


def test_text_search_chinese_english_and_numbers(pool, world):
    po = world.po
    assert ls(po, q="已读回执") == ["P1"]
    assert ls(po, q="push") == ["P2"]
    assert ls(po, q="一万人") == ["P3"]
    assert ls(po, q="P2") == ["P2"]
    assert ls(po, q="IMSDK-P3") == ["P3"]
    assert ls(po, q="4") == ["P4"]
    assert ls(po, q="10000") == ["P4"]  # a number that is not an item's is searched as a word


def test_status_counts_ignore_the_status_filter(pool, world):
    counts = selectors.status_counts(actor=world.po, filters=PoolItemFilters(status=["new"]))
    assert counts == {"new": 2, "triaged": 1, "linked": 0, "merged": 1, "declined": 0}
    counts = selectors.status_counts(
        actor=world.po, filters=PoolItemFilters(customer=world.customers["bank"].pk)
    )
    assert counts["new"] == 2 and sum(counts.values()) == 2


def test_voices_and_customer_lists(pool, world):
    big = pool["items"]["big"]
    voices = selectors.voices_of(actor=world.po, item=big)
    assert (voices.total, [m.number for m in voices.merged]) == (2, [4])
    assert [c.name for c in voices.customers] == ["招商银行", "Shopline"]
    asked = selectors.list_for_customer(actor=world.po, customer_id=world.customers["shop"].pk)
    assert keys(asked) == ["P4", "P2"] and asked[0].merged_into.key == "IMSDK-P3"
    counts = selectors.counts_by_customer(
        actor=world.po, customer_ids=[c.pk for c in world.customers.values()]
    )
    assert counts[world.customers["bank"].pk] == {"items": 2, "open": 2}
    assert counts[world.customers["shop"].pk] == {"items": 2, "open": 1}


def test_resolve_module(world):
    po, pid = world.po, world.product.pk
    assert selectors.resolve_module(actor=po, product_id=pid, ref="群聊/群公告") == world.modules["群公告"].pk
    assert selectors.resolve_module(actor=po, product_id=pid, ref="群公告") == world.modules["群公告"].pk
    assert selectors.resolve_module(actor=po, product_id=pid, ref="推送") == world.modules["推送"].pk
    with pytest.raises(Exception, match="no module"):
        selectors.resolve_module(actor=po, product_id=pid, ref="nope")


def test_list_and_counts_do_not_grow_with_rows(world, file_item, django_assert_max_num_queries):
    for i in range(30):
        file_item(f"item {i}", customer_id=world.customers["bank"].pk, module_id=world.modules["推送"].pk)
    actor = Actor(user=world.po.user)
    filters = PoolItemFilters(q="item", status=["new"], tag=None)
    with django_assert_max_num_queries(4):  # roles, list, counts
        rows = list(selectors.list_items(actor=actor, filters=filters))
        for r in rows:  # everything a row shows is loaded already
            assert all((r.key, r.source.label, r.customer.name, r.module.name, r.reporter.username))
        selectors.status_counts(actor=actor, filters=filters)
    assert len(rows) == 30


def test_voices_of_is_two_queries(world, file_item, django_assert_max_num_queries):
    target = file_item("target")
    for i in range(15):
        it = file_item(f"dup {i}", customer_id=world.customers["shop"].pk)
        services.merge_item(actor=world.po, item_id=it.pk, target_id=target.pk)
    target = PoolItem.objects.get(pk=target.pk)
    actor = Actor(user=world.po.user)
    with django_assert_max_num_queries(2):
        voices = selectors.voices_of(actor=actor, item=target)
        assert [m.key for m in voices.merged] and [c.name for c in voices.customers] == ["Shopline"]
    assert voices.total == 16
