"""Launch kits (上线准备): a release's checklist with owners and sign-offs, its customer
training sessions (培训) and their attendance (签到)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pmloop.core.models import TimestampedModel, VersionedModel
from pmloop.deliverables.choices import CheckCategory

USER = settings.AUTH_USER_MODEL


class LaunchKit(VersionedModel):
    release = models.OneToOneField("plans.Release", on_delete=models.CASCADE, related_name="launch_kit")
    product = models.ForeignKey("products.Product", on_delete=models.CASCADE, related_name="+")
    training_goal = models.TextField(_("training goal"), blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")

    audit_fields = ("release_id", "training_goal", "version")

    class Meta:
        verbose_name = _("launch kit")
        verbose_name_plural = _("launch kits")

    def __str__(self) -> str:
        return f"launch kit {self.release_id}"


class ChecklistItem(VersionedModel):
    kit = models.ForeignKey(LaunchKit, on_delete=models.CASCADE, related_name="items")
    category = models.CharField(_("category"), max_length=12, choices=CheckCategory.choices)
    title = models.CharField(_("item"), max_length=200)
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner"))
    position = models.PositiveIntegerField(default=0)
    signed_off_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    signed_off_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    audit_fields = ("kit_id", "category", "title", "owner_id", "signed_off_by_id", "signed_off_at", "note",
                    "version")  # fmt: skip

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def product_id(self) -> int:
        return self.kit.product_id

    @property
    def signed_off(self) -> bool:
        return self.signed_off_at is not None


class TrainingSession(VersionedModel):
    """One customer training session of a release (客户培训计划 lists them)."""

    kit = models.ForeignKey(LaunchKit, on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField(_("title"), max_length=200)
    audience = models.CharField(_("audience"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), default=60)
    location = models.CharField(_("location"), max_length=200, blank=True)
    trainer = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("trainer"))  # fmt: skip
    customer = models.ForeignKey("customers.Customer", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("customer"))  # fmt: skip
    agenda = models.TextField(_("agenda"), blank=True)

    audit_fields = ("kit_id", "title", "audience", "starts_at", "duration_minutes", "location", "trainer_id",
                    "customer_id", "agenda", "version")  # fmt: skip

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["starts_at", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def product_id(self) -> int:
        return self.kit.product_id


class Attendee(TimestampedModel):
    """A line of the sign-in sheet (签到表): who was invited, and whether they signed in."""

    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="attendees")
    name = models.CharField(_("name"), max_length=100)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    signed_in_at = models.DateTimeField(_("signed in at"), null=True, blank=True)

    audit_fields = ("session_id", "name", "organisation", "contact", "signed_in_at")

    class Meta:
        verbose_name = _("attendee")
        verbose_name_plural = _("attendees")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "name", "organisation"], name="attendee_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def product_id(self) -> int:
        return self.session.kit.product_id
