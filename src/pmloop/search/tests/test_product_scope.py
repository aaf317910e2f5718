"""The index holds each document's product (migration 0005): a search inside one product's
list reads only that product's matches, and no user word can ever match that scope term."""

import importlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pmloop.products.models import Product
from pmloop.search import selectors, services
from pmloop.search.models import SearchDocument

pytestmark = pytest.mark.django_db

R, P = "requirement", "pool_item"


def _ids(kind: str, q: str, product_id=None) -> set[int]:
    """Object ids whose document of ``kind`` matches ``q`` (products stand in for any model:
    ``text_matches`` filters a queryset whose pk is the object id)."""
    return set(
        Product.objects.filter(selectors.text_matches(kind=kind, q=q, product_id=product_id)).values_list(
            "pk", flat=True
        )
    )


@pytest.fixture
def two_products(product, other_product, index):
    index(product.pk, product, "按角色配置权限", kind=R)
    index(other_product.pk, other_product, "数据权限导出", kind=R)
    index(product.pk, product, "权限 from a pool item", kind=P)  # same object id, other kind
    return product, other_product


def test_scoped_matches_are_the_products_own(two_products):
    product, other = two_products
    assert _ids(R, "权限") == {product.pk, other.pk}
    assert _ids(R, "权限", product.pk) == {product.pk}
    assert _ids(R, "权限", other.pk) == {other.pk}
    assert _ids(R, "导出", product.pk) == set()
    assert _ids(P, "权限", product.pk) == {product.pk}
    assert _ids(P, "权限", other.pk) == set()  # the other product's requirement is not a pool item


def test_scoped_and_unscoped_agree_on_every_query(product, other_product, owner, actor_for, index):
    """For every query, one product's scoped matches are exactly the unscoped matches whose
    document belongs to that product, and count_matches counts them."""
    from pmloop.products import services as products

    texts = ["权限 管理", "权限", "群组 权限 export", "export 导出", "消息撤回", "群发", "p1 p2 #p1 k1"]
    home = {}
    for i, t in enumerate(texts * 2):
        obj = products.create_product(actor=actor_for(owner), code=f"S{i}", name=f"stand-in {i}")
        home[obj.pk] = (product, other_product)[i % 2].pk
        index(obj.pk, home[obj.pk], t, kind=R)
    queries = ["权限", "权", "export", "群", "权限 管理", "p1", "k1", f"p{product.pk}", "#p1", "撤回", "pool"]
    for q in queries:
        everywhere = _ids(R, q)
        for pid in (product.pk, other_product.pk):
            expected = {o for o in everywhere if home[o] == pid}
            assert _ids(R, q, pid) == expected, (q, pid)
            assert selectors.count_matches(kind=R, q=q, product_ids=[pid], limit=100) == len(expected), (
                q,
                pid,
            )
    assert _ids(R, "p1") == {o for o, t in zip(home, texts * 2, strict=True) if "p1" in t}


def test_no_user_word_matches_the_scope_term(two_products):
    """The scope term (SQLite ``p<id>`` in its own column, PostgreSQL ``#p<id>``/``#k<kind>``)
    is never reached by what a user types."""
    product, _other = two_products
    for q in [f"p{product.pk}", f"#p{product.pk}", f"scope:p{product.pk}", "#krequirement", "krequirement",
              f"tokens:p{product.pk}", f"{{scope}}: p{product.pk}"]:  # fmt: skip
        assert _ids(R, q) == set(), q
        assert _ids(R, q, product.pk) == set(), q
        assert selectors.search(q=q, product_ids=None) == [], q


def test_a_document_moved_to_another_product_moves_its_scope(two_products, index):
    product, other = two_products
    index(product.pk, other, "按角色配置权限", kind=R)  # re-indexed under the other product
    assert _ids(R, "权限", product.pk) == set()
    assert _ids(R, "角色", other.pk) == {product.pk}
    services.check_index()
    SearchDocument.objects.filter(kind=R, object_id=product.pk).delete()
    assert _ids(R, "角色", other.pk) == set()
    services.check_index()


def test_scoped_list_reads_the_index_for_its_product_only(two_products):
    """SQLite: the MATCH names the product's scope; PostgreSQL: the set form with the scope
    lexemes (not one probe per row)."""
    product, _ = two_products
    with CaptureQueriesContext(connection) as ctx:
        _ids(P, "权限", product.pk)
    sql = ctx.captured_queries[-1]["sql"]
    if connection.vendor == "sqlite":
        assert f'scope : "p{product.pk}"' in sql, sql
    else:
        assert f"#p{product.pk}" in sql and "#kpool_item" in sql and "EXISTS" not in sql, sql


def test_migration_0005_reverses_and_reapplies(two_products):
    """Backwards restores 0004's index (no scope), forwards rebuilds the scoped one from the rows."""
    _product, other = two_products
    migration = importlib.import_module("pmloop.search.migrations.0005_index_holds_product_and_kind")
    editor = (
        _Editor()
    )  # the migration only runs SQL (Django's SQLite editor refuses to open in a test's transaction)
    if connection.vendor == "postgresql":  # ALTER TABLE refuses pending deferred foreign-key checks
        editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    migration.backwards(None, editor)
    assert selectors.count_matches(kind=R, q="权限", product_ids=None, limit=10) == 2
    migration.forwards(None, editor)
    assert _ids(R, "权限", other.pk) == {other.pk}
    services.check_index()


class _Editor:
    connection = connection

    @staticmethod
    def execute(sql, params=None):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
