"""A small document model (headings, paragraphs, bullets, tables) and its Markdown and Word
renderers. Word reuses the requirements exporters' writer (CJK fonts declared as East Asian,
real Word styles); PDF lives in ``pdf``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pmloop.requirements import exporters as base

DOCX_TYPE = base.DOCX_TYPE
XLSX_TYPE = base.XLSX_TYPE
MARKDOWN_TYPE = base.MARKDOWN_TYPE
PDF_TYPE = "application/pdf"
EMPTY_MARK = base.EMPTY_MARK
clean = base.clean
when = base.when


@dataclass
class Heading:
    text: str
    level: int = 1


@dataclass
class Para:
    text: str
    italic: bool = False
    bold: bool = False


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Table:
    header: list[str]
    rows: list[list[Any]]
    widths: tuple[float, ...] | None = None  # relative column widths (PDF)
    min_row_height: float = 0  # points; a sign-in sheet leaves room to sign (PDF)


@dataclass
class PageBreak:
    pass


Block = Heading | Para | Bullets | Table | PageBreak


@dataclass
class Document:
    title: str
    subtitle: str = ""
    meta: list[tuple[str, str]] = field(default_factory=list)  # the title page's field table
    blocks: list[Block] = field(default_factory=list)
    footer: str = ""
    landscape: bool = False

    def text(self) -> str:
        """All the text (to decide whether a CJK font is needed)."""
        parts = [self.title, self.subtitle, self.footer, *[f"{k} {v}" for k, v in self.meta]]
        for b in self.blocks:
            if isinstance(b, Heading | Para):
                parts.append(b.text)
            elif isinstance(b, Bullets):
                parts.extend(b.items)
            elif isinstance(b, Table):
                parts.extend(b.header)
                parts.extend(str(v) for row in b.rows for v in row)
        return "\n".join(parts)


def markdown(doc: Document) -> str:
    out = [f"# {clean(doc.title)}", ""]
    if doc.subtitle:
        out += [f"_{clean(doc.subtitle)}_", ""]
    if doc.meta:
        out += base._md_table(["", ""], doc.meta)
    for b in doc.blocks:
        if isinstance(b, Heading):
            out += [f"{'#' * min(6, b.level + 1)} {clean(b.text)}", ""]
        elif isinstance(b, Para):
            text = clean(b.text).strip()
            if b.italic:
                text = f"_{text}_"
            elif b.bold:
                text = f"**{text}**"
            out += [text, ""]
        elif isinstance(b, Bullets):
            out += [f"- {clean(i).strip()}" for i in b.items] + [""]
        elif isinstance(b, Table):
            out += base._md_table(b.header, b.rows)
        elif isinstance(b, PageBreak):
            out += ["---", ""]
    if doc.footer:
        out += [f"_{clean(doc.footer)}_", ""]
    return "\n".join(out).rstrip() + "\n"


def docx(doc: Document) -> bytes:
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_BREAK

    w = base._Word()
    props = w.doc.core_properties
    props.title = clean(doc.title)[:255]
    props.subject = clean(doc.subtitle)[:255]
    if doc.landscape:
        section = w.doc.sections[0]
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    w.doc.add_paragraph(clean(doc.title), style="Title")
    if doc.subtitle:
        w.doc.add_paragraph(clean(doc.subtitle), style="Subtitle")
    if doc.meta:
        w.table(None, doc.meta, style=base.FIELD_TABLE_STYLE, bold_first_col=True)
    for b in doc.blocks:
        if isinstance(b, Heading):
            w.heading(b.text, min(b.level, 9))
        elif isinstance(b, Para):
            w.para(b.text, italic=b.italic, bold=b.bold)
        elif isinstance(b, Bullets):
            w.bullets(b.items)
        elif isinstance(b, Table):
            w.table(b.header, b.rows)
        elif isinstance(b, PageBreak):
            w.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    if doc.footer:
        w.doc.sections[0].footer.paragraphs[0].text = clean(doc.footer)[:200]
    return w.save()


def xlsx(sheet_title: str, header: list[str], rows: list[list[Any]], widths: list[tuple[int, int]]) -> bytes:
    return base._xlsx(sheet_title, header, rows, widths)
