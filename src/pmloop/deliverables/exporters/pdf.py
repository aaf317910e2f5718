"""PDF with ReportLab (see docs/decisions/0001-pdf.md for why ReportLab and not fpdf2).

Chinese needs a CJK font. It is looked up at run time, in this order:

1. ``PMLOOP_PDF_FONT``: a TrueType font file (.ttf, or .ttc with ``#index``), e.g.
   ``/usr/share/fonts/truetype/wqy/wqy-microhei.ttc``;
2. well-known files on Debian/Ubuntu (fonts-wqy-microhei, fonts-wqy-zenhei,
   fonts-droid-fallback, fonts-arphic-uming), Windows (Microsoft YaHei, SimHei, SimSun) and
   macOS (Arial Unicode);
3. any other font fontconfig (``fc-list :lang=zh``) knows.

The first one ReportLab can read (TrueType outlines; OpenType/CFF files such as Noto Sans CJK
are skipped) is embedded, subset to the characters used. When none is found the PDF falls
back to Adobe's standard Chinese font STSong-Light, which is *named, not embedded*: Acrobat,
Chrome/Edge and macOS Preview draw it with the reader's own Chinese font, minimal viewers may
not. The fallback is logged once, and ``font_choice()`` tells which font is used.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from pmloop.deliverables.exporters.blocks import Bullets, Document, Heading, PageBreak, Para, Table, clean

log = logging.getLogger(__name__)

FONT_ENV = "PMLOOP_PDF_FONT"
FONT_NAME = "pmloop-cjk"
CID_FALLBACK = "STSong-Light"
CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",  # Fedora / Arch
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
    "C:/Windows/Fonts/simsun.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "/System/Library/Fonts/Supplemental/Arial Unicode.ttf",
)
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")


@dataclass(frozen=True)
class FontChoice:
    name: str  # the ReportLab font name to use
    path: str  # "" when nothing is embedded
    embedded: bool

    def describe(self) -> str:
        return (
            f"{self.path} (embedded)"
            if self.embedded
            else f"{self.name} (named, not embedded: no CJK font found)"
        )


def _split_index(spec: str) -> tuple[str, int]:
    path, _sep, index = spec.partition("#")
    return path, int(index) if index.isdigit() else 0


def _fontconfig_files() -> list[str]:
    exe = shutil.which("fc-list")
    if not exe:
        return []
    try:
        out = subprocess.run(
            [exe, ":lang=zh", "file"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return []
    files = [line.split(":")[0].strip() for line in out.stdout.splitlines() if line.strip()]
    return sorted(f for f in files if f.lower().endswith((".ttf", ".ttc")))


def _try_register(spec: str) -> bool:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    path, index = _split_index(spec)
    if not path or not Path(path).is_file():
        return False
    try:
        font = TTFont(FONT_NAME, path, subfontIndex=index)
        if not font.face.charToGlyph.get(ord("中")):
            return False
        pdfmetrics.registerFont(font)
    except Exception as exc:  # unreadable, CFF outlines, not a font: try the next one
        log.debug("PDF font %s not usable: %s", spec, exc)
        return False
    return True


@functools.lru_cache(maxsize=4)
def _choose(env_value: str) -> FontChoice:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    wanted = [env_value] if env_value else []
    for spec in [*wanted, *CANDIDATES, *_fontconfig_files()]:
        if _try_register(spec):
            return FontChoice(FONT_NAME, spec, True)
        if spec == env_value:
            log.warning("%s=%s is not a readable TrueType CJK font; looking elsewhere", FONT_ENV, env_value)
    pdfmetrics.registerFont(UnicodeCIDFont(CID_FALLBACK))
    log.warning(
        "No CJK TrueType font found for PDF exports: Chinese text uses the standard font %s, which PDF viewers "
        "substitute. Install fonts-wqy-microhei or set %s to embed one.", CID_FALLBACK, FONT_ENV,
    )  # fmt: skip
    return FontChoice(CID_FALLBACK, "", False)


def font_choice() -> FontChoice:
    """The font PDFs use now (found once per process and per PMLOOP_PDF_FONT value)."""
    return _choose(os.environ.get(FONT_ENV, "").strip())


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text or ""))


def _inline(text: str) -> str:
    """Plain text as a ReportLab paragraph (its mini-markup escaped, line breaks kept)."""
    return escape(clean(text).strip()).replace("\n", "<br/>")


def render(doc: Document) -> bytes:
    """The document as a PDF (A4; landscape when the document asks)."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_LEFT
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        LongTable,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        TableStyle,
    )
    from reportlab.platypus import (
        PageBreak as RLPageBreak,
    )

    font = font_choice().name
    size = landscape(A4) if doc.landscape else A4
    base = {"fontName": font, "wordWrap": "CJK", "alignment": TA_LEFT}
    body = ParagraphStyle("body", fontSize=10.5, leading=16, spaceAfter=6, **base)
    italic = ParagraphStyle("italic", parent=body, textColor=colors.HexColor("#596273"))
    cell = ParagraphStyle("cell", fontSize=9.5, leading=13, **base)
    head_cell = ParagraphStyle("head_cell", parent=cell, textColor=colors.HexColor("#1b2230"))
    title = ParagraphStyle("title", fontSize=22, leading=30, spaceAfter=6, **base)
    subtitle = ParagraphStyle("subtitle", fontSize=12, leading=18, spaceAfter=12,
                              textColor=colors.HexColor("#596273"), **base)  # fmt: skip
    headings = {
        1: ParagraphStyle(
            "h1",
            fontSize=16,
            leading=22,
            spaceBefore=14,
            spaceAfter=6,
            textColor=colors.HexColor("#2937a3"),
            **base,
        ),
        2: ParagraphStyle("h2", fontSize=13, leading=18, spaceBefore=10, spaceAfter=4, **base),
        3: ParagraphStyle("h3", fontSize=11.5, leading=16, spaceBefore=8, spaceAfter=3, **base),
    }
    width = size[0] - 36 * mm

    def table(header, rows, widths=None, min_height=0.0, zebra=True):
        data = []
        if header:
            data.append([Paragraph(f"<b>{_inline(h)}</b>", head_cell) for h in header])
        data += [[Paragraph(_inline("" if v is None else str(v)), cell) for v in row] for row in rows]
        ncols = max((len(r) for r in data), default=1)
        rel = widths or (1,) * ncols
        col_widths = [width * w / sum(rel) for w in rel]
        t = LongTable(data, colWidths=col_widths, repeatRows=1 if header else 0,
                      rowHeights=[None] * (1 if header else 0) + [min_height or None] * len(rows))  # fmt: skip
        style = [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#c5cbd3")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#ddebf7")))
        t.setStyle(TableStyle(style))
        return t

    flow = [Paragraph(_inline(doc.title), title)]
    if doc.subtitle:
        flow.append(Paragraph(_inline(doc.subtitle), subtitle))
    if doc.meta:
        flow.append(table(None, doc.meta, widths=(1, 3)))
        flow.append(Spacer(1, 6 * mm))
    for b in doc.blocks:
        if isinstance(b, Heading):
            flow.append(Paragraph(_inline(b.text), headings.get(b.level, headings[3])))
        elif isinstance(b, Para):
            text = _inline(b.text)
            if b.bold:
                text = f"<b>{text}</b>"
            flow.append(Paragraph(text, italic if b.italic else body))
        elif isinstance(b, Bullets):
            flow.extend(Paragraph(f"•&nbsp;{_inline(i)}", body) for i in b.items)
        elif isinstance(b, Table):
            flow.append(table(b.header, b.rows, b.widths, b.min_row_height))
            flow.append(Spacer(1, 4 * mm))
        elif isinstance(b, PageBreak):
            flow.append(RLPageBreak())

    footer = clean(doc.footer)

    def on_page(canvas, pdf):
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.setFillColor(colors.HexColor("#596273"))
        canvas.drawString(18 * mm, 10 * mm, footer[:120])
        canvas.drawRightString(size[0] - 18 * mm, 10 * mm, str(pdf.page))
        canvas.restoreState()

    buf = io.BytesIO()
    pdf = SimpleDocTemplate(buf, pagesize=size, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=clean(doc.title), subject=clean(doc.subtitle),
                            creator="pmloop", author="pmloop")  # fmt: skip
    pdf.build(flow, onFirstPage=on_page, onLaterPages=on_page)
    return buf.getvalue()
