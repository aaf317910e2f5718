"""The launch-kit API: open, sign off (owner only), training and attendance, documents."""

from __future__ import annotations

import base64
import io

import pytest

pytestmark = pytest.mark.django_db
API = "/api/v1/launch"


def test_launch_kit_over_the_api(world, shipped, api_client):
    owner = api_client(world.owner)
    r = owner.get(f"{API}/releases/{shipped.pk}")
    assert r.status_code == 200 and r.json()["id"] is None
    r = owner.post(
        f"{API}/releases/{shipped.pk}", {"training_goal": "学会配置群角色"}, content_type="application/json"
    )
    assert r.status_code == 201 and len(r.json()["items"]) == 5
    kit = r.json()
    item = kit["items"][0]
    assert (
        owner.post(f"{API}/releases/{shipped.pk}", {}, content_type="application/json").json()["code"]
        == "kit_exists"
    )
    r = owner.patch(f"{API}/items/{item['id']}", {"version": item["version"], "owner_id": world.dev.pk},
                    content_type="application/json")  # fmt: skip
    assert r.status_code == 200 and r.json()["owner"]["username"] == "dev"
    item = r.json()
    r = owner.post(
        f"{API}/items/{item['id']}/sign-off", {"version": item["version"]}, content_type="application/json"
    )
    assert r.status_code == 403 and r.json()["code"] == "not_item_owner"
    dev = api_client(world.dev)
    r = dev.post(f"{API}/items/{item['id']}/sign-off", {"version": item["version"], "note": "通过"},
                 content_type="application/json")  # fmt: skip
    assert r.status_code == 200 and r.json()["signed_off_by"]["username"] == "dev"
    r = dev.post(
        f"{API}/items/{item['id']}/sign-off", {"version": item["version"]}, content_type="application/json"
    )
    assert r.status_code == 409 and r.json()["code"] == "stale_version"
    r = owner.post(f"{API}/kits/{kit['id']}/sessions", {"title": "培训", "starts_at": "2026-12-02T14:00:00+08:00"},
                   content_type="application/json")  # fmt: skip
    assert r.status_code == 201
    session = r.json()
    r = owner.post(f"{API}/sessions/{session['id']}/attendees", {"name": "张老师", "organisation": "好未来"},
                   content_type="application/json")  # fmt: skip
    assert r.status_code == 201
    r = owner.post(
        f"{API}/attendees/{r.json()['id']}/attendance", {"signed_in": True}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["signed_in_at"]
    r = owner.get(f"{API}/sessions/{session['id']}/attendance?format=xlsx")
    assert r.status_code == 200 and r.json()["filename"].endswith(".xlsx")
    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(base64.b64decode(r.json()["content_base64"]))).active.values)
    assert rows[1][1] == "张老师"


def test_documents_over_the_api(world, shipped, api_client):
    c = api_client(world.viewer)
    r = c.get(f"{API}/releases/{shipped.pk}/documents/notes?format=md")
    assert r.status_code == 200
    text = base64.b64decode(r.json()["content_base64"]).decode()
    assert "群组角色权限" in text and "消息撤回时限可配置" in text
    assert r.json()["filename"] == "IMSDK-v3.2-release-notes.md"
    r = c.get(f"{API}/releases/{shipped.pk}/documents/notes?format=xlsx")
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "format"
    r = c.get(f"{API}/releases/{shipped.pk}/documents/brochure")
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "doc"
    r = c.get(f"{API}/releases/{shipped.pk}/documents/manual?format=pdf")
    assert r.status_code == 200 and base64.b64decode(r.json()["content_base64"]).startswith(b"%PDF")
