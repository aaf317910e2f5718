"""The exporters: Markdown, Word and Excel files read back (python-docx, openpyxl) and checked
for layout (the PRD template's sections in order), Chinese text, the acceptance checklist,
plain user text, and formula escaping. The read-model builders are checked on a real
requirement (who asked, reviews, changes) with a bounded number of queries."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils import translation

from pmloop.requirements import exporters as ex
from pmloop.requirements import spec as prd

WHEN = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
EVIL = ['=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3", "@SUM(A1:A9)", "\tcmd", "=1+1"]


def sample(**overrides) -> ex.RequirementDoc:
    spec = prd.normalise(
        {
            "summary": "群聊支持按角色配置权限",
            "background": "**好未来**说：老师要能禁言学生。\n\n第二段 <b>不是 HTML</b>",
            "problem": "直播课堂秩序差",
            "why_chain": ["为什么要禁言？", "因为课堂被刷屏", "因为没有角色"],
            "value": "教育和金融客户要求细粒度的群管理权限",
            "goal": "上线后 30 天内 50 个教育客户启用",
            "scenarios": [
                {
                    "title": "直播课堂禁言",
                    "industry": "教育",
                    "customer_type": "大客户",
                    "description": "a|b\nc",
                }
            ],
            "functional_design": "1. 群主设置管理员\n2. 管理员禁言成员",
            "performance": [{"metric": "群人数", "target": "10000", "boundary": "100000"}],
            "acceptance_criteria": ["群主可以设置管理员", "管理员可以禁言成员"],
            "competitors": [
                {
                    "competitor": "融云",
                    "solution": "角色权限",
                    "pricing": "按 DAU",
                    "difference": "无",
                    "advantage": "私有化部署",
                }
            ],
        }
    )
    doc = ex.RequirementDoc(
        key="IMSDK-42", title="群组角色权限", product="IMSDK IM SDK", module="群聊", status="Active",
        stage="Testing", priority="2 – high", owner="王敏", version=3, date=WHEN, category="Feature",
        estimate="5", completeness=100, reviewers=["rev1", "rev2"], spec=spec,
        criteria=[ex.CriterionDoc("群主可以设置管理员", True, "rev1", WHEN), ex.CriterionDoc("管理员可以禁言成员")],
        asked=[ex.AskerDoc("IMSDK-P7", "群权限", "希望老师能禁言学生", "好未来教育", "Customer", "Linked", 40)],
        customers=["好未来教育"],
        rounds=[
            ex.RoundDoc("Review", "All reviewers must pass", "Decided", "Pass", WHEN, WHEN, "",
                        [ex.VoteDoc("rev1", "Pass", "清楚", WHEN), ex.VoteDoc("rev2", "Pass", "", WHEN)]),
            ex.RoundDoc("Change review", "All reviewers must pass", "Open", "", WHEN, None, "按班级分组",
                        [ex.VoteDoc("rev1"), ex.VoteDoc("rev2", "Needs clarification", "班级从哪来？", WHEN)]),
        ],
        changes=[ex.ChangeDoc("按班级分组", "群管理接口", "Under review", 2, "王敏", WHEN)],
        versions=[ex.VersionDoc(1, "群组角色权限", "王敏", WHEN, "created"), ex.VersionDoc(2, "群组角色权限", "王敏", WHEN)],
        generated_at=WHEN,
    )  # fmt: skip
    for k, v in overrides.items():
        setattr(doc, k, v)
    return doc


def expected_headings() -> list[str]:
    """Heading 1 texts in order: the template's six chapters, then the traceability ones."""
    heads = [ex.section_title(label, secs) for label, secs in ex.chapters()]
    heads += ["Who asked", "Review rounds", "Change history"]
    return [f"{n}. {h}" for n, h in enumerate(heads, 1)]


# ---- the template -------------------------------------------------------------------------------
def test_chapters_place_every_section_once_in_spec_order():
    flat = [s.key for _label, secs in ex.chapters() for s in secs]
    assert flat == list(prd.SECTION_KEYS)
    assert [label for label, _ in ex.chapters()] == [
        "Summary", "Background", "Value description", "Requirement detail", "Acceptance criteria",
        "Competitor comparison",
    ]  # fmt: skip


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def zh(msgid: str) -> str:
    """A fixed word as a Chinese document shows it (the catalogue's, else the built-in one)."""
    with translation.override("zh-hans"):
        return ex.t(msgid)


def test_chapter_labels_in_chinese_follow_the_template():
    with translation.override("zh-hans"):
        titles = [ex.section_title(label, secs) for label, secs in ex.chapters()]
    assert titles[0] == "需求概述" and titles[4] == "验收标准" and titles[5] == "竞品对比"
    assert all(chinese(t) for t in titles), titles


