from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class MilestoneStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("milestone", "Open")
    DONE = "done", _("Reached")
    MISSED = "missed", _("Missed")


class ReleaseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RELEASED = "released", _("Released")


class GroupBy(models.TextChoices):
    MODULE = "module", _("Module")
    EPIC = "epic", _("Theme (parent requirement)")
    CATEGORY = "category", _("Category")


class Horizon(models.TextChoices):
    SHIPPED = "shipped", _("Just shipped")
    NOW = "now", pgettext_lazy("horizon", "Now")
    NEXT = "next", pgettext_lazy("horizon", "Next")
    LATER = "later", pgettext_lazy("horizon", "Later")
