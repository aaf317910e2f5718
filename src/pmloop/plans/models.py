"""Product plans (产品计划) with milestones and the requirements in them; releases (发布)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from pmloop.core.models import TimestampedModel, VersionedModel
from pmloop.plans.choices import MilestoneStatus, ReleaseStatus

USER = settings.AUTH_USER_MODEL


class Plan(VersionedModel):
    """A time box with a capacity: a quarter, or a sprint inside it (``parent``)."""

    product = models.ForeignKey("products.Product", on_delete=models.CASCADE, related_name="plans")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
        verbose_name=_("parent plan"),
    )  # fmt: skip
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"))
    capacity = models.DecimalField(
        _("capacity (person-days)"), max_digits=8, decimal_places=1, null=True, blank=True
    )
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner"))

    audit_fields = ("product_id", "parent_id", "title", "description", "start_date", "end_date", "capacity",
                    "owner_id", "version")  # fmt: skip

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["start_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="plan_dates_in_order"),
            models.CheckConstraint(
                condition=Q(capacity__gte=0) | Q(capacity__isnull=True), name="plan_capacity_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["product", "start_date"], name="plan_product_start_idx")]

    def __str__(self) -> str:
        return self.title


class Milestone(VersionedModel):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField(_("name"), max_length=200)
    date = models.DateField(_("date"))
    status = models.CharField(
        _("status"), max_length=10, choices=MilestoneStatus.choices, default=MilestoneStatus.OPEN
    )

    audit_fields = ("plan_id", "name", "date", "status", "version")

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.date})"

    @property
    def product_id(self) -> int:
        return self.plan.product_id


class PlanItem(TimestampedModel):
    """A requirement in a plan. A requirement sits in one plan at a time; moving it updates
    this row (its history is the row's operation log; the requirement's own stays untouched)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="items")
    requirement = models.OneToOneField(
        "requirements.Requirement", on_delete=models.CASCADE, related_name="plan_item"
    )
    position = models.PositiveIntegerField(default=0)
    planned_at = models.DateTimeField(_("planned at"))  # when it joined this plan
    added_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")
    # Set when the requirement's spec changes after it was planned, until the plan owner confirms.
    unconfirmed_change = models.ForeignKey(
        "requirements.ChangeRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    flagged_at = models.DateTimeField(null=True, blank=True)

    audit_fields = ("plan_id", "requirement_id", "position", "unconfirmed_change_id")

    class Meta:
        verbose_name = _("plan item")
        verbose_name_plural = _("plan items")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.requirement_id} in {self.plan_id}"

    @property
    def product_id(self) -> int:
        return self.plan.product_id


class Release(VersionedModel):
    product = models.ForeignKey("products.Product", on_delete=models.CASCADE, related_name="releases")
    plan = models.ForeignKey(
        Plan,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="releases",
        verbose_name=_("plan"),
    )
    version_name = models.CharField(_("version"), max_length=50)
    title = models.CharField(_("title"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    planned_date = models.DateField(_("planned date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ReleaseStatus.choices, default=ReleaseStatus.DRAFT
    )
    manager = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("release manager")
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    released_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    audit_fields = ("product_id", "plan_id", "version_name", "title", "description", "planned_date", "status",
                    "manager_id", "released_at", "version")  # fmt: skip

    class Meta:
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        ordering = ["-planned_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "version_name"], name="release_version_unique"),
        ]

    def __str__(self) -> str:
        return self.version_name

    @property
    def frozen(self) -> bool:
        return self.status == ReleaseStatus.RELEASED

    @property
    def date(self):
        """The day it shipped, else the day it is planned for."""
        if self.released_at is not None:
            from django.utils import timezone

            return timezone.localtime(self.released_at).date()
        return self.planned_date


class ReleaseItem(TimestampedModel):
    """A requirement a release ships. On release its text is frozen in ``snapshot``."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="items")
    requirement = models.ForeignKey(
        "requirements.Requirement", on_delete=models.PROTECT, related_name="release_items"
    )
    position = models.PositiveIntegerField(default=0)
    added_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")
    stage_before = models.CharField(max_length=12, blank=True)  # the stage when it shipped
    override_reason = models.TextField(blank=True)  # why it shipped before testing
    snapshot = models.JSONField(default=dict, blank=True)  # key, title, spec_version, module at release

    audit_fields = ("release_id", "requirement_id", "stage_before", "override_reason")

    class Meta:
        verbose_name = _("release item")
        verbose_name_plural = _("release items")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["release", "requirement"], name="release_item_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.requirement_id} in {self.release_id}"

    @property
    def product_id(self) -> int:
        return self.release.product_id
