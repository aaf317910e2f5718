"""Product pages: list, create, home, settings (version), archive, members, module tree (htmx)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from pmloop.accounts.models import Membership
from pmloop.audit.models import AuditEntry
from pmloop.products import services
from pmloop.products.models import Module, Product

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def po(api_client, owner):
    return api_client(owner)


def _zh(client):
    client.cookies["django_language"] = "zh-hans"
    return client


def _module(actor_for, owner, product, name, parent=None):
    return services.create_module(
        actor=actor_for(owner), product_id=product.pk, name=name, parent_id=parent.pk if parent else None
    )


# ---- every page renders, in both languages -----------------------------------------------
PAGES = [
    "products:list",
    "products:create",
    "products:detail",
    "products:settings",
    "products:members",
    "products:modules",
]
ZH = {
    "products:list": "你参与的产品",
    "products:create": "创建产品",
    "products:detail": "下一步做什么",
    "products:settings": "产品设置",
    "products:members": "添加成员",
    "products:modules": "模块树",
}
EN = {
    "products:list": "The products you are a member of.",
    "products:create": "Create product",
    "products:detail": "What to do next",
    "products:settings": "Product settings",
    "products:members": "Add a member",
    "products:modules": "Module tree",
}


def _url(name, product):
    return (
        reverse(name, args=[product.pk])
        if name not in ("products:list", "products:create")
        else reverse(name)
    )


@pytest.mark.parametrize("name", PAGES)
def test_pages_render_in_chinese(po, product, name):
    r = _zh(po).get(_url(name, product))
    assert r.status_code == 200
    html = r.content.decode()
    assert ZH[name] in html
    assert "产品" in html


@pytest.mark.parametrize("name", PAGES)
def test_pages_render_in_english(po, product, name):
    r = po.get(_url(name, product))
    assert r.status_code == 200
    assert EN[name] in r.content.decode()


@pytest.mark.parametrize("name", [*PAGES[2:], "products:archive"])
def test_non_member_gets_404_on_another_products_pages(po, other_product, name):
    assert po.get(reverse(name, args=[other_product.pk])).status_code in (404, 405)
    assert po.post(reverse(name, args=[other_product.pk]), {"version": 1, "name": "x"}).status_code == 404
    other_product.refresh_from_db()
    assert other_product.name == "Other product"


def test_non_member_gets_404_on_another_products_modules(po, make_user, actor_for, other_product):
    outsider = other_product.owner
    m = services.create_module(actor=actor_for(outsider), product_id=other_product.pk, name="Secret")
    for name in ("products:module_rename", "products:module_move", "products:module_delete"):
        r = po.post(reverse(name, args=[other_product.pk, m.pk]), {"version": 1, "name": "x"})
        assert r.status_code == 404
    assert Module.objects.get(pk=m.pk).name == "Secret"


def test_a_module_of_another_product_is_404_under_mine(po, owner, product, other_product, actor_for):
    m = services.create_module(
        actor=actor_for(other_product.owner), product_id=other_product.pk, name="Secret"
    )
    r = po.post(reverse("products:module_rename", args=[product.pk, m.pk]), {"version": 1, "name": "x"})
    assert r.status_code == 404


def test_anonymous_is_sent_to_login(client, product):
    r = client.get(reverse("products:detail", args=[product.pk]))
    assert r.status_code == 302
    assert reverse("accounts:login") in r["Location"]


# ---- list and create ---------------------------------------------------------------------
def test_list_searches_and_shows_empty_state(po, product):
    assert "IM SDK" in po.get(reverse("products:list")).content.decode()
    r = po.get(reverse("products:list"), {"q": "zzz"})
    assert "No product matches" in r.content.decode()


def test_create_product_makes_me_owner_and_leads_to_modules(api_client, make_user):
    pm = make_user("pm")
    r = api_client(pm).post(
        reverse("products:create"), {"code": "crm", "name": "CRM", "review_rule": "majority"}
    )
    product = Product.objects.get(code="CRM")
    assert r.status_code == 302
    assert r["Location"] == reverse("products:modules", args=[product.pk])
    assert Membership.objects.get(product=product, user=pm).role == "owner"


def test_create_product_with_a_bad_code_shows_it_next_to_the_field(po):
    r = po.post(reverse("products:create"), {"code": "1x", "name": "Bad", "review_rule": "all"})
    assert r.status_code == 422
    html = r.content.decode()
    assert "field has-error" in html
    assert "capital letters" in html
    assert not Product.objects.filter(name="Bad").exists()


def test_create_product_with_a_taken_code(po, product):
    r = _zh(po).post(reverse("products:create"), {"code": "IMSDK", "name": "Again", "review_rule": "all"})
    assert r.status_code == 422
    assert "产品代码“IMSDK”已被占用" in r.content.decode()


# ---- settings: version, viewer, archive --------------------------------------------------
def test_owner_saves_settings(po, product):
    r = po.post(
        reverse("products:settings", args=[product.pk]),
        {"version": product.version, "name": "IM SDK Pro", "description": "d", "review_rule": "majority"},
    )
    assert r.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.review_rule, product.version) == ("IM SDK Pro", "majority", 2)


def test_stale_version_shows_the_conflict_and_changes_nothing(po, owner, product, actor_for):
    services.update_product(actor=actor_for(owner), product_id=product.pk, expected_version=1, name="Newer")
    entries = AuditEntry.objects.count()
    r = po.post(
        reverse("products:settings", args=[product.pk]),
        {"version": 1, "name": "Mine", "description": "", "review_rule": "all"},
    )
    assert r.status_code == 409
    html = r.content.decode()
    assert "Someone else changed this product" in html
    assert "Load the current version" in html
    assert 'value="Mine"' in html  # what the user typed is kept
    product.refresh_from_db()
    assert (product.name, product.version) == ("Newer", 2)
    assert AuditEntry.objects.count() == entries


def test_stale_version_conflict_in_chinese(po, owner, product, actor_for):
    services.update_product(actor=actor_for(owner), product_id=product.pk, expected_version=1, name="Newer")
    r = _zh(po).post(
        reverse("products:settings", args=[product.pk]),
        {"version": 1, "name": "Mine", "description": "", "review_rule": "all"},
    )
    assert "其他人修改了此产品" in r.content.decode()


def test_viewer_cannot_edit_settings(api_client, member, product):
    viewer = member("viewer")
    c = api_client(viewer)
    page = c.get(reverse("products:settings", args=[product.pk])).content.decode()
    assert "Save settings" not in page
    r = c.post(
        reverse("products:settings", args=[product.pk]),
        {"version": product.version, "name": "Hacked", "description": "", "review_rule": "all"},
    )
    assert r.status_code == 403
    assert "may not do" in r.content.decode()
    product.refresh_from_db()
    assert product.name == "IM SDK"


def test_archive_and_restore(po, product):
    r = po.post(
        reverse("products:archive", args=[product.pk]), {"version": product.version, "archived": "on"}
    )
    assert r.status_code == 302
    product.refresh_from_db()
    assert product.archived
    html = po.get(reverse("products:settings", args=[product.pk])).content.decode()
    assert "Restore product" in html
    po.post(reverse("products:archive", args=[product.pk]), {"version": product.version})
    product.refresh_from_db()
    assert not product.archived


def test_archive_with_stale_version_is_refused(po, product):
    r = po.post(reverse("products:archive", args=[product.pk]), {"version": 9, "archived": "on"}, follow=True)
    product.refresh_from_db()
    assert not product.archived
    assert "Someone else changed" in r.content.decode()


def test_product_manager_may_not_archive(api_client, member, product):
    c = api_client(member("pm"))
    r = c.post(
        reverse("products:archive", args=[product.pk]),
        {"version": product.version, "archived": "on"},
        follow=True,
    )
    product.refresh_from_db()
    assert not product.archived
    assert "may not do" in r.content.decode()


# ---- members -----------------------------------------------------------------------------
def test_owner_adds_changes_and_removes_a_member(po, make_user, product):
    dev = make_user("dev")
    r = po.post(reverse("products:members", args=[product.pk]), {"user_id": dev.pk, "role": "developer"})
    assert r.status_code == 302
    assert Membership.objects.get(product=product, user=dev).role == "developer"
    po.post(reverse("products:member_role", args=[product.pk, dev.pk]), {"role": "reviewer"})
    assert Membership.objects.get(product=product, user=dev).role == "reviewer"
    po.post(reverse("products:member_remove", args=[product.pk, dev.pk]))
    assert not Membership.objects.filter(product=product, user=dev).exists()


def test_member_add_form_offers_only_non_members(po, make_user, owner, product):
    make_user("dev")
    html = po.get(reverse("products:members", args=[product.pk])).content.decode()
    assert ">dev</option>" in html
    assert ">owner</option>" not in html


def test_last_owner_cannot_be_demoted(po, owner, product):
    r = po.post(reverse("products:member_role", args=[product.pk, owner.pk]), {"role": "viewer"})
    assert r.status_code == 422
    assert Membership.objects.get(product=product, user=owner).role == "owner"


def test_viewer_sees_members_but_cannot_manage(api_client, member, make_user, product):
    viewer = member("viewer")
    c = api_client(viewer)
    html = c.get(reverse("products:members", args=[product.pk])).content.decode()
    assert "Add a member" not in html
    other = make_user("other")
    r = c.post(reverse("products:members", args=[product.pk]), {"user_id": other.pk, "role": "owner"})
    assert r.status_code in (403, 422)
    assert not Membership.objects.filter(product=product, user=other).exists()


# ---- module tree -------------------------------------------------------------------------
def test_empty_tree_says_what_to_do(po, product):
    assert "No modules yet." in po.get(reverse("products:modules", args=[product.pk])).content.decode()


def test_add_module_without_htmx_redirects(po, product):
    r = po.post(reverse("products:module_add", args=[product.pk]), {"name": "消息"})
    m = Module.objects.get(product=product, name="消息")
    assert r.status_code == 302
    assert r["Location"].endswith(f"#module-{m.pk}")
    assert "Module “消息” is added." in po.get(r["Location"]).content.decode()


def test_add_module_with_htmx_returns_the_tree_fragment(po, product):
    r = po.post(reverse("products:module_add", args=[product.pk]), {"name": "消息"}, headers=HTMX)
    assert r.status_code == 200
    html = r.content.decode()
    assert html.startswith('<section id="module-tree"')
    assert "<html" not in html
    assert "Module “消息” is added." in html
    assert 'data-focus="add-name"' in html


def test_add_sub_module_under_a_parent(po, owner, product, actor_for):
    parent = _module(actor_for, owner, product, "消息")
    r = po.post(
        reverse("products:module_add", args=[product.pk]),
        {"name": "群聊", "parent_id": parent.pk, "at": "node"},
        headers=HTMX,
    )
    assert r.status_code == 200
    assert Module.objects.get(name="群聊").parent_id == parent.pk


def test_duplicate_name_is_refused_inline(po, owner, product, actor_for):
    _module(actor_for, owner, product, "消息")
    r = _zh(po).post(reverse("products:module_add", args=[product.pk]), {"name": "消息"}, headers=HTMX)
    assert r.status_code == 422
    html = r.content.decode()
    assert 'id="error-add"' in html
    assert "这一层级已有名为“消息”的模块。" in html
    assert Module.objects.filter(product=product).count() == 1


def test_empty_name_is_refused_inline_without_htmx(po, product):
    r = po.post(reverse("products:module_add", args=[product.pk]), {"name": ""})
    assert r.status_code == 422
    assert "<html" in r.content.decode()
    assert 'id="error-add"' in r.content.decode()
    assert not Module.objects.exists()


def test_rename_module(po, owner, product, actor_for):
    m = _module(actor_for, owner, product, "消息")
    r = po.post(
        reverse("products:module_rename", args=[product.pk, m.pk]),
        {"version": m.version, "name": "即时消息"},
        headers=HTMX,
    )
    assert r.status_code == 200
    m.refresh_from_db()
    assert m.name == "即时消息"


def test_rename_with_stale_version_is_refused_at_the_node(po, owner, product, actor_for):
    m = _module(actor_for, owner, product, "消息")
    r = po.post(
        reverse("products:module_rename", args=[product.pk, m.pk]), {"version": 7, "name": "X"}, headers=HTMX
    )
    assert r.status_code == 409
    html = r.content.decode()
    assert f'id="error-{m.pk}"' in html
    assert "Someone else changed this module" in html
    m.refresh_from_db()
    assert m.name == "消息"


def test_move_down_and_up(po, owner, product, actor_for):
    a = _module(actor_for, owner, product, "A")
    b = _module(actor_for, owner, product, "B")
    # "down" on A: the page posts A's 1-based target position (index 0 + 2).
    r = po.post(
        reverse("products:module_move", args=[product.pk, a.pk]),
        {"version": a.version, "parent_id": "", "position": 2, "direction": "down"},
        headers=HTMX,
    )
    assert r.status_code == 200
    assert f'data-focus="down-{a.pk}"' in r.content.decode()
    a.refresh_from_db()
    b.refresh_from_db()
    assert (b.position, a.position) == (0, 1)
    po.post(
        reverse("products:module_move", args=[product.pk, a.pk]),
        {"version": a.version, "parent_id": "", "position": 1, "direction": "up"},
    )
    a.refresh_from_db()
    assert a.position == 0


def test_move_under_a_new_parent_without_htmx(po, owner, product, actor_for):
    a = _module(actor_for, owner, product, "A")
    b = _module(actor_for, owner, product, "B")
    r = po.post(
        reverse("products:module_move", args=[product.pk, b.pk]), {"version": b.version, "parent_id": a.pk}
    )
    assert r.status_code == 302
    b.refresh_from_db()
    assert b.parent_id == a.pk


@pytest.mark.parametrize("htmx", [True, False])
def test_moving_under_its_own_child_is_refused_inline(po, owner, product, actor_for, htmx):
    parent = _module(actor_for, owner, product, "消息")
    child = _module(actor_for, owner, product, "群聊", parent=parent)
    entries = AuditEntry.objects.count()
    r = po.post(
        reverse("products:module_move", args=[product.pk, parent.pk]),
        {"version": parent.version, "parent_id": child.pk},
        headers=HTMX if htmx else {},
    )
    assert r.status_code == 422
    html = r.content.decode()
    assert "A module cannot move under itself or one of its own sub-modules." in html
    assert f'id="error-{parent.pk}"' in html
    assert ("<html" in html) is not htmx
    parent.refresh_from_db()
    assert parent.parent_id is None
    assert AuditEntry.objects.count() == entries


def test_cycle_refusal_in_chinese(po, owner, product, actor_for):
    parent = _module(actor_for, owner, product, "消息")
    child = _module(actor_for, owner, product, "群聊", parent=parent)
    r = _zh(po).post(
        reverse("products:module_move", args=[product.pk, parent.pk]),
        {"version": parent.version, "parent_id": child.pk},
        headers=HTMX,
    )
    assert "模块不能移动到它自己或它的子模块之下。" in r.content.decode()


def test_move_form_offers_no_parent_inside_the_subtree(po, owner, product, actor_for):
    parent = _module(actor_for, owner, product, "消息")
    child = _module(actor_for, owner, product, "群聊", parent=parent)
    other = _module(actor_for, owner, product, "群组")
    r = po.get(reverse("products:module_move", args=[product.pk, parent.pk]), headers=HTMX)
    html = r.content.decode()
    assert "<html" not in html
    assert f'value="{other.pk}"' in html
    assert f'value="{child.pk}"' not in html
    full = po.get(reverse("products:module_move", args=[product.pk, parent.pk]))
    assert "<html" in full.content.decode()
    assert "Back to the module tree" in full.content.decode()


def test_delete_module_and_refusal_when_it_has_children(po, owner, product, actor_for):
    parent = _module(actor_for, owner, product, "消息")
    child = _module(actor_for, owner, product, "群聊", parent=parent)
    r = po.post(reverse("products:module_delete", args=[product.pk, parent.pk]), {"version": 1}, headers=HTMX)
    assert r.status_code == 422
    assert "move or delete them first" in r.content.decode()
    assert "群聊" in r.content.decode()
    assert Module.objects.filter(pk=parent.pk).exists()
    r = po.post(reverse("products:module_delete", args=[product.pk, child.pk]), {"version": 1}, headers=HTMX)
    assert r.status_code == 200
    assert not Module.objects.filter(pk=child.pk).exists()


def test_viewer_sees_the_tree_but_cannot_change_it(api_client, member, owner, product, actor_for):
    m = _module(actor_for, owner, product, "消息")
    c = api_client(member("viewer"))
    html = c.get(reverse("products:modules", args=[product.pk])).content.decode()
    assert "消息" in html
    assert 'id="add-name"' not in html
    r = c.post(reverse("products:module_add", args=[product.pk]), {"name": "Sneaky"}, headers=HTMX)
    assert r.status_code == 403
    assert "may not do" in r.content.decode()
    r = c.post(reverse("products:module_rename", args=[product.pk, m.pk]), {"version": 1, "name": "X"})
    assert r.status_code == 403
    assert list(Module.objects.values_list("name", flat=True)) == ["消息"]


def test_saving_an_untouched_form_writes_nothing(po, product):
    entries = AuditEntry.objects.count()
    po.post(
        reverse("products:settings", args=[product.pk]),
        {
            "version": 1,
            "name": "IM SDK",
            "description": "",
            "review_rule": "all",
            "owner_id": product.owner_id,
        },
    )
    product.refresh_from_db()
    assert product.version == 1
    assert AuditEntry.objects.count() == entries


def test_viewer_sees_settings_disabled(api_client, member, product):
    html = api_client(member("viewer")).get(reverse("products:settings", args=[product.pk])).content.decode()
    name_input = re.search(r'<input[^>]*name="name"[^>]*>', html).group(0)
    assert "disabled" in name_input
