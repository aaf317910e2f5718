"""One error shape for every 4xx, a documented schema for every operation, and bad input that
is refused with a message (never a 500) and writes nothing.

The shape: ``{"code": str, "message": str, "fields": [{"field", "message"}], "missing": [...]}``.
"""

from __future__ import annotations

import json

import pytest
from django.db import transaction
from django.test import Client

from pmloop.core.http import ErrorOut
from tests.api import test_permission_matrix as matrix

API = "/api/v1"
ERROR_KEYS = {"code", "message", "fields", "missing"}
MISSING = object()  # a required field left out
ADMIN = matrix.Caller("admin", "admin")


def assert_error(response, status: int, code: str | None = None, field: str | None = None) -> dict:
    label = f"{response.status_code} {response.content[:300]!r}"
    assert response.status_code == status, label
    assert response["Content-Type"].startswith("application/json"), label
    body = response.json()
    assert set(body) == ERROR_KEYS, label
    ErrorOut.model_validate(body)  # the documented schema
    assert isinstance(body["code"], str) and body["code"]
    assert isinstance(body["message"], str) and body["message"].strip()
    assert all(set(f) == {"field", "message"} and f["message"] for f in body["fields"]), label
    assert isinstance(body["missing"], list)
    if code:
        assert body["code"] == code, label
    if field:
        assert field in [f["field"] for f in body["fields"]], label
        assert field in body["message"] or any(f["field"] == field for f in body["fields"])
    return body


# ---- every 4xx status, one example each (and more for the tricky ones) -------------------
@pytest.fixture
def owner_client(owner, token_client):
    return token_client(owner, "write")[0]


@pytest.mark.django_db
class TestEachStatus:
    def test_400_body_is_not_json(self, owner_client):
        for data, ctype in (
            ("{not json", "application/json"),
            ("code=AB", "application/x-www-form-urlencoded"),
        ):
            r = owner_client.post(f"{API}/products", data=data, content_type=ctype)
            assert "JSON" in assert_error(r, 400, "bad_request")["message"]

    def test_422_body_is_json_but_not_an_object(self, owner_client):
        for data in ("[]", '"text"', "null", "42"):
            r = owner_client.post(f"{API}/products", data=data, content_type="application/json")
            assert r.status_code in (400, 422)
            assert_error(r, r.status_code)

    def test_401_anonymous_and_bad_tokens(self, db):
        assert_error(Client().get(f"{API}/products"), 401, "unauthenticated")
        assert_error(
            Client(HTTP_AUTHORIZATION="Bearer pml_x_y").get(f"{API}/products"), 401, "unauthenticated"
        )
        strict = Client(enforce_csrf_checks=True)
        assert_error(
            strict.post(f"{API}/products", {}, content_type="application/json"), 401, "unauthenticated"
        )

    def test_403_role_read_only_admin_only_and_csrf(self, product, member, owner, token_client, api_client):
        viewer = api_client(member("viewer", "v"))
        assert_error(viewer.post(f"{API}/products/{product.pk}/modules", {"name": "x"}, content_type="application/json"),
                     403, "role_forbidden")  # fmt: skip
        ro, _ = token_client(owner, "read")
        assert_error(ro.post(f"{API}/products", {"code": "RO", "name": "x"}, content_type="application/json"),
                     403, "read_only_token")  # fmt: skip
        assert_error(api_client(owner).post(f"{API}/accounts/users", {"username": "x", "password": "pw-Secret-123"},
                                            content_type="application/json"), 403, "admin_only")  # fmt: skip
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(owner)
        r = browser.post(f"{API}/products", {"code": "CS", "name": "x"}, content_type="application/json")
        body = assert_error(r, 403, "csrf_failed")
        assert "X-CSRFToken" in body["message"] and "API token" in body["message"]

    @pytest.mark.parametrize(
        "path",
        ["/nope", "/", "/products/", "/products/abc", "/products/1/nope", "/accounts/tokens/x/revoke"],
    )  # fmt: skip
    def test_404_unknown_routes_under_the_api(self, owner_client, path):
        for method in ("get", "post", "delete"):
            body = assert_error(getattr(owner_client, method)(API + path), 404)
            assert body["code"] == "no_such_route" or body["code"].endswith("not_found")

    def test_404_for_an_id_too_big_for_the_database(self, owner_client):
        for path in ("/products/modules/99999999999999999999999", "/products/9223372036854775808"):
            body = assert_error(owner_client.get(API + path), 404)
            assert body["code"].endswith("not_found")

    def test_404_unknown_route_for_anonymous_too(self, db):
        assert_error(Client().get(f"{API}/nope"), 404, "no_such_route")

    def test_404_objects(self, owner_client, other_product):
        assert_error(owner_client.get(f"{API}/products/987654"), 404, "product_not_found")
        assert_error(owner_client.get(f"{API}/products/{other_product.pk}"), 404, "product_not_found")
        assert_error(owner_client.get(f"{API}/products/modules/987654"), 404, "module_not_found")

    def test_405_wrong_method(self, owner_client, product):
        for method, path in (("put", "/products"), ("delete", "/products"), ("post", f"/products/{product.pk}"),
                             ("patch", "/audit/entries")):  # fmt: skip
            r = getattr(owner_client, method)(API + path)
            body = assert_error(r, 405, "method_not_allowed")
            assert method.upper() in body["message"]
            assert r["Allow"]

    def test_409_stale_version(self, owner_client, product):
        body = assert_error(
            owner_client.patch(f"{API}/products/{product.pk}", {"version": 5, "name": "x"}, content_type="application/json"),
            409, "stale_version", field="version",
        )  # fmt: skip
        assert "Reload" in body["message"]

    def test_422_ninja_validation_body_query_and_domain(self, owner_client, owner, product, actor_for):
        assert_error(owner_client.post(f"{API}/products", {"name": "x"}, content_type="application/json"), 422,
                     "invalid", field="code")  # fmt: skip
        assert_error(
            owner_client.get(f"{API}/products", {"page_size": "many"}), 422, "invalid", field="page_size"
        )
        assert_error(owner_client.post(f"{API}/products", {"code": "1X", "name": "x"}, content_type="application/json"),
                     422, "invalid", field="code")  # fmt: skip
        from pmloop.products import services

        root = services.create_module(actor=actor_for(owner), product_id=product.pk, name="父")
        services.create_module(actor=actor_for(owner), product_id=product.pk, name="子", parent_id=root.pk)
        body = assert_error(owner_client.delete(f"{API}/products/modules/{root.pk}?version=1"), 422,
                            "module_has_children")  # fmt: skip
        assert body["missing"] == ["子"]

    def test_ninja_validation_message_says_what_to_fix(self, owner_client):
        body = assert_error(
            owner_client.post(f"{API}/products", {"code": "AB", "name": "x", "review_rule": "vote"},
                              content_type="application/json"), 422, field="review_rule",
        )  # fmt: skip
        assert "review_rule" in body["message"] and "'all'" in body["message"]

    def test_error_bodies_are_never_html(self, owner_client):
        for r in (owner_client.get(f"{API}/x/y/z"), owner_client.put(f"{API}/products")):
            assert not r.content.lstrip().startswith(b"<")


