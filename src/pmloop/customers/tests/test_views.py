"""Customer pages: render in zh-Hans and en; add, edit (version), archive, contacts; the
detail page lists what the customer asked (the pool's panel); other products are 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pmloop.accounts.roles import Role
from pmloop.customers.models import Contact, Customer
from pmloop.customers.tests.support import state

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("wired")]


@pytest.fixture
def web(api_client, owner):
    return api_client(owner)


def zh(client):
    client.cookies["django_language"] = "zh-hans"
    return client


def text(r) -> str:
    return r.content.decode()


def test_empty_list_says_what_to_do(web, product):
    url = reverse("customers:list") + f"?product={product.pk}"
    assert "No customers yet" in text(web.get(url))
    r = zh(web).get(url)
    assert "还没有客户" in text(r) and "添加第一个客户" in text(r)


def test_pages_in_both_languages(web, product, customer):
    for name, args, en, cn in [
        ("customers:list", [], ["Customers", "Key", "Finance"], ["客户", "重点", "金融"]),
        ("customers:create", [], ["Add a customer", "Tier"], ["添加客户", "等级"]),
        (
            "customers:detail",
            [customer.pk],
            ["What they asked", "Contacts", "History"],
            ["提出的需求", "联系人", "历史"],
        ),
        ("customers:edit", [customer.pk], ["Edit customer", "Weight"], ["编辑客户", "权重"]),
    ]:
        url = reverse(name, args=args) + f"?product={product.pk}"
        web.cookies.pop("django_language", None)
        r = web.get(url)
        assert r.status_code == 200, name
        for w in en:
            assert w in text(r), (name, w)
        r = zh(web).get(url)
        for w in cn:
            assert w in text(r), (name, w)


def test_add_customer_and_refusals(web, product, member):
    sales = member(Role.SALES)
    url = reverse("customers:create") + f"?product={product.pk}"
    r = web.post(url, {"name": "", "industry": "finance", "tier": "key"})
    assert r.status_code == 422
    r = web.post(url, {"name": "招商银行", "industry": "finance", "tier": "key", "owner_id": sales.pk})
    c = Customer.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("customers:detail", args=[c.pk])
    assert (c.weight, c.owner_id) == (5, sales.pk)
    r = web.post(url, {"name": "招商银行", "industry": "finance", "tier": "key"})
    assert r.status_code == 422 and "already has a customer named" in text(r)


def test_edit_with_stale_version(web, customer):
    url = reverse("customers:edit", args=[customer.pk])
    data = {"name": "CMB", "industry": "finance", "tier": "key", "weight": "", "notes": "", "version": 1}
    assert web.post(url, data).status_code == 302
    r = web.post(url, {**data, "name": "lost"})
    assert r.status_code == 409 and state(customer)["name"] == "CMB"


def test_detail_lists_what_they_asked(web, customer, po, product):
    from pmloop.pool import services as pool_services

    a = pool_services.create_item(
        actor=po, product_id=product.pk, text="导出聊天记录", customer_id=customer.pk
    )
    b = pool_services.create_item(
        actor=po, product_id=product.pk, text="Export chats", customer_id=customer.pk
    )
    pool_services.merge_item(actor=po, item_id=b.pk, target_id=a.pk)
    r = web.get(reverse("customers:detail", args=[customer.pk]))
    page = text(r)
    assert "导出聊天记录" in page and "IMSDK-P2" in page and "Merged" in page
    assert reverse("pool:create") in page  # one click to file what they asked


def test_contacts_and_archive(web, customer):
    r = web.post(reverse("customers:contact_add", args=[customer.pk]), {"name": "王敏", "email": "bad"})
    assert r.status_code == 422 and not Contact.objects.exists()
    r = web.post(reverse("customers:contact_add", args=[customer.pk]), {"name": "王敏", "email": "wm@cmb.cn"})
    assert r.status_code == 302
    p = Contact.objects.get()
    r = web.post(reverse("customers:contact_edit", args=[p.pk]), {"name": "王敏", "title": "CTO"})
    assert r.status_code == 302 and state(p)["title"] == "CTO"
    web.post(reverse("customers:contact_remove", args=[p.pk]))
    assert not Contact.objects.exists()
    r = web.post(reverse("customers:archive", args=[customer.pk]), {"version": 1}, follow=True)
    assert state(customer)["archived"] is True and "Customer archived." in text(r)
    web.post(reverse("customers:archive", args=[customer.pk]), {"version": 2, "restore": "1"})
    assert state(customer)["archived"] is False


def test_viewer_cannot_edit_and_outsider_gets_404(api_client, customer, member, outsider):
    viewer = api_client(member(Role.VIEWER))
    r = viewer.get(reverse("customers:detail", args=[customer.pk]))
    assert r.status_code == 200 and reverse("customers:edit", args=[customer.pk]) not in text(r)
    r = viewer.post(reverse("customers:edit", args=[customer.pk]),
                    {"name": "x", "industry": "other", "tier": "small", "version": 1})  # fmt: skip
    assert r.status_code == 403 and state(customer)["name"] == "招商银行"
    them = api_client(outsider)
    for name in ("customers:detail", "customers:edit"):
        assert them.get(reverse(name, args=[customer.pk])).status_code == 404
    assert them.post(reverse("customers:archive", args=[customer.pk]), {"version": 1}).status_code == 404
