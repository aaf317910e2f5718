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
    assert [h.object_id for h in selectors.search(q="撤回", product_ids=None)] == [7]
    assert selectors.search(q="权限", product_ids=None) == []


def _ids(kind: str, q: str) -> set[int]:
    """Ids of products whose document of ``kind`` matches ``q`` (products stand in for any
    model: ``text_matches`` filters a queryset whose pk is the object id)."""
    from pmloop.products.models import Product

    return set(Product.objects.filter(selectors.text_matches(kind=kind, q=q)).values_list("pk", flat=True))


def test_text_matches_keeps_to_its_kind_and_needs_every_term(product, other_product, index):
    index(product.pk, product, "按角色配置群组的权限", kind="product")
    index(other_product.pk, other_product, "权限弹窗", kind="product")
    index(other_product.pk, other_product, "消息撤回", kind="pool_item")  # same object id, other kind
    assert _ids("product", "权限") == {product.pk, other_product.pk}  # the caller's queryset limits products
    assert _ids("product", "角色 权限") == {product.pk}
    assert _ids("product", "撤回") == set()
    assert _ids("pool_item", "撤回") == {other_product.pk}
    assert _ids("product", "撤回 权限") == set()
    assert _ids("product", " ，。") == set()


def test_text_matches_combines_in_one_query(product, index, django_assert_num_queries):
    from django.db.models import Q

    from pmloop.products.models import Product

    index(product.pk, product, "权限", kind="product")
    with django_assert_num_queries(1):
        hits = list(
            Product.objects.filter(selectors.text_matches(kind="product", q="权限") | Q(code="nothing"))
        )
    assert hits == [product]
    with django_assert_num_queries(1):  # no searchable term: only the other branch
        assert list(
            Product.objects.filter(selectors.text_matches(kind="product", q="，") | Q(code="IMSDK"))
        ) == [product]


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
    assert [h.object_id for h in selectors.search(q="权限", product_ids=None)] == [5]
    assert [h.object_id for h in selectors.search(q="撤回", product_ids=None)] == [6]
    services.check_index()
