import pytest

from pmloop.reviews.rules import decide

P, C, R, V = "pass", "clarify", "reject", "revert"


@pytest.mark.parametrize(
    ("rule", "votes", "outcome"),
    [
        ("all", [P, P, P], P),
        ("all", [P, None, P], None),  # waits for everyone
        ("all", [P, C, P], C),
        ("all", [C, R, P], R),  # the gravest objection wins
        ("all", [V, C], V),
        ("majority", [P, P, None], P),  # a majority decides at once
        ("majority", [P, C, None], None),
        ("majority", [P, C, R], R),  # no majority: tie between clarify and reject → graver
        ("majority", [P, C, C], C),
        ("majority", [P, P, C, C], C),  # 2 of 4 is not more than half
        ("majority", [P], P),
        ("all", [], None),
    ],
)
def test_rule_decides(rule, votes, outcome):
    assert decide(rule, votes) == outcome
