"""`pmloop requirements …` and `pmloop inbox`: the lifecycle from the command line, --json
output that parses, and refusals with the right exit code, the message on stderr and nothing
changed in the database."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from pmloop.audit.models import AuditEntry
from pmloop.notifications.models import Notification
from pmloop.requirements import services
from pmloop.requirements.models import AcceptanceCriterion, ChangeRequest, Requirement, RequirementVersion
from pmloop.requirements.tests.conftest import FULL_SPEC
from pmloop.reviews.models import ReviewRound

pytestmark = pytest.mark.django_db


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str
    stdout_bytes: bytes = b""

    @property
    def json(self):
        return json.loads(self.stdout)


def _app():
    """The real `pmloop` app once cli/main.py registers the group; until then the same root
    (PmloopGroup: DomainError → stderr + exit code) with this app's commands mounted."""
    import typer

    from pmloop.cli import main
    from pmloop.requirements.cli import inbox, requirements_app

    if any(g.typer_instance is requirements_app for g in main.app.registered_groups):
        return main.app
    app = typer.Typer(cls=main.PmloopGroup, no_args_is_help=True, add_completion=False, rich_markup_mode=None)
    app.callback()(main.root)
    app.add_typer(requirements_app, name="requirements")
    app.command("inbox")(inbox)
    return app


@pytest.fixture
def cli():
    from typer.testing import CliRunner

    app, runner = _app(), CliRunner()

    def invoke(*args) -> Result:
        res = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
        return Result(res.exit_code, res.stdout, res.stderr, res.stdout_bytes)

    return invoke


def state():
    """Everything a refused command must leave alone."""
    return (
        AuditEntry.objects.count(),
        list(Requirement.objects.order_by("pk").values()),
        list(RequirementVersion.objects.order_by("pk").values_list("pk", "number", "title")),
        list(AcceptanceCriterion.objects.order_by("pk").values()),
        list(ChangeRequest.objects.order_by("pk").values_list("pk", "status")),
        list(ReviewRound.objects.order_by("pk").values_list("pk", "status", "outcome")),
        Notification.objects.count(),
    )


def req_of(key: str) -> Requirement:
    code, number = key.rsplit("-", 1)
    return Requirement.objects.get(product__code=code, number=int(number))


@pytest.fixture
def draft(world, make_req):
    return make_req()


@pytest.fixture
def outsider(make_user):
    return make_user("outsider")


