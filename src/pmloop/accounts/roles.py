"""Per-product roles. A user holds one role per product; a site admin sees every product."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Product owner")
    PM = "pm", _("Product manager")
    REVIEWER = "reviewer", _("Reviewer")
    SALES = "sales", _("Sales")
    SUPPORT = "support", _("Support")
    DEVELOPER = "developer", _("Developer")
    VIEWER = "viewer", _("Viewer")


ALL_ROLES = frozenset(Role.values)
MANAGERS = frozenset({Role.OWNER, Role.PM})
