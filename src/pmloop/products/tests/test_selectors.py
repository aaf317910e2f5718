"""products.selectors: who sees what (anonymous, no membership, member, member of another
product, site admin) and bounded query counts."""

from __future__ import annotations

import pytest

from pmloop.accounts.roles import Role
from pmloop.core.errors import NotFound, PermissionDenied
from pmloop.products import selectors, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(product, other_product, owner, member, make_user, admin, actor_for):
    a = actor_for(owner)
    root = services.create_module(actor=a, product_id=product.pk, name="单聊")
    child = services.create_module(actor=a, product_id=product.pk, name="已读", parent_id=root.pk)
    foreign = services.create_module(
        actor=actor_for(other_product.owner), product_id=other_product.pk, name="X"
    )
    return {
        "product": product,
        "other": other_product,
        "root": root,
        "child": child,
        "foreign": foreign,
        "anonymous": actor_for(None),
        "nobody": actor_for(make_user("nobody")),
        "member": actor_for(member(Role.VIEWER, "viewer")),
        "outsider": actor_for(other_product.owner),
        "admin": actor_for(admin),
    }


@pytest.mark.parametrize(
    ("who", "expected"),
    [("nobody", set()), ("member", {"IMSDK"}), ("outsider", {"OTHER"}), ("admin", {"IMSDK", "OTHER"})],
)
def test_list_products_shows_only_memberships(world, who, expected):
    assert {p.code for p in selectors.list_products(actor=world[who])} == expected


def test_list_products_refuses_anonymous(world):
    with pytest.raises(PermissionDenied) as exc:
        selectors.list_products(actor=world["anonymous"])
    assert exc.value.code == "unauthenticated"


def test_list_products_hides_archived_unless_asked_and_filters_by_text(world, owner, actor_for):
    a = actor_for(owner)
    services.create_product(actor=a, code="CHAT", name="Chat room")
    services.set_product_archived(actor=a, product_id=world["product"].pk, expected_version=1, archived=True)
    assert [p.code for p in selectors.list_products(actor=a)] == ["CHAT"]
    assert [p.code for p in selectors.list_products(actor=a, include_archived=True)] == ["CHAT", "IMSDK"]
    assert [p.code for p in selectors.list_products(actor=a, include_archived=True, q="sdk")] == ["IMSDK"]
    assert [p.code for p in selectors.list_products(actor=a, q="room")] == ["CHAT"]
    # a text filter never widens visibility
    assert list(selectors.list_products(actor=world["member"], q="OTHER")) == []


@pytest.mark.parametrize("who", ["anonymous", "nobody", "outsider"])
def test_get_product_and_its_modules_are_not_found_for_non_members(world, who):
    actor = world[who]
    calls = [
        lambda: selectors.get_product(actor=actor, product_id=world["product"].pk),
        lambda: selectors.get_product(actor=actor, code="imsdk"),
        lambda: selectors.get_module(actor=actor, module_id=world["root"].pk),
        lambda: selectors.module_tree(actor=actor, product_id=world["product"].pk),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()


@pytest.mark.parametrize("who", ["member", "admin"])
def test_members_and_admins_see_product_and_modules(world, who):
    actor = world[who]
    assert selectors.get_product(actor=actor, product_id=world["product"].pk) == world["product"]
    assert selectors.get_product(actor=actor, code="imsdk") == world["product"]
    assert selectors.get_module(actor=actor, module_id=world["child"].pk) == world["child"]
    tree = selectors.module_tree(actor=actor, product_id=world["product"].pk)
    assert [(n.module.name, n.depth, [c.module.name for c in n.children]) for n in tree] == [
        ("单聊", 0, ["已读"])
    ]


def test_not_found_does_not_leak_existence(world):
    nobody = world["nobody"]
    with pytest.raises(NotFound) as hidden:
        selectors.get_product(actor=nobody, product_id=world["product"].pk)
    with pytest.raises(NotFound) as missing:
        selectors.get_product(actor=nobody, product_id=987654)
    assert (hidden.value.code, hidden.value.message) == (missing.value.code, missing.value.message)


def test_product_stats_counts_only_visible_products(world):
    ids = [world["product"].pk, world["other"].pk]
    assert selectors.product_stats(actor=world["admin"], product_ids=ids) == {
        world["product"].pk: {"modules": 2},
        world["other"].pk: {"modules": 1},
    }
    assert selectors.product_stats(actor=world["member"], product_ids=ids) == {
        world["product"].pk: {"modules": 2}
    }
    assert selectors.product_stats(actor=world["nobody"], product_ids=ids) == {}


def test_flatten_walks_depth_first(world, owner, actor_for):
    services.create_module(actor=actor_for(owner), product_id=world["product"].pk, name="群聊")
    nodes = selectors.flatten(selectors.module_tree(actor=world["member"], product_id=world["product"].pk))
    assert [(n.module.name, n.depth) for n in nodes] == [("单聊", 0), ("已读", 1), ("群聊", 0)]


def test_module_tree_query_count_does_not_grow_with_the_tree(
    world, owner, actor_for, django_assert_max_num_queries
):
    a = actor_for(owner)
    parent = world["root"]
    for i in range(30):
        parent = services.create_module(
            actor=a, product_id=world["product"].pk, name=f"n{i}", parent_id=parent.pk
        )
    actor = actor_for(world["member"].user)  # fresh memo
    with django_assert_max_num_queries(3):
        tree = selectors.module_tree(actor=actor, product_id=world["product"].pk)
    assert len(selectors.flatten(tree)) == 32


def test_list_products_query_count_is_constant(world, owner, actor_for, django_assert_max_num_queries):
    a = actor_for(owner)
    for i in range(15):
        services.create_product(actor=a, code=f"P{i:02d}", name=f"Product {i}")
    actor = actor_for(owner)
    with django_assert_max_num_queries(2):
        rows = [(p.code, p.owner.username) for p in selectors.list_products(actor=actor)]
    assert len(rows) == 16
