"""The PRD template (seed 000 §5) as data, and pure functions over a spec dict:
normalise (validate shape), completeness (what is missing, with a score) and diff."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from pmloop.core.errors import InvalidInput

TEXT_MAX = 50_000
ITEM_MAX = 2_000
LIST_MAX = 100


@dataclass(frozen=True)
class Section:
    key: str
    label: Any
    kind: str  # "text" | "list" (of strings) | "rows" (of dicts with ``columns``)
    help: Any = ""
    columns: tuple[str, ...] = ()
    weight: int = 1
    min_items: int = 1


SECTIONS: tuple[Section, ...] = (
    Section("summary", _("Summary"), "text", _("One sentence: what this requirement delivers."), weight=2),
    Section("background", _("Background"), "text", _("Where it comes from: customers, feedback, events.")),
    Section("problem", _("Problem statement"), "text", _("The problem solved, in the user's words.")),
    Section(
        "why_chain", _("Why-chain"), "list", _("Ask 'why' 4–5 times, down to the root pain."), min_items=3
    ),
    Section("value", _("Value"), "text", _("Value to customers and to the product."), weight=2),
    Section("goal", _("Goal"), "text", _("The measurable goal.")),
    Section(
        "scenarios",
        _("Scenarios"),
        "rows",
        _("Each scenario with its industry or customer type."),
        columns=("title", "industry", "customer_type", "description"),
        weight=2,
    ),
    Section("functional_design", _("Functional design"), "text", _("How it works, step by step."), weight=2),
    Section(
        "tracking_design",
        _("Event-tracking design"),
        "text",
        _("Events (埋点) that show whether it is used."),
    ),
    Section(
        "compatibility", _("Backward compatibility"), "text", _("What existing customers and APIs must keep.")
    ),
    Section("pricing", _("Pricing"), "text", _("Free, paid, which edition.")),
    Section(
        "performance",
        _("Performance targets and boundary values"),
        "rows",
        _("e.g. group size 100/1,000/10,000; delivery guarantee; latency."),
        columns=("metric", "target", "boundary"),
    ),
    Section(
        "acceptance_criteria",
        _("Acceptance criteria"),
        "list",
        _("Checkable statements; each is verified."),
        weight=2,
    ),
    Section(
        "competitors",
        _("Competitor comparison"),
        "rows",
        _("Their solution, pricing, differences, our advantage."),
        columns=("competitor", "solution", "pricing", "difference", "advantage"),
    ),
)
BY_KEY = {s.key: s for s in SECTIONS}
SECTION_KEYS = tuple(BY_KEY)


def _text(value: Any, key: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(_("Section '%(k)s' must be text.") % {"k": key}, field=f"spec.{key}")
    if len(value) > TEXT_MAX:
        raise InvalidInput(_("Section '%(k)s' is longer than %(n)s characters.") % {"k": key, "n": TEXT_MAX},
                           field=f"spec.{key}")  # fmt: skip
    return value.strip()


def _list(value: Any, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):  # one item per line is accepted from forms and the CLI
        value = list(value.splitlines())
    if not isinstance(value, list) or len(value) > LIST_MAX:
        raise InvalidInput(_("Section '%(k)s' must be a list of at most %(n)s items.") % {"k": key, "n": LIST_MAX},
                           field=f"spec.{key}")  # fmt: skip
    out = []
    for item in value:
        if not isinstance(item, str):
            raise InvalidInput(_("Items of '%(k)s' must be text.") % {"k": key}, field=f"spec.{key}")
        item = item.strip().lstrip("-*• ").strip()
        if len(item) > ITEM_MAX:
            raise InvalidInput(_("An item of '%(k)s' is too long.") % {"k": key}, field=f"spec.{key}")
        if item:
            out.append(item)
    return out


def _rows(value: Any, section: Section) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > LIST_MAX:
        raise InvalidInput(_("Section '%(k)s' must be a list of rows.") % {"k": section.key},
                           field=f"spec.{section.key}")  # fmt: skip
    out = []
    for row in value:
        if not isinstance(row, dict):
            raise InvalidInput(_("Each row of '%(k)s' must be an object with: %(c)s.")
                               % {"k": section.key, "c": ", ".join(section.columns)}, field=f"spec.{section.key}")  # fmt: skip
        unknown = set(row) - set(section.columns)
        if unknown:
            raise InvalidInput(
                _("Unknown column(s) %(u)s in '%(k)s'; use: %(c)s.")
                % {"u": ", ".join(sorted(unknown)), "k": section.key, "c": ", ".join(section.columns)},
                field=f"spec.{section.key}",
            )
        clean = {c: _text(row.get(c), f"{section.key}.{c}")[:ITEM_MAX] for c in section.columns}
        if any(clean.values()):
            out.append(clean)
    return out


def normalise(spec: dict[str, Any] | None, *, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """A complete, validated spec: ``spec``'s sections over ``base``; unknown keys refused."""
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        raise InvalidInput(_("The spec must be an object of sections."), field="spec")
    unknown = set(spec) - set(SECTION_KEYS)
    if unknown:
        raise InvalidInput(
            _("Unknown PRD section(s): %(u)s. Sections are: %(all)s.")
            % {"u": ", ".join(sorted(unknown)), "all": ", ".join(SECTION_KEYS)},
            field="spec",
        )
    merged = {**empty(), **(base or {}), **spec}
    out: dict[str, Any] = {}
    for s in SECTIONS:
        value = merged.get(s.key)
        if s.kind == "text":
            out[s.key] = _text(value, s.key)
        elif s.kind == "list":
            out[s.key] = _list(value, s.key)
        else:
            out[s.key] = _rows(value, s)
    return out


