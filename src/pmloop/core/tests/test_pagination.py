"""Pages, and the capped count of text searches."""

import pytest

from pmloop.core import pagination
from pmloop.core.errors import InvalidInput
from pmloop.core.pagination import count_limit_for, paginate

pytestmark = pytest.mark.django_db


def _products(owner, actor_for, n):
    from pmloop.products import services
    from pmloop.products.models import Product

    for i in range(n):
        services.create_product(actor=actor_for(owner), code=f"P{i}", name=f"产品 {i}")
    return Product.objects.order_by("id")


def test_exact_count_without_a_limit(owner, actor_for):
    page = paginate(_products(owner, actor_for, 5), page=2, page_size=2)
    assert (page.count, page.pages, page.count_capped, page.count_label) == (5, 3, False, "5")
    assert [p.code for p in page.items] == ["P2", "P3"]


def test_count_stops_at_the_limit_and_says_so(owner, actor_for, django_assert_num_queries):
    qs = _products(owner, actor_for, 5)
    with django_assert_num_queries(2):  # the capped count and the page
        page = paginate(qs, page=1, page_size=2, count_limit=3)
    assert (page.count, page.count_capped, page.count_label, page.pages) == (3, True, "3+", 2)
    exact = paginate(qs, page=1, page_size=2, count_limit=5)
    assert (exact.count, exact.count_capped) == (5, False)
    assert paginate(qs, page=3, page_size=2, count_limit=3).items == []  # pages end at the limit


@pytest.mark.parametrize("count_limit", [None, 10])
def test_a_known_total_is_not_counted_again(owner, actor_for, django_assert_num_queries, count_limit):
    qs = _products(owner, actor_for, 5)
    with django_assert_num_queries(1):  # the page only
        page = paginate(qs, page=2, page_size=2, count_limit=count_limit, total=5)
    assert (page.count, page.count_capped, [p.code for p in page.items]) == (5, False, ["P2", "P3"])


def test_a_known_total_is_capped_like_a_count(owner, actor_for):
    page = paginate(_products(owner, actor_for, 5), page=1, page_size=2, count_limit=3, total=5)
    assert (page.count, page.count_capped, page.count_label) == (3, True, "3+")


def test_statuses_total_sums_the_tabs_shown():
    counts = {"draft": 2, "active": 5, "closed": 1}
    assert pagination.statuses_total(counts, ["draft", "closed", "gone"]) == 3
    assert pagination.statuses_total(counts, []) == 8


def test_count_limit_applies_to_text_searches_only():
    assert count_limit_for("权限") == pagination.SEARCH_COUNT_LIMIT
    assert count_limit_for("  ") is None
    assert count_limit_for(None) is None


def test_bad_page_is_refused():
    with pytest.raises(InvalidInput):
        paginate([], page=0)
    with pytest.raises(InvalidInput):
        paginate([], page_size=201)


def test_api_search_reports_a_capped_count(owner, product, actor_for, token_client, monkeypatch):
    from pmloop.requirements import services

    for i in range(4):
        services.create_requirement(actor=actor_for(owner), product_id=product.pk, title=f"群组权限 {i}")
    monkeypatch.setattr(pagination, "SEARCH_COUNT_LIMIT", 3)
    client, _token = token_client(owner)
    body = client.get(f"/api/v1/requirements?product_id={product.pk}&q=权限").json()
    assert (body["count"], body["count_capped"], len(body["items"])) == (3, True, 3)
    body = client.get(f"/api/v1/requirements?product_id={product.pk}").json()
    assert (body["count"], body["count_capped"]) == (4, False)
