"""The launch-kit page in both languages, its forms, and the downloads."""

from __future__ import annotations

import io

import pytest

from pmloop.deliverables.models import ChecklistItem, LaunchKit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("lang", "words"), [("en", ["No launch kit yet", "Open the launch kit"]),
                                             ("zh-hans", ["还没有上线准备", "开启上线准备"])])  # fmt: skip
def test_kit_page_before_and_after_opening(world, shipped, api_client, lang, words):
    c = api_client(world.owner)
    c.cookies["django_language"] = lang
    r = c.get(f"/launch/releases/{shipped.pk}/")
    text = r.content.decode()
    assert r.status_code == 200 and all(w in text for w in words)
    r = c.post(f"/launch/releases/{shipped.pk}/open/", {"training_goal": "学会配置群角色"})
    assert r.status_code == 302 and LaunchKit.objects.count() == 1
    text = c.get(f"/launch/releases/{shipped.pk}/").content.decode()
    assert ("Launch checklist" if lang == "en" else "上线检查清单") in text and "0 / 5" in text


def test_sign_off_through_the_page_owner_only(world, shipped, po, api_client):
    from pmloop.deliverables import services

    kit = services.open_launch_kit(actor=po, release_id=shipped.pk)
    item = kit.items.first()
    dev = api_client(world.dev)
    r = dev.post(f"/launch/releases/{shipped.pk}/items/{item.pk}/sign-off/", {"version": item.version})
    assert r.status_code == 403 and "Only its owner" in r.content.decode()
    owner = api_client(world.owner)
    r = owner.post(
        f"/launch/releases/{shipped.pk}/items/{item.pk}/sign-off/", {"version": item.version, "note": "ok"}
    )
    assert r.status_code == 302 and ChecklistItem.objects.get(pk=item.pk).signed_off
    r = owner.post(f"/launch/releases/{shipped.pk}/items/{item.pk}/revoke/", {"version": item.version + 1})
    assert r.status_code == 422  # a reason is required


def test_training_forms_and_sheet_download(world, shipped, po, api_client):
    from openpyxl import load_workbook

    from pmloop.deliverables import services

    kit = services.open_launch_kit(actor=po, release_id=shipped.pk)
    c = api_client(world.owner)
    r = c.post(f"/launch/releases/{shipped.pk}/kits/{kit.pk}/sessions/",
               {"title": "培训", "starts_at": "2026-12-02T14:00", "duration_minutes": 0})  # fmt: skip
    assert r.status_code == 422
    r = c.post(f"/launch/releases/{shipped.pk}/kits/{kit.pk}/sessions/",
               {"title": "培训", "starts_at": "2026-12-02T14:00", "duration_minutes": 90})  # fmt: skip
    assert r.status_code == 302
    session = kit.sessions.get()
    c.post(
        f"/launch/releases/{shipped.pk}/sessions/{session.pk}/attendees/",
        {"name": "张老师", "organisation": "好未来"},
    )
    person = session.attendees.get()
    c.post(f"/launch/releases/{shipped.pk}/attendees/{person.pk}/", {"signed_in": "1"})
    r = c.get(f"/launch/sessions/{session.pk}/attendance.xlsx")
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(r.content)).active.values)
    assert rows[1][1] == "张老师" and rows[1][4] == "✓"


@pytest.mark.parametrize("fmt", ["md", "docx", "pdf"])
def test_release_document_downloads(world, shipped, api_client, fmt):
    r = api_client(world.viewer).get(f"/launch/releases/{shipped.pk}/notes.{fmt}")
    assert r.status_code == 200 and f"release-notes.{fmt}" in r["Content-Disposition"]


def test_bad_document_requests(world, shipped, api_client, make_user):
    c = api_client(world.viewer)
    assert c.get(f"/launch/releases/{shipped.pk}/notes.xlsx").status_code == 422
    assert c.get(f"/launch/releases/{shipped.pk}/brochure.pdf").status_code == 422
    assert api_client(make_user("x")).get(f"/launch/releases/{shipped.pk}/notes.md").status_code == 404
