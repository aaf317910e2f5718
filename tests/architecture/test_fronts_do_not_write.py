"""Fronts (api.py, views.py, cli.py, forms.py) parse, call one service or selector, and render.
They never touch the ORM themselves: no ``Model.objects…`` and no ``.save()``/``.delete()``.

A heuristic over the syntax tree (after Zulip's lint rule); a call that is not an ORM write
but looks like one goes in ALLOWED with its reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "pmloop"
FRONT_FILES = ("api.py", "views.py", "cli.py", "forms.py")
WRITE_METHODS = {"save", "delete", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}

# Receivers whose save()/delete() is not a model write: (dotted receiver, method) → reason.
ALLOWED: dict[tuple[str, str], str] = {
    ("request.session", "save"): "the session store, not a domain model",
    ("request.session", "delete"): "the session store, not a domain model",
    ("cache", "delete"): "Django's cache, not a domain model",
    ("default_storage", "delete"): "file storage; the service owns the row, the front may drop a temp file",
}


def front_files() -> list[Path]:
    return sorted(
        p for p in PACKAGE.rglob("*.py")
        if (p.name in FRONT_FILES or (p.parent.name == "cli" and p.name != "__init__.py"))
        and "tests" not in p.parts and "migrations" not in p.parts
    )  # fmt: skip


def dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return f"{dotted(node.func)}()"
    return "…"


def violations(source: str, filename: str = "<src>") -> list[str]:
    found = []
    tree = ast.parse(source, filename)
    decorators = {
        id(d) for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for d in node.decorator_list
    }  # fmt: skip
    for node in ast.walk(tree):
        if id(node) in decorators:
            continue  # @router.delete(…), @releases_router.delete(…): a route, not a write
        if isinstance(node, ast.Attribute) and node.attr == "objects":
            found.append(
                f"{filename}:{node.lineno}: {dotted(node)} — read through a selector, write through a service"
            )
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITE_METHODS
        ):
            receiver = dotted(node.func.value)
            if (receiver, node.func.attr) in ALLOWED:
                continue
            found.append(
                f"{filename}:{node.lineno}: {receiver}.{node.func.attr}(…) — a front must call a service to write"
            )
    return found


def test_there_are_fronts_to_check():
    names = {p.relative_to(PACKAGE).as_posix() for p in front_files()}
    assert {"accounts/api.py", "products/api.py", "audit/api.py"} <= names


@pytest.mark.parametrize("path", front_files(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_front_does_not_touch_the_orm(path):
    found = violations(path.read_text(), str(path.relative_to(PACKAGE.parent.parent)))
    assert not found, "fronts must not use the ORM:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "snippet",
    [
        "Product.objects.create(code='X')",
        "qs = Module.objects.filter(pk=1)",
        "product.save()",
        "product.save(update_fields=['name'])",
        "form.save()",
        "module.delete()",
        "self.get_object().delete()",
        "@router.delete('/x')\ndef f(request):\n    Product.objects.get(pk=1).delete()",
        "Product.objects.bulk_create([])",
        "models.Product.objects.all()",
    ],
)
def test_the_check_catches(snippet):
    assert violations(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        "services.delete_module(actor=a, module_id=1, expected_version=2)",
        "selectors.list_products(actor=a)",
        "request.session.save()",
        "response.delete_cookie('x')",
        "objects = selectors.list_products(actor=a)",
        "data.update({'a': 1})",
        "@router.delete('/x')\ndef f(request): pass",
        "@releases_router.delete('/x')\ndef f(request): pass",
    ],
)
def test_the_check_lets_these_through(snippet):
    assert not violations(snippet)


def test_allow_list_entries_give_a_reason():
    assert all(reason.strip() for reason in ALLOWED.values())
