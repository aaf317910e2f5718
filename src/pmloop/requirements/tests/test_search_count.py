"""The count of a requirement search: from the search index when only the words and the product
narrow the list, through the list's own rows otherwise; the same number either way."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pmloop.core import pagination
from pmloop.requirements import selectors, services
from pmloop.requirements.selectors import RequirementQuery

pytestmark = pytest.mark.django_db


@pytest.fixture
def reqs(owner, product, other_product, actor_for):
    a = actor_for(owner)
    made = [
        services.create_requirement(actor=a, product_id=product.pk, title=title)
        for title in ["群组权限配置", "数据权限 export", "消息撤回", "权限审计日志", "Export 报表"]
    ]
    other = other_product.memberships.first().user
    services.create_requirement(actor=actor_for(other), product_id=other_product.pk, title="别人的权限需求")
    return made


def _counting(queries) -> str:
    """The one counting statement among a request's queries."""
    (sql,) = [q["sql"] for q in queries if q["sql"].startswith("SELECT COUNT(")]
    return sql


def _count_sql(actor, query):
    with CaptureQueriesContext(connection) as ctx:
        page = selectors.list_page(actor=actor, query=query, page=1, page_size=2)
    return page, _counting(ctx.captured_queries)


QUERIES = [
    RequirementQuery(q="权限"),
    RequirementQuery(q="export"),
    RequirementQuery(q="权限 export"),
    RequirementQuery(q="不存在"),
    RequirementQuery(q="权限", status=["draft"]),
    RequirementQuery(q="权限", status=["closed"]),
    RequirementQuery(q="IMSDK-2"),
    RequirementQuery(q="3"),
    RequirementQuery(q="权限", sort="oldest"),
]


@pytest.mark.parametrize("query", QUERIES, ids=[f"{q.q}-{q.status}-{q.sort}" for q in QUERIES])
def test_the_count_is_the_number_of_rows_the_list_holds(reqs, owner, product, actor_for, query):
    actor = actor_for(owner)
    for scoped in [query, RequirementQuery(**{**query.__dict__, "product_id": product.pk})]:
        rows = list(selectors.list_requirements(actor=actor, query=scoped))
        page, _sql = _count_sql(actor, scoped)
        assert page.count == len(rows) and not page.count_capped, scoped
        assert [r.pk for r in page.items] == [r.pk for r in rows[:2]]


def test_words_alone_are_counted_on_the_index(reqs, owner, product, actor_for):
    actor = actor_for(owner)
    for query in [RequirementQuery(q="权限"), RequirementQuery(q="权限", product_id=product.pk)]:
        page, sql = _count_sql(actor, query)
        assert page.count == 3
        assert "requirements_requirement" not in sql and "search_" in sql


@pytest.mark.parametrize(
    "query",
    [RequirementQuery(q="权限", status=["draft"]), RequirementQuery(q="IMSDK-2"), RequirementQuery(q="3")],
)
def test_other_filters_and_keys_count_the_list_rows(reqs, owner, actor_for, query):
    _page, sql = _count_sql(actor_for(owner), query)
    assert "requirements_requirement" in sql


def test_the_index_count_sees_only_the_actors_products(reqs, owner, product, other_product, actor_for):
    """The owner of the other product sees its one 权限 requirement, not the three of IMSDK."""
    other = actor_for(other_product.memberships.first().user)
    page, sql = _count_sql(other, RequirementQuery(q="权限"))
    assert (page.count, [r.title for r in page.items]) == (1, ["别人的权限需求"])
    assert "requirements_requirement" not in sql
    page, _sql = _count_sql(actor_for(owner), RequirementQuery(q="权限"))
    assert page.count == 3


def test_a_product_the_actor_cannot_see_counts_nothing(reqs, product, other_product, actor_for):
    other = actor_for(other_product.memberships.first().user)
    counter = selectors.search_counter(actor=other, query=RequirementQuery(q="权限", product_id=product.pk))
    assert counter is not None and counter(100) == 0


def test_the_index_count_is_capped(reqs, owner, actor_for, monkeypatch):
    monkeypatch.setattr(pagination, "SEARCH_COUNT_LIMIT", 2)
    page, sql = _count_sql(actor_for(owner), RequirementQuery(q="权限"))
    assert (page.count, page.count_capped, page.count_label, page.pages) == (2, True, "2+", 1)
    assert "requirements_requirement" not in sql


def test_api_list_count_uses_the_same_rule(reqs, owner, product, token_client):
    client, _token = token_client(owner)
    with CaptureQueriesContext(connection) as ctx:
        body = client.get("/api/v1/requirements?q=权限&page_size=1").json()
    assert (body["count"], body["pages"], len(body["items"])) == (3, 3, 1)
    assert "requirements_requirement" not in _counting(ctx.captured_queries)  # counted on the index
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(f"/api/v1/requirements?q=权限&status=draft&product_id={product.pk}").json()
    assert body["count"] == 3
    assert "requirements_requirement" in _counting(ctx.captured_queries)  # a status: the list's rows


TAB_QUERIES = [*QUERIES, RequirementQuery(), RequirementQuery(status=["draft", "closed"])]


@pytest.mark.parametrize("query", TAB_QUERIES, ids=[f"{q.q}-{q.status}-{q.sort}" for q in TAB_QUERIES])
def test_the_list_page_counts_its_rows_from_its_tabs(reqs, owner, product, actor_for, query):
    """The list page's count is the sum of its statuses' tabs: the same rows, one query fewer."""
    actor = actor_for(owner)
    scoped = RequirementQuery(**{**query.__dict__, "product_id": product.pk})
    rows = list(selectors.list_requirements(actor=actor, query=scoped))
    with CaptureQueriesContext(connection) as ctx:
        page, counts = selectors.list_page_with_tabs(actor=actor, query=scoped, page=1, page_size=2)
    assert (page.count, page.count_capped) == (len(rows), False)
    assert [r.pk for r in page.items] == [r.pk for r in rows[:2]]
    assert counts == selectors.status_counts(actor=actor, product_id=product.pk, query=scoped)
    assert not [
        q for q in ctx.captured_queries if q["sql"].startswith("SELECT COUNT(")
    ]  # only the tabs count
    assert len(ctx.captured_queries) <= 3  # tabs, page, reviewers of the page's rows at most


def test_the_tabs_count_is_capped_for_a_search_like_any_list(reqs, owner, product, actor_for, monkeypatch):
    monkeypatch.setattr(selectors, "count_limit_for", lambda q: 2 if q else None)
    page, counts = selectors.list_page_with_tabs(
        actor=actor_for(owner), query=RequirementQuery(q="权限", product_id=product.pk), page=1, page_size=1
    )
    assert (page.count, page.count_capped, page.count_label) == (2, True, "2+") and sum(counts.values()) == 3


def test_the_tabs_need_a_product(reqs, owner, actor_for):
    with pytest.raises(ValueError, match="product_id"):
        selectors.list_page_with_tabs(
            actor=actor_for(owner), query=RequirementQuery(q="权限"), page=1, page_size=2
        )
