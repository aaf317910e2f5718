"""One row per searchable object (a requirement, a pool item, …), holding its search terms.

The full-text index over ``tokens`` is not declared here: it differs per database and is
created by migrations 0002 and 0003 (SQLite: an FTS5 table kept in sync by triggers;
PostgreSQL: a stored generated ``tsv`` column with a GIN index). See docs/search.md.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SearchDocument(models.Model):
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
