from django.db import models
from django.utils.translation import gettext_lazy as _


class ReviewRule(models.TextChoices):
    ALL_PASS = "all", _("All reviewers must pass")
    MAJORITY = "majority", _("A majority of reviewers passes")
