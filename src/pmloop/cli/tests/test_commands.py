"""The CLI front: output, --json, and refusals with the right exit code and nothing changed."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from pmloop.accounts.models import ApiToken, Membership, User
from pmloop.audit.models import AuditEntry
from pmloop.products import services as product_services
from pmloop.products.models import Module, Product


def _state():
    """A fingerprint of everything a refused command must leave alone."""
    return (
        AuditEntry.objects.count(),
        list(Product.objects.order_by("pk").values_list("pk", "name", "version", "archived")),
        list(Module.objects.order_by("pk").values_list("pk", "name", "parent_id", "position", "version")),
        list(Membership.objects.order_by("pk").values_list("user_id", "product_id", "role")),
        list(User.objects.order_by("pk").values_list("username", "is_active", "is_superuser")),
    )


@pytest.fixture
def tree(product, owner, actor_for):
    a = actor_for(owner)
    group = product_services.create_module(actor=a, product_id=product.pk, name="群聊")
    product_services.create_module(actor=a, product_id=product.pk, name="群公告", parent_id=group.pk)
    product_services.create_module(actor=a, product_id=product.pk, name="单聊")
    return group


# ---- refusals: exit code, message on stderr, nothing changed ---------------------------------
REFUSALS = [
    # (case, args, exit code, words in the message)
    ("viewer edits product", ["products", "update", "IMSDK", "--version", "1", "--name", "X", "--as", "viewer1"], 4, "products.edit"),
    ("viewer adds module", ["modules", "add", "IMSDK", "新模块", "--as", "viewer1"], 4, "products.edit_modules"),
    ("viewer adds member", ["members", "add", "IMSDK", "owner", "viewer", "--as", "viewer1"], 4, "accounts.manage_members"),
    ("non-admin creates user", ["users", "create", "bob", "--password", "pw-Secret-123", "--as", "owner"], 4, "site admin"),
    ("stale product version", ["products", "update", "IMSDK", "--version", "7", "--name", "X", "--as", "owner"], 6, "version"),
    ("stale module version", ["modules", "rename", "IMSDK", "群聊", "群组", "--version", "9", "--as", "owner"], 6, "version"),
    ("bad product code", ["products", "create", "bad code!", "Name", "--as", "owner"], 2, "capital"),
    ("taken product code", ["products", "create", "IMSDK", "Again", "--as", "owner"], 2, "taken"),
    ("unknown role", ["members", "add", "IMSDK", "viewer1", "boss", "--as", "owner"], 2, "Unknown role"),
    ("bad review rule", ["products", "update", "IMSDK", "--version", "1", "--review-rule", "x", "--as", "owner"], 2, "Review rule"),
    ("weak password", ["createuser", "carol", "--password", "123"], 2, "password"),
    ("bad --since", ["audit", "log", "--since", "yesterday"], 2, "--since"),
    ("unknown product", ["products", "show", "NOPE"], 5, "No such product"),
    ("unknown product for members", ["members", "list", "NOPE"], 5, "No such product"),
    ("product of others", ["products", "show", "IMSDK", "--as", "outsider"], 5, "No such product"),
    ("unknown module", ["modules", "delete", "IMSDK", "没有/这个", "--version", "1", "--as", "owner"], 5, "no module"),
    ("unknown user", ["products", "list", "--as", "ghost"], 5, "No user named 'ghost'"),
    ("module with children", ["modules", "delete", "IMSDK", "群聊", "--version", "1", "--as", "owner"], 3, "sub-modules"),
    ("module under itself", ["modules", "move", "IMSDK", "群聊", "--parent", "群聊/群公告", "--version", "1", "--as", "owner"], 3, "under itself"),
    ("last owner leaves", ["members", "remove", "IMSDK", "owner", "--as", "owner"], 3, "owner"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "args", "code", "words"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusal_changes_nothing(cli, admin, tree, member, make_user, case, args, code, words):
    member("viewer", username="viewer1")
    make_user("outsider")
    before = _state()
    res = cli(*args)
    assert res.exit_code == code, (res.stdout, res.stderr)
    assert words.lower() in res.stderr.lower()
    assert res.stderr.startswith("Error: ")
    assert res.stdout == ""
    assert _state() == before


def test_refusal_in_json_mode_is_json_on_stderr(cli, admin, product, member):
    member("viewer", username="viewer1")
    res = cli("products", "update", "IMSDK", "--version", "1", "--name", "X", "--as", "viewer1", "--json")
    assert res.exit_code == 4
    body = json.loads(res.stderr)
    assert body["code"] == "role_forbidden" and "products.edit" in body["message"]
    assert res.stdout == ""


def test_missing_required_version_is_a_usage_error(cli, admin, product):
    res = cli("products", "update", "IMSDK", "--name", "X")
    assert res.exit_code == 2
    assert "--version" in res.stderr


def test_no_admin_and_no_as(cli, db):
    res = cli("products", "list")
    assert res.exit_code == 3
    assert "--as" in res.stderr


def test_deactivated_user_cannot_act(cli, admin, owner, product):
    assert cli("users", "deactivate", "owner").exit_code == 0
    res = cli("products", "list", "--as", "owner")
    assert res.exit_code == 4 and "deactivated" in res.stderr


# ---- products and modules ---------------------------------------------------------------------
def test_products_create_show_update_archive(cli, admin, owner):
    res = cli(
        "products", "create", "CONSOLE", "PaaS 控制台", "--description", "控制台", "--as", "owner", "--json"
    )
    assert res.exit_code == 0, res.stderr
    created = res.json
    assert created["code"] == "CONSOLE" and created["owner"] == "owner" and created["version"] == 1
    assert Membership.objects.get(product_id=created["id"], user=owner).role == "owner"

    listed = cli("products", "list", "--as", "owner", "--json").json
    assert [p["code"] for p in listed] == ["CONSOLE"]

    res = cli(
        "products", "update", "CONSOLE", "--version", "1", "--name", "PaaS Console", "--as", "owner", "--json"
    )
    assert res.exit_code == 0 and res.json["name"] == "PaaS Console" and res.json["version"] == 2

    res = cli("products", "archive", "CONSOLE", "--version", "2", "--as", "owner")
    assert res.exit_code == 0 and "Archived CONSOLE" in res.stdout
    assert cli("products", "list", "--as", "owner", "--json").json == []
    assert [p["code"] for p in cli("products", "list", "--all", "--as", "owner", "--json").json] == [
        "CONSOLE"
    ]
    res = cli("products", "archive", "CONSOLE", "--version", "3", "--restore", "--as", "owner", "--json")
    assert res.exit_code == 0 and res.json["archived"] is False

    shown = cli("products", "show", "CONSOLE", "--json").json  # as the first admin
    assert shown["name"] == "PaaS Console" and shown["modules"] == []
    text = cli("products", "show", "CONSOLE").stdout
    assert "PaaS Console" in text and "version 4" in text


def test_modules_by_path_and_id(cli, admin, product, tree):
    res = cli(
        "modules",
        "add",
        "IMSDK",
        "群成员管理",
        "--parent",
        "群聊",
        "--position",
        "0",
        "--as",
        "owner",
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    added = res.json
    assert added["parent_id"] == tree.pk and added["position"] == 0

    nodes = cli("modules", "tree", "IMSDK", "--json").json
    assert [n["name"] for n in nodes] == ["群聊", "单聊"]
    assert [c["path"] for c in nodes[0]["children"]] == ["群聊/群成员管理", "群聊/群公告"]

    res = cli(
        "modules",
        "rename",
        "IMSDK",
        str(added["id"]),
        "成员管理",
        "--version",
        "1",
        "--as",
        "owner",
        "--json",
    )
    assert res.exit_code == 0 and res.json["name"] == "成员管理" and res.json["version"] == 2

    res = cli(
        "modules", "move", "IMSDK", "群聊/成员管理", "--root", "--version", "2", "--as", "owner", "--json"
    )
    assert res.exit_code == 0 and res.json["parent_id"] is None

    res = cli("modules", "delete", "IMSDK", "成员管理", "--version", "3", "--as", "owner")
    assert res.exit_code == 0 and "Deleted module '成员管理'" in res.stdout
    assert not Module.objects.filter(name="成员管理").exists()

    table = cli("modules", "tree", "IMSDK").stdout
    assert "群聊/群公告" in table and "单聊" in table


def test_move_with_both_parent_and_root_is_bad_input(cli, admin, tree):
    res = cli(
        "modules", "move", "IMSDK", "单聊", "--root", "--parent", "群聊", "--version", "1", "--as", "owner"
    )
    assert res.exit_code == 2


# ---- users, members, tokens -------------------------------------------------------------------
def test_users(cli, admin):
    res = cli("users", "create", "wangmin", "--display-name", "王敏", "--email", "w@example.com",
              "--password", "pw-Secret-123", "--json")  # fmt: skip
    assert res.exit_code == 0, res.stderr
    assert res.json["display_name"] == "王敏" and res.json["admin"] is False
    listed = cli("users", "list", "--json").json
    assert {u["username"] for u in listed} == {"admin", "wangmin"}
    assert cli("users", "deactivate", "wangmin").exit_code == 0
    assert User.objects.get(username="wangmin").is_active is False
    assert cli("users", "activate", "wangmin").exit_code == 0
    assert User.objects.get(username="wangmin").is_active is True
    assert cli("users", "password", "wangmin", "--password", "another-Secret-9").exit_code == 0
    assert User.objects.get(username="wangmin").check_password("another-Secret-9")
    res = cli("users", "deactivate", "admin")
    assert res.exit_code == 3 and "yourself" in res.stderr
    res = cli("users", "language", "wangmin", "en", "--json")
    assert (
        res.exit_code == 0 and res.json["language"] == "en" == User.objects.get(username="wangmin").language
    )
    res = cli("users", "language", "wangmin", "fr")
    assert res.exit_code == 2 and "fr" in res.stderr and User.objects.get(username="wangmin").language == "en"


def test_createuser_prompts_twice(cli, db):
    res = cli("createuser", "root", "--admin", input="pw-Secret-123\npw-Secret-123\n")
    assert res.exit_code == 0, res.stderr
    user = User.objects.get(username="root")
    assert user.is_superuser and user.check_password("pw-Secret-123")
    assert AuditEntry.objects.filter(action="accounts.user_created", object_id=str(user.pk)).exists()


def test_members(cli, admin, product, make_user):
    make_user("liqiang")
    res = cli("members", "add", "IMSDK", "liqiang", "reviewer", "--as", "owner", "--json")
    assert res.exit_code == 0 and res.json["role"] == "reviewer"
    res = cli("members", "role", "IMSDK", "liqiang", "developer", "--as", "owner", "--json")
    assert res.exit_code == 0 and res.json["role"] == "developer"
    listed = cli("members", "list", "IMSDK", "--as", "liqiang", "--json").json
    assert {(m["username"], m["role"]) for m in listed} == {("owner", "owner"), ("liqiang", "developer")}
    res = cli("members", "remove", "IMSDK", "liqiang", "--as", "owner")
    assert res.exit_code == 0
    assert not Membership.objects.filter(user__username="liqiang").exists()


def test_tokens(cli, admin, owner):
    res = cli("tokens", "create", "CI", "--scope", "write", "--expires-days", "30", "--as", "owner", "--json")
    assert res.exit_code == 0, res.stderr
    new = res.json
    assert new["token"].startswith("pml_") and new["scope"] == "write"
    listed = cli("tokens", "list", "--as", "owner", "--json").json
    assert [t["name"] for t in listed] == ["CI"] and "token" not in listed[0]
    assert cli("tokens", "list", "--json").json == []  # admin has none
    res = cli("tokens", "revoke", new["prefix"], "--as", "owner")
    assert res.exit_code == 0
    assert ApiToken.objects.get(pk=new["id"]).revoked_at is not None
    res = cli("tokens", "revoke", str(new["id"]), "--as", "owner")
    assert res.exit_code == 3 and "already revoked" in res.stderr
    res = cli("tokens", "create", "x", "--scope", "admin", "--as", "owner")
    assert res.exit_code == 2


def test_token_prefix_of_digits_only_still_names_the_token(cli, admin, owner, monkeypatch):
    import secrets

    monkeypatch.setattr(secrets, "token_hex", lambda n: "12345678")  # the prefix; 1 token in 40
    new = cli("tokens", "create", "digits", "--as", "owner", "--json").json
    assert new["prefix"] == "12345678"
    res = cli("tokens", "revoke", "12345678", "--as", "owner")
    assert res.exit_code == 0, res.stderr
    assert ApiToken.objects.get(pk=new["id"]).revoked_at is not None


# ---- operation log ----------------------------------------------------------------------------
def test_audit_log_filters(cli, admin, product, tree, member):
    member("viewer", username="viewer1")
    entries = cli("audit", "log", "--product", "IMSDK", "--action", "products.", "--json").json
    assert entries and all(e["action"].startswith("products.") for e in entries)
    assert [e["seq"] for e in entries] == sorted((e["seq"] for e in entries), reverse=True)
    modules = cli("audit", "log", "--object-type", "products.module", "--limit", "2", "--json").json
    assert len(modules) == 2
    by_owner = cli("audit", "log", "--actor", "owner", "--since", "2000-01-01", "--json").json
    assert by_owner and {e["actor"] for e in by_owner} == {"owner"}
    assert cli("audit", "log", "--until", "2000-01-01", "--json").json == []
    text = cli("audit", "log", "--as", "viewer1").stdout
    assert "products.module_created" in text


def test_audit_verify_ok(cli, admin, tree):
    n = AuditEntry.objects.count()
    res = cli("audit", "verify")
    assert res.exit_code == 0
    assert f"OK: {n} entries verified" in res.stdout
    data = cli("audit", "verify", "--json").json
    assert data["ok"] is True and data["checked"] == n == data["total"]


def test_audit_verify_reports_tampering(cli, admin, tree):
    victim = AuditEntry.objects.order_by("seq")[2]
    with connection.cursor() as cur:
        cur.execute("UPDATE audit_auditentry SET object_repr = %s WHERE seq = %s", ["forged", victim.seq])
    res = cli("audit", "verify")
    assert res.exit_code == 1
    assert f"FAILED at entry #{victim.seq}" in res.stdout
    assert "altered" in res.stdout and victim.action in res.stdout
    data = cli("audit", "verify", "--json")
    assert data.exit_code == 1
    assert data.json["ok"] is False and data.json["first_bad_seq"] == victim.seq
    assert data.json["entry"]["object_repr"] == "forged"


# ---- set-up commands in process ----------------------------------------------------------------
def test_init_creates_the_first_admin_once(cli, db):
    res = cli("init", "--admin-user", "boss", "--admin-password", "pw-Secret-123", "--no-input")
    assert res.exit_code == 0, res.stderr
    assert "Created site admin 'boss'" in res.stdout
    assert User.objects.get(username="boss").is_superuser
    again = cli("init", "--admin-user", "boss", "--admin-password", "pw-Secret-123", "--no-input")
    assert again.exit_code == 0 and "already exists" in again.stdout
    assert User.objects.filter(username="boss").count() == 1


def test_init_without_admin_says_how(cli, db):
    res = cli("init", "--no-input")
    assert res.exit_code == 0
    assert "createuser" in res.stderr


def test_manage_passes_through(cli, db):
    res = cli("manage", "check")
    assert res.exit_code == 0, res.stderr
    assert "no issues" in res.stdout
    res = cli("manage", "nosuchcommand")
    assert res.exit_code != 0
