"""The pool item's state machine, as data, and pure guard functions (no database access).

    new ──triage──▶ triaged ──link──▶ linked
     │  ╲            │   ▲               │
     │   ╲──decline──┼───┼──▶ declined ──┘ reopen ▶ triaged
     │               │   └──────────────────┘
     └────merge──────┴──▶ merged (into another item; final)

A guard raises GuardFailed (or InvalidInput for a bad reference) with a message that says
what to do instead; it never writes.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from pmloop.core.errors import GuardFailed, InvalidInput
from pmloop.pool.choices import Status

# action -> (the statuses it starts from, the status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "triage": (frozenset({Status.NEW}), Status.TRIAGED),
    "decline": (frozenset({Status.NEW, Status.TRIAGED}), Status.DECLINED),
    "merge": (frozenset({Status.NEW, Status.TRIAGED}), Status.MERGED),
    "reopen": (frozenset({Status.DECLINED}), Status.TRIAGED),
    "link": (frozenset({Status.NEW, Status.TRIAGED, Status.LINKED}), Status.LINKED),
    # only when the item's last link goes; an item still linked elsewhere stays linked
    "unlink": (frozenset({Status.LINKED}), Status.TRIAGED),
}

REASON_MAX = 2000


def allowed(action: str, status: str) -> bool:
    return status in TRANSITIONS[action][0]


def target_status(action: str) -> str:
    return TRANSITIONS[action][1]


def actions_for(status: str) -> list[str]:
    """The transitions a person may start from this status (for buttons and docs)."""
    return [
        a for a, (sources, _to) in TRANSITIONS.items() if status in sources and a not in ("link", "unlink")
    ]


def name_of(item: Any) -> str:
    """IMSDK-P12 when the product is loaded, P12 otherwise."""
    try:
        return item.key
    except Exception:  # product not loaded (pure tests) or not set
        return f"P{item.number}" if getattr(item, "number", None) else _("this item")


def _why_not(item: Any, action: str) -> str:
    name, status = name_of(item), item.status
    if status == Status.MERGED:
        into = getattr(item, "merged_into", None)
        into_name = name_of(into) if into is not None else _("another item")
        return _("%(item)s was merged into %(into)s: work on %(into)s instead.") % {
            "item": name,
            "into": into_name,
        }
    if status == Status.DECLINED:
        return _("%(item)s was declined: reopen it first.") % {"item": name}
    if action == "triage" and status == Status.TRIAGED:
        return _("%(item)s is already triaged.") % {"item": name}
    if action == "triage" and status == Status.LINKED:
        return _("%(item)s is already linked to a requirement; there is nothing to triage.") % {"item": name}
    if action == "reopen":
        return _("%(item)s is not declined, so there is nothing to reopen.") % {"item": name}
    if action in ("decline", "merge") and status == Status.LINKED:
        return _(
            "%(item)s is linked to a requirement: unlink it from the requirement before you %(action)s it."
        ) % {"item": name, "action": _("decline") if action == "decline" else _("merge")}
    if action == "unlink":
        return _("%(item)s is not linked to any requirement.") % {"item": name}
    return _("%(item)s is %(status)s and cannot be changed this way.") % {
        "item": name,
        "status": Status(status).label,
    }


def check_transition(item: Any, action: str) -> None:
    if not allowed(action, item.status):
        raise GuardFailed(
            _why_not(item, action),
            code=f"cannot_{action}",
            missing=[name_of(item)],
        )


def check_can_triage(item: Any) -> None:
    check_transition(item, "triage")


def clean_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise GuardFailed(
            _("Say why you decline it: a reason is required, and the people who asked will read it."),
            code="reason_required",
            field="reason",
            missing=["reason"],
        )
    if len(reason) > REASON_MAX:
        raise InvalidInput(
            _("The reason may have at most %(n)s characters.") % {"n": REASON_MAX}, field="reason"
        )
    return reason


def check_can_decline(item: Any, reason: str | None) -> str:
    """Returns the cleaned reason."""
    check_transition(item, "decline")
    return clean_reason(reason)


def check_merge_target(item: Any, target: Any) -> None:
    """The target alone: same product, not the item itself, still open to voices."""
    if target is None:
        raise InvalidInput(_("Choose the item to merge into."), field="merge_into_id", code="target_required")
    if target.product_id != item.product_id:
        raise InvalidInput(
            _("%(t)s belongs to another product; you can only merge items of the same product.")
            % {"t": name_of(target)},
            field="merge_into_id",
        )
    if target.pk is not None and target.pk == item.pk:
        raise GuardFailed(
            _("%(i)s cannot be merged into itself: choose another item.") % {"i": name_of(item)},
            code="merge_into_self",
            field="merge_into_id",
        )
    if target.status == Status.MERGED:
        into = getattr(target, "merged_into", None)
        raise GuardFailed(
            _("%(t)s was itself merged into %(into)s: merge into %(into)s instead.")
            % {"t": name_of(target), "into": name_of(into) if into is not None else _("another item")},
            code="target_merged",
            field="merge_into_id",
        )
    if target.status == Status.DECLINED:
        raise GuardFailed(
            _("%(t)s was declined: reopen it first, or merge into an open item.") % {"t": name_of(target)},
            code="target_declined",
            field="merge_into_id",
        )


def check_can_merge(item: Any, target: Any) -> None:
    check_merge_target(item, target)
    check_transition(item, "merge")


def check_can_reopen(item: Any) -> None:
    check_transition(item, "reopen")


def check_can_link(item: Any) -> None:
    check_transition(item, "link")


def check_can_edit(item: Any) -> None:
    if item.status == Status.MERGED:
        into = getattr(item, "merged_into", None)
        raise GuardFailed(
            _("%(i)s was merged into %(into)s and is kept as it was: edit %(into)s instead.")
            % {"i": name_of(item), "into": name_of(into) if into is not None else _("another item")},
            code="item_merged",
        )
