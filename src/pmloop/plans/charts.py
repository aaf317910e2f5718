"""Server-rendered SVG: the roadmap timeline and a plan's burn-up / cumulative-flow chart.

Pure functions from the selectors' read models to SVG text (no JavaScript, no build chain);
the pages inline them and the exports download them. Labels are passed in already translated."""

from __future__ import annotations

from datetime import date, timedelta
from xml.sax.saxutils import escape, quoteattr

from pmloop.plans.selectors import Flow, Roadmap
from pmloop.requirements.choices import STAGE_ORDER

FONT = "system-ui, -apple-system, 'Segoe UI', 'PingFang SC', 'Microsoft YaHei', 'WenQuanYi Micro Hei', 'Noto Sans CJK SC', sans-serif"
STAGE_COLOURS = {
    "wait": "#c5cbd3",
    "planned": "#8ea2ff",
    "developing": "#f2b441",
    "testing": "#e07b39",
    "released": "#3a9d5d",
    "accepted": "#067647",
}
TEXT, MUTED, GRID, ACCENT = "#1b2230", "#596273", "#dfe3e8", "#3346c4"


def _t(x: float, y: float, text: str, *, size: float = 12, anchor: str = "start", fill: str = TEXT,
       weight: str = "normal", extra: str = "") -> str:  # fmt: skip
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" '
            f'font-weight="{weight}"{extra}>{escape(text)}</text>')  # fmt: skip


def _svg(width: float, height: float, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label={quoteattr(title)} '
        f"font-family={quoteattr(FONT)}>"
        f"<title>{escape(title)}</title>"
        f'<rect width="100%" height="100%" fill="#ffffff"/>' + "".join(body) + "</svg>"
    )


def _clip(text: str, chars: int) -> str:
    """Cut to about ``chars`` Latin-width characters (a CJK character counts two)."""
    out, width = "", 0
    for ch in text:
        width += 2 if ord(ch) > 0x2E7F else 1
        if width > chars:
            return out + "…"
        out += ch
    return out


def legend(labels: dict[str, str], x: float, y: float) -> list[str]:
    parts = []
    for stage in STAGE_ORDER:
        parts.append(
            f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10" rx="2" fill="{STAGE_COLOURS[stage]}"/>'
        )
        label = labels.get(stage, stage)
        parts.append(_t(x + 14, y, label, size=11, fill=MUTED))
        x += 24 + 7 * sum(2 if ord(c) > 0x2E7F else 1 for c in label)
    return parts


# ---- roadmap ----------------------------------------------------------------------------------
def roadmap_svg(rm: Roadmap, *, labels: dict[str, str], title: str, width: int = 1100) -> str:
    """Plans as bars, releases as diamonds, and one bar per requirement (its plan's span,
    coloured by stage) in lanes by module / theme / category; a line marks today."""
    left, right, row_h, top = 230, 20, 22, 64
    span = max(1, (rm.end - rm.start).days + 1)
    scale = (width - left - right) / span

    def x_of(d: date) -> float:
        return left + max(0, min(span, (d - rm.start).days)) * scale

    body: list[str] = [_t(12, 22, title, size=15, weight="600")]
    body += legend(labels, left, 22)
    # month grid
    month = rm.start.replace(day=1)
    while month <= rm.end:
        if month >= rm.start:
            x = x_of(month)
            body.append(f'<line x1="{x:.1f}" y1="{top - 16}" x2="{x:.1f}" y2="100%" stroke="{GRID}"/>')
            body.append(_t(x + 3, top - 4, month.strftime("%Y-%m"), size=10, fill=MUTED))
        month = (month + timedelta(days=32)).replace(day=1)
    y = top + 6
    # plans: one row per nesting depth (quarters, then their sprints …)
    body.append(_t(12, y + 14, labels.get("plans", "Plans"), size=12, weight="600"))
    depths = max((min(p.depth, 3) for p in rm.plans), default=0) + 1
    for p in rm.plans:
        x1, x2 = x_of(p.start), x_of(p.end + timedelta(days=1))
        top_y = y + min(p.depth, 3) * row_h
        body.append(f'<rect x="{x1:.1f}" y="{top_y + 3:.1f}" width="{max(2, x2 - x1):.1f}" height="16" rx="3" '
                    f'fill="#eef0fc" stroke="{ACCENT}"><title>{escape(p.title)} ({p.start} – {p.end})</title></rect>')  # fmt: skip
        body.append(_t(x1 + 4, top_y + 15, _clip(p.title, int((x2 - x1) / 6.5)), size=10, fill=ACCENT))
    y += depths * row_h
    # releases
    body.append(_t(12, y + 14, labels.get("releases", "Releases"), size=12, weight="600"))
    for r in rm.releases:
        if r.day is None:
            continue
        x = x_of(r.day)
        fill = "#3a9d5d" if r.released else "#ffffff"
        body.append(f'<path d="M{x:.1f} {y + 2:.1f} l7 7 l-7 7 l-7 -7 z" fill="{fill}" stroke="#067647">'
                    f"<title>{escape(r.version)} ({r.day})</title></path>")  # fmt: skip
        body.append(_t(x + 9, y + 13, r.version, size=10, fill="#067647", weight="600"))
    y += row_h + 8
    # lanes of requirements
    if not rm.lanes:
        body.append(_t(left, y + 16, labels.get("empty", ""), size=12, fill=MUTED))
        y += row_h
    for lane in rm.lanes:
        body.append(f'<rect x="0" y="{y:.1f}" width="{width}" height="20" fill="#f5f6f8"/>')
        body.append(_t(12, y + 14, _clip(lane.label, 60), size=12, weight="600"))
        y += 22
        for row in lane.rows:
            x1 = x_of(row.start) if row.start else left
            x2 = x_of(row.end + timedelta(days=1)) if row.end else x1 + 8
            colour = STAGE_COLOURS.get(row.stage, "#c5cbd3")
            tip = f"{row.key} {row.title} · {labels.get(row.stage, row.stage)} · {row.plan}"
            if row.release:
                tip += f" · {row.release}"
            body.append(_t(12, y + 14, _clip(f"{row.key} {row.title}", 34), size=11))
            body.append(f'<rect x="{x1:.1f}" y="{y + 3:.1f}" width="{max(3, x2 - x1):.1f}" height="14" rx="3" '
                        f'fill="{colour}"><title>{escape(tip)}</title></rect>')  # fmt: skip
            if x2 - x1 > 60:
                text_fill = "#ffffff" if row.stage in ("released", "accepted", "testing") else TEXT
                body.append(_t(x1 + 4, y + 14, _clip(labels.get(row.stage, row.stage), int((x2 - x1) / 7)),
                               size=10, fill=text_fill))  # fmt: skip
            y += row_h
    # today
    if rm.start <= rm.today <= rm.end:
        x = x_of(rm.today)
        body.append(f'<line x1="{x:.1f}" y1="{top - 16}" x2="{x:.1f}" y2="{y:.1f}" stroke="#b42318" '
                    f'stroke-dasharray="4 3"/>')  # fmt: skip
        body.append(_t(x + 3, top + 2, labels.get("today", "today"), size=10, fill="#b42318"))
    return _svg(width, y + 12, body, title)


