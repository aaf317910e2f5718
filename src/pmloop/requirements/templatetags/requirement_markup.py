"""Template filters of the requirement pages: Markdown rendered and then sanitised.

A spec is written by people and read by everyone in the product, so its Markdown is
rendered with ``markdown`` and the HTML is cleaned with ``nh3`` (an allow-list: no script,
no style, no event-handler attributes, links only to http, https and mailto)."""

from __future__ import annotations

import threading

import markdown as md
import nh3
from django import template
from django.urls import get_script_prefix, reverse
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


_DETAIL_SPLIT: dict[str, tuple[str, str]] = {}
_PK_MARK = 987654321


def detail_url(pk: int) -> str:
    """``reverse("requirements:detail", args=[pk])`` without resolving the pattern per row:
    the URL is split once (per script prefix) around a marker id and joined around ``pk``."""
    prefix = get_script_prefix()
    parts = _DETAIL_SPLIT.get(prefix)
    if parts is None:
        head, tail = reverse("requirements:detail", args=[_PK_MARK]).split(str(_PK_MARK))
        parts = _DETAIL_SPLIT[prefix] = (head, tail)
    return f"{parts[0]}{int(pk)}{parts[1]}"


@register.simple_tag
def requirement_row(r, product) -> str:
    """One row of the requirement list (``<tr>…</tr>``), built in Python: the same markup as a
    template loop body, at a fifth of its cost (~25 template nodes per row; a 50-row page spent
    about 6 of its 27 ms in-process there, docs/benchmarks.md). Every value goes through
    ``format_html``, so it is escaped exactly as the template escaped it."""
    url = detail_url(r.pk)
    flag = (
        format_html(
            '<span class="flag" title="{}">● {}</span>',
            _("The parent changed; not yet confirmed"), _("parent changed"),
        )
        if r.unconfirmed_change_id
        else ""
    )  # fmt: skip
    closed = (
        format_html(' <span class="muted small">{}</span>', r.get_close_reason_display())
        if r.status == "closed"
        else ""
    )
    module = r.module.name if r.module_id and r.module.name else "—"
    owner = r.owner if r.owner_id else "—"
    return format_html(
        "<tr>"
        '<td class="nowrap"><a class="code" href="{url}">{code}-{number}</a></td>'
        '<td class="title-cell"><a href="{url}">{title}</a>{flag}</td>'
        "<td>{module}</td>"
        '<td><span class="prio prio-{priority}" title="{priority_label}">P{priority}</span></td>'
        "<td>{status}{closed}</td>"
        '<td><span class="sg sg-{stage}">{stage_label}</span></td>'
        '<td class="nowrap">{bar}</td>'
        '<td class="num">{voices}</td>'
        "<td>{owner}</td>"
        "</tr>",
        url=url, code=product.code, number=r.number, title=r.title, flag=flag, module=module,
        priority=r.priority, priority_label=r.get_priority_display(), status=status_badge(r), closed=closed,
        stage=r.stage, stage_label=r.get_stage_display(), bar=prd_bar(r.completeness), voices=r.voices,
        owner=owner,
    )  # fmt: skip
