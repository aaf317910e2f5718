"""The operation log (操作留痕): append-only and hash-chained.

Each entry's hash covers its own content and the previous entry's hash, so changing,
deleting or inserting an entry anywhere breaks the chain from that point on; `seq` is
contiguous, so a missing entry at the end of a gap is found too.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    seq = models.BigIntegerField(unique=True)
    created_at = models.DateTimeField(db_index=True)
    # Plain ids, not foreign keys: the log outlives what it describes and is never rewritten.
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_label = models.CharField(max_length=150)
    via = models.CharField(max_length=20)
    request_id = models.CharField(max_length=32, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200)
    product_id = models.BigIntegerField(null=True, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    note = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("operation log entry")
        verbose_name_plural = _("operation log")
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "seq"], name="audit_object_idx"),
            models.Index(fields=["product_id", "seq"], name="audit_product_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):  # invariant, not business rule: the log is append-only
        if self.pk is not None:
            raise RuntimeError("operation log entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("operation log entries are append-only")

    @property
    def changed_fields(self) -> list[tuple[str, object, object]]:
        before = self.before or {}
        after = self.after or {}
        keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]
