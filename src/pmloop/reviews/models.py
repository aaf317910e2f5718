from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pmloop.reviews.choices import RoundKind, RoundStatus, Verdict


class ReviewRound(models.Model):
    """One round of review of a subject (e.g. a requirement, or a change to it).

    The engine knows only "a subject under review"; what an outcome means for the subject is
    decided by the app that owns it."""

    product = models.ForeignKey("products.Product", on_delete=models.CASCADE, related_name="review_rounds")
    subject_type = models.CharField(max_length=40)
    subject_id = models.BigIntegerField()
    kind = models.CharField(max_length=10, choices=RoundKind.choices, default=RoundKind.INITIAL)
    rule = models.CharField(max_length=10)  # the product's rule, frozen when the round opened
    status = models.CharField(max_length=10, choices=RoundStatus.choices, default=RoundStatus.OPEN)
    outcome = models.CharField(max_length=10, choices=Verdict.choices, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)  # e.g. the change request's reason

    audit_fields = ("subject_type", "subject_id", "kind", "rule", "status", "outcome")

    class Meta:
        verbose_name = _("review round")
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["subject_type", "subject_id", "status"], name="review_subject_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class ReviewVote(models.Model):
    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="votes")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_votes"
    )
    verdict = models.CharField(max_length=10, choices=Verdict.choices, blank=True)
    comment = models.TextField(blank=True)
    given_at = models.DateTimeField(null=True, blank=True)

    audit_fields = ("round_id", "reviewer_id", "verdict", "comment")

    class Meta:
        verbose_name = _("review verdict")
        constraints = [models.UniqueConstraint(fields=["round", "reviewer"], name="review_vote_once")]

    def __str__(self) -> str:
        return f"{self.reviewer_id}: {self.verdict or '-'}"