# ---- the OpenAPI schema ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def schema():
    return matrix.SCHEMA


def test_openapi_and_docs_are_served(db):
    r = Client().get(f"{API}/openapi.json")
    assert r.status_code == 200 and r.json()["openapi"].startswith("3.")
    assert r.json()["info"]["title"] == "pmloop API"
    assert set(r.json()["paths"]) == set(matrix.SCHEMA["paths"])
    docs = Client().get(f"{API}/docs")
    assert docs.status_code == 200 and b"openapi.json" in docs.content


def _ops(schema):
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            yield f"{method.upper()} {path}", op


def test_every_operation_has_a_summary_and_unique_id(schema):
    missing = [name for name, op in _ops(schema) if not op.get("summary", "").strip()]
    assert not missing, f"operations without a summary: {missing}"
    ids = [op["operationId"] for _, op in _ops(schema)]
    assert len(ids) == len(set(ids))


def test_every_operation_documents_its_success_response(schema):
    bad = []
    for name, op in _ops(schema):
        ok = {code: r for code, r in op["responses"].items() if str(code).startswith("2")}
        if len(ok) != 1:
            bad.append(f"{name}: {len(ok)} success responses")
            continue
        code, response = next(iter(ok.items()))
        if int(code) == 204:
            continue  # no content, by definition
        content = response.get("content", {}).get("application/json", {})
        if not content.get("schema"):
            bad.append(f"{name}: {code} has no JSON schema")
    assert not bad, "\n".join(bad)


def test_every_operation_declares_its_4xx_as_the_error_schema(schema):
    bad = []
    for name, op in _ops(schema):
        declared = {int(c): r for c, r in op["responses"].items() if str(c).startswith("4")}
        if name in matrix.PUBLIC:
            pass  # no credentials, no input: it may have no 4xx at all
        elif not {401, 403, 404, 422} <= set(declared):
            bad.append(f"{name}: declares only {sorted(declared)}")
        for code, response in declared.items():
            ref = response["content"]["application/json"]["schema"].get("$ref", "")
            if not ref.endswith("/ErrorOut"):
                bad.append(f"{name}: {code} is {ref or 'not the error schema'}")
    assert not bad, "\n".join(bad)


