from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from pmloop.core.models import VersionedModel
from pmloop.pool.choices import Importance, Status


class PoolSource(models.Model):
    """Where feedback comes from (客户, 销售, 问卷 …). Site-wide; admins add and deactivate
    sources. Built-in rows are seeded by a data migration and never deleted."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    label_en = models.CharField(_("English label"), max_length=60)
    label_zh = models.CharField(_("Chinese label"), max_length=60)
    builtin = models.BooleanField(_("built in"), default=False)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    audit_fields = ("code", "label_en", "label_zh", "builtin", "active", "position")

    class Meta:
        verbose_name = _("pool source")
        verbose_name_plural = _("pool sources")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The label in the active language (Chinese for zh-*, English otherwise)."""
        lang = (get_language() or "").lower()
        return (self.label_zh if lang.startswith("zh") else self.label_en) or self.label_en or self.code


class PoolCounter(models.Model):
    """The last pool-item number handed out per product (numbers are allocated by an
    UPDATE … SET last = last + 1, which serialises concurrent writers on the row)."""

    product = models.OneToOneField(
        "products.Product", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.product_id}: {self.last_number}"


class PoolItemQuerySet(models.QuerySet):
    def for_product(self, product_id: int):
        return self.filter(product_id=product_id)

    def open(self):
        return self.filter(status__in=[Status.NEW, Status.TRIAGED])

    def with_tag(self, tag: str):
        return self.filter(tags__contains=f",{tag},")


class PoolItem(VersionedModel):
    """One piece of feedback in the requirement pool (用户需求, 需求池): the raw words of a
    customer, a salesperson, support, a survey … with who said it and how it was handled."""

    product = models.ForeignKey("products.Product", on_delete=models.CASCADE, related_name="pool_items")
    number = models.PositiveIntegerField(_("number"))
    source = models.ForeignKey(
        PoolSource, on_delete=models.PROTECT, related_name="items", verbose_name=_("source")
    )
    text = models.TextField(_("text"))
    title = models.CharField(_("title"), max_length=200)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pool_items",
        verbose_name=_("customer"),
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reported_pool_items",
        verbose_name=_("reporter"),
    )
    module = models.ForeignKey(
        "products.Module",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,  # a guess only: deleting the module clears it
        related_name="pool_items",
        verbose_name=_("module"),
    )
    importance = models.CharField(
        _("importance"), max_length=10, choices=Importance.choices, default=Importance.MEDIUM
    )
    # Normalised ",api,群聊," (leading and trailing comma) so `tags__contains=",api,"` finds a
    # whole tag on SQLite and PostgreSQL alike. Use `tag_list` to read them.
    tags = models.CharField(_("tags"), max_length=640, blank=True, default="")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_items",
        verbose_name=_("merged into"),
    )
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    # 1 + the voices of every item merged into this one: 40 customers, one problem, 40 voices.
    voices = models.PositiveIntegerField(_("voices"), default=1)

    objects = PoolItemQuerySet.as_manager()
    audit_fields = (
        "product_id", "number", "source_id", "title", "text", "customer_id", "reporter_id", "module_id",
        "importance", "tags", "status", "merged_into_id", "decline_reason", "voices", "version",
    )  # fmt: skip

    class Meta:
        verbose_name = _("pool item")
        verbose_name_plural = _("pool items")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "number"], name="poolitem_unique_number"),
            models.CheckConstraint(condition=models.Q(voices__gte=1), name="poolitem_voices_positive"),
        ]
        indexes = [
            models.Index(fields=["product", "status", "-created_at"], name="poolitem_status_idx"),
            models.Index(fields=["product", "-created_at"], name="poolitem_created_idx"),
            models.Index(fields=["product", "-voices"], name="poolitem_voices_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    @property
    def key(self) -> str:
        """The number as people say it, e.g. IMSDK-P12 (needs the product loaded)."""
        return f"{self.product.code}-P{self.number}"

    @property
    def tag_list(self) -> list[str]:
        return [t for t in (self.tags or "").split(",") if t]

    @property
    def is_open(self) -> bool:
        return self.status in (Status.NEW, Status.TRIAGED)


class PoolLink(models.Model):
    """A pool item covered by a requirement. Written only through ``mark_linked`` and
    ``mark_unlinked``, which the requirements app calls; ``requirement_id`` is a plain id
    because the pool sits below requirements and may not name its model."""

    item = models.ForeignKey(PoolItem, on_delete=models.CASCADE, related_name="links")
    requirement_id = models.BigIntegerField(_("requirement"), db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("pool link")
        constraints = [
            models.UniqueConstraint(
                fields=["item", "requirement_id"], name="poollink_unique_item_requirement"
            )
        ]

    def __str__(self) -> str:
        return f"{self.item_id} → requirement {self.requirement_id}"
