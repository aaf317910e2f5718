"""Requirement documents and lists as files: Markdown, Word (.docx) and Excel (.xlsx).

Pure functions from a read model (the dataclasses below) to text or bytes. They never touch
the database: ``documents.requirement_doc``, ``list_rows`` and ``matrix_lines`` fill the read
model through the selectors, and the fronts hand it over. Labels follow the
active language (``translation.override`` around a call picks another one).

The Word layout follows the PRD template of seed 000 §5: a title page (key, title, product,
module, status, stage, priority, owner, version, date), then the six chapters of the template
with the spec sections in ``spec.SECTIONS`` order, then who asked (pool items, customers,
voices), the review rounds with every verdict, and the change history.

User text is written as plain text: Markdown source stays as typed (it is never rendered to
HTML), control characters that XML cannot hold are dropped, and spreadsheet cells that a
spreadsheet would run as a formula (= + - @, tab, CR) are prefixed with an apostrophe.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_noop as N_

from pmloop.requirements import spec as prd

# Fonts written into the .docx styles. Word and LibreOffice substitute an installed CJK font
# (Noto Sans CJK, WenQuanYi …) when the East Asian one is missing, because it is declared as
# East Asian (w:eastAsia) and the text is tagged zh-CN.
LATIN_FONT = "Calibri"
EAST_ASIA_FONT = "Microsoft YaHei"
EAST_ASIA_LANG = "zh-CN"
DATA_TABLE_STYLE = "Light Grid Accent 1"
FIELD_TABLE_STYLE = "Table Grid"

CHECKED, UNCHECKED = "✓", "☐"
EMPTY_MARK = "—"

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MARKDOWN_TYPE = "text/markdown; charset=utf-8"


# ---- the read model ---------------------------------------------------------------------------
@dataclass
class CriterionDoc:
    text: str
    verified: bool = False
    verified_by: str = ""
    verified_at: datetime | None = None


@dataclass
class AskerDoc:
    """A pool item behind the requirement (linked, or merged into a linked one)."""

    key: str
    title: str
    text: str = ""
    customer: str = ""
    source: str = ""
    status: str = ""
    voices: int = 1


@dataclass
class VoteDoc:
    reviewer: str
    verdict: str = ""  # label in the active language; "" = not given yet
    comment: str = ""
    given_at: datetime | None = None


@dataclass
class RoundDoc:
    kind: str
    rule: str = ""
    status: str = ""
    outcome: str = ""
    opened_at: datetime | None = None
    decided_at: datetime | None = None
    note: str = ""
    votes: list[VoteDoc] = field(default_factory=list)


@dataclass
class ChangeDoc:
    reason: str
    impact: str = ""
    status: str = ""
    base_version: int | None = None
    created_by: str = ""
    created_at: datetime | None = None
    decided_at: datetime | None = None


@dataclass
class VersionDoc:
    number: int
    title: str = ""
    author: str = ""
    created_at: datetime | None = None
    note: str = ""


@dataclass
class RequirementDoc:
    """One requirement on the PRD template, with its traceability. Display values (labels,
    names) are already in the document's language; ``spec`` is the normalised spec dict."""

    key: str
    title: str
    product: str
    module: str = ""
    status: str = ""
    stage: str = ""
    priority: str = ""
    owner: str = ""
    version: int = 1  # the spec version (v1, v2 …)
    date: datetime | date | None = None  # when that version was written
    category: str = ""
    estimate: str = ""
    completeness: int | None = None
    close_reason: str = ""
    reviewers: list[str] = field(default_factory=list)
    spec: dict[str, Any] = field(default_factory=dict)
    criteria: list[CriterionDoc] = field(default_factory=list)
    asked: list[AskerDoc] = field(default_factory=list)
    customers: list[str] = field(default_factory=list)
    rounds: list[RoundDoc] = field(default_factory=list)
    changes: list[ChangeDoc] = field(default_factory=list)
    versions: list[VersionDoc] = field(default_factory=list)
    generated_at: datetime | None = None


@dataclass
class ListRow:
    """One line of a requirement list export."""

    key: str
    title: str
    module: str = ""
    status: str = ""
    stage: str = ""
    priority: str = ""
    owner: str = ""
    completeness: int | None = None
    voices: int | None = None
    estimate: Decimal | float | None = None
    created: datetime | None = None
    updated: datetime | None = None


