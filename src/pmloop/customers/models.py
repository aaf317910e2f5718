from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from pmloop.core.models import TimestampedModel, VersionedModel
from pmloop.customers.choices import TIER_WEIGHT, WEIGHT_MAX, WEIGHT_MIN, Industry, Tier


class CustomerQuerySet(models.QuerySet):
    def active(self):
        return self.filter(archived=False)

    def for_product(self, product_id: int):
        return self.filter(product_id=product_id)


class Customer(VersionedModel):
    """A customer of one product: enough to say who asked, and how much their voice weighs."""

    product = models.ForeignKey("products.Product", on_delete=models.CASCADE, related_name="customers")
    name = models.CharField(_("name"), max_length=200)
    industry = models.CharField(
        _("industry"), max_length=20, choices=Industry.choices, default=Industry.OTHER
    )
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, default=Tier.STANDARD)
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=TIER_WEIGHT[Tier.STANDARD], help_text=_("1–100; defaults from the tier")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_customers",
        verbose_name=_("owner"),
    )
    notes = models.TextField(_("notes"), blank=True)
    archived = models.BooleanField(_("archived"), default=False)

    objects = CustomerQuerySet.as_manager()
    audit_fields = (
        "product_id", "name", "industry", "tier", "weight", "owner_id", "notes", "archived", "version",
    )  # fmt: skip

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "product", name="customer_unique_name_per_product"),
            models.CheckConstraint(
                condition=Q(weight__gte=WEIGHT_MIN) & Q(weight__lte=WEIGHT_MAX), name="customer_weight_range"
            ),
        ]
        indexes = [models.Index(fields=["product", "archived", "name"], name="customer_product_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def default_weight(self) -> int:
        return TIER_WEIGHT.get(self.tier, TIER_WEIGHT[Tier.STANDARD])


class Contact(TimestampedModel):
    """A person at a customer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    audit_fields = ("customer_id", "name", "title", "email", "phone", "notes")

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["customer_id", "name", "id"]

    def __str__(self) -> str:
        return self.name
