"""Fixtures for the CLI tests: an in-process runner on the test database, and a runner of the
real `pmloop` command in a subprocess with its own PMLOOP_HOME (a real SQLite file)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self):
        return json.loads(self.stdout)


@pytest.fixture
def cli():
    """cli(*args, input=None) → Result, running `pmloop …` in this process (test database)."""
    from typer.testing import CliRunner

    from pmloop.cli.main import app

    runner = CliRunner()

    def invoke(*args, input: str | None = None) -> Result:
        res = runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)
        return Result(res.exit_code, res.stdout, res.stderr)

    return invoke


def subprocess_env(home: Path, database_url: str | None = None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "PMLOOP_AS"}
    }
    env.update(PMLOOP_HOME=str(home), DJANGO_SETTINGS_MODULE="pmloop.config.settings", PYTHONUTF8="1")
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


@pytest.fixture
def real_cli(tmp_path):
    """real_cli(*args, database_url=None, timeout=180) → Result of `python -m pmloop …` in a
    subprocess whose PMLOOP_HOME is a fresh temporary directory (SQLite file unless a
    database_url is given)."""
    home = tmp_path / "home"
    home.mkdir()

    def run(*args, database_url: str | None = None, timeout: float = 180) -> Result:
        proc = subprocess.run(
            [sys.executable, "-m", "pmloop", *[str(a) for a in args]],
            env=subprocess_env(home, database_url),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    run.home = home
    return run