@dataclass
class MatrixLine:
    """One line of the traceability matrix: a (requirement, pool item) pair, or a requirement
    that no pool item asked for (pool columns empty)."""

    requirement_key: str
    requirement_title: str
    status: str = ""
    stage: str = ""
    review_outcome: str = ""
    verdicts: str = ""
    pool_key: str = ""
    pool_title: str = ""
    customer: str = ""
    voices: int | None = None


# ---- labels -----------------------------------------------------------------------------------
# Fixed words of the documents, marked for makemessages. Until the catalogue has them, Chinese
# documents use the Chinese below (the wording of seed 000's template where it has one).
_ZH = {
    "Key": "编号",
    "Title": "标题",
    "Product": "产品",
    "Module": "模块",
    "Status": "状态",
    "Stage": "阶段",
    "Priority": "优先级",
    "Owner": "负责人",
    "Version": "版本",
    "Date": "日期",
    "Category": "类别",
    "Estimate (person-days)": "预估工作量（人天）",
    "PRD completeness": "PRD 完整度",
    "Reviewers": "评审人",
    "Close reason": "关闭原因",
    "Customers": "客户",
    "Product requirement document": "产品需求文档",
    "Exported": "导出时间",
    "Summary": "需求概述",
    "Background": "背景介绍",
    "Value description": "价值描述",
    "Requirement detail": "需求详情",
    "Acceptance criteria": "需求验收标准",
    "Competitor comparison": "竞品对比",
    "Who asked": "需求来源（谁提的）",
    "No pool item is linked to this requirement.": "尚未关联需求池条目。",
    "Pool item": "需求池条目",
    "Customer": "客户",
    "Source": "来源",
    "Voices": "提及次数",
    "Their words": "原话",
    "Review rounds": "评审记录",
    "Not reviewed yet.": "尚未评审。",
    "Round %(n)s": "第 %(n)s 轮",
    "Rule": "规则",
    "Outcome": "结论",
    "Reviewer": "评审人",
    "Verdict": "意见",
    "Comment": "备注",
    "Given": "时间",
    "pending": "待评审",
    "Change history": "变更记录",
    "No change requested.": "没有变更。",
    "Reason": "原因",
    "Impact": "影响",
    "Base version": "变更前版本",
    "By": "提出人",
    "Requested": "提出时间",
    "Decided at": "决定时间",
    "Versions": "版本记录",
    "Author": "作者",
    "Note": "说明",
    "verified": "已验证",
    "not verified": "未验证",
    "not filled": "未填写",
    "Completeness": "完整度",
    "Created": "创建时间",
    "Updated": "更新时间",
    "Requirements": "产品需求",
    "Traceability matrix": "需求追溯矩阵",
    "Requirement": "产品需求",
    "Requirement title": "需求标题",
    "Pool item title": "需求池条目标题",
    "Last review": "最近评审结论",
    "Verdicts": "评审意见",
    "Industry": "行业",
    "Customer type": "客户类型",
    "Description": "描述",
    "Metric": "指标",
    "Target": "目标值",
    "Boundary": "边界值",
    "Competitor": "竞品",
    "Solution": "竞品方案",
    "Pricing": "竞品价格",
    "Difference": "差异",
    "Our advantage": "我们的优势",
}

COLUMN_LABELS = {
    "title": N_("Title"),
    "industry": N_("Industry"),
    "customer_type": N_("Customer type"),
    "description": N_("Description"),
    "metric": N_("Metric"),
    "target": N_("Target"),
    "boundary": N_("Boundary"),
    "competitor": N_("Competitor"),
    "solution": N_("Solution"),
    "pricing": N_("Pricing"),
    "difference": N_("Difference"),
    "advantage": N_("Our advantage"),
}

# The six chapters of the PRD template (seed 000 §5) and the spec sections in each.
CHAPTERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (N_("Summary"), ("summary",)),
    (N_("Background"), ("background",)),
    (N_("Value description"), ("problem", "why_chain", "value")),
    (
        N_("Requirement detail"),
        (
            "goal",
            "scenarios",
            "functional_design",
            "tracking_design",
            "compatibility",
            "pricing",
            "performance",
        ),
    ),
    (N_("Acceptance criteria"), ("acceptance_criteria",)),
    (N_("Competitor comparison"), ("competitors",)),
)


