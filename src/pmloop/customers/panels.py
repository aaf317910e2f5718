"""Sections that higher apps add to the customer page.

The customer page belongs to this app, but what a customer asked (the pool) and what was
promised to them (requirements) live in apps above it, which this app may not import. Those
apps register a panel here from their ``AppConfig.ready()``; the page renders every panel of
a slot in order. Slots: ``asks`` (pool items) and ``requirements``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SLOTS = ("asks", "requirements")


@dataclass(frozen=True)
class Panel:
    slot: str
    key: str
    template: str
    # (actor, customer) -> template context; runs selectors of the registering app.
    context: Callable[..., dict[str, Any]]
    order: int = 100


_PANELS: dict[str, Panel] = {}


def register(
    *, slot: str, key: str, template: str, context: Callable[..., dict[str, Any]], order: int = 100
) -> None:
    if slot not in SLOTS:
        raise ValueError(f"unknown customer panel slot {slot!r}; use one of {SLOTS}")
    _PANELS[key] = Panel(slot=slot, key=key, template=template, context=context, order=order)


def panels_for(slot: str) -> list[Panel]:
    return sorted((p for p in _PANELS.values() if p.slot == slot), key=lambda p: (p.order, p.key))
