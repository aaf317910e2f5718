"""Pure helpers that put pool input into its stored shape: tags and the derived title."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.utils.translation import gettext as _

from pmloop.core.errors import InvalidInput

TAG_MAX = 30
TAGS_MAX = 20
TITLE_MAX = 200
TEXT_MAX = 20_000

_TAG_SPLIT = re.compile(r"[,，;；、\n]+")
# A sentence ends at Chinese or English end punctuation; an English full stop only when a
# space or the end follows, so "v1.2" and "example.com" stay whole.
_SENTENCE_END = re.compile(r"[。！？!?；;\n]|\.(?=\s|$)")


def normalise_tags(tags: str | Iterable[str] | None) -> str:
    """',api,群聊,' from 'API, 群聊' or ['api', ' 群聊 ']: lower-case, trimmed, no commas,
    unique, in the order given; '' for none. Refuses a tag that is too long or too many tags."""
    if tags is None:
        return ""
    parts = (
        _TAG_SPLIT.split(tags)
        if isinstance(tags, str)
        else [p for t in tags for p in _TAG_SPLIT.split(str(t))]
    )
    seen: list[str] = []
    for raw in parts:
        tag = " ".join(raw.split()).lower().lstrip("#")
        if not tag:
            continue
        if len(tag) > TAG_MAX:
            raise InvalidInput(
                _("The tag '%(t)s' is too long: a tag may have at most %(n)s characters.")
                % {"t": tag[:40], "n": TAG_MAX},
                field="tags",
            )
        if tag not in seen:
            seen.append(tag)
    if len(seen) > TAGS_MAX:
        raise InvalidInput(
            _("At most %(n)s tags per item (you gave %(k)s).") % {"n": TAGS_MAX, "k": len(seen)}, field="tags"
        )
    return f",{','.join(seen)}," if seen else ""


def tag_list(tags: str) -> list[str]:
    return [t for t in (tags or "").split(",") if t]


def normalise_tag(tag: str) -> str:
    """One tag as a filter value (same rules as stored tags)."""
    return " ".join((tag or "").split()).lower().lstrip("#").replace(",", "")


def derive_title(text: str, limit: int = TITLE_MAX) -> str:
    """The first sentence of the text, on one line, cut to ``limit`` characters."""
    text = (text or "").strip()
    match = _SENTENCE_END.search(text)
    first = text[: match.start()] if match else text
    first = " ".join(first.split()) or " ".join(text.split())
    if len(first) > limit:
        first = first[: limit - 1].rstrip() + "…"
    return first


def clean_text(text: str | None) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("Write what was asked: the text is required."), field="text")
    if len(text) > TEXT_MAX:
        raise InvalidInput(
            _("The text may have at most %(n)s characters (it has %(k)s); attach long documents instead.")
            % {"n": TEXT_MAX, "k": len(text)},
            field="text",
        )
    return text


def clean_title(title: str | None, text: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        return derive_title(text)
    if len(title) > TITLE_MAX:
        raise InvalidInput(
            _("The title may have at most %(n)s characters.") % {"n": TITLE_MAX}, field="title"
        )
    return title
