"""search() and matching_ids(): what is found, in which order, for whom, in how many queries."""

import pytest
from django.db import connection

from pmloop.core import text
from pmloop.products.models import Product
from pmloop.search import selectors
from pmloop.search.models import SearchDocument

pytestmark = pytest.mark.django_db

R = "requirement"


def test_finds_two_character_chinese_word(product, index, found):
    index(1, product, "需要按角色配置群组的权限")
    index(2, product, "消息撤回功能")
    assert found("权限") == [(R, 1)]
    assert found("群组") == [(R, 1)]
    assert found("角色 权限") == [(R, 1)]


def test_finds_a_word_jieba_cut_across(product, index, found):
    # jieba cuts 群组成员上限 as 群 / 组成员 / 上限; the stored pairs still hold 群组.
    index(1, product, "群组成员上限 10000 人")
    assert found("群组") == [(R, 1)]
    assert found("群组成员") == [(R, 1)]
    assert found("成员上限") == [(R, 1)]


def test_single_character_finds_texts_containing_it(product, index, found):
    index(1, product, "创建微信群")  # 群 ends the run, inside jieba's word 微信群
    index(2, product, "群组管理")  # 群 starts a word
    index(3, product, "消息撤回")
    assert found("群") == [(R, 1), (R, 2)]


def test_finds_english_word_and_plural(product, index, found):
    index(1, product, "Role based permission for groups")
    index(2, product, "Permissions of an admin")
    index(3, product, "Permit nothing")
    assert found("permission") == [(R, 1), (R, 2)]
    assert found("Permissions") == [(R, 1), (R, 2)]
    assert found("PERMISSION") == [(R, 1), (R, 2)]
    assert found("group") == [(R, 1)]
    assert found("perm") == []  # whole words only, no prefix match for English


def test_mixed_chinese_and_english(product, index, found):
    index(1, product, "支持iOS和Android推送，消息送达率99.9%")
    index(2, product, "iOS 推送证书过期提醒")
    index(3, product, "Android 权限弹窗")
    assert found("iOS推送") == [(R, 1), (R, 2)]
    assert found("android 推送") == [(R, 1)]
    assert found("ANDROID权限") == [(R, 3)]
    assert found("ｉＯＳ") == [(R, 1), (R, 2)]  # full-width query


def test_all_terms_required(product, index, found):
    index(1, product, "权限 permission")
    index(2, product, "权限")
    index(3, product, "permission")
    assert found("权限 permission") == [(R, 1)]
    assert found("权限 nonexistent") == []


def test_title_is_searched_and_counts_more(product, index):
    index(1, product, "用户可以查看报表，导出报表，订阅报表，也涉及权限。" * 3, title="报表订阅")
    index(2, product, "按部门配置访问范围。", title="权限配置")
    hits = selectors.search(q="权限", product_ids=None)
    assert [h.object_id for h in hits] == [2, 1]
    assert hits[0].title == "权限配置" and hits[0].score > hits[1].score


def test_ranking_prefers_more_occurrences_in_shorter_text(product, index):
    filler = "与本需求无关的说明文字，介绍背景和上下文。" * 20
    index(1, product, filler + "权限")
    index(2, product, "权限模型：角色权限、数据权限、字段权限")
    index(3, product, "Role permission matrix, permission inheritance")
    index(4, product, filler + " permission " + filler)
    assert [h.object_id for h in selectors.search(q="权限", product_ids=None)] == [2, 1]
    assert [h.object_id for h in selectors.search(q="permission", product_ids=None)] == [3, 4]


def test_product_filtering(product, other_product, index, found):
    index(1, product, "权限")
    index(2, other_product, "权限")
    assert found("权限", product_ids={product.pk}) == [(R, 1)]
    assert found("权限", product_ids={other_product.pk}) == [(R, 2)]
    assert found("权限", product_ids=[product.pk, other_product.pk]) == [(R, 1), (R, 2)]
    assert found("权限", product_ids=None) == [(R, 1), (R, 2)]  # site admin
    assert found("权限", product_ids={999_999}) == []


