"""What a notification says, kept apart from what happened.

A notification row stores its ``kind`` and JSON ``params`` (ids, keys, titles, names,
numbers); its title, body and link are rendered when it is *read*, in the reader's
language: the inbox page and the API in the request's active language, e-mails in the
recipient's (``services.notify`` wraps them in ``translation.override``).

``KINDS`` is the one registry: kind → label, title template, optional body template and
a link builder. A row of an unknown kind, or one written before kinds had params
(``params`` is NULL), shows its stored ``title``/``body``/``url`` as they are.

A param given as a lazy translation (a choice label such as ``Verdict.PASS.label``) is
stored as its English msgid under ``{"_msgid": …}`` and translated for each reader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import get_language, gettext, override
from django.utils.translation import gettext_lazy as _

Link = Callable[[dict[str, Any]], str]


def requirement_link(p: dict[str, Any]) -> str:
    return f"/requirements/{int(p['requirement_id'])}/"


def plan_link(p: dict[str, Any]) -> str:
    return f"/plans/{int(p['plan_id'])}/"


def release_kit_link(p: dict[str, Any]) -> str:
    return f"/launch/releases/{int(p['release_id'])}/"


@dataclass(frozen=True)
class Kind:
    label: Promise  # the short name shown next to the title in the inbox
    title: Promise  # a gettext_lazy %-template over the params
    link: Link
    body: Promise | None = None  # a fixed sentence put before the sender's own text (note, comment)


KINDS: dict[str, Kind] = {
    "review_requested": Kind(
        _("Review requested"), _("Review requested: %(key)s %(title)s"), requirement_link
    ),
    "change_review_requested": Kind(
        _("Change review requested"), _("Change review requested: %(key)s %(title)s"), requirement_link
    ),
    "verdict_given": Kind(
        _("Verdict given"), _("%(who)s: %(verdict)s on %(key)s %(title)s"), requirement_link
    ),
    "review_decided": Kind(
        _("Review decided"), _("Review decided (%(outcome)s): %(key)s %(title)s"), requirement_link
    ),
    "change_requested": Kind(
        _("Change requested"), _("Change requested: %(key)s %(title)s"), requirement_link
    ),
    "requirement_closed": Kind(_("Closed"), _("Closed (%(reason)s): %(key)s %(title)s"), requirement_link),
    "requirement_released": Kind(_("Released"), _("Released: %(key)s %(title)s"), requirement_link),
    "requirement_released_customer": Kind(
        _("Released for your customer"),
        _("Released: %(key)s %(title)s"),
        requirement_link,
        body=_("A requirement your customer asked for has been released."),
    ),
    "plan_change_unconfirmed": Kind(
        _("Change not yet confirmed"),
        _("Change to a planned requirement: %(key)s %(title)s (plan %(plan)s)"),
        plan_link,
        body=_("Check whether the plan still holds, then confirm the change on the plan page."),
    ),
    "launch_item_assigned": Kind(
        _("Launch checklist"),
        _("Launch checklist: %(item)s (%(version)s) is yours to sign off"),
        release_kit_link,
    ),
}

MSGID = "_msgid"


def store_params(params: dict[str, Any] | None) -> dict[str, Any]:
    """JSON-ready params: lazy translations become ``{"_msgid": <English msgid>}``."""
    out: dict[str, Any] = {}
    for key, value in (params or {}).items():
        if isinstance(value, Promise):
            with override(None):  # no catalogue active: str() gives the msgid itself
                value = {MSGID: str(value)}
        out[key] = value
    return out


def _for_reader(params: dict[str, Any]) -> dict[str, Any]:
    return {k: gettext(v[MSGID]) if isinstance(v, dict) and MSGID in v else v for k, v in params.items()}


@dataclass(frozen=True)
class Rendered:
    kind_label: str
    title: str
    body: str
    url: str


def render(
    kind: str, params: dict[str, Any] | None, *, title: str = "", body: str = "", url: str = ""
) -> Rendered:
    """The text of one notification in the active language. ``title``/``body``/``url`` are the
    stored ones: the fallback for unknown kinds and legacy rows (``params`` None), and ``body``
    is the sender's own words (a note, a comment) for the others."""
    spec = KINDS.get(kind)
    fallback = Rendered(str(spec.label) if spec else kind.replace("_", " "), title, body, url)
    if spec is None or params is None:
        return fallback
    try:
        values = _for_reader(params)
        text = str(spec.title) % values
        link = spec.link(params)
    except (KeyError, ValueError, TypeError):  # params that do not fit: say what was stored
        return fallback
    fixed = str(spec.body) if spec.body else ""
    return Rendered(str(spec.label), text, "\n\n".join(t for t in (fixed, body) if t), link)


def render_notification(n) -> Rendered:
    """``render`` for a Notification row, remembered per language on the instance."""
    lang = get_language()
    cached = getattr(n, "_rendered", None)
    if cached is not None and cached[0] == lang:
        return cached[1]
    out = render(n.kind, n.params, title=n.title, body=n.body, url=n.url)
    n._rendered = (lang, out)
    return out