def test_fixed_words_fall_back_to_the_built_in_chinese(monkeypatch):
    monkeypatch.setitem(ex._ZH, "A word no catalogue has", "没有的词")
    assert zh("A word no catalogue has") == "没有的词"
    with translation.override("en"):
        assert ex.t("A word no catalogue has") == "A word no catalogue has"
    assert all(chinese(zh(msgid)) for msgid in ex._ZH), [m for m in ex._ZH if not chinese(zh(m))]


# ---- Markdown -----------------------------------------------------------------------------------
def test_markdown_layout():
    md = ex.requirement_markdown(sample())
    assert md.startswith("# IMSDK-42 群组角色权限\n")
    # title page fields
    for field in ("| Key | IMSDK-42 |", "| Product | IMSDK IM SDK |", "| Module | 群聊 |", "| Status | Active |",
                  "| Stage | Testing |", "| Priority | 2 – high |", "| Owner | 王敏 |", "| Version | v3 |",
                  "| Date | 2025-03-01 |"):  # fmt: skip
        assert field in md, field
    # chapters in order, then each spec section heading in SECTIONS order
    h2 = [line[3:] for line in md.splitlines() if line.startswith("## ")]
    assert h2 == expected_headings()
    h3 = [line[4:] for line in md.splitlines() if line.startswith("### ")]
    multi = [str(s.label) for _l, secs in ex.chapters() if len(secs) > 1 for s in secs]
    assert h3[: len(multi)] == multi
    # lists as bullets, rows as tables, escaped for Markdown tables
    assert "- 为什么要禁言？\n- 因为课堂被刷屏\n- 因为没有角色" in md
    assert "| Title | Industry | Customer type | Description |" in md
    assert "| 直播课堂禁言 | 教育 | 大客户 | a\\|b<br>c |" in md
    assert "| 群人数 | 10000 | 100000 |" in md
    assert "| 融云 | 角色权限 | 按 DAU | 无 | 私有化部署 |" in md
    # the checklist
    assert "- ✓ 群主可以设置管理员 — rev1, " in md
    assert "- ☐ 管理员可以禁言成员\n" in md
    # user Markdown stays as written
    assert "**好未来**说：老师要能禁言学生。" in md
    # traceability
    assert "| IMSDK-P7 群权限 | 好未来教育 | Customer | 40 | Linked | 希望老师能禁言学生 |" in md
    assert "### Round 1 · Review · Pass" in md and "### Round 2 · Change review · Open" in md
    assert "| rev1 | pending |" in md and "| rev2 | Needs clarification | 班级从哪来？ |" in md
    assert "| 按班级分组 | 群管理接口 | v2 | Under review |" in md


def test_markdown_in_chinese():
    with translation.override("zh-hans"):
        md = ex.requirement_markdown(sample())
    assert "## 1. 需求概述" in md and f"## 3. {zh('Value description')}" in md and "### 追问链" in md
    assert f"## 7. {zh('Who asked')}" in md and f"## 8. {zh('Review rounds')}" in md
    assert f"## 9. {zh('Change history')}" in md
    assert f"| {zh('Key')} | IMSDK-42 |" in md and f"| {zh('Owner')} | 王敏 |" in md
    assert f"| {zh('Title')} | {zh('Industry')} | {zh('Customer type')} | {zh('Description')} |" in md
    assert "Who asked" not in md and "Not reviewed" not in md


def test_markdown_of_an_empty_requirement():
    md = ex.requirement_markdown(ex.RequirementDoc(key="X-1", title="t", product="X", spec=prd.empty()))
    assert md.count("_not filled_") == len(prd.SECTIONS)
    assert "_No pool item is linked to this requirement._" in md and "_Not reviewed yet._" in md
    assert "_No change requested._" in md


def test_criteria_fall_back_to_the_spec_text():
    doc = sample(criteria=[])
    assert "- ☐ 群主可以设置管理员" in ex.requirement_markdown(doc)


# ---- Word ---------------------------------------------------------------------------------------
def open_docx(content: bytes):
    from docx import Document

    return Document(io.BytesIO(content))