def t(msgid: str) -> str:
    """``msgid`` in the active language (the catalogue first, then the built-in Chinese)."""
    out = gettext(msgid)
    if out == msgid and (get_language() or "").lower().startswith("zh"):
        return _ZH.get(msgid, msgid)
    return out


def chapters() -> list[tuple[str, list[prd.Section]]]:
    """(chapter label, its sections) in template order; a section the template does not
    place gets a chapter of its own at the end, so nothing in the spec is ever left out."""
    placed: set[str] = set()
    out = []
    for label, keys in CHAPTERS:
        secs = [prd.BY_KEY[k] for k in keys if k in prd.BY_KEY]
        placed.update(s.key for s in secs)
        if secs:
            out.append((t(label), secs))
    out.extend((str(s.label), [s]) for s in prd.SECTIONS if s.key not in placed)
    return out


def section_title(chapter: str, secs: list[prd.Section]) -> str:
    return str(secs[0].label) if len(secs) == 1 else chapter


# ---- plain-text helpers -----------------------------------------------------------------------
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def clean(value: Any) -> str:
    """Text safe for XML (docx/xlsx): no control characters but tab and newlines."""
    if value is None:
        return ""
    return _CONTROL.sub("", str(value)).replace("\r\n", "\n").replace("\r", "\n")


def when(value: datetime | date | None, *, with_time: bool = True) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
    return value.isoformat()


def title_fields(doc: RequirementDoc) -> list[tuple[str, str]]:
    rows = [
        (t("Key"), doc.key),
        (t("Title"), doc.title),
        (t("Product"), doc.product),
        (t("Module"), doc.module or EMPTY_MARK),
        (t("Status"), doc.status + (f" ({doc.close_reason})" if doc.close_reason else "")),
        (t("Stage"), doc.stage),
        (t("Priority"), doc.priority),
        (t("Owner"), doc.owner or EMPTY_MARK),
        (t("Version"), f"v{doc.version}"),
        (t("Date"), when(doc.date, with_time=False)),
    ]
    if doc.category:
        rows.append((t("Category"), doc.category))
    if doc.estimate:
        rows.append((t("Estimate (person-days)"), doc.estimate))
    if doc.completeness is not None:
        rows.append((t("PRD completeness"), f"{doc.completeness}%"))
    if doc.reviewers:
        rows.append((t("Reviewers"), "、".join(doc.reviewers) if _zh() else ", ".join(doc.reviewers)))
    if doc.customers:
        rows.append((t("Customers"), "、".join(doc.customers) if _zh() else ", ".join(doc.customers)))
    return rows


def _zh() -> bool:
    return (get_language() or "").lower().startswith("zh")


def criteria_of(doc: RequirementDoc) -> list[CriterionDoc]:
    """The checklist: the verification rows, or (if there are none) the spec's texts."""
    if doc.criteria:
        return doc.criteria
    return [CriterionDoc(text=str(x)) for x in doc.spec.get("acceptance_criteria") or []]


def criterion_line(c: CriterionDoc) -> str:
    mark = CHECKED if c.verified else UNCHECKED
    extra = ""
    if c.verified and (c.verified_by or c.verified_at):
        extra = " — " + ", ".join(x for x in (c.verified_by, when(c.verified_at)) if x)
    return f"{mark} {c.text}{extra}"


def _votes_line(votes: Sequence[VoteDoc]) -> str:
    return "; ".join(f"{v.reviewer}: {v.verdict or t('pending')}" for v in votes)


# ---- Markdown ---------------------------------------------------------------------------------
_MD_BAD_LINK = re.compile(
    r"(\]\(\s*|^\s*\[[^\]]*\]:\s*)(javascript|vbscript|data)\s*:", re.IGNORECASE | re.MULTILINE
)


