"""`pmloop customers` and `pmloop pool`: output, --json, exit codes (2 bad input, 3 refused
by a rule, 4 permission, 5 not found, 6 stale version), CSV import with --dry-run."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from pmloop.accounts.roles import Role
from pmloop.audit.models import AuditEntry
from pmloop.customers.models import Customer
from pmloop.pool.models import PoolItem

pytestmark = pytest.mark.django_db


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self):
        return json.loads(self.stdout)


def _root():
    """The real `pmloop` command when it mounts these groups; until then (see docs/pool.md,
    Wiring) the same root group class and runtime with only these groups."""
    import typer

    from pmloop.cli.main import PmloopGroup, Runtime
    from pmloop.cli.main import app as main_app
    from pmloop.customers.cli import customers_app
    from pmloop.pool.cli import pool_app

    if {"pool", "customers"} <= {g.name for g in main_app.registered_groups}:
        return main_app
    app = typer.Typer(cls=PmloopGroup, no_args_is_help=True)

    @app.callback()
    def root(ctx: typer.Context) -> None:
        if not isinstance(ctx.obj, Runtime):
            ctx.obj = Runtime()

    app.add_typer(customers_app, name="customers")
    app.add_typer(pool_app, name="pool")
    return app


@pytest.fixture
def cli():
    from typer.testing import CliRunner

    app, runner = _root(), CliRunner()

    def invoke(*args, input: str | None = None) -> Result:
        res = runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)
        return Result(res.exit_code, res.stdout, res.stderr)

    return invoke


def fingerprint():
    return (
        AuditEntry.objects.count(),
        list(
            PoolItem.objects.order_by("pk").values_list("pk", "status", "version", "voices", "merged_into_id")
        ),
        list(Customer.objects.order_by("pk").values_list("pk", "name", "version")),
    )


@pytest.fixture
def people(world, member):
    return {"viewer": member(Role.VIEWER, "viewer1"), "sales": member(Role.SALES, "sales1")}


# ---- customers ------------------------------------------------------------------------------
def test_customers_add_list_show(cli, world, people):
    r = cli("customers", "add", "中国移动", "--product", "IMSDK", "--industry", "telecom", "--tier", "key",
            "--owner", "sales1", "--as", "owner", "--json")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert (r.json["name"], r.json["weight"], r.json["owner"]) == ("中国移动", 5, "sales1")
    r = cli("customers", "list", "-p", "IMSDK", "--tier", "key", "--as", "viewer1", "--json")
    assert [c["name"] for c in r.json] == ["中国移动"]
    r = cli("customers", "show", "中国移动", "-p", "IMSDK", "--as", "viewer1")
    assert r.exit_code == 0 and "weight 5" in r.stdout and "Contacts (0)" in r.stdout


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["customers", "add", "招商银行", "-p", "IMSDK", "--as", "owner"], 2, "already has a customer"),
        (["customers", "add", "X", "-p", "IMSDK", "--weight", "500", "--as", "owner"], 2, "weight"),
        (["customers", "add", "X", "-p", "IMSDK", "--as", "viewer1"], 4, "customers.edit"),
        (["customers", "show", "Nobody", "-p", "IMSDK", "--as", "owner"], 5, "no customer named"),
        (["customers", "list", "-p", "IMSDK", "--as", "other_owner"], 5, "No such product"),
    ],
)
def test_customers_refusals(cli, world, people, outsider, args, code, words):
    before = fingerprint()
    r = cli(*args)
    assert r.exit_code == code, (r.stdout, r.stderr)
    assert words in r.stderr
    assert fingerprint() == before


# ---- pool -----------------------------------------------------------------------------------
def test_pool_add_list_show_triage_merge(cli, world, people):
    r = cli("pool", "add", "群聊需要支持一万人。", "-p", "IMSDK", "--customer", "招商银行", "--module", "群聊/群公告",
            "--tags", "群聊,API", "--as", "sales1", "--json")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert (r.json["key"], r.json["source"], r.json["module"], r.json["tags"]) == (
        "IMSDK-P1",
        "customer",
        "群公告",
        ["群聊", "api"],
    )
    r = cli("pool", "add", "-", "-p", "IMSDK", "--as", "owner", input="群聊 10000 人\n")
    assert r.exit_code == 0 and "Filed IMSDK-P2" in r.stdout
    r = cli("pool", "list", "-p", "IMSDK", "--status", "new", "--as", "viewer1", "--json")
    assert [i["key"] for i in r.json["items"]] == ["IMSDK-P2", "IMSDK-P1"] and r.json["count"] == 2
    r = cli("pool", "triage", "P1", "-p", "IMSDK", "--importance", "high", "--as", "owner")
    assert r.exit_code == 0 and "Triaged IMSDK-P1." in r.stdout
    r = cli("pool", "merge", "IMSDK-P2", "--into", "P1", "-p", "IMSDK", "--as", "owner")
    assert r.exit_code == 0 and "now 2 voices" in r.stdout
    r = cli("pool", "show", "IMSDK-P1", "--as", "viewer1", "--json")
    assert (r.json["voices"], r.json["merged_items"], r.json["customers"]) == (2, ["IMSDK-P2"], ["招商银行"])


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["pool", "add", "  ", "-p", "IMSDK", "--as", "owner"], 2, "text is required"),
        (["pool", "add", "x", "--as", "owner"], 2, "--product"),
        (["pool", "add", "x", "-p", "IMSDK", "--importance", "urgent", "--as", "owner"], 2, "importance"),
        (["pool", "add", "x", "-p", "IMSDK", "--module", "nope", "--as", "owner"], 2, "no module"),
        (["pool", "add", "x", "-p", "IMSDK", "--as", "viewer1"], 4, "pool.create"),
        (["pool", "triage", "P1", "-p", "IMSDK", "--as", "owner"], 3, "already triaged"),
        (["pool", "triage", "P2", "-p", "IMSDK", "--as", "sales1"], 4, "pool.triage"),
        (["pool", "decline", "P2", "-p", "IMSDK", "--as", "owner"], 3, "reason is required"),
        (["pool", "triage", "P2", "P1", "-p", "IMSDK", "--as", "owner"], 3, "Nothing was changed"),
        (
            ["pool", "merge", "P2", "--into", "P2", "-p", "IMSDK", "--as", "owner"],
            3,
            "cannot be merged into itself",
        ),
        (["pool", "reopen", "P2", "-p", "IMSDK", "--as", "owner"], 3, "nothing to reopen"),
        (
            ["pool", "reopen", "P3", "-p", "IMSDK", "--version", "1", "--as", "owner"],
            6,
            "Someone else changed",
        ),
        (["pool", "show", "P99", "-p", "IMSDK", "--as", "owner"], 5, "No pool item P99"),
        (["pool", "show", "IMSDK-P1", "--as", "other_owner"], 5, "No such product"),
        (["pool", "list", "-p", "IMSDK", "--status", "bogus", "--as", "owner"], 2, "--status"),
    ],
)
def test_pool_refusals(cli, world, people, outsider, file_item, args, code, words):
    from pmloop.pool import services

    p1 = file_item("one")
    file_item("two")
    p3 = file_item("three")
    services.triage_item(actor=world.po, item_id=p1.pk)
    services.decline_item(actor=world.po, item_id=p3.pk, reason="no")  # now version 2
    before = fingerprint()
    r = cli(*args)
    assert r.exit_code == code, (r.stdout, r.stderr)
    assert words in r.stderr, r.stderr
    assert fingerprint() == before


def test_errors_as_json(cli, world, people):
    r = cli("pool", "show", "P9", "-p", "IMSDK", "--as", "owner", "--json")
    assert r.exit_code == 5 and json.loads(r.stderr)["code"] == "item_not_found"


# ---- CSV import -----------------------------------------------------------------------------
GOOD = """text,source,customer,module,importance,tags
群聊需要支持一万人,customer,招商银行,群聊/群公告,高,"群聊,规模"
"Push arrives late
on iOS",sales,Shopline,推送,critical,push
Export chat history,,,,,
"""


def test_import_dry_run_then_real(cli, world, people, tmp_path):
    f = tmp_path / "pool.csv"
    f.write_text(GOOD, encoding="utf-8-sig")
    before = fingerprint()
    r = cli("pool", "import-csv", f, "-p", "IMSDK", "--dry-run", "--as", "owner")
    assert r.exit_code == 0 and "Checked 3 rows: all valid. Nothing was written" in r.stdout
    assert fingerprint() == before
    r = cli("pool", "import-csv", f, "-p", "IMSDK", "--as", "owner", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json == {"dry_run": False, "rows": 3, "created": ["IMSDK-P1", "IMSDK-P2", "IMSDK-P3"]}
    first, second, third = PoolItem.objects.order_by("number")
    assert (first.importance, first.tag_list, first.module.name, first.customer.name) == (
        "high",
        ["群聊", "规模"],
        "群公告",
        "招商银行",
    )
    assert (second.text, second.source.code, second.importance) == (
        "Push arrives late\non iOS",
        "sales",
        "critical",
    )
    assert (third.source.code, third.customer_id) == ("product_owner", None)


BAD = """text,source,customer,importance
ok one,customer,招商银行,low
,customer,招商银行,low
also ok,fax,,high
fine,,Nobody Inc,medium
"""


@pytest.mark.parametrize("dry_run", [True, False])
def test_import_bad_rows_write_nothing(cli, world, people, tmp_path, dry_run):
    f = tmp_path / "bad.csv"
    f.write_text(BAD, encoding="utf-8")
    before = fingerprint()
    r = cli("pool", "import-csv", f, "-p", "IMSDK", "--as", "owner", *(["--dry-run"] if dry_run else []))
    assert r.exit_code == 2, r.stdout
    assert "3 bad row(s); nothing was imported. Line 3" in r.stderr
    assert "line 3 (text)" in r.stderr and "line 4 (source)" in r.stderr and "line 5 (customer)" in r.stderr
    assert fingerprint() == before


@pytest.mark.parametrize(
    ("content", "words"),
    [("title,source\nx,y\n", "include 'text'"), ("text,colour\nx,red\n", "Unknown column(s) colour"),
     ("text\n", "no rows")],
)  # fmt: skip
def test_import_bad_files(cli, world, tmp_path, content, words):
    f = tmp_path / "f.csv"
    f.write_text(content, encoding="utf-8")
    r = cli("pool", "import-csv", f, "-p", "IMSDK", "--as", "owner")
    assert r.exit_code == 2 and words in r.stderr
    r = cli("pool", "import-csv", tmp_path / "missing.csv", "-p", "IMSDK", "--as", "owner")
    assert r.exit_code == 2 and "Cannot read" in r.stderr
    f.write_bytes("text\n测试\n".encode("gbk"))
    r = cli("pool", "import-csv", f, "-p", "IMSDK", "--as", "owner")
    assert r.exit_code == 2 and "UTF-8" in r.stderr
