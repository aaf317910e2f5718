"""Reactions to events of lower apps (delivered after their transaction commits)."""

from __future__ import annotations

from pmloop.core.actor import system_actor


def on_change_requested(name: str, *, requirement_id: int, change_id: int, **_payload) -> None:
    """A planned requirement's spec is changing: flag its plan item until the plan owner confirms."""
    from pmloop.plans import services

    services.flag_unconfirmed_change(
        actor=system_actor(via="automation"), requirement_id=requirement_id, change_id=change_id
    )