def md_text(value: Any) -> str:
    """User text for a Markdown document: Markdown stays Markdown, but nothing a reader's
    renderer would run survives — no raw HTML tag ('<' and '&' become entities) and no
    javascript:/vbscript:/data: link or image target."""
    text = clean(value).replace("&", "&amp;").replace("<", "&lt;")
    return _MD_BAD_LINK.sub(lambda m: f"{m.group(1)}#blocked-{m.group(2).lower()}-", text)


def _md_cell(value: Any) -> str:
    text = md_text(value).strip()
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>") or " "


def _md_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(_md_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in rows]
    return [*lines, ""]


def _md_section(s: prd.Section, value: Any, doc: RequirementDoc) -> list[str]:
    if s.key == "acceptance_criteria":
        items = criteria_of(doc)
        if not items:
            return [f"_{t('not filled')}_", ""]
        return [f"- {criterion_line(c)}" for c in items] + [""]
    if s.kind == "text":
        return [md_text(value).strip() or f"_{t('not filled')}_", ""]
    if s.kind == "list":
        if not value:
            return [f"_{t('not filled')}_", ""]
        return [f"- {md_text(v).strip()}" for v in value] + [""]
    if not value:
        return [f"_{t('not filled')}_", ""]
    return _md_table([t(COLUMN_LABELS.get(c, c)) for c in s.columns],
                     [[row.get(c, "") for c in s.columns] for row in value])  # fmt: skip


def requirement_markdown(doc: RequirementDoc) -> str:
    """The requirement as a Markdown document on the PRD template."""
    out = [f"# {md_text(doc.key)} {md_text(doc.title)}", ""]
    out += _md_table([t("Product requirement document"), ""], title_fields(doc))
    n = 0
    for chapter, secs in chapters():
        n += 1
        out += [f"## {n}. {section_title(chapter, secs)}", ""]
        for s in secs:
            if len(secs) > 1:
                out += [f"### {s.label}", ""]
            out += _md_section(s, doc.spec.get(s.key), doc)
    n += 1
    out += [f"## {n}. {t('Who asked')}", ""]
    if doc.asked:
        out += _md_table(
            [t("Pool item"), t("Customer"), t("Source"), t("Voices"), t("Status"), t("Their words")],
            [[a.key + " " + a.title, a.customer, a.source, a.voices, a.status, a.text] for a in doc.asked],
        )
    else:
        out += [f"_{t('No pool item is linked to this requirement.')}_", ""]
    n += 1
    out += [f"## {n}. {t('Review rounds')}", ""]
    if not doc.rounds:
        out += [f"_{t('Not reviewed yet.')}_", ""]
    for i, rnd in enumerate(doc.rounds, 1):
        head = f"### {t('Round %(n)s') % {'n': i}} · {rnd.kind}"
        out += [head + (f" · {rnd.outcome or rnd.status}" if (rnd.outcome or rnd.status) else ""), ""]
        meta = [f"{t('Rule')}: {rnd.rule}"] if rnd.rule else []
        meta += [when(rnd.opened_at) + (f" → {when(rnd.decided_at)}" if rnd.decided_at else "")]
        out += [" · ".join(m for m in meta if m), ""]
        if rnd.note:
            out += [f"> {md_text(rnd.note).strip()}".replace("\n", "\n> "), ""]
        out += _md_table(
            [t("Reviewer"), t("Verdict"), t("Comment"), t("Given")],
            [[v.reviewer, v.verdict or t("pending"), v.comment, when(v.given_at)] for v in rnd.votes],
        )
    n += 1
    out += [f"## {n}. {t('Change history')}", ""]
    if doc.changes:
        out += _md_table(
            [t("Requested"), t("By"), t("Reason"), t("Impact"), t("Base version"), t("Status"), t("Decided at")],
            [[when(c.created_at), c.created_by, c.reason, c.impact,
              f"v{c.base_version}" if c.base_version else "", c.status, when(c.decided_at)] for c in doc.changes],
        )  # fmt: skip
    else:
        out += [f"_{t('No change requested.')}_", ""]
    if doc.versions:
        out += [f"### {t('Versions')}", ""]
        out += _md_table(
            [t("Version"), t("Date"), t("Author"), t("Title"), t("Note")],
            [[f"v{v.number}", when(v.created_at), v.author, v.title, v.note] for v in doc.versions],
        )
    if doc.generated_at:
        out += [f"_{t('Exported')}: {when(doc.generated_at)}_", ""]
    return "\n".join(out).rstrip() + "\n"


