"""Schemathesis over every operation of /api/v1, in-process against the Django WSGI app.

Each operation gets a fixed number of generated requests (fixed seed, derandomised), path
parameters pointing at real objects of one product world, sent with an owner's read-write
token; the reads are sent again as a viewer. Every response must be a documented status
code (never 5xx), carry the documented content type, and its body must match the documented
schema. Failures are collected (not shrunk) so one run names every broken operation.
"""

from __future__ import annotations

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings

schemathesis = pytest.importorskip("schemathesis")

from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

MAX_EXAMPLES = 10  # per operation and caller: 150 operations × 10 stays well under 90 s
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _schema():
    from django.core.wsgi import get_wsgi_application

    from pmloop.config.api import api

    app = get_wsgi_application()
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
    schema.app = app
    return schema, app


def _operations():
    import django

    django.setup()
    schema, _ = _schema()
    ops = []
    for result in schema.get_all_operations():
        op = result.ok()
        ops.append((op.method.upper(), op.path))
    return ops


OPERATIONS = _operations()


@pytest.fixture(scope="module")
def schema():
    return _schema()


@pytest.fixture
def in_process():
    """The WSGI handler must not close the test's connection (it runs inside the test's
    transaction): Django's own test client disconnects the same receivers."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _path_parameters(op, ids: dict[str, int]) -> dict:
    section = op.path.split("/")[3]
    values = {}
    for param in op.path_parameters:
        name = param.name
        if f"{section}:{name}" in ids:
            values[name] = ids[f"{section}:{name}"]
        elif name in ids:
            values[name] = ids[name]
    return values


def _run(schema_app, fuzz_world, method, path, who: str, scope: str):
    from pmloop.accounts import services as accounts
    from tests.robustness.world import act

    schema, app = schema_app
    op = schema[path][method]
    raw = accounts.create_api_token(actor=act(fuzz_world.users[who]), name=f"fuzz-{who}", scope=scope).raw
    headers = {"Authorization": f"Bearer {raw}"}
    path_params = _path_parameters(op, fuzz_world.ids)
    failures: list[str] = []
    statuses: dict[int, int] = {}

    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=op.as_strategy(path_parameters=path_params or None))
    def fuzz(case):
        case.headers = {**(case.headers or {}), **headers}
        response = case.call(app=app)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as exc:  # collected, not shrunk: one run names every failure
            failures.append(f"{exc}".strip()[:1500])

    fuzz()
    assert 401 not in statuses, (
        f"{method} {path}: the token was refused, the fuzzing tested nothing: {statuses}"
    )
    assert not failures, (
        f"{method} {path} as {who}: {len(failures)} failing example(s), statuses {statuses}:\n\n"
        + ("\n\n---\n\n".join(dict.fromkeys(failures)))
    )


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_fuzz_as_owner_token(schema, fuzz_world, db, in_process, method, path):
    _run(schema, fuzz_world, method, path, "owner", "write")


READS = [(m, p) for m, p in OPERATIONS if m == "GET"]


@pytest.mark.parametrize(("method", "path"), READS, ids=[f"{m} {p}" for m, p in READS])
def test_fuzz_reads_as_viewer(schema, fuzz_world, db, in_process, method, path):
    _run(schema, fuzz_world, method, path, "viewer", "write")
