"""Document ids encode (kind, object id), so lists read matching object ids from the index."""

import importlib

import pytest
from django.db import connection

from pmloop.search import selectors, services
from pmloop.search.models import KIND_BITS, KIND_CODES, SearchDocument, document_id

pytestmark = pytest.mark.django_db


def test_document_id_is_object_id_shifted_with_kind_code():
    assert document_id("requirement", 42) == 42 * 32 + KIND_CODES["requirement"]
    assert document_id("pool_item", 42) != document_id("requirement", 42)
    assert document_id("pool_item", 42) >> KIND_BITS == 42
    assert len(set(KIND_CODES.values())) == len(KIND_CODES)
    assert all(0 < c < 2**KIND_BITS for c in KIND_CODES.values())


def test_unknown_kind_is_refused_before_anything_is_written(product):
    with pytest.raises(ValueError, match="unknown search kind 'meeting'"):
        services.index_document(kind="meeting", object_id=1, product_id=product.pk, title="t", text="权限")
    assert not SearchDocument.objects.exists()


def test_index_document_stores_the_encoded_id_and_keeps_it_on_reindex(product, index):
    index(7, product, "按角色配置权限")
    doc = SearchDocument.objects.get(kind="requirement", object_id=7)
    assert doc.pk == document_id("requirement", 7)
    index(7, product, "消息撤回")  # re-index replaces the text, same row
    assert SearchDocument.objects.get().pk == doc.pk
    assert _ids("requirement", "权限") == set()
    assert _ids("requirement", "撤回") == {7}


def _ids(kind: str, q: str) -> set[int]:
    sub = selectors.object_ids_matching(kind=kind, q=q)
    if sub is None:
        return set()
    with connection.cursor() as cur:
        sql, params = sub.sql, sub.params
        cur.execute(sql, params)
        return {row[0] for row in cur.fetchall()}


def test_object_ids_matching_keeps_to_its_kind_and_needs_every_term(product, other_product, index):
    index(1, product, "按角色配置群组的权限")
    index(2, other_product, "权限弹窗")
    index(1, product, "权限申请 from the pool", kind="pool_item")
    index(3, product, "消息撤回")
    assert _ids("requirement", "权限") == {1, 2}  # both products: the caller's queryset limits them
    assert _ids("pool_item", "权限") == {1}
    assert _ids("requirement", "角色 权限") == {1}
    assert _ids("requirement", "撤回 权限") == set()
    assert selectors.object_ids_matching(kind="requirement", q=" ，。") is None


def test_object_ids_matching_combines_in_one_query(product, index, django_assert_num_queries):
    from pmloop.products.models import Product

    index(product.pk, product, "权限", kind="product")
    with django_assert_num_queries(1):
        hits = list(Product.objects.filter(pk__in=selectors.object_ids_matching(kind="product", q="权限")))
    assert hits == [product]


def test_migration_renumbers_old_ids_and_the_index_still_finds_them(product, index):
    migration = importlib.import_module("pmloop.search.migrations.0004_document_id_encodes_object")
    index(5, product, "按角色配置权限")
    index(6, product, "消息撤回", kind="pool_item")
    # Put the rows back on the old scheme (small sequential ids), as a database before 0004 has.
    with connection.cursor() as cur:
        for new_id, old_id in ((document_id("requirement", 5), 1), (document_id("pool_item", 6), 2)):
            cur.execute("UPDATE search_searchdocument SET id = %s WHERE id = %s", [old_id, new_id])
    assert set(SearchDocument.objects.values_list("pk", flat=True)) == {1, 2}

    class Editor:  # what forwards() uses of a schema editor (a real one cannot open mid-test on SQLite)
        connection = connection

        @staticmethod
        def execute(sql, params=None):
            with connection.cursor() as cur:
                cur.execute(sql, params)

    migration.forwards(None, Editor())
    assert set(SearchDocument.objects.values_list("pk", flat=True)) == {
        document_id("requirement", 5),
        document_id("pool_item", 6),
    }
    assert _ids("requirement", "权限") == {5}
    assert _ids("pool_item", "撤回") == {6}
    services.check_index()
