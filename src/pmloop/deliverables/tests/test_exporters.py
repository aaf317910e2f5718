# ruff: noqa: DTZ001  (the read models take local wall-clock times as they are)
"""The documents as files: Word opens with python-docx, Excel with openpyxl, and the PDF's
text (read back with pypdf) still holds the Chinese."""

from __future__ import annotations

import io
import time
from datetime import date, datetime

import pytest
from django.utils import translation

from pmloop.deliverables.exporters import blocks, documents, pdf
from pmloop.deliverables.exporters.documents import (
    AttendeeLine,
    CheckLine,
    ChecklistData,
    ReleaseData,
    SessionData,
    ShippedRequirement,
    TrainingData,
)


@pytest.fixture
def rel() -> ReleaseData:
    return ReleaseData(
        product="IM 即时通讯 SDK", version="v3.2", title="群管理增强", description="本版本增强群管理能力。",
        status="已发布", released=True, day=date(2026, 11, 30), manager="王敏",
        requirements=[
            ShippedRequirement(key="IMSDK-1", title="群组角色权限", module="群聊", summary="群聊支持按角色配置权限",
                               value="教育和金融客户要求细粒度的群管理权限",
                               scenarios=[{"title": "直播课堂禁言", "industry": "教育", "customer_type": "大客户",
                                           "description": "老师一键禁言 | 全体学生"}],
                               functional_design="群主在群设置中打开“角色与权限”。\n\n管理员可以禁言成员。"),
            ShippedRequirement(key="IMSDK-2", title="消息撤回时限可配置", module="单聊", summary="=1+1 不是公式"),
        ],
        generated_at=datetime(2026, 11, 30, 10, 0),
    )  # fmt: skip


def _docx_text(content: bytes) -> str:
    from docx import Document

    d = Document(io.BytesIO(content))
    cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in d.paragraphs] + cells)


def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_release_notes_in_three_formats(rel):
    with translation.override("zh-hans"):
        doc = documents.release_notes(rel)
        md = documents.render(doc, "md")[0].decode()
        word = documents.render(doc, "docx")[0]
        content, ctype = documents.render(doc, "pdf")
    assert md.startswith("# 发布说明：IM 即时通讯 SDK v3.2")
    assert "IMSDK-1 群组角色权限" in md and "IMSDK-2 消息撤回时限可配置" in md
    text = _docx_text(word)
    assert "群组角色权限" in text and "教育和金融客户要求细粒度的群管理权限" in text
    assert ctype == "application/pdf" and content.startswith(b"%PDF")
    ptext = _pdf_text(content)
    assert "群组角色权限" in ptext and "消息撤回时限可配置" in ptext and "v3.2" in ptext


def test_manual_has_a_section_per_requirement(rel):
    with translation.override("zh-hans"):
        doc = documents.manual(rel)
        md = blocks.markdown(doc)
        ptext = _pdf_text(pdf.render(doc))
    assert (
        "## 1. 群组角色权限" in md
        and "### 1.2 适用场景" in md
        and "### 1.3 功能说明" in md
        and "### 1.1 功能概述" in md
    )
    assert "老师一键禁言 \\| 全体学生" in md  # table cells escaped
    assert "管理员可以禁言成员" in ptext and "直播课堂禁言" in ptext
    text = _docx_text(blocks.docx(doc))
    assert "群主在群设置中打开“角色与权限”。" in text


