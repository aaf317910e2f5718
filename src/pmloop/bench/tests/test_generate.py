import random

import pytest
from django.db import connection, transaction

from pmloop.bench.generate import BENCH_PASSWORD, Index, Text, seed

pytestmark = pytest.mark.django_db(transaction=True)


def _search_schema() -> list:
    """The full-text machinery the generator takes down and puts back during a seed."""
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("SELECT name, sql FROM sqlite_master WHERE name LIKE 'search%' ORDER BY name")
        else:
            cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'search_searchdocument' "
                        "ORDER BY indexname")  # fmt: skip
        return cur.fetchall()


def test_seed_fills_the_tables_and_search_finds_chinese_and_english():
    from pmloop.audit.selectors import verify_chain
    from pmloop.pool.models import PoolItem, PoolLink
    from pmloop.requirements.models import Requirement, RequirementVersion
    from pmloop.reviews.models import ReviewRound
    from pmloop.search import services as search_services
    from pmloop.search.models import SearchDocument
    from pmloop.search.selectors import matching_ids

    schema = _search_schema()
    res = seed(requirements=300, pool=400, seed=7)
    assert Requirement.objects.count() == 300 and PoolItem.objects.count() == 400
    assert set(Requirement.objects.values_list("status", flat=True)) == {
        "draft", "reviewing", "active", "changing", "closed"
    }  # fmt: skip
    assert (
        RequirementVersion.objects.count() > 300
        and ReviewRound.objects.exists()
        and PoolLink.objects.exists()
    )
    assert set(PoolItem.objects.values_list("status", flat=True)) == {"new", "triaged", "linked", "declined"}
    # Figures: what was counted is what is there.
    counted = (
        res.rows["requirements"] + res.rows["pool_items"] + res.rows["plans_releases"] + res.rows["customers"]
    )
    assert SearchDocument.objects.count() == 700 and counted > 700 * 3
    # The full-text structure is back exactly as the migrations made it, and agrees with the rows.
    assert _search_schema() == schema
    search_services.check_index()
    ids = [p["id"] for p in res.products]
    found = {
        d["object_id"]
        for d in matching_ids(kind="requirement", q="权限", product_ids=ids).values("object_id")
    }
    expected = {r.pk for r in Requirement.objects.all() if "权限" in r.title + str(r.spec)}
    assert found == expected and found
    # Lists read object ids from the index rowids: the seeded ids must encode them too.
    from pmloop.search.selectors import text_matches

    assert set(Requirement.objects.filter(text_matches(kind="requirement", q="权限"))
               .values_list("pk", flat=True)) == expected  # fmt: skip
    assert matching_ids(kind="pool_item", q="export", product_ids=ids).exists()
    key = PoolItem.objects.select_related("product").order_by("pk")[5]
    hits = matching_ids(kind="pool_item", q=f"{key.product.code}-P{key.number}", product_ids=ids)
    assert key.pk in set(hits.values_list("object_id", flat=True))
    # Planted near-duplicates: items whose text starts like an earlier one's but differs.
    texts = list(PoolItem.objects.order_by("pk").values_list("text", flat=True))
    heads = {t[:12] for t in texts[:200]}
    assert any(t[:12] in heads and t not in texts[:200] for t in texts[200:])
    assert verify_chain().ok  # what went through the services is logged and chains
    assert res.token.startswith("pml_")


def test_people_share_one_hash_and_can_log_in():
    from django.contrib.auth import authenticate

    from pmloop.accounts.models import User

    seed(requirements=5, pool=5, seed=3)
    assert (
        User.objects.filter(username__in=["bench", "user00", "user19"]).values("password").distinct().count()
        == 1
    )
    assert authenticate(username="user07", password=BENCH_PASSWORD) is not None
    assert authenticate(username="bench", password=BENCH_PASSWORD) is not None
    assert authenticate(username="user07", password="wrong") is None


def _fingerprint() -> list:
    """The generated rows, naming people by user name (ids of rows made through the services
    come from sequences, which a rolled-back transaction does not rewind on PostgreSQL)."""
    from pmloop.customers.models import Customer
    from pmloop.plans.models import ReleaseItem
    from pmloop.pool.models import PoolItem, PoolLink
    from pmloop.requirements.models import ChangeRequest, Requirement
    from pmloop.reviews.models import ReviewVote
    from pmloop.search.models import SearchDocument

    return [
        list(
            Requirement.objects.order_by("pk").values_list("pk", "number", "title", "status", "stage", "spec")
        ),
        list(
            PoolItem.objects.order_by("pk").values_list(
                "pk", "title", "text", "status", "tags", "customer_id"
            )
        ),
        list(PoolLink.objects.order_by("pk").values_list("item_id", "requirement_id")),
        list(ChangeRequest.objects.order_by("pk").values_list("requirement_id", "reason", "status")),
        list(ReviewVote.objects.order_by("pk").values_list("round_id", "reviewer__username", "verdict")),
        list(ReleaseItem.objects.order_by("pk").values_list("requirement_id", "snapshot")),
        list(Customer.objects.order_by("pk").values_list("name", "tier", "weight")),
        list(SearchDocument.objects.order_by("pk").values_list("kind", "object_id", "tokens")),
    ]


def _seed_and_roll_back(s: int) -> list:
    with transaction.atomic():
        seed(requirements=80, pool=120, seed=s)
        got = _fingerprint()
        transaction.set_rollback(True)
    return got


def test_same_seed_same_data():
    first = _seed_and_roll_back(11)
    assert first[0] and first[1]
    assert _seed_and_roll_back(11) == first
    assert _seed_and_roll_back(12) != first


def test_pool_key_terms_equal_what_search_stores():
    from pmloop.bench import data as words
    from pmloop.core.text import index_string

    index = Index(now=None)
    for code, _name, _top in words.PRODUCTS:
        for number in (1, 42, 999_999):
            assert index.pool_key(code, number) == index_string(f"{code}-P{number}")


def test_exact_index_goes_through_search():
    from pmloop.search import services as search_services
    from pmloop.search.models import SearchDocument

    seed(requirements=10, pool=10, seed=5, exact_index=True)
    assert SearchDocument.objects.count() == 20
    search_services.check_index()


def test_same_seed_same_text():
    assert [Text(random.Random(1), 50).title() for _ in range(3)] == [
        Text(random.Random(1), 50).title() for _ in range(3)
    ]
