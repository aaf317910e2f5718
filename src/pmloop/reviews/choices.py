from django.db import models
from django.utils.translation import gettext_lazy as _


class Verdict(models.TextChoices):
    PASS = "pass", _("Pass")
    CLARIFY = "clarify", _("Needs clarification")
    REJECT = "reject", _("Reject")
    REVERT = "revert", _("Revert the change")


class RoundKind(models.TextChoices):
    INITIAL = "initial", _("Review")
    CHANGE = "change", _("Change review")


class RoundStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DECIDED = "decided", _("Decided")
    CANCELLED = "cancelled", _("Cancelled")


# When reviewers disagree, the graver verdict wins a tie.
SEVERITY = {Verdict.PASS: 0, Verdict.CLARIFY: 1, Verdict.REVERT: 2, Verdict.REJECT: 3}
