"""Download views: the files, their content types and UTF-8 filenames, the list filters from
GET parameters, and visibility (a product you are not a member of gives 404; anonymous users
are sent to log in)."""

from __future__ import annotations

import io
from urllib.parse import unquote

import pytest
from django.urls import reverse
from django.utils import timezone

from pmloop.requirements import services
from pmloop.requirements.export_views import content_disposition, query_from_params

pytestmark = pytest.mark.django_db

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def viewer_client(client, world):
    client.force_login(world.viewer)
    return client


@pytest.fixture
def outsider_client(client, make_user, other_product):
    client.force_login(make_user("outsider"))
    return client


def sheet(response):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(response.content)).active


def rows(response) -> list[list]:
    return [list(r) for r in sheet(response).iter_rows(min_row=2, values_only=True)]


def assert_download(response, content_type: str, filename: str):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == content_type
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert f'filename="{filename}"' in disposition
    assert f"filename*=UTF-8''{filename}" in disposition
    assert response["Content-Length"] == str(len(response.content))
    assert "no-store" in response["Cache-Control"]


def test_url_names():
    assert reverse("requirements:export_md", args=[7]) == "/requirements/7/export.md"
    assert reverse("requirements:export_docx", args=[7]) == "/requirements/7/export.docx"
    assert reverse("requirements:export_xlsx") == "/requirements/export.xlsx"
    assert reverse("requirements:matrix_xlsx") == "/requirements/matrix.xlsx"


# ---- one requirement ------------------------------------------------------------------------------
def test_markdown_download(viewer_client, active_req):
    r = viewer_client.get(reverse("requirements:export_md", args=[active_req.pk]))
    assert_download(r, "text/markdown; charset=utf-8", "IMSDK-1.md")
    text = r.content.decode("utf-8")
    assert text.startswith("# IMSDK-1 群组角色权限") and "群聊支持按角色配置权限" in text


def test_docx_download(viewer_client, active_req):
    from docx import Document

    r = viewer_client.get(reverse("requirements:export_docx", args=[active_req.pk]))
    assert_download(r, DOCX, "IMSDK-1.docx")
    document = Document(io.BytesIO(r.content))
    assert document.paragraphs[0].text == "IMSDK-1 群组角色权限"
    assert "☐ 群主可以设置管理员" in [p.text for p in document.paragraphs]