def test_no_products_means_nothing_and_no_query(product, index, django_assert_num_queries):
    index(1, product, "权限")
    with django_assert_num_queries(0):
        assert selectors.search(q="权限", product_ids=set()) == []
        assert selectors.search(q="权限", product_ids=None, kinds=[]) == []
        assert (
            list(Product.objects.filter(pk__in=selectors.matching_ids(kind=R, q="权限", product_ids=set())))
            == []
        )


def test_kinds_filter(product, index, found):
    index(1, product, "权限", kind="requirement")
    index(1, product, "权限", kind="pool_item")
    assert found("权限") == [("pool_item", 1), (R, 1)]
    assert found("权限", kinds=["pool_item"]) == [("pool_item", 1)]
    assert found("权限", kinds=["requirement", "pool_item"]) == [("pool_item", 1), (R, 1)]


def test_limit_and_offset(product, index):
    for i in range(1, 8):
        index(i, product, "权限 " * i)  # more occurrences rank higher
    first = selectors.search(q="权限", product_ids=None, limit=3)
    rest = selectors.search(q="权限", product_ids=None, limit=3, offset=3)
    everything = selectors.search(q="权限", product_ids=None, limit=100)
    assert len(first) == 3 and len(everything) == 7
    assert [h.object_id for h in first + rest] == [h.object_id for h in everything[:6]]
    assert selectors.search(q="权限", product_ids=None, limit=0) == []
    assert len(selectors.search(q="权限", product_ids=None, limit=10**9)) == 7  # capped, not an error


HOSTILE_DOCS = {
    1: "权限",
    2: "permission",
    3: "权限 permission",
    4: "群组 near or not",
    5: "search tokens drop table",
}


def _oracle(q: str) -> set[int]:
    """The meaning of a query, computed without the database: every term of it, each as a
    whole stored term (a single CJK character: as a prefix)."""
    terms = text.query_tokens(q)
    if not terms:
        return set()
    out = set()
    for object_id, body in HOSTILE_DOCS.items():
        stored = set(text.index_terms(body))
        if all(
            any(s.startswith(t) for s in stored) if len(t) == 1 and text.is_cjk(t) else t in stored
            for t in terms
        ):
            out.add(object_id)
    return out


@pytest.mark.parametrize(
    "q",
    [
        "",
        "   ",
        "，。！？",
        "的",
        "*",
        '"',
        '""',
        "'",
        "(((",
        ")",
        "权限*",
        '" OR * NEAR(',
        "NEAR(权限 群组, 1)",
        "权限 OR 群组",
        "权限 | 群组",
        "权限 & !群组",
        "!权限",
        "-权限",
        "^权限",
        "权限:*",
        "tokens:权限",
        "search_fts:权限",
        "{tokens}:权限",
        '权限" OR "permission',
        "权限' | 'permission",
        "'; DROP TABLE search_searchdocument; --",
        "\\",
        "\x00权限",
        "权限\u200b",
        "权限" * 50_000,
        "permission " * 50_000,
        "x" * 100_000,
        "near",
        "or",
        "not 群组",
        "drop table",
        "群",
        "组",
        "permission 权限 群组",
    ],
)
def test_hostile_queries_neither_raise_nor_match_wrongly(product, index, q):
    for object_id, body in HOSTILE_DOCS.items():
        index(object_id, product, body)
    hits = {h.object_id for h in selectors.search(q=q, product_ids=None)}
    via_subquery = {r["object_id"] for r in selectors.matching_ids(kind=R, q=q, product_ids=None)}
    assert hits == via_subquery == _oracle(q), q
    assert SearchDocument.objects.count() == len(HOSTILE_DOCS)  # the table is still there


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("权限*", {1, 3}),
        ("!权限", {1, 3}),
        ("-权限", {1, 3}),
        ("权限:*", {1, 3}),
        ("tokens:权限", set()),  # "token" (stemmed) and 权限: no document has both
        ('权限" OR "permission', {3}),  # both words, "or" dropped as a stopword
        ("权限' | 'permission", {3}),
        ("权限 & !permission", {3}),  # no negation: both words
        ("NEAR(权限 群组, 1)", set()),
        ('" OR * NEAR(', {4}),  # the plain word "near"
        ("'; DROP TABLE search_searchdocument; --", set()),  # needs "searchdocument" too
        ("drop table", {5}),
        ("\x00权限", {1, 3}),
        ("权限" * 50_000, {1, 3}),
        ("permission " * 50_000, {2, 3}),
        ("x" * 100_000, set()),
    ],
)
def test_hostile_queries_mean_their_words(product, index, q, expected):
    for object_id, body in HOSTILE_DOCS.items():
        index(object_id, product, body)
    assert {h.object_id for h in selectors.search(q=q, product_ids=None)} == expected


