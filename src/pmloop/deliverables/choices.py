from django.db import models
from django.utils.translation import gettext_lazy as _


class CheckCategory(models.TextChoices):
    FUNCTIONAL = "functional", _("Functional test")
    PERFORMANCE = "performance", _("Performance test")
    SECURITY = "security", _("Security test")
    DOCS = "docs", _("Documentation")
    TRAINING = "training", _("Training")
    OTHER = "other", _("Other")


# The launch checklist every kit starts with (seed 002, 产品上线准备): category, item.
DEFAULT_CHECKLIST = (
    (CheckCategory.FUNCTIONAL, _("Functional test passed and signed off")),
    (CheckCategory.PERFORMANCE, _("Performance test passed and signed off")),
    (CheckCategory.SECURITY, _("Security test passed and signed off")),
    (CheckCategory.DOCS, _("Release notes and user manual reviewed")),
    (CheckCategory.TRAINING, _("Customer training planned")),
)
