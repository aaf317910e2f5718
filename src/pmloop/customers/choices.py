from django.db import models
from django.utils.translation import pgettext_lazy


class Industry(models.TextChoices):
    INTERNET = "internet", pgettext_lazy("industry", "Internet")
    FINANCE = "finance", pgettext_lazy("industry", "Finance")
    EDUCATION = "education", pgettext_lazy("industry", "Education")
    HEALTHCARE = "healthcare", pgettext_lazy("industry", "Healthcare")
    GOVERNMENT = "government", pgettext_lazy("industry", "Government")
    RETAIL = "retail", pgettext_lazy("industry", "Retail")
    MANUFACTURING = "manufacturing", pgettext_lazy("industry", "Manufacturing")
    LOGISTICS = "logistics", pgettext_lazy("industry", "Logistics")
    MEDIA = "media", pgettext_lazy("industry", "Media")
    GAMING = "gaming", pgettext_lazy("industry", "Gaming")
    AUTOMOTIVE = "automotive", pgettext_lazy("industry", "Automotive")
    ENERGY = "energy", pgettext_lazy("industry", "Energy")
    TELECOM = "telecom", pgettext_lazy("industry", "Telecom")
    OTHER = "other", pgettext_lazy("industry", "Other")


class Tier(models.TextChoices):
    STRATEGIC = "strategic", pgettext_lazy("customer tier", "Strategic")
    KEY = "key", pgettext_lazy("customer tier", "Key")
    STANDARD = "standard", pgettext_lazy("customer tier", "Standard")
    SMALL = "small", pgettext_lazy("customer tier", "Small")


# The default weight of a customer of each tier (used by prioritisation); a customer may
# override it with any value from WEIGHT_MIN to WEIGHT_MAX.
TIER_WEIGHT: dict[str, int] = {Tier.STRATEGIC: 10, Tier.KEY: 5, Tier.STANDARD: 2, Tier.SMALL: 1}
WEIGHT_MIN, WEIGHT_MAX = 1, 100
