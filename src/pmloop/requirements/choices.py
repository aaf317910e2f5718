from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEWING = "reviewing", _("Reviewing")
    ACTIVE = "active", _("Active")
    CHANGING = "changing", _("Changing")
    CLOSED = "closed", _("Closed")


class Stage(models.TextChoices):
    WAIT = "wait", _("Waiting")
    PLANNED = "planned", _("Planned")
    DEVELOPING = "developing", _("Developing")
    TESTING = "testing", _("Testing")
    RELEASED = "released", _("Released")
    ACCEPTED = "accepted", _("Accepted")


STAGE_ORDER = [s.value for s in Stage]


class CloseReason(models.TextChoices):
    DONE = "done", _("Done")
    SUBDIVIDED = "subdivided", _("Subdivided")
    DUPLICATE = "duplicate", _("Duplicate")
    POSTPONED = "postponed", _("Postponed")
    WILL_NOT_DO = "will_not_do", _("Will not do")
    CANCELLED = "cancelled", _("Cancelled")
    BY_DESIGN = "by_design", _("By design")


class Category(models.TextChoices):
    FEATURE = "feature", _("Feature")
    INTERFACE = "interface", _("Interface")
    PERFORMANCE = "performance", _("Performance")
    SECURITY = "security", _("Security")
    EXPERIENCE = "experience", _("Experience")
    IMPROVEMENT = "improvement", _("Improvement")
    OTHER = "other", _("Other")


class Priority(models.IntegerChoices):
    P1 = 1, _("1 – urgent")
    P2 = 2, _("2 – high")
    P3 = 3, _("3 – normal")
    P4 = 4, _("4 – low")


class LinkKind(models.TextChoices):
    DUPLICATES = "duplicates", _("duplicates")
    DEPENDS_ON = "depends_on", _("depends on")
    RELATES_TO = "relates_to", _("relates to")


class ChangeStatus(models.TextChoices):
    DRAFT = "draft", _("Being written")
    REVIEWING = "reviewing", _("Under review")
    APPROVED = "approved", _("Approved")
    REVERTED = "reverted", _("Reverted")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