def test_docx_layout_styles_and_content():
    document = open_docx(ex.requirement_docx(sample()))
    paras = document.paragraphs
    assert paras[0].style.name == "Title" and paras[0].text == "IMSDK-42 群组角色权限"
    h1 = [p.text for p in paras if p.style.name == "Heading 1"]
    assert h1 == expected_headings()
    h2 = [p.text for p in paras if p.style.name == "Heading 2"]
    multi = [str(s.label) for _l, secs in ex.chapters() if len(secs) > 1 for s in secs]
    assert h2[: len(multi)] == multi
    assert h2[len(multi) :] == ["Round 1 · Review · Pass", "Round 2 · Change review · Open", "Versions"]
    # title page: a Table Grid of fields, then a page break before chapter 1
    fields = document.tables[0]
    assert fields.style.name == "Table Grid"
    assert [(r.cells[0].text, r.cells[1].text) for r in fields.rows][:10] == [
        ("Key", "IMSDK-42"), ("Title", "群组角色权限"), ("Product", "IMSDK IM SDK"), ("Module", "群聊"),
        ("Status", "Active"), ("Stage", "Testing"), ("Priority", "2 – high"), ("Owner", "王敏"), ("Version", "v3"),
        ("Date", "2025-03-01"),
    ]  # fmt: skip
    assert 'w:type="page"' in document.element.xml
    # lists as bullets, the checklist with ✓/☐
    bullets = [p.text for p in paras if p.style.name == "List Bullet"]
    assert bullets == ["为什么要禁言？", "因为课堂被刷屏", "因为没有角色"]
    texts = [p.text for p in paras]
    assert any(t.startswith("✓ 群主可以设置管理员") for t in texts)
    assert "☐ 管理员可以禁言成员" in texts
    # rows as tables with a real table style and a bold header row that repeats on each page
    data = [t for t in document.tables if t.style.name == ex.DATA_TABLE_STYLE]
    scenario = next(t for t in data if t.rows[0].cells[0].text == "Title")
    assert [c.text for c in scenario.rows[1].cells] == ["直播课堂禁言", "教育", "大客户", "a|b\nc"]
    assert scenario.rows[0].cells[0].paragraphs[0].runs[0].bold
    assert "w:tblHeader" in scenario.rows[0]._tr.xml
    competitors = next(t for t in data if t.rows[0].cells[0].text == "Competitor")
    assert competitors.rows[1].cells[4].text == "私有化部署"
    asked = next(t for t in data if t.rows[0].cells[0].text == "Pool item")
    assert [c.text for c in asked.rows[1].cells] == ["IMSDK-P7 群权限", "好未来教育", "Customer", "40", "Linked",
                                                     "希望老师能禁言学生"]  # fmt: skip
    # user text is plain text: Markdown and tags are kept as typed, not rendered
    assert "**好未来**说：老师要能禁言学生。" in texts and "第二段 <b>不是 HTML</b>" in texts
    assert document.core_properties.title == "IMSDK-42 群组角色权限"


def test_docx_declares_east_asian_fonts():
    from docx.oxml.ns import qn

    document = open_docx(ex.requirement_docx(sample()))
    styles = document.styles.element
    default = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:rFonts"))
    assert default.get(qn("w:eastAsia")) == ex.EAST_ASIA_FONT
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "List Bullet"):
        fonts = document.styles[name].element.find(qn("w:rPr")).find(qn("w:rFonts"))
        assert fonts.get(qn("w:eastAsia")) == ex.EAST_ASIA_FONT, name
        assert fonts.get(qn("w:ascii")) == ex.LATIN_FONT, name
        assert fonts.get(qn("w:eastAsiaTheme")) is None, name  # a theme font would win over ours
        lang = document.styles[name].element.find(qn("w:rPr")).find(qn("w:lang"))
        assert lang.get(qn("w:eastAsia")) == "zh-CN"


def test_docx_in_chinese():
    with translation.override("zh-hans"):
        document = open_docx(ex.requirement_docx(sample()))
    h1 = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert h1[0] == "1. 需求概述" and h1[4] == "5. 验收标准"
    assert h1[6:] == [f"7. {zh('Who asked')}", f"8. {zh('Review rounds')}", f"9. {zh('Change history')}"]
    assert all(chinese(h) for h in h1), h1
    assert document.tables[0].rows[0].cells[0].text == zh("Key")


def test_docx_drops_characters_xml_cannot_hold():
    doc = sample(title="坏\x00字符\x0b标题", spec={**sample().spec, "summary": "a\x1bb\x07c"})
    document = open_docx(ex.requirement_docx(doc))  # python-docx would raise on them
    texts = [p.text for p in document.paragraphs]
    assert "坏字符标题" in document.paragraphs[0].text and "abc" in texts


# ---- Excel --------------------------------------------------------------------------------------
def open_xlsx(content: bytes):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(content)).active