def empty() -> dict[str, Any]:
    return {s.key: ("" if s.kind == "text" else []) for s in SECTIONS}


@dataclass
class SectionCheck:
    key: str
    label: str
    filled: bool
    required: bool
    hint: str = ""


@dataclass
class Completeness:
    score: int
    sections: list[SectionCheck] = field(default_factory=list)

    @property
    def missing(self) -> list[SectionCheck]:
        return [s for s in self.sections if not s.filled]

    @property
    def missing_required(self) -> list[SectionCheck]:
        return [s for s in self.sections if s.required and not s.filled]


def _filled(section: Section, value: Any, has_sources: bool) -> tuple[bool, str]:
    if section.kind == "text":
        if section.key == "background" and not value and has_sources:
            return True, ""
        return bool(value), _("empty")
    if section.key == "scenarios":
        if not value:
            return False, _("no scenario")
        without = [r.get("title") or "?" for r in value if not (r.get("industry") or r.get("customer_type"))]
        if without:
            return False, _("scenario without industry or customer type: %(s)s") % {"s": ", ".join(without)}
        return True, ""
    if len(value) < section.min_items:
        if section.min_items > 1:
            return False, _("%(n)s of at least %(m)s") % {"n": len(value), "m": section.min_items}
        return False, _("none yet")
    return True, ""


def completeness(spec: dict[str, Any], *, required: list[str] | tuple[str, ...] = (), has_sources: bool = False
                 ) -> Completeness:  # fmt: skip
    """Which PRD sections are filled; the score weighs summary, value, scenarios, functional
    design and acceptance criteria double."""
    checks, total, got = [], 0, 0
    for s in SECTIONS:
        ok, hint = _filled(s, spec.get(s.key) or ("" if s.kind == "text" else []), has_sources)
        checks.append(SectionCheck(s.key, str(s.label), ok, s.key in required, "" if ok else str(hint)))
        total += s.weight
        got += s.weight if ok else 0
    return Completeness(score=round(100 * got / total), sections=checks)


@dataclass
class SectionDiff:
    key: str
    label: str
    before: Any
    after: Any
    unified: str


def _as_text(section: Section, value: Any) -> str:
    if section.kind == "text":
        return value or ""
    if section.kind == "list":
        return "\n".join(f"- {v}" for v in value or [])
    return "\n".join(" | ".join(row.get(c, "") for c in section.columns) for row in value or [])


def diff(a: dict[str, Any], b: dict[str, Any], *, title_a: str = "", title_b: str = "") -> list[SectionDiff]:
    """Section-by-section differences between two specs (title first, when it changed)."""
    out = []
    if title_a != title_b:
        out.append(SectionDiff("title", str(_("Title")), title_a, title_b,
                               "\n".join(difflib.unified_diff([title_a], [title_b], lineterm=""))))  # fmt: skip
    for s in SECTIONS:
        va, vb = a.get(s.key), b.get(s.key)
        ta, tb = _as_text(s, va), _as_text(s, vb)
        if ta == tb:
            continue
        unified = "\n".join(
            difflib.unified_diff(
                ta.splitlines(), tb.splitlines(), fromfile="before", tofile="after", lineterm=""
            )
        )
        out.append(SectionDiff(s.key, str(s.label), va, vb, unified))
    return out


def side_by_side(before: str, after: str) -> list[tuple[str, str, str]]:
    """Rows (tag, left, right) for a side-by-side view; tag is equal/replace/delete/insert."""
    la, lb = before.splitlines(), after.splitlines()
    rows: list[tuple[str, str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=la, b=lb, autojunk=False).get_opcodes():
        left, right = la[i1:i2], lb[j1:j2]
        for k in range(max(len(left), len(right))):
            rows.append((tag, left[k] if k < len(left) else "", right[k] if k < len(right) else ""))
    return rows


def text_of(spec: dict[str, Any]) -> str:
    """All section text, for the search index."""
    return "\n".join(_as_text(s, spec.get(s.key)) for s in SECTIONS)
