"""One search box over requirements and pool items: the page (/search/), the API
(/api/v1/search) and the CLI (`pmloop search`), all over web/search.py."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pmloop.accounts.roles import Role

pytestmark = pytest.mark.django_db

SEARCH = "/search/"
API = "/api/v1/search"


@dataclass
class World:
    product: Any
    other: Any
    owner: Any
    dev: Any
    outsider: Any
    module: Any
    reqs: dict[str, Any]
    items: dict[str, Any]


def _req(actor, product, title, **kw):
    from pmloop.requirements import services

    return services.create_requirement(actor=actor, product_id=product.pk, title=title, **kw)


def _item(actor, product, text, **kw):
    from pmloop.pool import services

    return services.create_item(actor=actor, product_id=product.pk, text=text, **kw)


@pytest.fixture
def w(product, other_product, owner, member, actor_for) -> World:
    from pmloop.customers import services as customer_services
    from pmloop.pool import services as pool_services
    from pmloop.products import services as product_services

    po = actor_for(owner)
    dev = member(Role.DEVELOPER, "dev1")
    module = product_services.create_module(actor=po, product_id=product.pk, name="群聊")
    acme = customer_services.create_customer(actor=po, product_id=product.pk, name="Acme 银行")
    reqs = {
        "zh": _req(po, product, "群组的权限管理", module_id=module.pk, priority=1, owner_id=dev.pk),
        "en": _req(po, product, "Read receipts permission settings", priority=3, owner_id=owner.pk),
        "plain": _req(po, product, "消息撤回"),
    }
    items = {
        "zh": _item(
            po,
            product,
            "管理员需要更细的权限控制",
            customer_id=acme.id,
            module_id=module.pk,
            importance="critical",
        ),
        "en": _item(po, product, "We need a permission for exporting chats", importance="low"),
        "plain": _item(po, product, "推送太慢"),
    }
    items["en"] = pool_services.triage_item(actor=po, item_id=items["en"].pk, importance="low")
    oa = actor_for(other_product.owner)
    _req(oa, other_product, "OTHER 权限 secret requirement")
    _item(oa, other_product, "OTHER 权限 secret permission item")
    return World(product, other_product, owner, dev, other_product.owner, module, reqs, items)


def _page(api_client, user, lang="en", **params):
    c = api_client(user)
    c.cookies["django_language"] = lang
    r = c.get(SEARCH, params)
    assert r.status_code == 200, r.content[:500]
    return r.content.decode()


def _api(api_client, user, **params):
    return api_client(user).get(API, params)


# ---- the page ----------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_page_finds_a_chinese_word_in_both_kinds(api_client, w, lang):
    html = _page(api_client, w.owner, lang, q="权限", product="all")
    assert "群组的权限管理" in html and "管理员需要更细的权限控制" in html
    assert "消息撤回" not in html and "推送太慢" not in html
    assert "IMSDK-1" in html and "IMSDK-P1" in html
    assert "Acme 银行" in html  # the pool row names its customer
    assert "群聊" in html  # and the module
    assert "OTHER" not in html and "secret" not in html
    if lang == "zh-hans":
        assert "产品需求" in html and "需求池" in html


def test_page_finds_an_english_word_in_both_kinds(api_client, w):
    html = _page(api_client, w.owner, q="permissions", product="all")
    assert "Read receipts permission settings" in html
    assert "We need a permission for exporting chats" in html
    assert "群组的权限管理" not in html
    assert "secret" not in html


def test_page_never_shows_another_products_rows(api_client, w):
    html = _page(api_client, w.outsider, q="权限", product="all")
    assert "OTHER 权限 secret requirement" in html  # their own product, yes
    assert "IMSDK" not in html and "群组的权限管理" not in html and "管理员需要" not in html
    # naming our product: a form error, not its rows
    html = _page(api_client, w.outsider, q="权限", product=w.product.pk)
    assert "No such product" in html
    assert "群组的权限管理" not in html and "管理员需要" not in html


def test_current_product_preselects_the_filter_and_all_products_is_possible(api_client, w):
    from pmloop.accounts import services
    from pmloop.core.actor import Actor

    services.add_member(actor=Actor(user=w.outsider, via="cli"), product_id=w.other.pk, user_id=w.owner.pk,
                        role=Role.VIEWER)  # fmt: skip
    c = api_client(w.owner)
    c.post(reverse("web:switch_product"), {"product_id": w.product.pk})
    html = c.get(SEARCH, {"q": "权限"}).content.decode()
    assert f'<option value="{w.product.pk}" selected>' in html
    assert "群组的权限管理" in html and "OTHER 权限 secret requirement" not in html
    # the view-all links carry the words and the product
    assert f"/requirements/product/{w.product.pk}/?q=%E6%9D%83%E9%99%90" in html
    assert f"/pool/?product={w.product.pk}&amp;q=%E6%9D%83%E9%99%90&amp;status=all" in html
    html = c.get(SEARCH, {"q": "权限", "product": "all"}).content.decode()
    assert "群组的权限管理" in html and "OTHER 权限 secret requirement" in html


def test_the_shell_box_is_on_every_page_and_submits_to_the_search_page(api_client, w):
    for lang, placeholder in (("zh-hans", "搜索需求和需求池…"), ("en", "Search requirements and pool…")):
        c = api_client(w.owner)
        c.cookies["django_language"] = lang
        html = c.get(reverse("web:home")).content.decode()
        assert f'action="{SEARCH}"' in html and 'id="shell-q"' in html
        assert f'placeholder="{placeholder}"' in html
    # the pool page keeps its own "/" (it prevents the default, the shell's handler then yields)
    html = api_client(w.owner).get(reverse("pool:list"), {"product": w.product.pk}).content.decode()
    assert 'case "/"' in html and "e.defaultPrevented" in html


def test_empty_query_shows_the_form_and_a_hint_without_querying(api_client, w):
    c = api_client(w.owner)
    c.get(SEARCH)  # warm the session
    with CaptureQueriesContext(connection) as ctx:
        html = c.get(SEARCH, {"q": "  ", "product": "all"}).content.decode()
    assert "Type words" in html
    assert "search-section" not in html
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "requirements_requirement" not in sql and "pool_poolitem" not in sql


@pytest.mark.parametrize(
    ("params", "shown", "hidden", "note"),
    [
        ({"module": "M"}, ["群组的权限管理", "管理员需要更细的权限控制"], ["Read receipts", "exporting chats"], None),
        ({"status": "draft"}, ["群组的权限管理", "Read receipts"], ["管理员需要", "exporting chats"],
         "No pool item status was chosen"),
        ({"status": "triaged"}, ["exporting chats"], ["群组的权限管理", "Read receipts", "管理员需要"],
         "No requirement status was chosen"),
        ({"status": ["draft", "new"]}, ["群组的权限管理", "Read receipts", "管理员需要"], ["exporting chats"], None),
        ({"priority": "1"}, ["群组的权限管理", "管理员需要更细的权限控制"], ["Read receipts", "exporting chats"], None),
        ({"priority": "4"}, ["exporting chats"], ["群组的权限管理", "Read receipts", "管理员需要"], None),
        ({"owner": "dev1"}, ["群组的权限管理", "管理员需要", "exporting chats"], ["Read receipts"],
         "Pool items have no owner"),
    ],
)  # fmt: skip
def test_each_filter_applies_as_specified(api_client, w, params, shown, hidden, note):
    params = {k: (w.module.pk if v == "M" else v) for k, v in params.items()}
    html = _page(api_client, w.owner, q="权限", product=w.product.pk, **params)
    html += _page(api_client, w.owner, q="permission", product=w.product.pk, **params)
    for text in shown:
        assert text in html, (params, text)
    for text in hidden:
        assert text not in html, (params, text)
    if note:
        assert note in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"status": "bogus"}, "Unknown status: bogus"),
        ({"priority": "7"}, "Priority is 1, 2, 3 or 4."),
        ({"priority": "high"}, "Priority is 1, 2, 3 or 4."),
        ({"module": "abc"}, "Choose a module from the list."),
        ({"product": "abc"}, "Choose a product from the list."),
        ({"owner": "nobody-here"}, "No user named"),
        ({"product": "999999999"}, "No such product"),
    ],
)
def test_bad_filters_are_a_form_error_not_a_500(api_client, w, params, message):
    html = _page(api_client, w.owner, q="权限", **params)
    assert message in html
    assert 'role="alert"' in html
    assert "群组的权限管理" not in html


def test_page_needs_login(client):
    r = client.get(SEARCH, {"q": "权限"})
    assert r.status_code == 302


def test_page_query_count_is_constant(api_client, w, actor_for, django_assert_max_num_queries):
    c = api_client(w.owner)
    c.get(SEARCH)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            r = c.get(SEARCH, {"q": "权限", "product": w.product.pk})
        assert r.status_code == 200
        return len(ctx.captured_queries)

    few = count()
    po = actor_for(w.owner)
    for n in range(12):
        _req(po, w.product, f"权限 {n}", module_id=w.module.pk, owner_id=w.dev.pk)
        _item(po, w.product, f"权限 问题 {n}", module_id=w.module.pk)
    many = count()
    assert many == few, (few, many)


# ---- the API -----------------------------------------------------------------------------------
def test_api_finds_both_kinds_for_a_member(api_client, w):
    for q, req_title, item_key in (("权限", "群组的权限管理", w.items["zh"].key),
                                   ("permission", "Read receipts permission settings", w.items["en"].key)):  # fmt: skip
        r = _api(api_client, w.dev, q=q)
        assert r.status_code == 200, r.content
        body = r.json()
        assert req_title in [i["title"] for i in body["requirements"]["items"]]
        assert item_key in [i["key"] for i in body["pool_items"]["items"]]
        assert body["requirements"]["count"] == len(body["requirements"]["items"])
        assert "OTHER" not in r.content.decode()


def test_api_anonymous_is_401(client, w):
    r = client.get(API, {"q": "权限"})
    assert r.status_code == 401
    assert r.json()["code"] == "unauthenticated"


def test_api_non_member_sees_nothing_of_that_product(api_client, w):
    body = _api(api_client, w.outsider, q="权限").json()
    keys = [i["key"] for i in body["requirements"]["items"] + body["pool_items"]["items"]]
    assert keys and all(k.startswith("OTHER-") for k in keys)
    r = _api(api_client, w.outsider, q="权限", product=w.product.pk)
    assert r.status_code == 404
    assert r.json()["code"] == "product_not_found"


def test_api_filters_notes_and_limit(api_client, w):
    body = _api(api_client, w.owner, q="权限", status="new", product=w.product.pk).json()
    assert body["requirements"] is None
    assert [n["code"] for n in body["notes"]] == ["status_not_applicable"]
    assert [i["key"] for i in body["pool_items"]["items"]] == [w.items["zh"].key]
    body = _api(api_client, w.owner, q="permission", owner="owner").json()
    assert [i["title"] for i in body["requirements"]["items"]] == ["Read receipts permission settings"]
    assert body["pool_items"]["count"] == 1
    assert body["notes"][0]["code"] == "owner_not_applicable"
    body = _api(api_client, w.owner, q="权限", module=w.module.pk, priority=1).json()
    assert body["requirements"]["count"] == 1 and body["pool_items"]["count"] == 1
    body = _api(api_client, w.owner, q="权限", limit=1).json()
    assert len(body["requirements"]["items"]) == 1 and body["requirements"]["page_size"] == 1
    empty = _api(api_client, w.owner).json()
    assert empty["requirements"]["count"] == 0 and empty["pool_items"]["items"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [({"status": "bogus"}, "status"), ({"priority": 5}, "priority"), ({"limit": 51}, "limit"),
     ({"owner": "nobody-here"}, "owner"), ({"product": "x"}, "product")],
)  # fmt: skip
def test_api_bad_filters_use_the_error_shape(api_client, w, params, field):
    r = _api(api_client, w.owner, q="权限", **params)
    assert r.status_code == 422, r.content
    body = r.json()
    assert set(body) == {"code", "message", "fields", "missing"}
    assert field in [f["field"] for f in body["fields"]] or field in body["message"]


def test_api_is_in_the_openapi_schema(api_client, w):
    schema = api_client(w.owner).get("/api/v1/openapi.json").json()
    op = schema["paths"]["/api/v1/search"]["get"]
    names = {p["name"] for p in op["parameters"]}
    assert {"q", "product", "module", "status", "priority", "owner", "page", "limit"} <= names


def test_api_query_count_is_constant(api_client, w, actor_for):
    c = api_client(w.owner)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(API, {"q": "权限", "limit": 50}).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    po = actor_for(w.owner)
    for n in range(12):
        _req(po, w.product, f"权限 {n}", owner_id=w.dev.pk)
        _item(po, w.product, f"权限 问题 {n}")
    assert count() == few


# ---- the CLI -----------------------------------------------------------------------------------
@pytest.fixture
def cli():
    from typer.testing import CliRunner

    from pmloop.cli.main import app

    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)

    return invoke


def test_cli_prints_both_kinds(cli, w):
    res = cli("search", "权限", "--as", "owner")
    assert res.exit_code == 0, res.stdout + res.stderr
    assert "Requirements (1)" in res.stdout and "Pool items (1)" in res.stdout
    assert "IMSDK-1" in res.stdout and w.items["zh"].key in res.stdout
    assert "OTHER" not in res.stdout


def test_cli_json_parses_and_filters(cli, w):
    res = cli(
        "search", "permission", "--product", "IMSDK", "--status", "triaged", "--as-user", "dev1", "--json"
    )
    assert res.exit_code == 0, res.stdout + res.stderr
    data = json.loads(res.stdout)
    assert data["requirements"] is None
    assert [i["key"] for i in data["pool_items"]["items"]] == [w.items["en"].key]
    res = cli(
        "search", "权限", "--owner", "dev1", "--priority", "1", "--limit", "5", "--json", "--as", "owner"
    )
    data = json.loads(res.stdout)
    assert [i["key"] for i in data["requirements"]["items"]] == ["IMSDK-1"]
    assert data["notes"][0]["code"] == "owner_not_applicable"


def test_cli_refuses_bad_input_with_exit_codes(cli, w):
    assert cli("search", "权限", "--status", "bogus", "--as", "owner").exit_code == 2
    assert cli("search", " ", "--as", "owner").exit_code == 2
    assert cli("search", "权限", "--product", "IMSDK", "--as", "other_owner").exit_code == 5
