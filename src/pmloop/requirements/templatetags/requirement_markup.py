"""Template filters of the requirement pages: Markdown rendered and then sanitised.

A spec is written by people and read by everyone in the product, so its Markdown is
rendered with ``markdown`` and the HTML is cleaned with ``nh3`` (an allow-list: no script,
no style, no event-handler attributes, links only to http, https and mailto)."""

from __future__ import annotations

import threading

import markdown as md
import nh3
from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "dd", "dl", "dt", "em", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
    "abbr": {"title"},
    "code": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto"}
MAX_CHARS = 60_000


_local = threading.local()


def _converter() -> md.Markdown:
    """One Markdown converter per thread, reset between texts: building one (loading its
    extensions) cost 0.6 ms, two thirds of each render, ~10 renders per requirement page.
    Converters keep state while converting, so threads never share one."""
    conv = getattr(_local, "markdown", None)
    if conv is None:
        conv = _local.markdown = md.Markdown(extensions=["extra", "sane_lists"], output_format="html")
    return conv


def render_markdown(text: str | None) -> str:
    """Markdown → safe HTML (a string that may be marked safe)."""
    if not text:
        return ""
    conv = _converter()
    try:
        html = conv.convert(str(text)[:MAX_CHARS])
    finally:
        conv.reset()  # footnotes, abbreviations, references of this text stay with it
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


@register.filter(name="markdown")
def markdown_filter(text: str | None) -> str:
    return mark_safe(render_markdown(text))  # noqa: S308 — cleaned by nh3 just above


@register.filter
def get_item(mapping, key):
    """``mapping[key]`` in a template (dicts of section values, rows of a table)."""
    if mapping is None:
        return ""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


# ---- small marks repeated on every row ------------------------------------------------------------
# Tags rather than {% include %}s: an include renders a template with its own context (~0.1 ms),
# and a 50-row list showed two per row (a fifth of the page's time, bench/profile_workload.py).


@register.simple_tag
def status_badge(req) -> str:
    """A requirement's status as a coloured badge."""
    return format_html('<span class="st st-{}">{}</span>', req.status, req.get_status_display())


@register.simple_tag
def prd_bar(score: int) -> str:
    """PRD completeness as a bar and a percentage (green from 80 %, amber from 50 %)."""
    level = " bar-ok" if score >= 80 else " bar-mid" if score >= 50 else ""
    return format_html(
        '<span class="bar{}" role="img" aria-label="{}"><span style="width: {}%"></span></span>'
        '<span class="score">{}%</span>',
        level, _("PRD %(score)s%% complete") % {"score": score}, score, score,
    )  # fmt: skip
