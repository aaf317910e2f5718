import random

import pytest

from pmloop.bench.generate import Text, seed

pytestmark = pytest.mark.django_db(transaction=True)


def test_seed_fills_the_tables_and_search_finds_chinese_and_english():
    from pmloop.pool.models import PoolItem
    from pmloop.requirements.models import Requirement
    from pmloop.search.selectors import matching_ids

    res = seed(requirements=60, pool=120, seed=7)
    assert Requirement.objects.count() == 60 and PoolItem.objects.count() == 120
    assert set(Requirement.objects.values_list("status", flat=True)) >= {"draft", "active", "closed"}
    ids = [p["id"] for p in res.products]
    found = {
        d["object_id"]
        for d in matching_ids(kind="requirement", q="权限", product_ids=ids).values("object_id")
    }
    expected = {r.pk for r in Requirement.objects.all() if "权限" in r.title + str(r.spec)}
    assert found == expected and found
    assert matching_ids(kind="pool_item", q="export", product_ids=ids).exists()
    from pmloop.audit.selectors import verify_chain

    assert verify_chain().ok  # what went through the services is logged and chains
    assert res.token.startswith("pml_")


def test_same_seed_same_text():
    assert [Text(random.Random(1), 50).title() for _ in range(3)] == [
        Text(random.Random(1), 50).title() for _ in range(3)
    ]