def test_docx_follows_the_language_of_the_page(viewer_client, active_req):
    from docx import Document

    r = viewer_client.get(
        reverse("requirements:export_docx", args=[active_req.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    headings = [p.text for p in Document(io.BytesIO(r.content)).paragraphs if p.style.name == "Heading 1"]
    assert headings[0] == "1. 需求概述"


@pytest.mark.parametrize("name", ["requirements:export_md", "requirements:export_docx"])
def test_a_requirement_of_another_product_is_not_found(outsider_client, active_req, name):
    r = outsider_client.get(reverse(name, args=[active_req.pk]))
    assert r.status_code == 404
    assert "Content-Disposition" not in r


@pytest.mark.parametrize("name", ["requirements:export_md", "requirements:export_docx"])
def test_an_unknown_requirement_is_not_found(viewer_client, name):
    assert viewer_client.get(reverse(name, args=[999999])).status_code == 404


def test_anonymous_users_are_sent_to_log_in(client, active_req):
    for url in (reverse("requirements:export_docx", args=[active_req.pk]), reverse("requirements:export_xlsx"),
                reverse("requirements:matrix_xlsx")):  # fmt: skip
        r = client.get(url)
        assert r.status_code == 302 and "/accounts/" in r["Location"], url


def test_only_get(viewer_client, active_req):
    assert viewer_client.post(reverse("requirements:export_docx", args=[active_req.pk])).status_code == 405


# ---- lists ----------------------------------------------------------------------------------------
@pytest.fixture
def three(world, make_req, active_req):
    make_req(title="Message recall", spec={"summary": "recall a sent message"})
    make_req(title='=HYPERLINK("http://evil.example")', spec={}, priority=1)
    return active_req


def test_list_download_with_filters_like_the_list_page(viewer_client, world, three):
    url = reverse("requirements:export_xlsx")
    everything = viewer_client.get(url, {"product_id": world.product.pk})
    assert_download(everything, XLSX, f"IMSDK-requirements-{timezone.localdate().isoformat()}.xlsx")
    assert sorted(r[0] for r in rows(everything)) == ["IMSDK-1", "IMSDK-2", "IMSDK-3"]
    assert sheet(everything).freeze_panes == "A2"

    def keys(**params):
        return [r[0] for r in rows(viewer_client.get(url, params))]

    assert keys(status="active") == ["IMSDK-1"]
    assert sorted(keys(status="active,draft")) == ["IMSDK-1", "IMSDK-2", "IMSDK-3"]
    assert keys(q="权限") == ["IMSDK-1"]
    assert keys(q="recall") == ["IMSDK-2"]
    assert keys(q="IMSDK-2") == ["IMSDK-2"]
    assert keys(priority="1") == ["IMSDK-3"]
    assert keys(product=world.product.pk, sort="oldest") == ["IMSDK-1", "IMSDK-2", "IMSDK-3"]
    assert keys(status="", stage="wait", sort="priority")[0] == "IMSDK-3"


def test_list_download_escapes_formulas(viewer_client, three):
    ws = sheet(viewer_client.get(reverse("requirements:export_xlsx")))
    titles = {row[0].value: row[1] for row in ws.iter_rows(min_row=2)}
    assert (
        titles["IMSDK-3"].value == '\'=HYPERLINK("http://evil.example")'
        and titles["IMSDK-3"].data_type == "s"
    )


def test_list_download_without_a_product_lists_what_you_can_see(client, world, three, other_product):
    client.force_login(world.viewer)
    r = client.get(reverse("requirements:export_xlsx"))
    assert r["Content-Disposition"].startswith('attachment; filename="pmloop-requirements-')
    assert len(rows(r)) == 3


@pytest.mark.parametrize(("params", "words"), [({"status": "done"}, "done"), ({"priority": "x"}, "priority"),
                                                ({"sort": "random"}, "sort")])  # fmt: skip
def test_bad_filters_are_refused_with_a_message(viewer_client, three, params, words):
    r = viewer_client.get(reverse("requirements:export_xlsx"), params)
    assert r.status_code == 422
    assert words in r.content.decode()
    assert "Content-Disposition" not in r


def test_list_of_another_product_is_not_found(outsider_client, world, three):
    r = outsider_client.get(reverse("requirements:export_xlsx"), {"product_id": world.product.pk})
    assert r.status_code == 404


def test_list_of_an_outsider_is_empty_without_a_product(outsider_client, three):
    r = outsider_client.get(reverse("requirements:export_xlsx"))
    assert r.status_code == 200 and rows(r) == []


# ---- the traceability matrix ---------------------------------------------------------------------
def test_matrix_download(viewer_client, world, three):
    services.link_pool_items(actor=world.a(world.pm), requirement_id=three.pk, pool_item_ids=[world.item.pk])
    r = viewer_client.get(reverse("requirements:matrix_xlsx"), {"product_id": world.product.pk})
    assert_download(r, XLSX, f"IMSDK-traceability-{timezone.localdate().isoformat()}.xlsx")
    lines = rows(r)
    linked = next(line for line in lines if line[4] == "IMSDK-1")
    assert linked[:4] == ["IMSDK-P1", world.item.title, "好未来教育", 1]
    assert linked[6:] == ["Active", "Pass", "rev1: Pass, rev2: Pass", "Waiting"]
    assert sorted(line[4] for line in lines if line[0] is None) == ["IMSDK-2", "IMSDK-3"]
    # list filters narrow it
    only = rows(viewer_client.get(reverse("requirements:matrix_xlsx"), {"product": world.product.pk,
                                                                        "status": "active"}))  # fmt: skip
    assert [line[4] for line in only] == ["IMSDK-1"]


def test_matrix_of_the_current_product(viewer_client, world, three):
    session = viewer_client.session
    session["product_id"] = world.product.pk
    session.save()
    r = viewer_client.get(reverse("requirements:matrix_xlsx"))
    assert r.status_code == 200 and len(rows(r)) == 3


def test_matrix_needs_a_product(client, make_user):
    client.force_login(make_user("nobody"))
    r = client.get(reverse("requirements:matrix_xlsx"))
    assert r.status_code == 422 and "product" in r.content.decode().lower()


def test_matrix_of_another_product_is_not_found(outsider_client, world, three):
    r = outsider_client.get(reverse("requirements:matrix_xlsx"), {"product_id": world.product.pk})
    assert r.status_code == 404


# ---- helpers -------------------------------------------------------------------------------------
def test_content_disposition_keeps_a_utf8_name_and_an_ascii_fallback():
    value = content_disposition("群组权限 IMSDK-42.docx")
    assert value.startswith('attachment; filename="IMSDK-42.docx"; ')
    encoded = value.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == "群组权限 IMSDK-42.docx" and " " not in encoded
    assert (
        content_disposition('a"b;c.md') == "attachment; filename=\"a_b_c.md\"; filename*=UTF-8''a%22b%3Bc.md"
    )
    assert 'filename="download"' in content_disposition("需求")


def test_query_from_params():
    from django.http import QueryDict

    q = query_from_params(
        QueryDict("status=draft&status=active,closed&priority=1,2&q=%E6%9D%83%E9%99%90&product=3")
    )
    assert (q.status, q.priority, q.q, q.product_id, q.sort) == (["draft", "active", "closed"], [1, 2], "权限", 3,
                                                                   "newest")  # fmt: skip
    assert query_from_params(QueryDict("module_id=&owner_id=")).module_id is None