def test_error_schema_is_the_one_shape(schema):
    error = schema["components"]["schemas"]["ErrorOut"]
    assert set(error["properties"]) == ERROR_KEYS and set(error["required"]) >= {"code", "message"}
    field_error = schema["components"]["schemas"]["FieldError"]
    assert set(field_error["properties"]) == {"field", "message"}


def test_every_operation_names_both_auth_methods(schema):
    for name, op in _ops(schema):
        schemes = {key for requirement in op.get("security", []) for key in requirement}
        if name in matrix.PUBLIC:
            assert not schemes, f"{name} is listed as public but asks for credentials"
        else:
            assert schemes == {"TokenAuth", "SessionUser"}, f"{name} (public routes go in matrix.PUBLIC)"


def test_pagination_envelope_is_documented_for_every_list(schema):
    for name, op in _ops(schema):
        params = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
        if {"page", "page_size"} <= params:
            ok = next(r for c, r in op["responses"].items() if str(c) == "200")
            ref = ok["content"]["application/json"]["schema"]["$ref"]
            page = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
            assert {"items", "count", "page", "page_size", "pages"} <= set(page["properties"]), name


# ---- generated: bad input to every operation is a 4xx with the shape, and writes nothing ---------
def _bad_values(name: str, prop: dict):
    """(label, value) pairs that break ``prop``'s documented constraints."""
    prop = matrix.deref(prop)
    nullable = "anyOf" in prop and any(s.get("type") == "null" for s in prop["anyOf"])
    if "anyOf" in prop:
        options = [matrix.deref(s) for s in prop["anyOf"] if s.get("type") != "null"]
        if len(options) != 1:
            return  # a union accepts many shapes: nothing simple is invalid for sure
        prop = options[0]
    kind = prop.get("type")
    if "enum" in prop:
        yield "not-a-choice", "no-such-choice"
        yield "wrong-type", 12345
    elif kind == "string" and prop.get("format") not in ("binary",):
        yield "wrong-type", {"an": "object"}
        if "maxLength" in prop:
            yield "too-long", "x" * (prop["maxLength"] + 1)
        if prop.get("format") in ("date-time", "date"):
            yield "not-a-date", "yesterday-ish"
    elif kind in ("integer", "number"):
        yield "wrong-type", "not-a-number"
        if "minimum" in prop:
            yield "too-small", prop["minimum"] - 1
        if "maximum" in prop:
            yield "too-big", prop["maximum"] + 1
    elif kind == "boolean":
        yield "wrong-type", "maybe"
    elif kind == "array":
        yield "wrong-type", "not-a-list"
    if not nullable and kind in ("string", "integer", "number", "boolean", "array") and "default" not in prop:
        yield "null", None


def _cases():
    for op in matrix.OPERATIONS:
        if matrix.input_problems(op):
            continue  # reported by the permission matrix, with the resolver to add
        if op.body is not None:
            for name, prop in op.body.get("properties", {}).items():
                for label, value in _bad_values(name, prop):
                    yield pytest.param(op, "body", name, value, id=f"{op}-{name}-{label}")
            for name in op.body.get("required", []):
                yield pytest.param(op, "body", name, MISSING, id=f"{op}-{name}-missing")
        if op.method == "get":
            params = matrix.SCHEMA["paths"][op.path]["get"].get("parameters", [])
            for p in params:
                if p["in"] != "query":
                    continue
                for label, value in _bad_values(p["name"], p.get("schema", {})):
                    if value is None or isinstance(value, dict):
                        continue  # a query string carries text only
                    yield pytest.param(op, "query", p["name"], value, id=f"{op}-{p['name']}-{label}")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            w = matrix._build_world()
            w.client(ADMIN)  # log in now: a session made inside a test would roll back with it
            yield w
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.mark.parametrize(("op", "where", "name", "value"), list(_cases()))
def test_bad_input_is_refused_with_the_shape_and_writes_nothing(world, db, op, where, name, value):
    """Sent by a site admin, so that only the input can be at fault."""
    path, body = matrix.build_request(op, world, ADMIN)
    if where == "body":
        if value is MISSING:
            body.pop(name, None)
        else:
            body[name] = value
    else:
        sep = "&" if "?" in path else "?"
        path = f"{path}{sep}{name}={value}"
    before = matrix.snapshot()
    client = world.client(ADMIN)
    if body is None:
        response = getattr(client, op.method)(path)
    else:
        response = getattr(client, op.method)(path, data=json.dumps(body), content_type="application/json")
    label = f"{op} with {where} {name}={value!r}: {response.status_code} {response.content[:300]!r}"
    assert response.status_code < 500, label
    assert 400 <= response.status_code < 500, f"bad input was accepted: {label}"
    err = assert_error(response, response.status_code)
    named = [f["field"] for f in err["fields"]]
    assert name in named or name in err["message"], f"the message does not say which field: {label}"
    assert matrix.snapshot() == before, f"{label} changed the database"
