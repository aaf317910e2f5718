"""index_document / remove_document / bulk_index keep the full-text index in step with the rows."""

import random

import pytest
from django.db import connection, transaction

from pmloop.core import text
from pmloop.search import selectors, services
from pmloop.search.models import SearchDocument

pytestmark = pytest.mark.django_db

R = "requirement"


def test_index_document_stores_terms_and_title(product, index):
    index(7, product, "需要按角色配置群组的权限", title="群组权限")
    doc = SearchDocument.objects.get(kind=R, object_id=7)
    assert doc.product_id == product.pk and doc.title == "群组权限"
    assert "权限" in doc.tokens.split() and "群组" in doc.tokens.split()
    assert doc.updated_at is not None


def test_upsert_replaces_and_keeps_one_row(product, other_product, index, found):
    index(1, product, "权限")
    first = SearchDocument.objects.get(kind=R, object_id=1)
    index(1, other_product, "群组", title="new")
    doc = SearchDocument.objects.get(kind=R, object_id=1)
    assert SearchDocument.objects.count() == 1 and doc.pk == first.pk
    assert doc.product_id == other_product.pk and doc.title == "new"
    assert found("权限") == []
    assert found("群组") == [(R, 1)]
    assert found("群组", product_ids={product.pk}) == []  # moved with its product
    services.check_index()


def test_upsert_with_same_tokens_keeps_the_index_right(product, index, found):
    index(1, product, "权限", title="a")
    index(1, product, "权限", title="a")  # tokens unchanged: the SQLite trigger skips the FTS
    assert found("权限") == [(R, 1)]
    services.check_index()


def test_remove_document(product, index, found):
    index(1, product, "权限")
    index(2, product, "权限")
    assert services.remove_document(kind=R, object_id=1) is True
    assert services.remove_document(kind=R, object_id=1) is False
    assert found("权限") == [(R, 2)]
    assert services.remove_documents(kind=R, object_ids=[2, 3]) == 1
    assert services.remove_documents(kind=R, object_ids=[]) == 0
    assert found("权限") == []
    services.check_index()


def test_same_object_id_in_two_kinds_is_two_documents(product, index, found):
    index(1, product, "权限", kind="requirement")
    index(1, product, "权限", kind="pool_item")
    services.remove_document(kind="pool_item", object_id=1)
    assert found("权限") == [(R, 1)]


def test_rolled_back_transaction_leaves_the_index_unchanged(product, index, found):
    index(1, product, "权限")

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        index(1, product, "群组")
        index(2, product, "权限")
        services.remove_document(kind=R, object_id=1)
        raise Boom
    assert found("权限") == [(R, 1)]
    assert found("群组") == []
    services.check_index()


def test_deleting_the_product_removes_its_documents(product, other_product, index, found):
    index(1, product, "权限")
    index(2, other_product, "权限")
    SearchDocument.objects.filter(product=other_product).delete()  # what the cascade runs
    assert found("权限") == [(R, 1)]
    services.check_index()


def test_bulk_index(product, other_product, found):
    docs = [
        services.Doc(R, i, product.pk, f"标题{i}", "权限" if i % 2 else "permission") for i in range(1, 101)
    ]
    docs.append(
        {"kind": "pool_item", "object_id": 1, "product_id": other_product.pk, "title": "", "text": "权限"}
    )
    docs.append(services.Doc(R, 1, product.pk, "again", "群组"))  # the same document twice: last wins
    assert services.bulk_index(docs, batch_size=7) == 102  # documents given
    assert SearchDocument.objects.count() == 101
    assert len(found("权限")) == 50  # 49 odd ids (1 was replaced) + the pool item
    assert found("群组") == [(R, 1)]
    assert services.bulk_index(docs[:10]) == 10  # re-index: upsert, no duplicates
    assert SearchDocument.objects.count() == 101
    services.check_index()


def test_bulk_index_then_update_and_delete_stay_in_sync(product, found):
    services.bulk_index([services.Doc(R, i, product.pk, "", f"权限 {i}") for i in range(50)])
    SearchDocument.objects.filter(object_id__lt=10).delete()
    services.index_document(kind=R, object_id=20, product_id=product.pk, title="", text="群组")
    assert len(found("权限")) == 39
    services.check_index()


