"""Pool pages: render in zh-Hans and en; filters in the URL; bulk bar all-or-nothing; the
item page's actions and refusals; filing; sources (admins); other products are 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pmloop.accounts.roles import Role
from pmloop.audit.models import AuditEntry
from pmloop.customers.tests.support import state
from pmloop.pool import services
from pmloop.pool.models import PoolItem, PoolSource

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("wired")]


@pytest.fixture
def web(api_client, owner):
    return api_client(owner)


def zh(client):
    client.cookies["django_language"] = "zh-hans"
    return client


def text(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def items(world, file_item):
    a = file_item("希望群公告支持已读回执。", customer_id=world.customers["bank"].pk, tags="群公告")
    b = file_item("iOS push arrives late", importance="high")
    return a, b


# ---- rendering in both languages ------------------------------------------------------------
def test_list_in_both_languages(web, world, items):
    url = reverse("pool:list") + f"?product={world.product.pk}"
    en = web.get(url)
    assert en.status_code == 200
    for words in (
        "Requirement pool",
        "File a pool item",
        "Next / previous item",
        "Reason for declining",
        "IMSDK-P1",
    ):
        assert words in text(en)
    cn = zh(web).get(url)
    for words in ("需求池", "登记需求池条目", "不采纳的原因", "已读回执", "客户", "紧急"):
        assert words in text(cn), words


def test_empty_pool_says_what_to_do(web, world):
    r = zh(web).get(reverse("pool:list") + f"?product={world.product.pk}")
    assert "需求池是空的" in text(r) and reverse("pool:create") in text(r)
    r = web.get(reverse("pool:list") + f"?product={world.product.pk}", HTTP_ACCEPT_LANGUAGE="en")
    web.cookies.pop("django_language", None)
    r = web.get(reverse("pool:list") + f"?product={world.product.pk}")
    assert "The pool is empty" in text(r)


def test_item_and_form_pages_in_both_languages(web, world, items):
    a, _b = items
    for name, args, en_words, zh_words in [
        ("pool:detail", [a.pk], ["What was asked", "Triage", "History"], ["需求原话", "分拣", "历史记录"]),
        (
            "pool:create",
            [],
            ["File a pool item", "File it and add another"],
            ["登记需求池条目", "登记并继续添加"],
        ),
        ("pool:edit", [a.pk], ["Save"], ["保存"]),
        ("pool:sources", [], ["Feedback sources"], ["需求来源", "技术支持"]),
    ]:
        url = reverse(name, args=args) + f"?product={world.product.pk}"
        web.cookies.pop("django_language", None)
        r = web.get(url)
        assert r.status_code == 200, (name, r.status_code)
        for w in en_words:
            assert w in text(r), (name, w)
        r = zh(web).get(url)
        for w in zh_words:
            assert w in text(r), (name, w)


def test_choose_a_product_first(
    api_client, owner, product, other_product, world, member, make_user, actor_for
):
    from pmloop.accounts import services as accounts_services
    from pmloop.products import services as product_services

    user = make_user("both")
    second = product_services.create_product(actor=actor_for(owner), code="SECOND", name="Second")
    for p in (product, second):
        accounts_services.add_member(actor=actor_for(owner), product_id=p.pk, user_id=user.pk, role=Role.PM)
    r = api_client(user).get(reverse("pool:list"))
    assert r.status_code == 200 and "Which product?" in text(r) and f"?product={second.pk}" in text(r)


# ---- filters in the URL ---------------------------------------------------------------------
def test_filters_come_from_the_url(web, world, items):
    a, b = items
    base = reverse("pool:list") + f"?product={world.product.pk}"
    r = web.get(base + "&importance=high")
    assert list(r.context["page"].items) == [b]
    r = web.get(base + "&tag=群公告&status=all")
    assert list(r.context["page"].items) == [a]
    r = web.get(base + "&q=已读")
    assert list(r.context["page"].items) == [a]
    r = web.get(base + "&status=triaged")
    assert list(r.context["page"].items) == [] and "Nothing matches" in text(r)
    r = web.get(base + "&created_since=not-a-date")
    assert r.status_code == 200 and "Ignored the filter" in text(r) and len(r.context["page"].items) == 2
    tabs = {t["label"]: t["count"] for t in web.get(base).context["tabs"]}
    assert tabs["Open"] == 2 and tabs["New"] == 2 and tabs["All"] == 2


# ---- bulk bar -------------------------------------------------------------------------------
def test_bulk_triage_and_all_or_nothing(web, world, items):
    a, b = items
    back = reverse("pool:list") + f"?product={world.product.pk}"
    r = web.post(reverse("pool:bulk"), {"action": "triage", "ids": [a.pk, b.pk], "importance": "low", "next": back},
                 follow=True)  # fmt: skip
    assert r.redirect_chain[-1][0].startswith(back)
    assert "2 items triaged." in messages_of(r)
    assert set(PoolItem.objects.values_list("status", "importance")) == {("triaged", "low")}
    c = services.create_item(actor=world.po, product_id=world.product.pk, text="c")
    before, entries = [state(a), state(b), state(c)], AuditEntry.objects.count()
    r = web.post(reverse("pool:bulk"), {"action": "triage", "ids": [c.pk, a.pk], "next": back})
    assert r.status_code == 302 and f"selected={c.pk},{a.pk}" in r["Location"]
    r = web.get(r["Location"])
    assert any("Nothing was changed" in m for m in messages_of(r))
    assert [state(a), state(b), state(c)] == before and AuditEntry.objects.count() == entries
    assert c.pk in r.context["selected"]


def test_bulk_decline_and_merge_by_number(web, world, items):
    a, b = items
    c = services.create_item(actor=world.po, product_id=world.product.pk, text="c")
    r = web.post(reverse("pool:bulk"), {"action": "decline", "ids": [c.pk], "reason": ""}, follow=True)
    assert any("reason is required" in m for m in messages_of(r))
    r = web.post(reverse("pool:bulk"), {"action": "merge", "ids": [a.pk, c.pk], "target": "P2"}, follow=True)
    assert any("merged into IMSDK-P2 (now 3 voices)" in m for m in messages_of(r))
    r = web.post(reverse("pool:bulk"), {"action": "merge", "ids": [b.pk], "target": "P99"}, follow=True)
    assert any("P99" in m for m in messages_of(r))
    r = web.post(reverse("pool:bulk"), {"action": "decline", "ids": [], "reason": "x"}, follow=True)
    assert any("Select at least one item" in m for m in messages_of(r))


# ---- the item page --------------------------------------------------------------------------
def test_item_actions_and_refusals_on_the_page(web, world, items):
    a, b = items
    r = web.post(reverse("pool:decline", args=[a.pk]), {"reason": "", "version": 1})
    assert r.status_code == 422 and "reason is required" in text(r)
    assert state(a)["status"] == "new"
    r = web.post(
        reverse("pool:triage", args=[a.pk]), {"importance": "critical", "tags": "x, y", "version": 1}
    )
    assert r.status_code == 302
    a.refresh_from_db()
    assert (a.status, a.importance, a.tag_list) == ("triaged", "critical", ["x", "y"])
    r = web.post(reverse("pool:triage", args=[a.pk]), {"importance": "low", "version": 1})
    assert r.status_code == 409 and "Someone else changed" in text(r)
    r = web.post(reverse("pool:merge", args=[b.pk]), {"target": "P1", "version": 1})
    assert r.status_code == 302 and r["Location"] == reverse("pool:detail", args=[a.pk])
    page = web.get(r["Location"])
    assert "2 voices" in text(page) and "IMSDK-P2" in text(page)
    r = web.post(reverse("pool:merge", args=[a.pk]), {"target": "nonsense", "version": 3})
    assert r.status_code == 422 and "e.g. P12" in text(r)
    r = web.post(reverse("pool:decline", args=[a.pk]), {"reason": "Not now", "version": 3})
    assert r.status_code == 302
    r = web.post(reverse("pool:reopen", args=[a.pk]), {"version": 4})
    assert r.status_code == 302 and state(a)["status"] == "triaged"
    page = web.get(reverse("pool:detail", args=[a.pk]))
    assert "Declined" in text(page) and "Reopened" in text(page)  # the history


def test_sales_sees_no_triage_actions(api_client, world, items, member):
    sales = member(Role.SALES)
    r = api_client(sales).get(reverse("pool:detail", args=[items[0].pk]))
    assert r.status_code == 200 and 'action="/pool/' not in text(r).split("Actions")[-1].split("History")[0]
    r = api_client(sales).post(reverse("pool:triage", args=[items[0].pk]), {"importance": "low"})
    assert r.status_code == 403 and state(items[0])["status"] == "new"


# ---- filing ---------------------------------------------------------------------------------
def test_file_an_item(web, world):
    url = reverse("pool:create") + f"?product={world.product.pk}&customer={world.customers['bank'].pk}"
    r = web.get(url)
    assert r.context["form"].initial["customer_id"] == world.customers["bank"].pk
    r = web.post(url, {"text": "", "importance": "medium"})
    assert r.status_code == 422 and not PoolItem.objects.exists()
    r = web.post(url, {"text": "x", "importance": "medium", "customer_id": 999999})
    assert r.status_code == 422
    r = web.post(url, {"text": "消息要支持撤回。两分钟内", "importance": "high", "customer_id": world.customers["bank"].pk,
                       "tags": "消息", "another": "1"})  # fmt: skip
    item = PoolItem.objects.get()
    assert (item.title, item.source.code, item.customer_id) == (
        "消息要支持撤回",
        "customer",
        world.customers["bank"].pk,
    )
    assert r.status_code == 302 and "source=customer" in r["Location"] and "customer=" in r["Location"]
    r = web.post(url, {"text": "second", "importance": "low"})
    assert r["Location"] == reverse("pool:detail", args=[PoolItem.objects.get(number=2).pk])


def test_edit_with_stale_version(web, world, items):
    a, _ = items
    url = reverse("pool:edit", args=[a.pk])
    data = {"text": "new", "importance": "medium", "source": "customer", "version": 1}
    assert web.post(url, data).status_code == 302
    r = web.post(url, {**data, "text": "lost"})
    assert r.status_code == 409 and state(a)["text"] == "new"


# ---- other products are not found -----------------------------------------------------------
def test_outsider_gets_404_everywhere(api_client, world, items, outsider):
    them = api_client(outsider)
    a = items[0]
    for name in ("pool:detail", "pool:edit"):
        assert them.get(reverse(name, args=[a.pk])).status_code == 404
    for name in ("pool:triage", "pool:decline", "pool:merge", "pool:reopen"):
        assert them.post(reverse(name, args=[a.pk]), {"reason": "x", "target": "P1"}).status_code == 404
    r = them.get(reverse("pool:list") + f"?product={world.product.pk}")
    assert world.product.code not in text(r) or r.status_code == 404
    assert state(a)["status"] == "new"


# ---- sources --------------------------------------------------------------------------------
def test_sources_page(api_client, admin, web, world):
    r = web.get(reverse("pool:sources"))
    assert "Only a site admin" in text(r)
    assert (
        web.post(reverse("pool:sources"), {"code": "fax", "label_en": "Fax", "label_zh": "传真"}).status_code
        == 403
    )
    adm = api_client(admin)
    r = adm.post(reverse("pool:sources"), {"code": "fax", "label_en": "Fax", "label_zh": "传真"})
    assert r.status_code == 302 and PoolSource.objects.filter(code="fax").exists()
    r = adm.post(reverse("pool:sources"), {"code": "fax", "label_en": "Fax", "label_zh": "传真"})
    assert r.status_code == 422 and "is taken" in text(r)
    fax = PoolSource.objects.get(code="fax")
    adm.post(reverse("pool:source_active", args=[fax.pk]), {"active": "0"})
    fax.refresh_from_db()
    assert fax.active is False
