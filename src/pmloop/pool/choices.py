from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Status(models.TextChoices):
    NEW = "new", _("New")
    TRIAGED = "triaged", _("Triaged")
    LINKED = "linked", _("Linked")
    MERGED = "merged", _("Merged")
    DECLINED = "declined", _("Declined")


class Importance(models.TextChoices):
    CRITICAL = "critical", pgettext_lazy("importance", "Critical")
    HIGH = "high", pgettext_lazy("importance", "High")
    MEDIUM = "medium", pgettext_lazy("importance", "Medium")
    LOW = "low", pgettext_lazy("importance", "Low")


class BulkAction(models.TextChoices):
    TRIAGE = "triage", _("Triage")
    DECLINE = "decline", _("Decline")
    MERGE = "merge", _("Merge")


# Sort keys offered by the list (API and page): name -> ORM ordering.
SORTS: dict[str, tuple[str, ...]] = {
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    "-voices": ("-voices", "-created_at", "-id"),
    "-importance": ("importance_rank", "-created_at", "-id"),
    "-number": ("-number", "-id"),
}
IMPORTANCE_RANK = {Importance.CRITICAL: 0, Importance.HIGH: 1, Importance.MEDIUM: 2, Importance.LOW: 3}
