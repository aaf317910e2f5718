"""The web shell: home dashboard, product switcher, language switch, error pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import RequestFactory
from django.urls import reverse

import pmloop

pytestmark = pytest.mark.django_db


def _client(api_client, user, lang="en"):
    c = api_client(user)
    c.cookies["django_language"] = lang
    return c


@pytest.mark.parametrize(
    ("lang", "texts"),
    [
        ("zh-hans", ["工作台", "我的产品", "操作留痕", "最近动态", "模块", "产品负责人", 'lang="zh-Hans"']),
        ("en", ["Home", "Your products", "Operation log", "Recent activity", "Product owner", 'lang="en"']),
    ],
)
def test_home_lists_my_products_in_both_languages(api_client, owner, product, lang, texts):
    r = _client(api_client, owner, lang).get(reverse("web:home"))
    assert r.status_code == 200
    html = r.content.decode()
    for text in texts:
        assert text in html
    assert "IM SDK" in html
    assert reverse("products:detail", args=[product.pk]) in html


@pytest.mark.parametrize(
    ("lang", "text"),
    [("zh-hans", "从第一个产品开始"), ("en", "Start with your first product")],
)
def test_home_without_products_says_what_to_do_next(api_client, make_user, lang, text):
    r = _client(api_client, make_user("newcomer"), lang).get(reverse("web:home"))
    html = r.content.decode()
    assert text in html
    assert reverse("products:create") in html


def test_home_needs_login(client):
    r = client.get(reverse("web:home"))
    assert r.status_code == 302
    assert r["Location"].startswith(reverse("accounts:login"))


def test_switcher_shows_only_my_products(api_client, owner, product, other_product):
    html = _client(api_client, owner).get(reverse("web:home")).content.decode()
    assert f'name="product_id" value="{product.pk}"' in html
    assert f'value="{other_product.pk}"' not in html
    assert "Other product" not in html


def test_switch_product_remembers_it_in_the_session(api_client, owner, product):
    c = _client(api_client, owner)
    r = c.post(reverse("web:switch_product"), {"product_id": product.pk})
    assert r.status_code == 302
    assert r["Location"] == reverse("products:detail", args=[product.pk])
    assert c.session["product_id"] == product.pk
    # The shell marks it current on any page now.
    html = c.get(reverse("web:home")).content.decode()
    assert f'value="{product.pk}" class="menu-item" aria-current="true"' in html


def test_switch_to_a_product_i_may_not_see_is_404_and_keeps_the_session(
    api_client, owner, product, other_product
):
    c = _client(api_client, owner)
    c.post(reverse("web:switch_product"), {"product_id": product.pk})
    r = c.post(reverse("web:switch_product"), {"product_id": other_product.pk})
    assert r.status_code == 404
    assert c.session["product_id"] == product.pk
    assert "Other product" not in r.content.decode()


def test_switch_product_follows_a_safe_next_only(api_client, owner, product):
    c = _client(api_client, owner)
    r = c.post(reverse("web:switch_product"), {"product_id": product.pk, "next": "/audit/"})
    assert r["Location"] == "/audit/"
    r = c.post(reverse("web:switch_product"), {"product_id": product.pk, "next": "https://evil.example/"})
    assert r["Location"] == reverse("products:detail", args=[product.pk])


def test_switch_product_rejects_garbage_and_clears_on_empty(api_client, owner, product):
    c = _client(api_client, owner)
    assert c.post(reverse("web:switch_product"), {"product_id": "x"}).status_code == 400
    c.post(reverse("web:switch_product"), {"product_id": product.pk})
    r = c.post(reverse("web:switch_product"), {"product_id": ""})
    assert r.status_code == 302
    assert "product_id" not in c.session


def test_visiting_a_product_page_makes_it_current(api_client, owner, product):
    c = _client(api_client, owner)
    c.get(reverse("products:modules", args=[product.pk]))
    assert c.session["product_id"] == product.pk


def test_a_404_product_page_is_not_remembered(api_client, owner, product, other_product):
    c = _client(api_client, owner)
    assert c.get(reverse("products:detail", args=[other_product.pk])).status_code == 404
    assert "product_id" not in c.session


def test_language_switch_posts_to_set_language(api_client, owner, product):
    c = _client(api_client, owner, "zh-hans")
    html = c.get(reverse("web:home")).content.decode()
    assert 'action="/i18n/setlang/"' in html
    r = c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert r.status_code == 302
    assert "Your products" in c.get("/").content.decode()
    c.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "我的产品" in c.get("/").content.decode()


@pytest.mark.parametrize(("lang", "text"), [("zh-hans", "页面不存在"), ("en", "This page does not exist")])
def test_unknown_page_renders_the_404_page(api_client, owner, lang, text):
    r = _client(api_client, owner, lang).get("/no/such/page/")
    assert r.status_code == 404
    assert text in r.content.decode()


def test_404_page_for_anonymous_visitors(client):
    r = client.get("/no/such/page/")
    assert r.status_code == 404
    assert "This page does not exist" in r.content.decode()


def test_server_error_page_renders_without_a_request():
    from pmloop.web import views

    r = views.server_error(RequestFactory().get("/"))
    assert r.status_code == 500
    assert "Something went wrong on our side" in r.content.decode()


def test_forbidden_page_shows_the_reason(api_client, owner):
    r = _client(api_client, owner, "zh-hans").get(reverse("accounts:users"))
    assert r.status_code == 403
    assert "只有系统管理员可以管理用户" in r.content.decode()


def test_shell_ships_its_own_static_files(api_client, owner):
    html = _client(api_client, owner).get(reverse("web:home")).content.decode()
    assert "/static/pmloop/htmx.min.js" in html
    assert "/static/pmloop/app.css" in html
    htmx = Path(finders.find("pmloop/htmx.min.js")).read_text()
    assert htmx.startswith("var htmx=function()")
    assert ":focus-visible" in Path(finders.find("pmloop/app.css")).read_text()


def test_fronts_i_own_never_write_through_the_orm():
    root = Path(pmloop.__file__).parent
    for app in ("web", "accounts", "products", "audit"):
        source = (root / app / "views.py").read_text()
        assert ".objects." not in source, f"{app}/views.py uses the ORM directly"
