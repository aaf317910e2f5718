"""The review engine: open a round with reviewers, record verdicts, decide by the rule.

It does not know what a requirement is. The owning app (requirements) checks its own
permissions and guards, calls these functions inside its transaction, and applies the
outcome to its subject."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pmloop.accounts.models import Membership
from pmloop.audit import services as audit
from pmloop.core.actor import Actor
from pmloop.core.errors import GuardFailed, InvalidInput, NotFound, PermissionDenied
from pmloop.reviews import rules
from pmloop.reviews.choices import RoundKind, RoundStatus, Verdict
from pmloop.reviews.models import ReviewRound, ReviewVote


@dataclass
class VoteResult:
    round: ReviewRound
    vote: ReviewVote
    outcome: str | None  # set when this vote decided the round


def check_reviewers(*, product_id: int, reviewer_ids: list[int]) -> list[int]:
    """Reviewers must be members of the product; returns the de-duplicated ids."""
    ids = list(dict.fromkeys(int(i) for i in reviewer_ids))
    if not ids:
        raise GuardFailed(_("Name at least one reviewer."), code="no_reviewers", field="reviewer_ids")
    members = set(
        Membership.objects.filter(product_id=product_id, user_id__in=ids).values_list("user_id", flat=True)
    )
    strangers = [i for i in ids if i not in members]
    if strangers:
        raise InvalidInput(
            _("Reviewers must be members of the product; not a member: %(ids)s.")
            % {"ids": ", ".join(map(str, strangers))},
            field="reviewer_ids",
            missing=strangers,
        )
    return ids


@transaction.atomic
def open_round(
    *, actor: Actor, product_id: int, subject_type: str, subject_id: int, reviewer_ids: list[int],
    rule: str, kind: str = RoundKind.INITIAL, note: str = "",
) -> ReviewRound:  # fmt: skip
    ids = check_reviewers(product_id=product_id, reviewer_ids=reviewer_ids)
    if ReviewRound.objects.filter(
        subject_type=subject_type, subject_id=subject_id, status=RoundStatus.OPEN
    ).exists():
        raise GuardFailed(_("A review round is already open for this."), code="round_open")
    rnd = ReviewRound.objects.create(
        product_id=product_id, subject_type=subject_type, subject_id=subject_id, kind=kind, rule=rule,
        opened_by=actor.user, note=note,
    )  # fmt: skip
    ReviewVote.objects.bulk_create([ReviewVote(round=rnd, reviewer_id=i) for i in ids])
    audit.record(actor=actor, action="reviews.round_opened", obj=rnd, note=note,
                 after={**audit.snapshot(rnd), "reviewer_ids": ids})  # fmt: skip
    return rnd


def open_round_for(*, subject_type: str, subject_id: int, lock: bool = False) -> ReviewRound | None:
    qs = ReviewRound.objects.filter(subject_type=subject_type, subject_id=subject_id, status=RoundStatus.OPEN)
    if lock:
        qs = qs.select_for_update()
    return qs.first()


@transaction.atomic
def record_vote(*, actor: Actor, round_id: int, verdict: str, comment: str = "") -> VoteResult:
    if verdict not in Verdict.values:
        raise InvalidInput(
            _("Verdict must be one of: %(v)s.") % {"v": ", ".join(Verdict.values)}, field="verdict"
        )
    rnd = ReviewRound.objects.select_for_update().filter(pk=round_id).first()
    if rnd is None:
        raise NotFound(_("No such review round."))
    if rnd.status != RoundStatus.OPEN:
        raise GuardFailed(_("This review round is already closed."), code="round_closed")
    if verdict == Verdict.REVERT and rnd.kind != RoundKind.CHANGE:
        raise InvalidInput(_("'Revert' applies only when a change is reviewed."), field="verdict")
    if verdict in (Verdict.CLARIFY, Verdict.REJECT, Verdict.REVERT) and not comment.strip():
        raise InvalidInput(
            _("Say why: a '%(v)s' verdict needs a comment the author can act on.")
            % {"v": Verdict(verdict).label},
            field="comment",
        )
    vote = ReviewVote.objects.select_for_update().filter(round=rnd, reviewer_id=actor.user_id).first()
    if vote is None:
        raise PermissionDenied(
            _("You are not a reviewer of this round; the author can add you as a reviewer."),
            code="not_reviewer",
        )
    if vote.verdict:
        raise GuardFailed(_("You have already given your verdict in this round."), code="already_voted")
    vote.verdict, vote.comment, vote.given_at = verdict, comment.strip(), timezone.now()
    vote.save(update_fields=["verdict", "comment", "given_at"])
    audit.record(actor=actor, action="reviews.verdict_recorded", obj=vote, product_id=rnd.product_id,
                 note=comment.strip())  # fmt: skip
    verdicts = list(rnd.votes.values_list("verdict", flat=True))
    outcome = rules.decide(rnd.rule, verdicts)
    if outcome is not None:
        before = audit.snapshot(rnd)
        rnd.status, rnd.outcome, rnd.decided_at = RoundStatus.DECIDED, outcome, timezone.now()
        rnd.save(update_fields=["status", "outcome", "decided_at"])
        audit.record(actor=actor, action="reviews.round_decided", obj=rnd, before=before)
    return VoteResult(round=rnd, vote=vote, outcome=outcome)


@transaction.atomic
def cancel_round(*, actor: Actor, round_id: int, note: str = "") -> ReviewRound:
    rnd = ReviewRound.objects.select_for_update().get(pk=round_id)
    before = audit.snapshot(rnd)
    rnd.status, rnd.decided_at = RoundStatus.CANCELLED, timezone.now()
    rnd.save(update_fields=["status", "decided_at"])
    audit.record(actor=actor, action="reviews.round_cancelled", obj=rnd, before=before, note=note)
    return rnd


@transaction.atomic
def add_reviewers(*, actor: Actor, round_id: int, reviewer_ids: list[int]) -> ReviewRound:
    rnd = ReviewRound.objects.select_for_update().get(pk=round_id)
    if rnd.status != RoundStatus.OPEN:
        raise GuardFailed(_("This review round is already closed."), code="round_closed")
    ids = check_reviewers(product_id=rnd.product_id, reviewer_ids=reviewer_ids)
    existing = set(rnd.votes.values_list("reviewer_id", flat=True))
    new = [i for i in ids if i not in existing]
    ReviewVote.objects.bulk_create([ReviewVote(round=rnd, reviewer_id=i) for i in new])
    audit.record(actor=actor, action="reviews.reviewers_added", obj=rnd, note=", ".join(map(str, new)))
    return rnd


__all__ = ["RoundKind", "RoundStatus", "Verdict", "VoteResult", "add_reviewers", "cancel_round",
           "check_reviewers", "open_round", "open_round_for", "record_vote"]  # fmt: skip