def test_title_and_text_are_cleaned(product, index):
    index(1, product, "权限\x00说明", title="很长" * 500 + "\x00")
    doc = SearchDocument.objects.get(kind=R, object_id=1)
    assert len(doc.title) == 300 and "\x00" not in doc.title
    assert selectors.search(q="权限", product_ids=None)[0].object_id == 1


def test_very_long_text_is_cut(product, index):
    index(1, product, "权限 " + "填充" * services.MAX_TEXT_CHARS + " 群组")
    assert selectors.search(q="权限", product_ids=None)
    assert selectors.search(q="群组", product_ids=None) == []  # beyond the indexed part


@pytest.mark.parametrize("kind", ["", "Requirement", "pool item", "x" * 33, "需求", None, 3])
def test_bad_kind_is_refused(product, kind):
    with pytest.raises(ValueError, match="search kind"):
        services.index_document(kind=kind, object_id=1, product_id=product.pk, title="", text="")
    assert not SearchDocument.objects.exists()


def test_rebuild_index(product, index, found):
    index(1, product, "权限")
    services.rebuild_index()
    assert found("权限") == [(R, 1)]
    services.check_index()


def _database_terms(doc_id: int, *, scope: bool = False) -> set[str]:
    """The terms the database itself extracts from the stored tokens column (``scope``: the
    terms it adds for the document's product and kind instead, migration 0005)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT lexeme FROM search_searchdocument, unnest(tsv) WHERE id = %s AND (lexeme LIKE '#%%') = %s",
                [doc_id, scope],
            )
        else:
            cursor.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_vocab USING fts5vocab(main, search_fts, instance)"
            )
            cursor.execute(
                "SELECT term FROM temp.search_vocab WHERE doc = %s AND col = %s",
                [doc_id, "scope" if scope else "tokens"],
            )
        return {row[0] for row in cursor.fetchall()}


def test_database_reads_back_exactly_the_python_terms(product):
    """Both databases must see each stored term as one term, unchanged: the same documents
    then match on SQLite and PostgreSQL."""
    alphabet = (
        "权限群组成员管理系统需要配置角色消息撤回的了是ＡＢＣ１２３，。！？éüßØÆǅ ﬁ\u3000\t\n"
        "こんにちは한국어ー・abcXYZ019_-.+#@/:'\"*()[]{}|&!^~<>ⅫⅻⅡ²½ΑΒΓдж\u0301\u200b😀"
    )
    rnd = random.Random(20261121)
    samples = ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 40))) for _ in range(300)]
    samples += [
        "e-mail v1.2 C++ IM-SDK 99.9%",
        "İstanbul ǅemal Straße",
        "鿐鿪 𠀀 豈 ㄅ ꙮ",
        "x" * 64 + " " + "y" * 65,
    ]
    services.bulk_index(services.Doc(R, i, product.pk, "", s) for i, s in enumerate(samples))
    ids = dict(SearchDocument.objects.values_list("object_id", "id"))
    for i, s in enumerate(samples):
        assert _database_terms(ids[i]) == set(text.index_terms(s)), s
    # No user text can make a scope term: those are added by the database from the row.
    expected_scope = (
        {f"#p{product.pk}", f"#k{R}"} if connection.vendor == "postgresql" else {f"p{product.pk}"}
    )
    assert _database_terms(ids[0], scope=True) == expected_scope


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only: FTS5 table and triggers")
def test_sqlite_triggers_exist():
    """A later migration that rebuilds search_searchdocument on SQLite drops these triggers
    (see migration 0002): this test then fails until the migration puts them back."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT type, name FROM sqlite_master WHERE name LIKE 'search_%' ORDER BY name")
        objects = set(cursor.fetchall())
    assert ("table", "search_fts") in objects
    assert {
        ("trigger", "search_doc_ai"),
        ("trigger", "search_doc_ad"),
        ("trigger", "search_doc_au"),
    } <= objects


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL only: generated column and GIN index"
)
def test_postgres_column_and_index_exist():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attgenerated FROM pg_attribute WHERE attrelid = 'search_searchdocument'::regclass AND attname = 'tsv'"
        )
        assert cursor.fetchone() == ("s",)
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'search_doc_tsv_gin'")
        assert "USING gin (tsv)" in cursor.fetchone()[0]
