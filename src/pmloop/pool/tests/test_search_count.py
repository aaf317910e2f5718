"""The count of a pool search: from the search index when only the words and the product narrow
the list, through the list's own rows otherwise; the same number either way."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pmloop.core import pagination
from pmloop.pool import selectors, services
from pmloop.pool.schemas import PoolItemFilters

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(owner, product, other_product, actor_for):
    a = actor_for(owner)
    made = [
        services.create_item(actor=a, product_id=product.pk, text=text, importance=imp)
        for text, imp in [("希望支持按部门配置权限", "high"), ("权限太粗了 export", "medium"),
                          ("消息撤回时间太短", "medium"), ("Export logs please", "low")]
    ]  # fmt: skip
    other = other_product.memberships.first().user
    services.create_item(actor=actor_for(other), product_id=other_product.pk, text="我们也要权限")
    return made


def _page(actor, filters):
    with CaptureQueriesContext(connection) as ctx:
        page = selectors.list_page(actor=actor, filters=filters)
    (sql,) = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT COUNT(")]
    return page, sql


FILTERS = [
    {"q": "权限"},
    {"q": "export"},
    {"q": "权限", "importance": "high"},
    {"q": "权限", "status": ["declined"]},
    {"q": "P2"},
    {"q": "3"},
    {"q": "权限", "sort": "-voices"},
]


@pytest.mark.parametrize("data", FILTERS, ids=[str(f) for f in FILTERS])
def test_the_count_is_the_number_of_rows_the_list_holds(items, owner, product, actor_for, data):
    actor = actor_for(owner)
    for filters in [
        PoolItemFilters(page_size=1, **data),
        PoolItemFilters(page_size=1, product=product.pk, **data),
    ]:
        rows = list(selectors.list_items(actor=actor, filters=filters))
        page, _sql = _page(actor, filters)
        assert page.count == len(rows) and not page.count_capped, filters
        assert [i.pk for i in page.items] == [i.pk for i in rows[:1]]


def test_words_alone_are_counted_on_the_index(items, owner, product, actor_for):
    for filters in [PoolItemFilters(q="权限"), PoolItemFilters(q="权限", product=product.pk, page=2)]:
        page, sql = _page(actor_for(owner), filters)
        assert page.count == 2 and "pool_poolitem" not in sql and "search_" in sql


@pytest.mark.parametrize(
    "data", [{"q": "权限", "importance": "high"}, {"q": "P2"}, {"q": "3"}, {"q": "权限", "tag": ""}]
)
def test_other_filters_and_numbers_count_the_list_rows(items, owner, actor_for, data):
    _unused, sql = _page(actor_for(owner), PoolItemFilters(**data))
    assert "pool_poolitem" in sql


def test_the_index_count_sees_only_the_actors_products(items, owner, product, other_product, actor_for):
    other = actor_for(other_product.memberships.first().user)
    page, sql = _page(other, PoolItemFilters(q="权限"))
    assert (page.count, [i.text for i in page.items]) == (1, ["我们也要权限"]) and "pool_poolitem" not in sql
    assert (
        selectors.search_counter(actor=other, filters=PoolItemFilters(q="权限", product=product.pk))(100) == 0
    )


def test_the_index_count_is_capped(items, owner, actor_for, monkeypatch):
    monkeypatch.setattr(pagination, "SEARCH_COUNT_LIMIT", 1)
    page, sql = _page(actor_for(owner), PoolItemFilters(q="权限"))
    assert (page.count, page.count_capped) == (1, True) and "pool_poolitem" not in sql


@pytest.mark.parametrize("data", [*FILTERS, {}, {"status": ["new", "declined"]}], ids=str)
def test_the_list_page_counts_its_rows_from_its_tabs(items, owner, product, actor_for, data):
    """The pool page's count is the sum of its statuses' tabs: the same rows, one query fewer."""
    actor = actor_for(owner)
    filters = PoolItemFilters(page_size=1, product=product.pk, **data)
    rows = list(selectors.list_items(actor=actor, filters=filters))
    with CaptureQueriesContext(connection) as ctx:
        page, counts = selectors.list_page_with_tabs(actor=actor, filters=filters)
    assert (page.count, page.count_capped) == (len(rows), False)
    assert [i.pk for i in page.items] == [i.pk for i in rows[:1]]
    assert counts == selectors.status_counts(actor=actor, filters=filters)
    assert not [q for q in ctx.captured_queries if q["sql"].startswith("SELECT COUNT(")]
    assert len(ctx.captured_queries) == (
        2 if rows else 1
    )  # the tabs and the page (none when nothing matches)


def test_the_tabs_count_is_capped_for_a_search_like_any_list(items, owner, product, actor_for, monkeypatch):
    monkeypatch.setattr(selectors, "count_limit_for", lambda q: 1 if q else None)
    page, _counts = selectors.list_page_with_tabs(
        actor=actor_for(owner), filters=PoolItemFilters(q="权限", product=product.pk, page_size=1)
    )
    assert (page.count, page.count_capped) == (1, True)
