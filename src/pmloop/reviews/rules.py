"""How a product's review rule turns verdicts into an outcome. Pure functions."""

from __future__ import annotations

from collections import Counter

from pmloop.reviews.choices import SEVERITY, Verdict


def decide(rule: str, verdicts: list[str | None]) -> str | None:
    """The round's outcome, or None while it cannot be known yet.

    all:      pass only if every reviewer passes; otherwise the gravest verdict given.
    majority: pass when more than half pass; otherwise, once everyone has voted, the most
              frequent other verdict (ties go to the graver one).
    A majority of passes decides at once; anything else waits for every reviewer."""
    n = len(verdicts)
    given = [v for v in verdicts if v]
    if n == 0:
        return None
    passes = sum(1 for v in given if v == Verdict.PASS)
    if rule == "majority":
        if passes * 2 > n:
            return Verdict.PASS
        if len(given) < n:
            return None  # wait for everyone: a majority may still form, or the objection is unclear
        others = Counter(v for v in given if v != Verdict.PASS)
        if not others:
            return Verdict.PASS
        return max(others, key=lambda v: (others[v], SEVERITY[Verdict(v)]))
    # all must pass
    if len(given) < n:
        return None
    if passes == n:
        return Verdict.PASS
    return max((v for v in given if v != Verdict.PASS), key=lambda v: SEVERITY[Verdict(v)])
