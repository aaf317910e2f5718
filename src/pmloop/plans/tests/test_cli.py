"""`pmloop plan|release|roadmap|launch`: output, --json, and the exit code of each refusal."""

from __future__ import annotations

import io
import json

import pytest

from pmloop.plans.models import Plan, Release

pytestmark = pytest.mark.django_db


@pytest.fixture
def cli():
    from typer.testing import CliRunner

    from pmloop.cli.main import app

    runner = CliRunner()

    def invoke(*args):
        res = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
        return res.exit_code, res.stdout, res.stderr

    return invoke


def test_plan_commands_and_exit_codes(cli, world, make_active, make_req):
    code, out, err = cli("plan", "create", "IMSDK", "2026 Q4", "--start", "2026-10-01", "--end", "2026-12-31",
                         "--capacity", "5", "--as", "owner")  # fmt: skip
    assert code == 0, err
    plan = Plan.objects.get()
    code, _out, err = cli(
        "plan", "create", "IMSDK", "bad", "--start", "2026-12-31", "--end", "2026-10-01", "--as", "owner"
    )
    assert code == 2 and "before the start date" in err  # InvalidInput
    req = make_active(estimate=8)
    code, out, err = cli("plan", "add", plan.pk, req.key, "--as", "owner")
    assert code == 0 and req.key in out
    draft = make_req(title="草稿")
    code, _out, err = cli("plan", "add", plan.pk, draft.key, "--as", "owner")
    assert code == 3 and "draft" in err  # GuardFailed
    code, _out, err = cli("plan", "add", plan.pk, req.key, "--as", "viewer")
    assert code == 4  # PermissionDenied
    code, _out, err = cli("plan", "show", 99999, "--as", "owner")
    assert code == 5  # NotFound
    code, out, _err = cli("plan", "show", plan.pk, "--as", "owner", "--json")
    data = json.loads(out)
    assert code == 0 and data["over_capacity"] is True and data["items"][0]["key"] == req.key
    code, out, _err = cli("plan", "show", plan.pk, "--as", "owner")
    assert "OVER CAPACITY" in out
    assert cli("plan", "milestone", plan.pk, "提测", "2027-01-05", "--as", "owner")[0] == 2
    assert cli("plan", "milestone", plan.pk, "提测", "2026-11-15", "--as", "owner")[0] == 0
    code, out, _err = cli("plan", "burnup", plan.pk, "--json", "--as", "owner")
    assert code == 0 and json.loads(out)[-1]["scope"] == 1


def test_release_commands_notes_and_stale_version(cli, world, make_active, tmp_path):
    a = make_active("群组角色权限", stage="testing")
    b = make_active("消息撤回时限可配置", stage="developing")
    assert cli("release", "create", "IMSDK", "v3.2", "--date", "2026-11-30", "--as", "owner")[0] == 0
    code, _out, err = cli("release", "create", "IMSDK", "v3.2", "--as", "owner")
    assert code == 2 and "already used" in err
    assert cli("release", "add", "v3.2", a.key, b.key, "--as", "owner")[0] == 0
    rel = Release.objects.get()
    code, _out, err = cli("release", "publish", "v3.2", "--version", rel.version, "--as", "owner")
    assert code == 3 and b.key in err
    code, _out, err = cli("release", "publish", "v3.2", "--version", 1, "--as", "owner")
    assert code == 6  # Conflict: stale version
    code, out, err = cli("release", "publish", "v3.2", "--version", rel.version, "--override", f"{b.key}=合同约定",
                         "--as", "owner")  # fmt: skip
    assert code == 0, err
    assert Release.objects.get().status == "released"
    target = tmp_path / "notes.docx"
    code, out, err = cli(
        "release", "notes", "v3.2", "--format", "docx", "-o", target, "--lang", "zh-hans", "--as", "owner"
    )
    assert code == 0, err
    from docx import Document

    text = "\n".join(p.text for p in Document(io.BytesIO(target.read_bytes())).paragraphs)
    assert "发布说明" in text and "群组角色权限" in text and "消息撤回时限可配置" in text
    code, out, _err = cli(
        "release", "notes", "v3.2", "--format", "md", "-o", "-", "--lang", "en", "--as", "owner"
    )
    assert code == 0 and out.startswith("# Release notes:")
    assert cli("release", "notes", "v3.2", "--format", "xlsx", "-o", "-", "--as", "owner")[0] == 2
    assert cli("release", "notes", "v9", "--as", "owner")[0] == 5


def test_launch_and_roadmap_commands(cli, world, make_active, tmp_path):
    from pmloop.plans import services as plan_services

    a = make_active("A", stage="testing")
    po = world.a(world.owner)
    rel = plan_services.create_release(actor=po, product_id=world.product.pk, version_name="v1")
    plan_services.add_to_release(actor=po, release_id=rel.pk, requirement_ids=[a.pk])
    assert cli("launch", "open", "v1", "--as", "owner")[0] == 0
    code, out, _err = cli("launch", "checklist", "v1", "--json", "--as", "owner")
    items = json.loads(out)
    assert code == 0 and len(items) == 5
    item = items[0]
    assert cli("launch", "sign-off", item["id"], "--version", item["version"], "--as", "dev")[0] == 4
    assert cli("launch", "sign-off", item["id"], "--version", item["version"], "--as", "owner")[0] == 0
    code, out, _err = cli(
        "launch", "session", "v1", "培训", "--starts", "2026-12-02 14:00", "--json", "--as", "owner"
    )
    session_id = json.loads(out)["session_id"]
    assert (
        cli("launch", "attendee", session_id, "张老师", "--org", "好未来", "--signed-in", "--as", "owner")[0]
        == 0
    )
    sheet = tmp_path / "sheet.xlsx"
    assert cli("launch", "attendance", session_id, "-o", sheet, "--as", "owner")[0] == 0
    from openpyxl import load_workbook

    assert list(load_workbook(sheet).active.values)[1][1] == "张老师"
    svg = tmp_path / "rm.svg"
    plan = plan_services.create_plan(actor=po, product_id=world.product.pk, title="Q4", start_date="2026-10-01",
                                     end_date="2026-12-31")  # fmt: skip
    b = make_active("B")
    plan_services.add_to_plan(actor=po, plan_id=plan.pk, requirement_ids=[b.pk])
    code, _out, err = cli("roadmap", "export", "IMSDK", "--format", "svg", "-o", svg, "--as", "owner")
    assert code == 0, err
    assert svg.read_text().startswith("<svg") and b.key in svg.read_text()
    assert cli("roadmap", "export", "IMSDK", "--format", "svg", "-o", svg, "--as", "owner")[0] == 2  # exists
    assert cli("roadmap", "export", "--group-by", "colour", "-o", "-", "--as", "owner")[0] == 2
    code, out, _err = cli("roadmap", "outlook", "IMSDK", "--json", "--as", "owner")
    assert code == 0 and json.loads(out)["now"][0]["title"] == "B"