# ---- Word -------------------------------------------------------------------------------------
def _set_fonts(element, *, size: float | None = None) -> None:
    """Declare Latin and East Asian fonts (w:rFonts ascii/hAnsi/cs + eastAsia) on an rPr
    owner (a style or the document defaults), dropping theme fonts that would override them."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    rpr = element.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        element.append(rpr)
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        if fonts.get(qn(theme)) is not None:
            del fonts.attrib[qn(theme)]
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), EAST_ASIA_FONT)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), EAST_ASIA_LANG)


def _prepare_styles(document) -> None:
    from docx.oxml.ns import qn

    styles_el = document.styles.element
    defaults = styles_el.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr_default = defaults.find(qn("w:rPrDefault"))
        if rpr_default is not None:
            _set_fonts(rpr_default)
    for name in ("Normal", "Title", "Subtitle", "Heading 1", "Heading 2", "Heading 3", "List Bullet",
                 "List Number", FIELD_TABLE_STYLE, DATA_TABLE_STYLE, "Caption", "Quote"):  # fmt: skip
        try:
            style = document.styles[name]
        except KeyError:
            continue
        _set_fonts(style.element)


class _Word:
    """A small writer over python-docx: headings, paragraphs, bullets and tables with the
    document's real Word styles."""

    def __init__(self) -> None:
        from docx import Document

        self.doc = Document()
        _prepare_styles(self.doc)

    def heading(self, text: str, level: int) -> None:
        self.doc.add_heading(clean(text), level=level)

    def para(self, text: str, *, italic: bool = False, bold: bool = False, style: str | None = None) -> None:
        text = clean(text).strip()
        blocks = re.split(r"\n\s*\n", text) if text else [""]
        for block in blocks:
            p = self.doc.add_paragraph(style=style)
            run = p.add_run(block)  # \n → line break, \t → tab (python-docx)
            run.italic, run.bold = italic or None, bold or None

    def empty(self) -> None:
        self.para(t("not filled"), italic=True)

    def bullets(self, items: Iterable[str], style: str = "List Bullet") -> None:
        for item in items:
            self.doc.add_paragraph(clean(item).strip(), style=style)

    def table(self, header: Sequence[str] | None, rows: Sequence[Sequence[Any]], *,
              style: str = DATA_TABLE_STYLE, bold_first_col: bool = False) -> None:  # fmt: skip
        ncols = len(header) if header else max((len(r) for r in rows), default=1)
        table = self.doc.add_table(rows=0, cols=ncols)
        table.style = self.doc.styles[style]
        if header:
            cells = table.add_row().cells
            for cell, text in zip(cells, header, strict=True):
                run = cell.paragraphs[0].add_run(clean(text))
                run.bold = True
            _repeat_header(table.rows[0])
        for row in rows:
            cells = table.add_row().cells
            for i, (cell, value) in enumerate(zip(cells, row, strict=True)):
                run = cell.paragraphs[0].add_run(clean("" if value is None else value).strip())
                if bold_first_col and i == 0:
                    run.bold = True
        self.doc.add_paragraph()

    def save(self) -> bytes:
        buf = io.BytesIO()
        self.doc.save(buf)
        return buf.getvalue()


def _repeat_header(row) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _docx_section(w: _Word, s: prd.Section, value: Any, doc: RequirementDoc) -> None:
    if s.key == "acceptance_criteria":
        items = criteria_of(doc)
        if not items:
            w.empty()
        for c in items:
            w.para(criterion_line(c))
        return
    if not value:
        w.empty()
    elif s.kind == "text":
        w.para(value)
    elif s.kind == "list":
        w.bullets(str(v) for v in value)
    else:
        w.table([t(COLUMN_LABELS.get(c, c)) for c in s.columns],
                [[row.get(c, "") for c in s.columns] for row in value])  # fmt: skip


