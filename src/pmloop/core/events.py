"""A tiny in-process event bus. ``emit`` delivers to subscribers after the surrounding
transaction commits, so nothing leaves the process when a service rolls back."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction

log = logging.getLogger(__name__)
_subscribers: dict[str, list[Callable[..., None]]] = defaultdict(list)


def subscribe(name: str, handler: Callable[..., None]) -> None:
    if handler not in _subscribers[name]:
        _subscribers[name].append(handler)


def subscribe_to(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def deco(fn: Callable[..., None]) -> Callable[..., None]:
        subscribe(name, fn)
        return fn

    return deco


def _deliver(name: str, payload: dict[str, Any]) -> None:
    for handler in list(_subscribers.get(name, ())) + list(_subscribers.get("*", ())):
        try:
            handler(name, **payload)
        except Exception:  # a failing subscriber must not break the others or the caller
            log.exception("event subscriber %r failed for %s", handler, name)


def emit(name: str, **payload: Any) -> None:
    transaction.on_commit(lambda: _deliver(name, payload))
