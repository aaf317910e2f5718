from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pmloop.core.models import TimestampedModel, VersionedModel
from pmloop.requirements.choices import Category, ChangeStatus, CloseReason, LinkKind, Priority, Stage, Status

USER = settings.AUTH_USER_MODEL


class Requirement(VersionedModel):
    """A product requirement written on the PRD template (产品需求).

    ``spec`` holds the current text of the PRD sections (see spec.py); every change of it is
    also kept as a RequirementVersion. Acceptance criteria live in the spec (their text) and
    in AcceptanceCriterion rows (their verification)."""

    product = models.ForeignKey("products.Product", on_delete=models.CASCADE, related_name="requirements")
    number = models.PositiveIntegerField()
    title = models.CharField(_("title"), max_length=200)
    module = models.ForeignKey(
        "products.Module", null=True, blank=True, on_delete=models.PROTECT, related_name="requirements",
        verbose_name=_("module"),
    )  # fmt: skip
    category = models.CharField(
        _("category"), max_length=20, choices=Category.choices, default=Category.FEATURE
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.P3)
    estimate = models.DecimalField(
        _("estimate (person-days)"), max_digits=8, decimal_places=1, null=True, blank=True
    )
    owner = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("owner"))  # fmt: skip
    created_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")
    reviewers = models.ManyToManyField(USER, blank=True, related_name="+", verbose_name=_("reviewers"))
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
                               verbose_name=_("parent"))  # fmt: skip
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices, default=Stage.WAIT)
    close_reason = models.CharField(_("close reason"), max_length=12, choices=CloseReason.choices, blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    spec = models.JSONField(default=dict, blank=True)
    spec_version = models.PositiveIntegerField(default=1)
    # Set on children when a parent's change is requested, until their owner confirms it.
    unconfirmed_change = models.ForeignKey(
        "ChangeRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    completeness = models.PositiveSmallIntegerField(default=0)  # PRD score 0–100, kept on save
    voices = models.PositiveIntegerField(default=0)  # pool voices linked (for sorting lists)

    audit_fields = (
        "title", "module_id", "category", "priority", "estimate", "owner_id", "parent_id", "status", "stage",
        "close_reason", "duplicate_of_id", "spec_version", "version",
    )  # fmt: skip

    class Meta:
        verbose_name = _("requirement")
        verbose_name_plural = _("requirements")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "number"], name="requirement_number_unique"),
            models.CheckConstraint(
                condition=Q(estimate__gte=0) | Q(estimate__isnull=True), name="estimate_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["product", "status", "-id"], name="req_product_status_idx"),
            models.Index(fields=["product", "module", "-id"], name="req_product_module_idx"),
            models.Index(fields=["product", "stage"], name="req_product_stage_idx"),
            models.Index(fields=["owner", "status"], name="req_owner_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    @property
    def key(self) -> str:
        return f"{self.product.code}-{self.number}"  # lists select_related("product")


class RequirementVersion(models.Model):
    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    spec = models.JSONField(default=dict)
    author = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=300, blank=True)
    change_request = models.ForeignKey("ChangeRequest", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="versions")  # fmt: skip

    class Meta:
        verbose_name = _("requirement version")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["requirement", "number"], name="requirement_version_unique")
        ]

    def __str__(self) -> str:
        return f"v{self.number}"


class AcceptanceCriterion(models.Model):
    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveIntegerField(default=0)
    text = models.CharField(max_length=1000)
    verified = models.BooleanField(default=False)
    verified_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    verified_at = models.DateTimeField(null=True, blank=True)

    audit_fields = ("requirement_id", "position", "text", "verified", "verified_by_id")

    class Meta:
        verbose_name = _("acceptance criterion")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def product_id(self) -> int:
        return self.requirement.product_id


class ChangeRequest(TimestampedModel):
    """A change to an active requirement: reason, impact and the diff, re-reviewed (变更)."""

    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="changes")
    reason = models.TextField(_("reason"))
    impact = models.TextField(_("impact"), blank=True)
    status = models.CharField(max_length=12, choices=ChangeStatus.choices, default=ChangeStatus.DRAFT)
    base_version = models.PositiveIntegerField()  # the spec version before the change
    created_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    audit_fields = ("requirement_id", "reason", "impact", "status", "base_version")

    class Meta:
        verbose_name = _("change request")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"CR#{self.pk} {self.reason[:60]}"

    @property
    def product_id(self) -> int:
        return self.requirement.product_id


class StageChange(models.Model):
    """Delivery stage history (also feeds burn-up and cumulative-flow charts)."""

    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=12, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=12, choices=Stage.choices)
    actor = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_stage} → {self.to_stage}"


class RequirementLink(models.Model):
    source = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=12, choices=LinkKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    audit_fields = ("source_id", "target_id", "kind")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="requirement_link_unique"),
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="requirement_link_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"

    @property
    def product_id(self) -> int:
        return self.source.product_id


class Attachment(models.Model):
    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="attachments/%Y/%m/")
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    audit_fields = ("requirement_id", "name", "size", "content_type")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def product_id(self) -> int:
        return self.requirement.product_id


def default_required_sections() -> list[str]:
    return ["summary", "value", "scenarios", "acceptance_criteria"]


class RequirementSettings(models.Model):
    """Per-product rules for requirements: required PRD sections, who skips or always needs review."""

    product = models.OneToOneField(
        "products.Product", on_delete=models.CASCADE, related_name="requirement_settings"
    )
    required_sections = models.JSONField(default=default_required_sections)
    skip_review_users = models.ManyToManyField(USER, blank=True, related_name="+")
    force_review_users = models.ManyToManyField(USER, blank=True, related_name="+")
    version = models.PositiveIntegerField(default=1)

    audit_fields = ("required_sections", "version")

    def __str__(self) -> str:
        return f"settings of {self.product_id}"
