"""count_matches(): how many documents of one kind match, read from the index alone, capped."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pmloop.search import selectors

pytestmark = pytest.mark.django_db

R, P = "requirement", "pool_item"


@pytest.fixture
def corpus(product, other_product, index):
    for i in range(1, 8):
        index(i, product, f"按角色配置权限 {i}")
    index(8, product, "消息撤回")
    index(9, other_product, "数据权限 permission")
    index(10, other_product, "权限")
    index(1, product, "权限 from a customer", kind=P)
    index(2, product, "导出 export", kind=P)


def test_counts_the_documents_of_the_kind_that_match(corpus):
    assert selectors.count_matches(kind=R, q="权限", product_ids=None, limit=100) == 9
    assert selectors.count_matches(kind=P, q="权限", product_ids=None, limit=100) == 1
    assert selectors.count_matches(kind=P, q="export", product_ids=None, limit=100) == 1
    assert selectors.count_matches(kind=R, q="权限 permission", product_ids=None, limit=100) == 1
    assert selectors.count_matches(kind=R, q="不存在的词", product_ids=None, limit=100) == 0


def test_counts_only_within_the_products(corpus, product, other_product):
    assert selectors.count_matches(kind=R, q="权限", product_ids=[product.pk], limit=100) == 7
    assert selectors.count_matches(kind=R, q="权限", product_ids=[other_product.pk], limit=100) == 2
    assert (
        selectors.count_matches(kind=R, q="权限", product_ids=[product.pk, other_product.pk], limit=100) == 9
    )


def test_stops_at_the_limit(corpus):
    assert selectors.count_matches(kind=R, q="权限", product_ids=None, limit=4) == 4
    assert selectors.count_matches(kind=R, q="权限", product_ids=None, limit=9) == 9


def test_counts_what_search_finds(corpus, product):
    """The same terms, prefixes and product scope as search(): the two never disagree."""
    for q in ["权限", "权", "角色 权限", "permission", "导出"]:
        for ids in [None, [product.pk]]:
            hits = selectors.search(q=q, product_ids=ids, kinds=[R], limit=500)
            assert selectors.count_matches(kind=R, q=q, product_ids=ids, limit=500) == len(hits), (q, ids)


@pytest.mark.parametrize("q", ["", "   ", "的", "!!!"])
def test_no_searchable_term_counts_nothing_without_a_query(corpus, q, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert selectors.count_matches(kind=R, q=q, product_ids=None, limit=100) == 0


def test_no_products_counts_nothing_without_a_query(corpus, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert selectors.count_matches(kind=R, q="权限", product_ids=[], limit=100) == 0


def test_one_query_that_reads_only_the_index(corpus, product):
    with CaptureQueriesContext(connection) as ctx:
        selectors.count_matches(kind=R, q="权限", product_ids=[product.pk], limit=100)
    assert len(ctx.captured_queries) == 1
    assert "requirements_requirement" not in ctx.captured_queries[0]["sql"]


def test_unknown_kind_is_refused(corpus):
    with pytest.raises(ValueError, match="unknown search kind"):
        selectors.count_matches(kind="nonsense", q="权限", product_ids=None, limit=100)