def list_row(**kw) -> ex.ListRow:
    base = {"key": "IMSDK-1", "title": "群组角色权限", "module": "群聊", "status": "Active", "stage": "Testing",
            "priority": "2 – high", "owner": "王敏", "completeness": 85, "voices": 40, "estimate": Decimal("5.5"),
            "created": WHEN, "updated": WHEN}  # fmt: skip
    return ex.ListRow(**{**base, **kw})


def test_requirements_xlsx_header_filter_freeze_and_values():
    ws = open_xlsx(
        ex.requirements_xlsx([list_row(), list_row(key="IMSDK-2", title="消息撤回", estimate=None)])
    )
    header = [c.value for c in ws[1]]
    assert header == ["Key", "Title", "Module", "Status", "Stage", "Priority", "Owner", "Completeness", "Voices",
                      "Estimate (person-days)", "Created", "Updated"]  # fmt: skip
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:L3"
    row = [c.value for c in ws[2]]
    assert row[:10] == [
        "IMSDK-1",
        "群组角色权限",
        "群聊",
        "Active",
        "Testing",
        "2 – high",
        "王敏",
        85,
        40,
        5.5,
    ]
    assert isinstance(row[10], datetime) and row[10].tzinfo is None
    assert ws["J3"].value is None
    for letter, (lo, hi) in zip("ABCDEFGHIJKL", [w for _l, w in ex.REQUIREMENT_COLUMNS], strict=True):
        assert lo <= ws.column_dimensions[letter].width <= hi, letter
    assert ws.column_dimensions["B"].width > ws.column_dimensions["A"].width


def test_requirements_xlsx_in_chinese():
    with translation.override("zh-hans"):
        ws = open_xlsx(ex.requirements_xlsx([list_row()]))
    assert [c.value for c in ws[1]][:3] == [zh("Key"), zh("Title"), zh("Module")]
    assert all(chinese(c.value) for c in ws[1])
    assert ws.title == zh("Requirements") and chinese(ws.title)


@pytest.mark.parametrize("text", EVIL)
def test_xlsx_cells_that_look_like_formulas_are_escaped(text):
    ws = open_xlsx(ex.requirements_xlsx([list_row(title=text, owner=text, module=text)]))
    for cell in (ws["B2"], ws["C2"], ws["G2"]):
        assert cell.data_type == "s"
        assert cell.value == "'" + text
    assert not [c for row in ws.iter_rows() for c in row if c.data_type == "f"]


def test_xlsx_keeps_ordinary_text_and_numbers_as_they_are():
    ws = open_xlsx(ex.requirements_xlsx([list_row(title="a-b = c", module="群聊/群公告")]))
    assert ws["B2"].value == "a-b = c" and ws["C2"].value == "群聊/群公告"
    assert ws["H2"].data_type == "n" and ws["H2"].value == 85


def test_xlsx_drops_illegal_characters_and_caps_length():
    ws = open_xlsx(ex.requirements_xlsx([list_row(title="a\x00b\x1fc", module="长" * 40_000)]))
    assert ws["B2"].value == "abc"
    assert len(ws["C2"].value) == ex.CELL_MAX


def test_cell_text():
    assert ex.cell_text("=1+1") == "'=1+1"
    assert ex.cell_text("normal") == "normal"
    assert ex.cell_text("") == ""


