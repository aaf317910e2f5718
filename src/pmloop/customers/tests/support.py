"""Helpers shared by the customers and pool tests."""

from __future__ import annotations

import pytest

from pmloop.audit.models import AuditEntry

API = "/api/v1"


def routes_wired() -> bool:
    """True when config mounts the customers and pool pages and API routers (the diff in
    docs/pool.md); before that the front tests are skipped with that reason."""
    from django.urls import NoReverseMatch, resolve, reverse

    try:
        reverse("pool:list")
        reverse("customers:list")
    except NoReverseMatch:
        return False
    return resolve(f"{API}/pool/items").url_name != "api-unknown" and (
        resolve(f"{API}/customers").url_name != "api-unknown"
    )


def require_wiring() -> None:
    if not routes_wired():
        pytest.skip("customers/pool routes are not mounted in pmloop.config yet (see docs/pool.md, Wiring)")


def state(obj) -> dict:
    """Every column of the row, read fresh from the database."""
    return type(obj).objects.filter(pk=obj.pk).values().get()


def audit_count() -> int:
    return AuditEntry.objects.count()


def last_entry() -> AuditEntry:
    return AuditEntry.objects.order_by("-seq").first()


def assert_error(response, status: int, code: str | None = None, field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "fields", "missing"}, body
    assert body["message"]
    if code:
        assert body["code"] == code, body
    if field:
        assert field in [f["field"] for f in body["fields"]], body
    return body


def send(client, method: str, path: str, data=None):
    if method == "get":
        return client.get(API + path, data=data)
    return getattr(client, method)(API + path, data=data, content_type="application/json")
