"""``requirements/export_views.py`` is a front (Django views); its read-model builders live in
``requirements/documents.py``, which the web downloads and the CLI both call.

The import-linter contract "never import a front" matches ``pmloop.*.views`` but not
``export_views``, so this checks it by hand: no shipped module but ``requirements/urls.py``
imports ``export_views`` (by ``import``, ``from … import`` or ``importlib``), and
``documents.py`` imports no front and nothing of Django's request/response layer. Tests may
import anything (ARCHITECTURE.md §6.3).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "pmloop"
EXPORT_VIEWS = "pmloop.requirements.export_views"
MAY_IMPORT_EXPORT_VIEWS = {"requirements/urls.py"}
DOCUMENTS = PACKAGE / "requirements" / "documents.py"

# a pmloop module is a front if any part of its name is one of these (pmloop.web, pmloop.cli,
# pmloop.<app>.api / views / export_views / cli / forms / urls, pmloop.config.api)
FRONT_PARTS = {"api", "views", "export_views", "cli", "forms", "urls", "web"}
REQUEST_LAYER = (
    "django.http", "django.views", "django.shortcuts", "django.urls", "django.template", "ninja",
    "pmloop.core.http",  # actor_of(request), the API's shared schemas
)  # fmt: skip


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(
    source: str, module: str = "pmloop.x.y", filename: str = "<src>"
) -> list[tuple[int, str]]:
    """(line, dotted name) of every module a source imports, ``from a import b`` giving both
    ``a`` and ``a.b``, relative imports resolved against ``module``, and string constants
    that name a pmloop module (``importlib.import_module("pmloop…")``)."""
    package = module.rsplit(".", 1)[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.startswith("pmloop.")
        ):
            found.append((node.lineno, node.value))
    return found


def shipped_modules() -> list[Path]:
    return sorted(
        p for p in PACKAGE.rglob("*.py")
        if "tests" not in p.parts and "migrations" not in p.parts
    )  # fmt: skip


def imports_of_export_views(source: str, module: str = "pmloop.x.y", filename: str = "<src>") -> list[int]:
    """The lines of ``source`` that import export_views."""
    return [line for line, name in imported_modules(source, module, filename) if name == EXPORT_VIEWS]


def importers_of_export_views(path: Path) -> list[str]:
    lines = imports_of_export_views(path.read_text(encoding="utf-8"), module_name(path), str(path))
    return [f"{path.relative_to(PACKAGE)}:{line}" for line in lines]


def fronts_and_request_layer(names: list[tuple[int, str]]) -> list[str]:
    bad = []
    for line, name in names:
        parts = name.split(".")
        front = parts[0] == "pmloop" and any(part in FRONT_PARTS for part in parts[1:])
        if front or any(name == p or name.startswith(f"{p}.") for p in REQUEST_LAYER):
            bad.append(f"{line}: {name}")
    return bad


def test_export_views_exists_and_urls_includes_it():
    assert (PACKAGE / "requirements" / "export_views.py").exists()
    assert importers_of_export_views(PACKAGE / "requirements" / "urls.py"), (
        "urls.py no longer includes the exports"
    )


def test_only_urls_imports_export_views():
    found = [
        hit
        for path in shipped_modules()
        if path.relative_to(PACKAGE).as_posix() not in MAY_IMPORT_EXPORT_VIEWS
        for hit in importers_of_export_views(path)
    ]
    assert not found, (
        "export_views.py is a front: import the read models from requirements/documents.py instead:\n"
        + "\n".join(found)
    )


def test_documents_imports_no_front():
    names = imported_modules(DOCUMENTS.read_text(encoding="utf-8"), module_name(DOCUMENTS), str(DOCUMENTS))
    assert any(name == "pmloop.requirements.selectors" for _line, name in names), (
        "documents reads through selectors"
    )
    bad = fronts_and_request_layer(names)
    assert not bad, "requirements/documents.py is not a front; it imported:\n" + "\n".join(bad)


@pytest.mark.parametrize(
    "snippet",
    [
        "from pmloop.requirements.export_views import requirement_doc",
        "from pmloop.requirements import export_views",
        "import pmloop.requirements.export_views",
        "import pmloop.requirements.export_views as ev",
        "from .export_views import list_rows",
        "from . import export_views",
        "def f():\n    from pmloop.requirements.export_views import matrix_lines",
        "importlib.import_module('pmloop.requirements.export_views')",
    ],
)
def test_the_check_catches(snippet):
    assert imports_of_export_views(snippet, "pmloop.requirements.cli"), snippet


@pytest.mark.parametrize(
    "snippet",
    [
        "from pmloop.requirements.documents import requirement_doc",
        "from pmloop.requirements import documents, exporters",
        "from .views import export_views_help",
        "import pmloop.requirements.views",
    ],
)
def test_the_check_lets_these_through(snippet):
    assert not imports_of_export_views(snippet, "pmloop.requirements.cli"), snippet


@pytest.mark.parametrize(
    "snippet",
    [
        "from django.http import HttpRequest",
        "from pmloop.requirements import views",
        "from pmloop.requirements.export_views import query_from_params",
        "from pmloop.core.http import actor_of",
        "from . import cli",
        "import pmloop.web.views",
        "from pmloop.config import api",
    ],
)
def test_the_documents_check_catches(snippet):
    assert fronts_and_request_layer(imported_modules(snippet, "pmloop.requirements.documents")), snippet


@pytest.mark.parametrize(
    "snippet",
    [
        "from pmloop.requirements import exporters, selectors",
        "from pmloop.products.choices import ReviewRule",
        "from django.utils import timezone",
        "from pmloop.core.actor import Actor",
    ],
)
def test_the_documents_check_lets_these_through(snippet):
    assert not fronts_and_request_layer(imported_modules(snippet, "pmloop.requirements.documents")), snippet