def test_matrix_xlsx():
    lines = [
        ex.MatrixLine("IMSDK-1", "群组角色权限", "Active", "Testing", "Pass", "rev1: Pass, rev2: Pass", "IMSDK-P7",
                      "群权限", "好未来教育", 40),
        ex.MatrixLine("IMSDK-1", "群组角色权限", "Active", "Testing", "Pass", "rev1: Pass, rev2: Pass", "IMSDK-P9",
                      "=HYPERLINK(\"x\")", "", 1),
        ex.MatrixLine("IMSDK-2", "消息撤回", "Draft", "Waiting"),
    ]  # fmt: skip
    ws = open_xlsx(ex.matrix_xlsx(lines))
    assert [c.value for c in ws[1]] == ["Pool item", "Pool item title", "Customer", "Voices", "Requirement",
                                        "Requirement title", "Status", "Last review", "Verdicts", "Stage"]  # fmt: skip
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert rows[0] == ["IMSDK-P7", "群权限", "好未来教育", 40, "IMSDK-1", "群组角色权限", "Active", "Pass",
                       "rev1: Pass, rev2: Pass", "Testing"]  # fmt: skip
    assert rows[1][1] == '\'=HYPERLINK("x")'
    assert rows[2][:6] == [None, None, None, None, "IMSDK-2", "消息撤回"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:J4"


# ---- the read model from a real requirement ---------------------------------------------------
@pytest.mark.django_db
def test_requirement_doc_from_the_database(world, active_req, django_assert_max_num_queries):
    from pmloop.requirements import services
    from pmloop.requirements.documents import requirement_doc

    pm = world.a(world.pm)
    services.link_pool_items(actor=pm, requirement_id=active_req.pk, pool_item_ids=[world.item.pk])
    active_req.refresh_from_db()
    services.request_change(actor=pm, requirement_id=active_req.pk, expected_version=active_req.version,
                            reason="按班级分组", impact="群管理接口", spec={"summary": "按角色和班级配置权限"})  # fmt: skip
    services.record_review_verdict(actor=world.a(world.rev1), requirement_id=active_req.pk, verdict="pass")
    crit = active_req.criteria.first()
    with django_assert_max_num_queries(25):
        doc = requirement_doc(actor=world.a(world.viewer), requirement_id=active_req.pk)
    assert (doc.key, doc.title, doc.product, doc.owner) == ("IMSDK-1", "群组角色权限", "IMSDK IM SDK", "pm")
    assert doc.version == 2 and doc.spec["summary"] == "按角色和班级配置权限"
    assert doc.status == "Reviewing" and doc.stage == "Waiting"
    assert [a.key for a in doc.asked] == ["IMSDK-P1"] and doc.asked[0].customer == "好未来教育"
    assert doc.customers == ["好未来教育"]
    assert [r.kind for r in doc.rounds] == ["Review", "Change review"]  # oldest first
    assert doc.rounds[0].outcome == "Pass" and doc.rounds[0].rule == "All reviewers must pass"
    assert [(v.reviewer, v.verdict) for v in doc.rounds[1].votes] == [("rev1", "Pass"), ("rev2", "")]
    assert [(c.reason, c.base_version) for c in doc.changes] == [("按班级分组", 1)]
    assert [v.number for v in doc.versions] == [1, 2]
    assert [c.text for c in doc.criteria] == [crit.text, *[c.text for c in active_req.criteria.all()][1:]]
    # and it renders
    md = ex.requirement_markdown(doc)
    assert "IMSDK-P1" in md and "- ☐ 群主可以设置管理员" in md
    assert open_docx(ex.requirement_docx(doc)).paragraphs[0].text == "IMSDK-1 群组角色权限"


@pytest.mark.django_db
def test_a_verified_criterion_shows_a_check(world, active_req):
    from pmloop.requirements import services
    from pmloop.requirements.documents import requirement_doc

    crit = active_req.criteria.first()
    services.set_criterion_verified(actor=world.a(world.dev), criterion_id=crit.pk, verified=True)
    doc = requirement_doc(actor=world.a(world.viewer), requirement_id=active_req.pk)
    assert [(c.verified, c.verified_by) for c in doc.criteria] == [(True, "dev"), (False, "")]
    texts = [p.text for p in open_docx(ex.requirement_docx(doc)).paragraphs]
    assert any(t.startswith(f"✓ {crit.text} — dev, ") for t in texts)


@pytest.mark.django_db
def test_matrix_lines_one_per_requirement_and_pool_item(world, make_req, actor_for):
    from pmloop.pool import services as pool
    from pmloop.requirements.documents import matrix_lines

    second = pool.create_item(
        actor=actor_for(world.sales), product_id=world.product.pk, text="English: mute a member"
    )
    asked = make_req(pool_item_ids=[world.item.pk, second.pk])
    alone = make_req(title="无人提的需求")
    lines = matrix_lines(actor=world.a(world.viewer), product_id=world.product.pk)
    pairs = [(m.requirement_key, m.pool_key) for m in lines]
    assert sorted(pairs) == sorted([(asked.key, "IMSDK-P1"), (asked.key, second.key), (alone.key, "")])
    first = next(m for m in lines if m.pool_key == "IMSDK-P1")
    assert (first.customer, first.voices, first.status, first.stage) == ("好未来教育", 1, "Draft", "Waiting")


@pytest.mark.django_db
def test_list_rows_check_filters_before_streaming(world, make_req):
    from pmloop.core.errors import InvalidInput
    from pmloop.requirements.documents import list_rows
    from pmloop.requirements.selectors import RequirementQuery

    make_req(estimate="2.5")
    with pytest.raises(InvalidInput):
        list_rows(actor=world.a(world.viewer), query=RequirementQuery(status=["done"]))  # raises at the call
    rows = list(list_rows(actor=world.a(world.viewer), query=RequirementQuery(product_id=world.product.pk)))
    assert [(r.key, r.estimate, r.owner, r.status) for r in rows] == [
        ("IMSDK-1", Decimal("2.5"), "pm", "Draft")
    ]