# ---- the whole loop from the command line ---------------------------------------------------
def test_lifecycle_from_the_command_line(cli, world, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec_file = tmp_path / "prd.json"
    spec_file.write_text(json.dumps({k: v for k, v in FULL_SPEC.items() if k != "acceptance_criteria"},
                                    ensure_ascii=False), encoding="utf-8")  # fmt: skip
    created = cli("requirements", "create", "群组角色权限", "--product", "IMSDK", "--priority", "2",
                  "--spec-file", spec_file, "--set", "acceptance_criteria=群主可以设置管理员",
                  "--set", "acceptance_criteria=管理员可以禁言成员", "--set", "why_chain=为什么要禁言？",
                  "--as", "pm", "--json")  # fmt: skip
    assert created.exit_code == 0, created.stderr
    out = created.json
    assert (out["key"], out["status"], out["priority"], out["version"]) == (
        "IMSDK-1",
        "draft",
        2,
        out["version"],
    )
    req = req_of("IMSDK-1")
    assert req.spec["summary"] == FULL_SPEC["summary"]
    assert req.spec["acceptance_criteria"] == FULL_SPEC["acceptance_criteria"]
    assert req.spec["why_chain"] == ["为什么要禁言？"]

    shown = cli("requirements", "show", "IMSDK-1", "--as", "viewer")
    assert shown.exit_code == 0
    assert shown.stdout.startswith("# IMSDK-1 群组角色权限")
    assert "群聊支持按角色配置权限" in shown.stdout and "☐ 群主可以设置管理员" in shown.stdout
    assert f"version {req.version}" in shown.stderr

    v = req.version
    sub = cli("requirements", "submit", "IMSDK-1", "--version", v, "--reviewer", "rev1", "--reviewer", "rev2",
              "--as", "pm", "--json")  # fmt: skip
    assert sub.exit_code == 0, sub.stderr
    assert sub.json["status"] == "reviewing"
    assert cli("requirements", "verdict", "IMSDK-1", "pass", "--as", "rev1").exit_code == 0
    done = cli("requirements", "verdict", "IMSDK-1", "pass", "--as", "rev2", "--json")
    assert done.json["status"] == "active"

    inbox = cli("inbox", "--unread", "--as", "rev1", "--json")
    assert inbox.exit_code == 0
    assert any(i["kind"] == "review_requested" for i in inbox.json["items"])

    v = req_of("IMSDK-1").version
    change = cli("requirements", "change", "IMSDK-1", "--version", v, "--reason", "客户要求按班级分组",
                 "--impact", "群管理接口", "--set", "summary=群聊支持按角色和班级配置权限", "--as", "pm", "--json")  # fmt: skip
    assert change.exit_code == 0, change.stderr
    assert change.json["status"] == "reviewing" and change.json["base_version"] == 1
    cli("requirements", "verdict", "IMSDK-1", "pass", "--as", "rev1")
    assert (
        cli("requirements", "verdict", "IMSDK-1", "pass", "--as", "rev2", "--json").json["status"] == "active"
    )

    diff = cli("requirements", "diff", "IMSDK-1", "1", "2", "--as", "viewer", "--json")
    assert diff.exit_code == 0
    assert [s["key"] for s in diff.json["sections"]] == ["summary"]
    assert diff.json["sections"][0]["after"] == "群聊支持按角色和班级配置权限"
    assert (
        "+群聊支持按角色和班级配置权限"
        in cli("requirements", "diff", "IMSDK-1", "1", "2", "--as", "pm").stdout
    )

    for stage in ("planned", "developing", "testing", "released"):
        res = cli("requirements", "stage", "IMSDK-1", stage, "--version", req_of("IMSDK-1").version, "--as", "dev",
                  "--json")  # fmt: skip
        assert res.exit_code == 0, res.stderr
        assert res.json["stage"] == stage
    for n in ("1", "2"):
        ver = cli("requirements", "verify", "IMSDK-1", n, "--as", "dev", "--json")
        assert ver.exit_code == 0, ver.stderr
        assert ver.json["verified"] is True
    cli("requirements", "stage", "IMSDK-1", "accepted", "--version", req_of("IMSDK-1").version, "--as", "dev")
    closed = cli("requirements", "close", "IMSDK-1", "done", "--version", req_of("IMSDK-1").version, "--as", "pm",
                 "--json")  # fmt: skip
    assert closed.exit_code == 0, closed.stderr
    assert (closed.json["status"], closed.json["close_reason"], closed.json["stage"]) == (
        "closed",
        "done",
        "accepted",
    )
    # the operation log names the CLI as the front
    assert set(
        AuditEntry.objects.filter(action__startswith="requirements.").values_list("via", flat=True)
    ) == {"cli"}

    reopened = cli("requirements", "reopen", "IMSDK-1", "--version", req_of("IMSDK-1").version, "--note",
                   "客户又提了", "--as", "pm")  # fmt: skip
    assert reopened.exit_code == 0 and "Reopened IMSDK-1" in reopened.stdout


def test_list_filters_and_json(cli, world, make_req, active_req):
    make_req(title="Message recall", spec={"summary": "recall a sent message"})
    everything = cli("requirements", "list", "--product", "IMSDK", "--as", "viewer", "--json").json
    assert everything["count"] == 2 and {"items", "count", "page", "page_size", "pages"} <= set(everything)
    assert cli("requirements", "list", "--status", "active", "--as", "viewer", "--json").json["count"] == 1
    assert (
        cli("requirements", "list", "--status", "draft,active", "--as", "viewer", "--json").json["count"] == 2
    )
    found = cli("requirements", "list", "--q", "权限", "--as", "viewer", "--json").json
    assert [i["key"] for i in found["items"]] == [active_req.key]
    english = cli("requirements", "list", "--q", "recall", "--as", "viewer", "--json").json
    assert [i["title"] for i in english["items"]] == ["Message recall"]
    table = cli("requirements", "list", "--as", "viewer")
    assert table.exit_code == 0 and "IMSDK-1" in table.stdout and "IMSDK-2" in table.stdout
    paged = cli("requirements", "list", "--page-size", "1", "--page", "2", "--as", "viewer", "--json").json
    assert (paged["pages"], len(paged["items"])) == (2, 1)


def test_from_pool_item(cli, world):
    res = cli("requirements", "from-pool", "IMSDK-P1", "--as", "pm", "--json")
    assert res.exit_code == 0, res.stderr
    req = req_of(res.json["key"])
    assert "好未来教育" in req.spec["background"] and world.item.text in req.spec["background"]
    assert req.voices == 1 and req.priority == 2  # importance high → priority 2
    again = cli("requirements", "from-pool", str(world.item.pk), "--title", "另一个", "--as", "pm", "--json")
    assert again.exit_code == 0 and again.json["title"] == "另一个"


def test_edit_sets_sections_and_fields(cli, world, draft, tmp_path):
    criteria_file = tmp_path / "design.txt"
    criteria_file.write_text("第一步\n第二步", encoding="utf-8")
    res = cli("requirements", "edit", draft.key, "--version", draft.version, "--title", "群组权限（新）",
              "--set", f"functional_design=@{criteria_file}", "--set",
              'performance=[{"metric": "群人数", "target": "10000", "boundary": "100000"}]',
              "--priority", "1", "--owner", "pm", "--as", "pm", "--json")  # fmt: skip
    assert res.exit_code == 0, res.stderr
    req = req_of(draft.key)
    assert req.title == "群组权限（新）" and req.priority == 1 and req.spec_version == 2
    assert req.spec["functional_design"] == "第一步\n第二步"
    assert req.spec["performance"] == [{"metric": "群人数", "target": "10000", "boundary": "100000"}]
    assert res.json["version"] == req.version


# ---- exports ----------------------------------------------------------------------------------
def test_export_markdown_to_stdout_and_docx_to_a_file(cli, world, active_req, tmp_path, monkeypatch):
    from docx import Document

    monkeypatch.chdir(tmp_path)
    md = cli("requirements", "export", active_req.key, "--as", "viewer")
    assert md.exit_code == 0 and md.stdout.startswith(f"# {active_req.key} 群组角色权限")
    zh = cli("requirements", "export", active_req.key, "--lang", "zh-hans", "--as", "viewer").stdout
    assert "## 1. 需求概述" in zh and "## 1. Summary" in md.stdout

    res = cli("requirements", "export", active_req.key, "--format", "docx", "--as", "viewer", "--json")
    assert res.exit_code == 0, res.stderr
    path = tmp_path / f"{active_req.key}.docx"
    assert res.json == {"file": path.name, "bytes": path.stat().st_size}
    text = "\n".join(p.text for p in Document(str(path)).paragraphs)
    assert "群聊支持按角色配置权限" in text
    # refuses to overwrite without --force; --force overwrites
    again = cli("requirements", "export", active_req.key, "--format", "docx", "--as", "viewer")
    assert again.exit_code == 2 and "--force" in again.stderr
    assert (
        cli(
            "requirements", "export", active_req.key, "--format", "docx", "--force", "--as", "viewer"
        ).exit_code
        == 0
    )
    raw = cli("requirements", "export", active_req.key, "--format", "docx", "-o", "-", "--as", "viewer")
    assert raw.stdout_bytes.startswith(b"PK")


def test_export_list_and_matrix(cli, world, active_req, make_req, tmp_path):
    from openpyxl import load_workbook

    make_req(title="=cmd|' /C calc'!A0", spec={})
    out = tmp_path / "list.xlsx"
    res = cli("requirements", "export-list", "--product", "IMSDK", "-o", out, "--as", "viewer")
    assert res.exit_code == 0, res.stderr
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert len(rows) == 3 and rows[0][0] == "Key"
    assert "'=cmd|' /C calc'!A0" in [r[1] for r in rows]
    only_active = tmp_path / "active.xlsx"
    cli("requirements", "export-list", "--status", "active", "-o", only_active, "--as", "viewer")
    assert [r[0] for r in load_workbook(only_active).active.iter_rows(min_row=2, values_only=True)] == [
        active_req.key
    ]

    services.link_pool_items(
        actor=world.a(world.pm), requirement_id=active_req.pk, pool_item_ids=[world.item.pk]
    )
    matrix = tmp_path / "matrix.xlsx"
    res = cli("requirements", "matrix", "IMSDK", "-o", matrix, "--as", "viewer", "--json")
    assert res.exit_code == 0 and res.json["file"] == str(matrix)
    lines = list(load_workbook(matrix).active.iter_rows(min_row=2, values_only=True))
    assert ("IMSDK-P1", active_req.key, "好未来教育") in [(r[0], r[4], r[2]) for r in lines]
    assert any(r[0] is None and r[4] == "IMSDK-2" for r in lines)  # no pool item: a line of its own


def test_inbox_mark_read(cli, world, draft):
    services.submit_for_review(
        actor=world.a(world.pm), requirement_id=draft.pk, expected_version=draft.version
    )
    assert Notification.objects.filter(user=world.rev1, read_at__isnull=True).count() == 1
    res = cli("inbox", "--unread", "--mark-read", "--as", "rev1", "--json")
    assert res.exit_code == 0 and res.json["marked_read"] == 1
    assert Notification.objects.filter(user=world.rev1, read_at__isnull=True).count() == 0
    assert cli("inbox", "--unread", "--as", "rev1", "--json").json["items"] == []
    table = cli("inbox", "--as", "rev1")
    assert table.exit_code == 0 and draft.key in table.stdout


# ---- refusals: exit code, message on stderr, nothing changed ---------------------------------
def refusals(draft_key: str, v: int):
    return [
        # (case, args, exit code, words in the message)
        (
            "incomplete PRD",
            ["submit", "IMSDK-2", "--version", 1, "--reviewer", "rev1", "--as", "pm"],
            3,
            "value",
        ),
        ("no reviewers", ["submit", "IMSDK-3", "--version", 1, "--as", "pm"], 3, "reviewer"),
        (
            "stale version",
            ["edit", draft_key, "--version", v + 5, "--title", "x", "--as", "pm"],
            6,
            "version",
        ),
        (
            "viewer edits",
            ["edit", draft_key, "--version", v, "--title", "x", "--as", "viewer"],
            4,
            "requirements.edit",
        ),
        ("sales creates", ["create", "x", "--product", "IMSDK", "--as", "sales"], 4, "requirements.create"),
        ("outsider reads", ["show", draft_key, "--as", "outsider"], 5, "IMSDK-1"),
        ("outsider lists a product", ["list", "--product", "IMSDK", "--as", "outsider"], 5, "product"),
        ("unknown key", ["show", "IMSDK-99", "--as", "pm"], 5, "IMSDK-99"),
        ("bad key", ["show", "nonsense", "--as", "pm"], 2, "IMSDK-42"),
        (
            "unknown section",
            ["edit", draft_key, "--version", v, "--set", "sumary=x", "--as", "pm"],
            2,
            "sumary",
        ),
        (
            "rows need JSON",
            ["edit", draft_key, "--version", v, "--set", "scenarios=教育", "--as", "pm"],
            2,
            "JSON",
        ),
        (
            "bad --set",
            ["edit", draft_key, "--version", v, "--set", "summary", "--as", "pm"],
            2,
            "section=value",
        ),
        (
            "bad priority",
            ["create", "x", "--product", "IMSDK", "--priority", "7", "--as", "pm"],
            2,
            "Priority",
        ),
        (
            "bad category",
            ["create", "x", "--product", "IMSDK", "--category", "wish", "--as", "pm"],
            2,
            "Category",
        ),
        (
            "spec file not JSON",
            ["create", "x", "--product", "IMSDK", "--spec-file", "prd.md", "--as", "pm"],
            2,
            ".json",
        ),
        ("not under review", ["verdict", draft_key, "pass", "--as", "rev1"], 3, "not under review"),
        ("stage of a draft", ["stage", draft_key, "planned", "--version", v, "--as", "pm"], 3, "active"),
        ("unknown stage", ["stage", draft_key, "shipped", "--version", v, "--as", "pm"], 2, "shipped"),
        ("verify a draft", ["verify", draft_key, "1", "--as", "dev"], 3, "active"),
        ("no such criterion", ["verify", draft_key, "9", "--as", "dev"], 5, "criterion 9"),
        (
            "done unverified",
            ["close", draft_key, "done", "--version", v, "--as", "pm"],
            3,
            "not yet verified",
        ),
        (
            "duplicate of nothing",
            ["close", draft_key, "duplicate", "--version", v, "--as", "pm"],
            3,
            "duplicates",
        ),
        ("bad close reason", ["close", draft_key, "bored", "--version", v, "--as", "pm"], 2, "Close reason"),
        (
            "reopen an open one",
            ["reopen", draft_key, "--version", v, "--note", "x", "--as", "pm"],
            3,
            "closed",
        ),
        ("bad format", ["export", draft_key, "--format", "pdf", "--as", "pm"], 2, "md or docx"),
        ("bad list format", ["export-list", "--format", "csv", "--as", "pm"], 2, "xlsx"),
        ("bad language", ["export", draft_key, "--lang", "fr", "--as", "pm"], 2, "--lang"),
        ("matrix of others", ["matrix", "IMSDK", "--as", "outsider"], 5, "product"),
        ("unknown status filter", ["list", "--status", "done", "--as", "pm"], 2, "done"),
        ("unknown pool item", ["from-pool", "IMSDK-P99", "--as", "pm"], 5, "P99"),
        ("diff of a missing version", ["diff", draft_key, "1", "7", "--as", "pm"], 5, "7"),
        ("unknown user", ["list", "--as", "ghost"], 5, "ghost"),
    ]


CASES = [c[0] for c in refusals("K", 1)]


@pytest.mark.parametrize("case", CASES)
def test_refusal_changes_nothing(cli, world, draft, make_req, outsider, tmp_path, monkeypatch, case):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "prd.md").write_text("# PRD", encoding="utf-8")
    make_req(spec={"summary": "只有概述"})  # IMSDK-2: incomplete
    make_req(reviewer_ids=None)  # IMSDK-3: complete, no reviewers named
    _name, args, code, words = next(c for c in refusals(draft.key, draft.version) if c[0] == case)
    before = state()
    res = cli("requirements", *args)
    assert res.exit_code == code, (res.stdout, res.stderr)
    assert res.stderr.startswith("Error: ")
    assert words.lower() in res.stderr.lower(), res.stderr
    assert res.stdout == ""
    assert state() == before