def requirement_docx(doc: RequirementDoc) -> bytes:
    """The requirement as a Word document on the PRD template."""
    from docx.enum.text import WD_BREAK

    w = _Word()
    props = w.doc.core_properties
    props.title = clean(f"{doc.key} {doc.title}")[:255]
    props.subject = clean(doc.product)[:255]
    props.author = clean(doc.owner)[:255]
    props.language = get_language() or ""
    props.keywords = clean(doc.key)
    # title page
    w.doc.add_paragraph(clean(f"{doc.key} {doc.title}"), style="Title")
    w.doc.add_paragraph(clean(f"{t('Product requirement document')} · {doc.product}"), style="Subtitle")
    w.table(None, title_fields(doc), style=FIELD_TABLE_STYLE, bold_first_col=True)
    if doc.generated_at:
        w.para(f"{t('Exported')}: {when(doc.generated_at)}", italic=True)
    w.doc.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
    footer = w.doc.sections[0].footer.paragraphs[0]
    footer.text = clean(f"{doc.key} · v{doc.version} · {doc.title}")[:200]
    # the template's chapters
    n = 0
    for chapter, secs in chapters():
        n += 1
        w.heading(f"{n}. {section_title(chapter, secs)}", 1)
        for s in secs:
            if len(secs) > 1:
                w.heading(str(s.label), 2)
            _docx_section(w, s, doc.spec.get(s.key), doc)
    # traceability
    n += 1
    w.heading(f"{n}. {t('Who asked')}", 1)
    if doc.asked:
        w.table(
            [t("Pool item"), t("Customer"), t("Source"), t("Voices"), t("Status"), t("Their words")],
            [[f"{a.key} {a.title}", a.customer, a.source, a.voices, a.status, a.text] for a in doc.asked],
        )
    else:
        w.para(t("No pool item is linked to this requirement."), italic=True)
    n += 1
    w.heading(f"{n}. {t('Review rounds')}", 1)
    if not doc.rounds:
        w.para(t("Not reviewed yet."), italic=True)
    for i, rnd in enumerate(doc.rounds, 1):
        head = f"{t('Round %(n)s') % {'n': i}} · {rnd.kind}"
        w.heading(head + (f" · {rnd.outcome or rnd.status}" if (rnd.outcome or rnd.status) else ""), 2)
        meta = ([f"{t('Rule')}: {rnd.rule}"] if rnd.rule else []) + [
            when(rnd.opened_at) + (f" → {when(rnd.decided_at)}" if rnd.decided_at else "")
        ]
        w.para(" · ".join(m for m in meta if m), italic=True)
        if rnd.note:
            w.para(rnd.note, style="Quote")
        w.table(
            [t("Reviewer"), t("Verdict"), t("Comment"), t("Given")],
            [[v.reviewer, v.verdict or t("pending"), v.comment, when(v.given_at)] for v in rnd.votes],
        )
    n += 1
    w.heading(f"{n}. {t('Change history')}", 1)
    if doc.changes:
        w.table(
            [t("Requested"), t("By"), t("Reason"), t("Impact"), t("Base version"), t("Status"), t("Decided at")],
            [[when(c.created_at), c.created_by, c.reason, c.impact,
              f"v{c.base_version}" if c.base_version else "", c.status, when(c.decided_at)] for c in doc.changes],
        )  # fmt: skip
    else:
        w.para(t("No change requested."), italic=True)
    if doc.versions:
        w.heading(t("Versions"), 2)
        w.table(
            [t("Version"), t("Date"), t("Author"), t("Title"), t("Note")],
            [[f"v{v.number}", when(v.created_at), v.author, v.title, v.note] for v in doc.versions],
        )
    return w.save()


# ---- Excel ------------------------------------------------------------------------------------
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CELL_MAX = 32_767


def cell_text(value: str) -> str:
    """A text cell that no spreadsheet will run: text starting with = + - @ (or tab / CR) gets
    an apostrophe in front (OWASP's advice against CSV/formula injection), XML-illegal
    characters are dropped and the length is capped at Excel's limit."""
    text = _CONTROL.sub("", value)
    if text.startswith(FORMULA_START):
        text = "'" + text
    return text[:CELL_MAX]


def _display_width(value: Any) -> int:
    text = str(value or "")
    line = max(text.split("\n"), key=len) if text else ""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in line)  # CJK glyphs are double width


