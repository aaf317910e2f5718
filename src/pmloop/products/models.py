from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pmloop.core.models import VersionedModel
from pmloop.products.choices import ReviewRule

code_validator = RegexValidator(
    r"^[A-Z][A-Z0-9_-]{1,19}$",
    _("Use 2–20 capital letters, digits, '-' or '_', starting with a letter (e.g. IMSDK)."),
)


class ProductQuerySet(models.QuerySet):
    def active(self):
        return self.filter(archived=False)


class Product(VersionedModel):
    code = models.CharField(_("code"), max_length=20, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_products",
        verbose_name=_("owner"),
    )
    review_rule = models.CharField(
        _("review rule"), max_length=10, choices=ReviewRule.choices, default=ReviewRule.ALL_PASS
    )
    archived = models.BooleanField(_("archived"), default=False)

    objects = ProductQuerySet.as_manager()
    audit_fields = ("code", "name", "description", "owner_id", "review_rule", "archived", "version")

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def product_id(self) -> int:  # so the operation log files a product under itself
        return self.pk


class Module(VersionedModel):
    """A node of a product's module tree (功能模块). Siblings are ordered by ``position``."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="modules")
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
    )
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveIntegerField(default=0)

    audit_fields = ("product_id", "parent_id", "name", "description", "position", "version")

    class Meta:
        verbose_name = _("module")
        verbose_name_plural = _("modules")
        ordering = ["product_id", "parent_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "parent", "name"], name="module_unique_name_under_parent"
            ),
            models.UniqueConstraint(
                fields=["product", "name"], condition=Q(parent__isnull=True), name="module_unique_root_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name
