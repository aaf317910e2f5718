"""Every command answers --help; the help does not start Django."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer
import typer.main

from pmloop.cli.main import app


def _paths(command, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    if hasattr(command, "list_commands"):  # a group (typer ships its own click)
        ctx = typer.Context(command)
        for name in command.list_commands(ctx):
            paths.extend(_paths(command.get_command(ctx, name), (*prefix, name)))
    return paths


ALL_PATHS = _paths(typer.main.get_command(app))


def test_every_expected_command_exists():
    names = {" ".join(p) for p in ALL_PATHS}
    expected = {
        "init", "serve", "demo", "createuser", "backup", "restore", "manage",
        "users list", "users create", "users deactivate",
        "members list", "members add", "members role", "members remove",
        "tokens create", "tokens list", "tokens revoke",
        "products list", "products create", "products show", "products update", "products archive",
        "modules tree", "modules add", "modules rename", "modules move", "modules delete",
        "audit verify", "audit log",
    }  # fmt: skip
    assert expected <= names, expected - names


@pytest.mark.parametrize("path", ALL_PATHS, ids=lambda p: " ".join(p) or "pmloop")
def test_help(cli, path):
    res = cli(*path, "--help")
    assert res.exit_code == 0, res.stderr
    assert "Usage:" in res.stdout
    assert "--help" in res.stdout


def test_no_arguments_shows_help(cli):
    res = cli()
    assert "Usage:" in res.stdout + res.stderr


def test_help_does_not_start_django():
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from pmloop.cli.main import app\n"
        "r = CliRunner().invoke(app, ['products', 'update', '--help'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print('django.db.models' in sys.modules, 'pmloop.products.models' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_version(cli):
    import pmloop

    res = cli("--version")
    assert res.exit_code == 0 and pmloop.__version__ in res.stdout