# ---- burn-up / cumulative flow ------------------------------------------------------------------
def flow_svg(flow: Flow, *, labels: dict[str, str], title: str, width: int = 760, height: int = 300) -> str:
    """Cumulative flow: one band per stage (done at the bottom), the plan's scope as a line on
    top (burn-up: the gap between scope and the green bands is what is left)."""
    left, right, top, bottom = 44, 16, 40, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    points = flow.points
    ymax = max(1, flow.max_scope)
    n = len(points)

    def px(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def py(v: float) -> float:
        return top + plot_h - plot_h * v / ymax

    body = [_t(12, 20, title, size=14, weight="600")]
    body += legend(labels, left + 200, 20)
    for k in range(0, ymax + 1, max(1, ymax // 5)):
        body.append(
            f'<line x1="{left}" y1="{py(k):.1f}" x2="{width - right}" y2="{py(k):.1f}" stroke="{GRID}"/>'
        )
        body.append(_t(left - 6, py(k) + 4, str(k), size=10, anchor="end", fill=MUTED))
    stack_order = list(reversed(STAGE_ORDER))  # accepted at the bottom … waiting on top
    base = [0.0] * n
    for stage in stack_order:
        tops = [base[i] + points[i].counts.get(stage, 0) for i in range(n)]
        if any(t != b for t, b in zip(tops, base, strict=True)):
            upper = " ".join(f"{px(i):.1f},{py(tops[i]):.1f}" for i in range(n))
            lower = " ".join(f"{px(i):.1f},{py(base[i]):.1f}" for i in reversed(range(n)))
            body.append(f'<polygon points="{upper} {lower}" fill="{STAGE_COLOURS[stage]}" fill-opacity="0.9">'
                        f"<title>{escape(labels.get(stage, stage))}</title></polygon>")  # fmt: skip
        base = tops
    if n:
        scope = " ".join(f"{px(i):.1f},{py(points[i].scope):.1f}" for i in range(n))
        body.append(f'<polyline points="{scope}" fill="none" stroke="{TEXT}" stroke-width="2"/>')
        done = " ".join(f"{px(i):.1f},{py(points[i].done):.1f}" for i in range(n))
        body.append(
            f'<polyline points="{done}" fill="none" stroke="#067647" stroke-width="2" stroke-dasharray="5 3"/>'
        )
        body.append(_t(width - right, py(points[-1].scope) - 6, f"{labels.get('scope', 'scope')} {points[-1].scope}",
                       size=11, anchor="end", weight="600"))  # fmt: skip
        body.append(_t(left, height - 14, str(points[0].day), size=10, fill=MUTED))
        body.append(_t(width - right, height - 14, str(points[-1].day), size=10, anchor="end", fill=MUTED))
        body.append(_t(width / 2, height - 14, f"{labels.get('done', 'done')} {points[-1].done} / {points[-1].scope}",
                       size=11, anchor="middle", fill="#067647", weight="600"))  # fmt: skip
    body.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="{MUTED}"/>'
    )
    return _svg(width, height, body, title)