def test_checklist_as_xlsx_and_pdf(rel):
    from openpyxl import load_workbook

    data = ChecklistData(release=rel, items=[
        CheckLine("功能测试", "功能测试通过并签字", "刘洋", "刘洋", datetime(2026, 11, 28, 18, 0), "132 条用例"),
        CheckLine("安全测试", "=HYPERLINK(\"x\")", "李强"),
    ])  # fmt: skip
    with translation.override("zh-hans"):
        content = documents.checklist_xlsx(data)
        ptext = _pdf_text(pdf.render(documents.checklist(data)))
    ws = load_workbook(io.BytesIO(content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("类别", "检查项", "负责人")
    assert rows[1][1] == "功能测试通过并签字" and rows[1][4] == datetime(2026, 11, 28, 18, 0)
    assert rows[2][1].startswith("'=")  # never a formula
    assert "功能测试通过并签字" in ptext and "1 / 2" in ptext


def test_training_plan_and_attendance(rel):
    from openpyxl import load_workbook

    session = SessionData(title="群管理新功能培训", starts_at=datetime(2026, 12, 2, 14, 0), duration_minutes=90,
                          location="好未来总部", trainer="王敏", attendees=[
                              AttendeeLine("张老师", "好未来教育", "138", datetime(2026, 12, 2, 13, 55)),
                              AttendeeLine("李老师", "好未来教育")])  # fmt: skip
    with translation.override("zh-hans"):
        plan_text = _pdf_text(
            pdf.render(documents.training_plan(TrainingData(rel, "学会配置群角色", [session])))
        )
        sheet = documents.attendance(session, rel)
        ptext = _pdf_text(pdf.render(sheet))
        xlsx = documents.attendance_xlsx(session)
        word = _docx_text(blocks.docx(sheet))
    assert "学会配置群角色" in plan_text and "群管理新功能培训" in plan_text
    assert "签到表" in ptext and "张老师" in ptext and "1 / 2" in ptext
    assert "张老师" in word and "签名" in word
    rows = list(load_workbook(io.BytesIO(xlsx)).active.iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == ["张老师", "李老师"] and rows[1][4] == "✓" and rows[2][4] is None


def test_english_labels(rel):
    with translation.override("en"):
        md = blocks.markdown(documents.release_notes(rel))
    assert md.startswith("# Release notes: IM 即时通讯 SDK v3.2") and "## What is new" in md


def test_pdf_embeds_a_found_cjk_font():
    choice = pdf.font_choice()
    if not choice.embedded:
        pytest.skip("no CJK TrueType font on this machine (install fonts-wqy-microhei)")
    content = pdf.render(blocks.Document(title="中文标题", blocks=[blocks.Para("正文")]))
    assert b"/FontFile2" in content  # embedded TrueType subset


def test_pdf_falls_back_to_a_named_standard_font(monkeypatch, tmp_path):
    """No CJK font anywhere: the PDF names STSong-Light (viewers substitute); text survives."""
    monkeypatch.setattr(pdf, "CANDIDATES", ())
    monkeypatch.setattr(pdf, "_fontconfig_files", lambda: [])
    monkeypatch.setenv(pdf.FONT_ENV, str(tmp_path / "missing.ttf"))
    pdf._choose.cache_clear()
    try:
        choice = pdf.font_choice()
        assert not choice.embedded and choice.name == "STSong-Light" and "not embedded" in choice.describe()
        content = pdf.render(blocks.Document(title="发布说明", blocks=[blocks.Para("群组角色权限 ✓")]))
        assert b"STSong-Light" in content and b"/FontFile2" not in content
        assert "群组角色权限" in _pdf_text(content)
    finally:
        pdf._choose.cache_clear()


def test_pdf_font_from_the_environment(monkeypatch):
    path = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
    import os

    if not os.path.exists(path):
        pytest.skip("fonts-wqy-microhei is not installed")
    monkeypatch.setenv(pdf.FONT_ENV, f"{path}#0")
    pdf._choose.cache_clear()
    try:
        assert pdf.font_choice().path == f"{path}#0"
    finally:
        pdf._choose.cache_clear()


def test_pdf_of_forty_requirements_is_fast(rel):
    """A measured budget, not a benchmark: 40 requirements render well under two seconds."""
    rel.requirements = rel.requirements * 20
    pdf.font_choice()  # the font is found once per process
    started = time.perf_counter()
    content = pdf.render(documents.manual(rel))
    elapsed = time.perf_counter() - started
    assert content.startswith(b"%PDF") and elapsed < 2.0, f"{elapsed:.2f} s"