def test_guard_refusal_lists_what_is_missing(cli, world, make_req):
    req = make_req(spec={"summary": "只有概述"})
    res = cli(
        "requirements",
        "submit",
        req.key,
        "--version",
        req.version,
        "--reviewer",
        "rev1",
        "--as",
        "pm",
        "--json",
    )
    assert res.exit_code == 3
    body = json.loads(res.stderr)
    assert body["code"] == "prd_incomplete"
    assert set(body["missing"]) == {"value", "scenarios", "acceptance_criteria"}


def test_verdict_by_someone_not_asked(cli, world, draft):
    services.submit_for_review(actor=world.a(world.pm), requirement_id=draft.pk, expected_version=draft.version,
                               reviewer_ids=[world.rev1.pk])  # fmt: skip
    before = state()
    res = cli("requirements", "verdict", draft.key, "pass", "--as", "rev2", "--json")
    assert res.exit_code == 4 and json.loads(res.stderr)["code"] == "not_reviewer"
    clarify = cli("requirements", "verdict", draft.key, "clarify", "--as", "rev1")
    assert clarify.exit_code == 2 and "comment" in clarify.stderr
    wrong = cli("requirements", "verdict", draft.key, "maybe", "--as", "rev1")
    assert wrong.exit_code == 2 and "Verdict must be one of" in wrong.stderr
    assert state() == before


def test_help_lists_every_command(cli):
    res = cli("requirements", "--help")
    assert res.exit_code == 0
    for name in ("list", "show", "create", "from-pool", "edit", "submit", "verdict", "change", "stage", "verify",
                 "close", "reopen", "export", "export-list", "matrix", "diff"):  # fmt: skip
        assert name in res.stdout