def _xlsx(sheet_title: str, header: Sequence[str], rows: Iterable[Sequence[Any]],
          widths: Sequence[tuple[int, int]]) -> bytes:  # fmt: skip
    """A write-only workbook (memory stays flat for 100k rows): bold frozen header with an
    autofilter, and each column as wide as its content within (min, max) characters."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=re.sub(r"[\[\]:*?/\\]", " ", sheet_title)[:31] or "Sheet1")
    # Widths must be known before rows stream out, so measure the content first (one pass
    # over the rows, kept as cell values; the workbook itself streams).
    data: list[list[Any]] = []
    measured = [_display_width(h) + 2 for h in header]
    for row in rows:
        values = [_xlsx_value(v) for v in row]
        data.append(values)
        for i, v in enumerate(values):
            if i < len(measured):
                measured[i] = max(measured[i], _display_width(v) + 2)
    for i, (lo, hi) in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = max(lo, min(hi, measured[i - 1]))
    ws.freeze_panes = "A2"
    last = get_column_letter(len(header))
    ws.auto_filter.ref = f"A1:{last}{len(data) + 1}"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    head_cells = []
    for h in header:
        c = WriteOnlyCell(ws, value=cell_text(str(h)))
        c.font, c.fill = bold, fill
        c.alignment = Alignment(vertical="center")
        head_cells.append(c)
    ws.append(head_cells)
    wrap = Alignment(wrap_text=False, vertical="top")
    for values in data:
        cells = []
        for v in values:
            c = WriteOnlyCell(ws, value=v)
            if isinstance(v, str):
                c.data_type = "s"  # never a formula, whatever the text
                c.alignment = wrap
            elif isinstance(v, datetime):
                c.number_format = "yyyy-mm-dd hh:mm"
            cells.append(c)
        ws.append(cells)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _xlsx_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, date):
        return value
    return cell_text(str(value))


REQUIREMENT_COLUMNS = (
    # (label, (min width, max width))
    (N_("Key"), (10, 16)),
    (N_("Title"), (24, 60)),
    (N_("Module"), (10, 30)),
    (N_("Status"), (8, 16)),
    (N_("Stage"), (8, 16)),
    (N_("Priority"), (8, 16)),
    (N_("Owner"), (8, 20)),
    (N_("Completeness"), (8, 14)),
    (N_("Voices"), (6, 12)),
    (N_("Estimate (person-days)"), (8, 22)),
    (N_("Created"), (16, 18)),
    (N_("Updated"), (16, 18)),
)


def requirements_xlsx(rows: Iterable[ListRow], *, sheet_title: str | None = None) -> bytes:
    """A requirement list as an Excel sheet (one row per requirement)."""
    body = (
        [r.key, r.title, r.module, r.status, r.stage, r.priority, r.owner, r.completeness, r.voices,
         r.estimate, r.created, r.updated]
        for r in rows
    )  # fmt: skip
    return _xlsx(sheet_title or t("Requirements"), [t(label) for label, _w in REQUIREMENT_COLUMNS], body,
                 [w for _label, w in REQUIREMENT_COLUMNS])  # fmt: skip


MATRIX_COLUMNS = (
    (N_("Pool item"), (10, 16)),
    (N_("Pool item title"), (20, 50)),
    (N_("Customer"), (10, 30)),
    (N_("Voices"), (6, 12)),
    (N_("Requirement"), (10, 16)),
    (N_("Requirement title"), (20, 50)),
    (N_("Status"), (8, 16)),
    (N_("Last review"), (10, 24)),
    (N_("Verdicts"), (16, 60)),
    (N_("Stage"), (8, 16)),
)


def matrix_xlsx(rows: Iterable[MatrixLine], *, sheet_title: str | None = None) -> bytes:
    """The traceability matrix: pool item (key, title, customer, voices) ↔ requirement ↔
    last review outcome and verdicts ↔ delivery stage; one line per (requirement, pool item)."""
    body = (
        [m.pool_key, m.pool_title, m.customer, m.voices, m.requirement_key, m.requirement_title, m.status,
         m.review_outcome, m.verdicts, m.stage]
        for m in rows
    )  # fmt: skip
    return _xlsx(sheet_title or t("Traceability matrix"), [t(label) for label, _w in MATRIX_COLUMNS], body,
                 [w for _label, w in MATRIX_COLUMNS])  # fmt: skip
