"""One row per searchable object (a requirement, a pool item, …), holding its search terms.

The full-text index over ``tokens`` is not declared here: it differs per database and is
created by migrations 0002 and 0003 (SQLite: an FTS5 table kept in sync by triggers;
PostgreSQL: a stored generated ``tsv`` column with a GIN index). See docs/search.md.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

KIND_BITS = 5
KIND_CODES = {
    "requirement": 1,
    "pool_item": 2,
    "customer": 3,
    "product": 4,
    "plan": 5,
    "release": 6,
    "launch_kit": 7,
}
"""Every searchable kind and its code, at most ``2**KIND_BITS - 1``. A new kind of object joins
here (codes are stored in ids: never renumber one)."""


def kind_code(kind: str) -> int:
    """The code of a searchable kind (``KIND_CODES``); ValueError for any other name."""
    try:
        return KIND_CODES[kind]
    except KeyError:
        raise ValueError(f"unknown search kind {kind!r}: add it to search.models.KIND_CODES") from None


def document_id(kind: str, object_id: int) -> int:
    """The row id of the document of (kind, object_id): ``object_id << 5 | code``.

    The id is the FTS5 rowid on SQLite, so a search finds the object ids of one kind straight
    from the full-text index (``rowid >> 5`` where ``rowid & 31 = code``), without a lookup in
    this table per match: 3 ms instead of 42 ms for a word in 27k of 100k documents
    (docs/search.md)."""
    return (int(object_id) << KIND_BITS) | kind_code(kind)


class SearchDocument(models.Model):
    # id = document_id(kind, object_id), given by search.services, never by the database.
    kind = models.CharField(_("kind"), max_length=32)  # "requirement", "pool_item", …
    object_id = models.BigIntegerField(_("object id"))
    product = models.ForeignKey(
        "products.Product", on_delete=models.CASCADE, related_name="+", verbose_name=_("product")
    )
    title = models.CharField(_("title"), max_length=300, blank=True)
    tokens = models.TextField(_("search terms"), blank=True)  # pmloop.core.text.index_string(title + text)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_doc_kind_object_unique"),
        ]
        indexes = [models.Index(fields=["kind", "product"], name="search_doc_kind_product_idx")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"
