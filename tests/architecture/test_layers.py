"""The import-linter contracts in pyproject.toml hold, and they are not vacuous: a copy of the
source with a forbidden import planted in it breaks them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def run_lint_imports(config: Path, src: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(config), "--no-cache", "--no-logo"],
        cwd=config.parent, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture(scope="module")
def contracts() -> list[dict]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def test_lint_imports_is_installed():
    assert LINT_IMPORTS.exists(), f"{LINT_IMPORTS} missing: pip install -e '.[test]'"


def test_contracts_are_kept():
    result = run_lint_imports(ROOT / "pyproject.toml", SRC)
    assert result.returncode == 0, f"import-linter found a broken contract:\n{result.stdout}\n{result.stderr}"
    assert "0 broken" in result.stdout


def test_contracts_cover_the_documented_layer_order(contracts):
    layers = next(c for c in contracts if c["type"] == "layers")["layers"]
    flat = [part.strip().strip("()") for layer in layers for part in layer.replace("|", ":").split(":")]
    order = ["pmloop.core", "pmloop.accounts", "pmloop.products", "pmloop.customers", "pmloop.pool",
             "pmloop.research", "pmloop.reviews", "pmloop.requirements", "pmloop.plans", "pmloop.analytics",
             "pmloop.deliverables", "pmloop.automation", "pmloop.config"]  # fmt: skip
    positions = [flat.index(m) for m in order]
    assert positions == sorted(positions, reverse=True), "layers are listed highest first"
    # accounts and audit share a layer and may import each other
    shared = next(layer for layer in layers if "pmloop.accounts" in layer)
    assert "pmloop.audit" in shared and "|" not in shared
    forbidden = next(c for c in contracts if c["type"] == "forbidden")
    for domain in ("models", "services", "selectors", "lifecycle", "permissions", "choices"):
        assert f"pmloop.*.{domain}" in forbidden["source_modules"]
    for front in ("pmloop.*.api", "pmloop.*.views", "pmloop.*.cli", "pmloop.*.forms", "pmloop.*.urls",
                  "pmloop.web", "pmloop.cli", "pmloop.config.api"):  # fmt: skip
        assert front in forbidden["forbidden_modules"]


@pytest.fixture(scope="module")
def source_copy(tmp_path_factory) -> Path:
    """A copy of src/pmloop and pyproject.toml to plant violations in."""
    root = tmp_path_factory.mktemp("layers")
    shutil.copytree(
        SRC / "pmloop", root / "src" / "pmloop", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


@pytest.mark.parametrize(
    ("module", "planted", "contract"),
    [
        ("core/errors.py", "import pmloop.products.models", "layer order"),
        ("accounts/roles.py", "import pmloop.products.models", "layer order"),
        ("products/models.py", "import pmloop.config.api", "front"),
        ("products/services.py", "import pmloop.products.api", "front"),
        ("accounts/permissions.py", "import pmloop.web.views", "front"),
    ],
)
def test_a_planted_violation_breaks_a_contract(source_copy, module, planted, contract):
    target = source_copy / "src" / "pmloop" / module
    original = target.read_text()
    try:
        target.write_text(original + f"\n{planted}  # planted by test_layers\n")
        result = run_lint_imports(source_copy / "pyproject.toml", source_copy / "src")
    finally:
        target.write_text(original)
    assert result.returncode != 0, f"planting '{planted}' in {module} broke no contract:\n{result.stdout}"
    assert "BROKEN" in result.stdout
    name = "follow the layer order" if contract == "layer order" else "never import a front"
    lines = result.stdout.splitlines()
    # the summary line of each contract ends in KEPT or BROKEN (a long name may wrap once)
    verdicts = [" ".join(lines[i : i + 2]) for i, line in enumerate(lines) if name in line]
    first_verdict = [re.search(r"\b(KEPT|BROKEN)\b", v.split(name, 1)[1]) for v in verdicts]
    assert any(m and m.group(1) == "BROKEN" for m in first_verdict), result.stdout


def test_tests_may_import_anything(source_copy):
    target = source_copy / "src" / "pmloop" / "audit" / "tests" / "test_planted.py"
    target.write_text("import pmloop.products.services\nimport pmloop.config.api\n")
    try:
        result = run_lint_imports(source_copy / "pyproject.toml", source_copy / "src")
    finally:
        target.unlink()
    assert result.returncode == 0, result.stdout
