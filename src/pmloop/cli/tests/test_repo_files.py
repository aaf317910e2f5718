"""The README's two command lines, scripts/test and .ci/run stay in step."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
DEMO_LINE = "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/pmloop demo"
TEST_LINE = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && scripts/test"

pytestmark = pytest.mark.skipif(not (ROOT / "README.md").is_file(), reason="not run from a source checkout")


def test_readme_starts_with_exactly_the_two_command_lines():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert first_block, "the README needs a ```sh block near its top"
    assert first_block.start() < 600
    assert first_block.group(1).splitlines() == [DEMO_LINE, TEST_LINE]


def test_ci_runs_exactly_the_readme_test_line():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line for line in ci.splitlines() if line.startswith("python3 -m venv")]
    assert commands == [TEST_LINE]
    assert ci.rstrip().endswith(TEST_LINE)


@pytest.mark.parametrize("script", ["scripts/test", ".ci/run"])
def test_scripts_are_executable_bash(script):
    path = ROOT / script
    assert os.access(path, os.X_OK)
    assert path.read_text().startswith("#!/usr/bin/env bash")
    subprocess.run(["bash", "-n", str(path)], check=True, timeout=30)
