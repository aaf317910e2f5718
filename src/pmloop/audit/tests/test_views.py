"""The operation-log page (操作留痕): filters, pagination, before → after, visibility."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from pmloop.audit.models import AuditEntry
from pmloop.products import services

pytestmark = pytest.mark.django_db

URL = "/audit/"


def _rows(response) -> int:
    html = response.content.decode()
    return html.count("<tr>") - 1 if "<tbody>" in html else 0  # minus the header row


def test_url_name():
    assert reverse("audit:list") == URL


@pytest.mark.parametrize(
    ("lang", "texts"),
    [
        ("zh-hans", ["操作留痕", "操作人", "创建产品", "改动", "代码", "来自命令行"]),
        ("en", ["Operation log", "Actor", "Product created", "Changes", "via command line"]),
    ],
)
def test_page_renders_in_both_languages(api_client, owner, product, lang, texts):
    c = api_client(owner)
    c.cookies["django_language"] = lang
    r = c.get(URL)
    assert r.status_code == 200
    html = r.content.decode()
    for text in texts:
        assert text in html, text


def test_empty_log_says_what_to_do(api_client, make_user):
    r = api_client(make_user("newcomer")).get(URL)
    assert "The log is empty" in r.content.decode()


def test_changed_fields_show_before_and_after(api_client, owner, product, actor_for):
    m = services.create_module(actor=actor_for(owner), product_id=product.pk, name="消息")
    services.update_module(
        actor=actor_for(owner, via="web"), module_id=m.pk, expected_version=1, name="即时消息"
    )
    r = api_client(owner).get(URL, {"action": "products.module_updated"})
    html = r.content.decode()
    assert "<del>消息</del>" in html
    assert "<ins>即时消息</ins>" in html
    assert "via web" in html
    assert _rows(r) == 1


def test_choice_values_show_their_labels(api_client, owner, product, actor_for):
    services.update_product(
        actor=actor_for(owner), product_id=product.pk, expected_version=1, review_rule="majority"
    )
    html = api_client(owner).get(URL, {"action": "products.updated"}).content.decode()
    assert "<del>All reviewers must pass</del>" in html
    assert "<ins>A majority of reviewers passes</ins>" in html


def test_filters(api_client, owner, make_user, product, actor_for):
    a = actor_for(owner)
    m = services.create_module(actor=a, product_id=product.pk, name="A")
    services.create_module(actor=a, product_id=product.pk, name="B")
    second = services.create_product(actor=a, code="SECOND", name="Second")
    c = api_client(owner)
    # product
    assert _rows(c.get(URL, {"product_id": second.pk})) == 2  # created + owner membership
    # object type and id
    assert _rows(c.get(URL, {"object_type": "products.module"})) == 2
    assert _rows(c.get(URL, {"object_type": "products.module", "object_id": m.pk})) == 1
    # action prefix and exact action
    assert _rows(c.get(URL, {"action": "products."})) == 4
    assert _rows(c.get(URL, {"action": "products.module_created"})) == 2
    assert _rows(c.get(URL, {"action": "accounts"})) == 2
    # actor
    other = make_user("someone")
    assert _rows(c.get(URL, {"actor_id": owner.pk})) == 6
    assert _rows(c.get(URL, {"actor_id": other.pk})) == 0
    # dates: today's entries are in [today, today]; none before yesterday
    today = timezone.localdate()
    assert _rows(c.get(URL, {"since": today.isoformat(), "until": today.isoformat()})) == 6
    yesterday = (today - datetime.timedelta(days=1)).isoformat()
    r = c.get(URL, {"until": yesterday})
    assert _rows(r) == 0
    assert "No entry matches these filters" in r.content.decode()


def test_bad_filters_are_shown_next_to_the_field(api_client, owner, product):
    r = api_client(owner).get(URL, {"since": "2026-02-30", "object_type": "nope.nope"})
    assert r.status_code == 422
    assert r.content.decode().count('class="field-error"') == 2
    r = api_client(owner).get(URL, {"since": "2026-03-02", "until": "2026-03-01"})
    assert "The end date is before the start date." in r.content.decode()


def test_pagination(api_client, owner, product, actor_for):
    a = actor_for(owner)
    for i in range(55):
        services.create_module(actor=a, product_id=product.pk, name=f"M{i}")
    c = api_client(owner)
    total = AuditEntry.objects.filter(product_id=product.pk).count()
    first = c.get(URL, {"product_id": product.pk})
    assert _rows(first) == 50
    html = first.content.decode()
    assert f"Page 1 of 2 · {total} in all" in html
    assert f"product_id={product.pk}&amp;page=2" in html
    second = c.get(URL, {"product_id": product.pk, "page": 2})
    assert _rows(second) == total - 50
    # newest first: page 1 starts with the last module created
    assert html.index("M54") < html.index("M53")


def test_entries_of_other_products_stay_hidden(api_client, owner, product, other_product):
    c = api_client(owner)
    html = c.get(URL).content.decode()
    assert "Other product" not in html
    r = c.get(URL, {"product_id": other_product.pk})
    assert r.status_code == 404
    assert _rows(r) == 0
    html = r.content.decode()
    assert "Other product" not in html
    assert "not a member of it" in html
    assert 'class="field-error"' in html


def test_site_wide_entries_are_for_admins(api_client, admin, owner, actor_for):
    from pmloop.accounts import services as accounts

    accounts.create_user(actor=actor_for(admin), username="newbie", password="Long-enough-9")
    assert "User created" in api_client(admin).get(URL).content.decode()
    assert "User created" not in api_client(owner).get(URL).content.decode()


def test_needs_login(client):
    r = client.get(URL)
    assert r.status_code == 302
