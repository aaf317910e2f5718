from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from pmloop.reviews.models import ReviewRound, ReviewVote


def rounds_for(*, subject_type: str, subject_id: int) -> QuerySet[ReviewRound]:
    """Every round of a subject with its votes and reviewers (2 queries). The caller has
    already checked that the actor may see the subject."""
    return (
        ReviewRound.objects.filter(subject_type=subject_type, subject_id=subject_id)
        .select_related("opened_by")
        .prefetch_related(
            Prefetch("votes", queryset=ReviewVote.objects.select_related("reviewer").order_by("id"))
        )
        .order_by("-opened_at", "-id")
    )


def pending_for_reviewer(*, user_id: int, subject_type: str | None = None) -> QuerySet[ReviewVote]:
    qs = ReviewVote.objects.filter(reviewer_id=user_id, verdict="", round__status="open").select_related(
        "round"
    )
    if subject_type:
        qs = qs.filter(round__subject_type=subject_type)
    return qs