def test_or_is_not_an_operator(product, index, found):
    index(1, product, "权限")
    index(2, product, "群组")
    assert found("权限 OR 群组") == []  # both words required; "or" is a stopword
    assert found("权限 | 群组") == []
    assert found("NEAR(权限 群组, 1)") == []  # needs "near" too


def test_matching_ids_combines_with_other_filters_in_one_query(
    product, other_product, index, django_assert_num_queries
):
    index(product.pk, product, "权限 permission", kind="product")
    index(other_product.pk, other_product, "权限", kind="product")
    Product.objects.filter(pk=other_product.pk).update(archived=True)
    with django_assert_num_queries(1) as ctx:
        rows = list(
            Product.objects.filter(
                pk__in=selectors.matching_ids(kind="product", q="权限", product_ids=None), archived=False
            ).values_list("code", flat=True)
        )
    assert rows == ["IMSDK"]
    sql = ctx.captured_queries[0]["sql"]
    assert "search_searchdocument" in sql and "products_product" in sql
    with django_assert_num_queries(1):
        assert set(
            Product.objects.filter(
                pk__in=selectors.matching_ids(kind="product", q="权限", product_ids={other_product.pk})
            ).values_list("code", flat=True)
        ) == {"OTHER"}
    with django_assert_num_queries(1):
        assert not Product.objects.filter(
            pk__in=selectors.matching_ids(kind="product", q="权限 permission", product_ids={other_product.pk})
        ).exists()
    with django_assert_num_queries(0):  # nothing searchable: Django skips the query
        assert (
            list(
                Product.objects.filter(
                    pk__in=selectors.matching_ids(kind="product", q="，", product_ids=None)
                )
            )
            == []
        )


def test_matching_ids_respects_kind(product, index):
    index(product.pk, product, "权限", kind="pool_item")
    assert not Product.objects.filter(
        pk__in=selectors.matching_ids(kind="product", q="权限", product_ids=None)
    ).exists()


def test_search_is_one_query(product, index, django_assert_num_queries):
    for i in range(20):
        index(i, product, f"权限 第{i}条")
    with django_assert_num_queries(1):
        assert len(selectors.search(q="权限", product_ids={product.pk})) == 20


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only: GIN index use")
def test_postgres_queries_use_the_gin_index(product, other_product):
    """Queries must name the indexed ``tsv`` column, or PostgreSQL scans every row."""
    from pmloop.search import fulltext, services

    services.bulk_index(
        services.Doc(
            R, i, product.pk, "", f"第{i}条 说明 {'权限 permission' if i % 100 == 0 else '其他内容'}"
        )
        for i in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE search_searchdocument")
        # At this size a full scan can be cheaper; the test is that the index *can* serve the
        # text condition. bench/search_bench.py records the plans chosen at 100k documents.
        cursor.execute("SET LOCAL enable_seqscan = off")
    for q in ("权限", "permission 权限", "群"):
        plan = selectors.matching_documents(q=q, product_ids=None).explain()
        assert "search_doc_tsv_gin" in plan, plan
        subquery = str(
            Product.objects.filter(pk__in=selectors.matching_ids(kind=R, q=q, product_ids={product.pk})).query
        )
        assert 'U0."tsv" @@ to_tsquery' in subquery, subquery
        sql, params = fulltext.ranked_sql(
            "postgresql", terms=text.query_tokens(q), product_ids=None, kinds=None, limit=50, offset=0
        )
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(r[0] for r in cursor.fetchall())
        assert "search_doc_tsv_gin" in plan, plan
