"""The launch-kit documents, built from read models (filled by ``deliverables.selectors``):
release notes, the user manual (操作使用说明书, deliverable 22), the launch checklist, the
customer training plan (培训计划表, 23) and the attendance sheet (签到表, 24).

Labels follow the active language (gettext); ``translation.override`` picks another."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from pmloop.deliverables.exporters import blocks
from pmloop.deliverables.exporters.blocks import Bullets, Document, Heading, PageBreak, Para, Table

when = blocks.when


# ---- read models ----------------------------------------------------------------------------
@dataclass
class ShippedRequirement:
    key: str
    title: str
    module: str = ""
    category: str = ""
    stage: str = ""
    summary: str = ""
    value: str = ""
    scenarios: list[dict[str, str]] = field(default_factory=list)
    functional_design: str = ""
    override_reason: str = ""


@dataclass
class ReleaseData:
    product: str
    version: str
    title: str = ""
    description: str = ""
    status: str = ""
    released: bool = False
    day: date | None = None
    manager: str = ""
    requirements: list[ShippedRequirement] = field(default_factory=list)
    generated_at: datetime | None = None


@dataclass
class CheckLine:
    category: str
    title: str
    owner: str
    signed_off_by: str = ""
    signed_off_at: datetime | None = None
    note: str = ""


@dataclass
class ChecklistData:
    release: ReleaseData
    items: list[CheckLine] = field(default_factory=list)

    @property
    def done(self) -> int:
        return sum(1 for i in self.items if i.signed_off_at)


@dataclass
class AttendeeLine:
    name: str
    organisation: str = ""
    contact: str = ""
    signed_in_at: datetime | None = None


@dataclass
class SessionData:
    title: str
    starts_at: datetime | None
    duration_minutes: int = 60
    location: str = ""
    audience: str = ""
    trainer: str = ""
    customer: str = ""
    agenda: str = ""
    attendees: list[AttendeeLine] = field(default_factory=list)


@dataclass
class TrainingData:
    release: ReleaseData
    goal: str = ""
    sessions: list[SessionData] = field(default_factory=list)


# ---- helpers --------------------------------------------------------------------------------
def _by_module(items: list[ShippedRequirement]) -> list[tuple[str, list[ShippedRequirement]]]:
    groups: dict[str, list[ShippedRequirement]] = {}
    for r in items:
        groups.setdefault(r.module or _("Other"), []).append(r)
    return list(groups.items())


def _release_line(rel: ReleaseData) -> str:
    day = when(rel.day, with_time=False) if rel.day else _("date not set")
    return f"{rel.product} · {rel.version} · {day}"


def _footer(rel: ReleaseData, what: str) -> str:
    return f"{rel.product} {rel.version} · {what}"


def _yes(flag: Any) -> str:
    return "✓" if flag else ""


# ---- release notes ---------------------------------------------------------------------------
def release_notes(rel: ReleaseData) -> Document:
    """What shipped, by module, each with its one-line summary and the value to customers."""
    title = _("Release notes: %(p)s %(v)s") % {"p": rel.product, "v": rel.version}
    doc = Document(
        title=title, subtitle=rel.title or _release_line(rel), footer=_footer(rel, _("Release notes"))
    )
    doc.meta = [
        (_("Product"), rel.product),
        (_("Version"), rel.version),
        (_("Release date"), when(rel.day, with_time=False) if rel.day else _("date not set")),
        (_("Status"), rel.status),
        (_("Requirements"), str(len(rel.requirements))),
    ]
    if rel.description:
        doc.blocks.append(Para(rel.description))
    if not rel.requirements:
        doc.blocks.append(Para(_("This release ships no requirement yet."), italic=True))
    doc.blocks.append(Heading(_("What is new"), 1))
    value_label = _("Value to customers")
    for module, items in _by_module(rel.requirements):
        doc.blocks.append(Heading(module, 2))
        for r in items:
            doc.blocks.append(Heading(f"{r.key} {r.title}", 3))
            doc.blocks.append(Para(r.summary or _("(no summary)"), italic=not r.summary))
            if r.value:
                doc.blocks.append(Para(f"{value_label}: {r.value}"))
    if rel.generated_at:
        generated = _("Generated")
        doc.blocks.append(Para(f"{generated}: {when(rel.generated_at)}", italic=True))
    return doc


# ---- user manual ------------------------------------------------------------------------------
def manual(rel: ReleaseData) -> Document:
    """A manual section per requirement: overview (summary), scenarios, how it works
    (functional design)."""
    doc = Document(title=_("User manual: %(p)s %(v)s") % {"p": rel.product, "v": rel.version},
                   subtitle=_release_line(rel), footer=_footer(rel, _("User manual")))  # fmt: skip
    if not rel.requirements:
        doc.blocks.append(Para(_("This release ships no requirement yet."), italic=True))
    doc.blocks.append(Heading(_("Contents"), 1))
    doc.blocks.append(Bullets([f"{n}. {r.title}" for n, r in enumerate(rel.requirements, 1)]))
    overview, scenarios, how = _("Feature overview"), _("Where it applies"), _("How it works")
    module_label = _("Module")
    for n, r in enumerate(rel.requirements, 1):
        doc.blocks.append(PageBreak())
        doc.blocks.append(Heading(f"{n}. {r.title}", 1))
        if r.module:
            doc.blocks.append(Para(f"{module_label}: {r.module} · {r.key}", italic=True))
        doc.blocks.append(Heading(f"{n}.1 {overview}", 2))
        doc.blocks.append(Para(r.summary or _("(not written yet)"), italic=not r.summary))
        doc.blocks.append(Heading(f"{n}.2 {scenarios}", 2))
        if r.scenarios:
            doc.blocks.append(Table(
                [_("Scenario"), _("Industry"), _("Customer type"), _("Description")],
                [[s.get("title", ""), s.get("industry", ""), s.get("customer_type", ""), s.get("description", "")]
                 for s in r.scenarios],
                widths=(2, 1.2, 1.2, 3),
            ))  # fmt: skip
        else:
            doc.blocks.append(Para(_("(not written yet)"), italic=True))
        doc.blocks.append(Heading(f"{n}.3 {how}", 2))
        doc.blocks.append(Para(r.functional_design or _("(not written yet)"), italic=not r.functional_design))
    return doc


# ---- launch checklist ---------------------------------------------------------------------------
CHECKLIST_COLUMNS = (
    (N_("Category"), (10, 16)), (N_("Item"), (24, 50)), (N_("Owner"), (8, 20)), (N_("Signed off by"), (8, 20)),
    (N_("Signed off at"), (16, 18)), (N_("Note"), (10, 50)),
)  # fmt: skip


def _checklist_rows(data: ChecklistData) -> list[list[Any]]:
    return [[i.category, i.title, i.owner, i.signed_off_by, i.signed_off_at, i.note] for i in data.items]


def checklist(data: ChecklistData) -> Document:
    rel = data.release
    doc = Document(title=_("Launch checklist: %(p)s %(v)s") % {"p": rel.product, "v": rel.version},
                   subtitle=_release_line(rel), footer=_footer(rel, _("Launch checklist")))  # fmt: skip
    doc.meta = [(_("Signed off"), f"{data.done} / {len(data.items)}"), (_("Release manager"), rel.manager)]
    doc.blocks.append(Table(
        [_("Category"), _("Item"), _("Owner"), _("Signed off by"), _("Signed off at"), _("Note")],
        [[i.category, i.title, i.owner, i.signed_off_by or _("not yet"), when(i.signed_off_at), i.note]
         for i in data.items],
        widths=(1.2, 3, 1, 1, 1.3, 2),
    ))  # fmt: skip
    return doc


def checklist_xlsx(data: ChecklistData) -> bytes:
    rows = _checklist_rows(data)
    return blocks.xlsx(_("Launch checklist"), [_(label) for label, _w in CHECKLIST_COLUMNS], rows,
                       [w for _label, w in CHECKLIST_COLUMNS])  # fmt: skip


# ---- training plan and attendance ---------------------------------------------------------------
def training_plan(data: TrainingData) -> Document:
    rel = data.release
    doc = Document(title=_("Customer training plan: %(p)s %(v)s") % {"p": rel.product, "v": rel.version},
                   subtitle=_release_line(rel), footer=_footer(rel, _("Customer training plan")))  # fmt: skip
    doc.blocks.append(Heading(_("Goal"), 1))
    doc.blocks.append(Para(data.goal or _("(not written yet)"), italic=not data.goal))
    doc.blocks.append(Heading(_("Training sessions"), 1))
    if not data.sessions:
        doc.blocks.append(Para(_("No session planned yet."), italic=True))
    else:
        doc.blocks.append(Table(
            [_("Session"), _("Time"), _("Minutes"), _("Location"), _("Audience"), _("Trainer"), _("Invited")],
            [[s.title, when(s.starts_at), s.duration_minutes, s.location, s.audience or s.customer, s.trainer,
              len(s.attendees)] for s in data.sessions],
            widths=(2.2, 1.5, 0.8, 1.5, 1.5, 1, 0.8),
        ))  # fmt: skip
    doc.blocks.append(Heading(_("Contents"), 1))
    doc.blocks.append(
        Bullets([f"{r.title}: {r.summary}" if r.summary else r.title for r in rel.requirements])
    )
    agenda = _("Agenda")
    for s in data.sessions:
        if s.agenda:
            doc.blocks.append(Heading(f"{s.title} · {agenda}", 2))
            doc.blocks.append(Para(s.agenda))
    doc.landscape = True
    return doc


ATTENDANCE_COLUMNS = (
    (N_("No."), (4, 6)), (N_("Full name"), (10, 20)), (N_("Organisation"), (14, 40)), (N_("Contact"), (14, 30)),
    (N_("Signed in"), (8, 10)), (N_("Signed in at"), (16, 18)), (N_("Signature"), (16, 24)),
)  # fmt: skip


def attendance(session: SessionData, rel: ReleaseData) -> Document:
    """The sign-in sheet: printable, with room to sign."""
    doc = Document(title=_("Training sign-in sheet: %(t)s") % {"t": session.title}, subtitle=_release_line(rel),
                   footer=_footer(rel, _("Training sign-in sheet")))  # fmt: skip
    minutes = _("minutes")
    doc.meta = [
        (_("Time"), f"{when(session.starts_at)} ({session.duration_minutes} {minutes})"),
        (_("Location"), session.location or blocks.EMPTY_MARK),
        (_("Trainer"), session.trainer or blocks.EMPTY_MARK),
        (_("Audience"), session.audience or session.customer or blocks.EMPTY_MARK),
        (_("Signed in"), f"{sum(1 for a in session.attendees if a.signed_in_at)} / {len(session.attendees)}"),
    ]
    doc.blocks.append(Table(
        [_("No."), _("Full name"), _("Organisation"), _("Contact"), _("Signed in at"), _("Signature")],
        [[n, a.name, a.organisation, a.contact, when(a.signed_in_at), ""] for n, a in enumerate(session.attendees, 1)]
        + [[len(session.attendees) + k, "", "", "", "", ""] for k in range(1, 4)],  # blank lines for walk-ins
        widths=(0.7, 1.3, 2.2, 1.8, 1.7, 1.4), min_row_height=26,
    ))  # fmt: skip
    return doc


def attendance_xlsx(session: SessionData) -> bytes:
    rows = [[n, a.name, a.organisation, a.contact, _yes(a.signed_in_at), a.signed_in_at, ""]
            for n, a in enumerate(session.attendees, 1)]  # fmt: skip
    return blocks.xlsx(_("Sign-in sheet"), [_(label) for label, _w in ATTENDANCE_COLUMNS], rows,
                       [w for _label, w in ATTENDANCE_COLUMNS])  # fmt: skip


# ---- one entry point -----------------------------------------------------------------------------
FORMATS = ("md", "docx", "pdf")


def render(doc: Document, fmt: str) -> tuple[bytes, str]:
    """(content, content type) of ``doc`` as md, docx or pdf."""
    if fmt == "md":
        return blocks.markdown(doc).encode("utf-8"), blocks.MARKDOWN_TYPE
    if fmt == "docx":
        return blocks.docx(doc), blocks.DOCX_TYPE
    if fmt == "pdf":
        from pmloop.deliverables.exporters import pdf

        return pdf.render(doc), blocks.PDF_TYPE
    raise ValueError(fmt)
