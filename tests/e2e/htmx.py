"""Waiting for htmx in browser tests.

After a swap, htmx copies the new elements' classes and binds their hx-* attributes only when
the swap *settles* (20 ms later, htmx.config.defaultSettleDelay). A test that acts on the new
content as soon as its text shows can hit an unbound form (the browser then submits it as a
plain page load) or read stale classes. Wait until no element carries htmx's transient classes.
"""

from __future__ import annotations

_BUSY = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"


def settled(page) -> None:
    """Block until htmx has no request in flight and nothing left to swap or settle."""
    page.wait_for_function(f"() => !document.querySelector({_BUSY!r})")
