"""accounts.permissions: can / require / visible_to, and the action table itself."""

from __future__ import annotations

import re

import pytest

from pmloop.accounts import permissions
from pmloop.accounts.models import Membership
from pmloop.accounts.permissions import ACTIONS, can, require, role_of, visible_product_ids, visible_to
from pmloop.accounts.roles import Role
from pmloop.core.actor import Actor, system_actor
from pmloop.core.errors import NotFound, PermissionDenied
from pmloop.products.models import Product


# ---- the action table (no database) ----------------------------------------------------------
def test_action_names_follow_app_dot_verb_and_roles_are_known():
    assert ACTIONS, "no action is defined: the apps' permissions modules were not imported"
    for name, action in ACTIONS.items():
        assert re.fullmatch(r"[a-z_]+\.[a-z_]+", name), name
        assert action.name == name
        assert action.roles <= set(Role.values), (
            f"{name} names unknown roles {action.roles - set(Role.values)}"
        )


def test_every_installed_app_action_is_registered_at_startup():
    # AppConfig.ready imports each permissions module: the core actions are there.
    for name in ("accounts.manage_members", "accounts.view_members", "products.view", "products.edit",
                 "products.archive", "products.edit_modules", "audit.view"):  # fmt: skip
        assert name in ACTIONS


def test_view_actions_are_open_to_every_role_and_do_not_write():
    for name in ("products.view", "accounts.view_members", "audit.view"):
        assert ACTIONS[name].roles == set(Role.values) and not ACTIONS[name].write


def test_anonymous_and_inactive_can_nothing():
    anon = Actor(user=None)
    assert not anon.is_authenticated
    for action in ACTIONS.values():
        assert not can(anon, action, product_id=1)
    with pytest.raises(PermissionDenied) as exc:
        require(anon, "products.view", product_id=1)
    assert exc.value.code == "unauthenticated"


def test_system_actor_may_do_everything_and_read_only_blocks_writes():
    system = system_actor()
    assert system.is_admin and system.is_authenticated
    for action in ACTIONS.values():
        assert can(system, action, product_id=123)


# ---- with a database -------------------------------------------------------------------------
pytest_db = pytest.mark.django_db


@pytest_db
@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("action_name", sorted(ACTIONS))
def test_can_follows_the_action_table(product, member, actor_for, role, action_name):
    actor = actor_for(member(role, "m"))
    action = ACTIONS[action_name]
    assert can(actor, action, product_id=product.pk) is (role in action.roles)
    assert can(actor, action_name, product_id=product.pk) is (role in action.roles)
    if role in action.roles:
        require(actor, action, product_id=product.pk)
    else:
        with pytest.raises(PermissionDenied) as exc:
            require(actor, action, product_id=product.pk)
        # the message names the action; with roles, it also names who may do it
        assert action_name in exc.value.message
        assert exc.value.code == ("role_forbidden" if action.roles or role else "admin_only")


@pytest_db
def test_require_message_names_role_and_allowed_roles(product, member, actor_for):
    viewer = actor_for(member(Role.VIEWER, "v"))
    with pytest.raises(PermissionDenied) as exc:
        require(viewer, "products.edit", product_id=product.pk)
    msg = exc.value.message
    assert "Viewer" in msg and "Product manager" in msg and "Product owner" in msg


@pytest_db
def test_non_member_gets_not_found_member_without_role_gets_forbidden(
    product, other_product, member, actor_for
):
    outsider = actor_for(other_product.owner)
    with pytest.raises(NotFound) as nf:
        require(outsider, "products.view", product_id=product.pk)
    assert nf.value.code == "product_not_found" and nf.value.status == 404
    viewer = actor_for(member(Role.VIEWER, "v"))
    with pytest.raises(PermissionDenied) as pd:
        require(viewer, "products.edit", product_id=product.pk)
    assert pd.value.status == 403


@pytest_db
def test_read_only_actor_reads_but_never_writes(product, owner, actor_for):
    ro = actor_for(owner, read_only=True)
    for action in ACTIONS.values():
        if action.write:
            assert not can(ro, action, product_id=product.pk)
            with pytest.raises(PermissionDenied) as exc:
                require(ro, action, product_id=product.pk)
            assert exc.value.code == "read_only_token"
        elif Role.OWNER in action.roles:
            require(ro, action, product_id=product.pk)


@pytest_db
def test_read_only_admin_is_still_read_only(admin, product, actor_for):
    ro = actor_for(admin, read_only=True)
    assert can(ro, "products.view", product_id=product.pk)
    assert not can(ro, "products.edit", product_id=product.pk)
    assert not can(ro, "accounts.manage_users")


@pytest_db
def test_site_admin_sees_and_does_everything(admin, product, other_product, actor_for):
    a = actor_for(admin)
    assert visible_product_ids(a) is None
    assert role_of(a, product.pk) == Role.OWNER
    for action in ACTIONS.values():
        assert can(a, action, product_id=product.pk)
    assert can(a, "accounts.manage_users")
    assert set(visible_to(a, Product.objects.all(), field="id")) == {product, other_product}


@pytest_db
def test_product_less_actions_are_for_admins_only(owner, actor_for):
    with pytest.raises(PermissionDenied) as exc:
        require(actor_for(owner), "accounts.manage_users")
    assert exc.value.code == "admin_only"


@pytest_db
def test_visible_to_filters_by_membership(product, other_product, member, actor_for):
    viewer = actor_for(member(Role.VIEWER, "v"))
    assert visible_product_ids(viewer) == {product.pk}
    assert list(visible_to(viewer, Product.objects.all(), field="id")) == [product]
    assert list(
        visible_to(viewer, Membership.objects.all()).values_list("product_id", flat=True).distinct()
    ) == [product.pk]
    assert list(visible_to(actor_for(None), Product.objects.all(), field="id")) == []


@pytest_db
def test_visible_within_narrows_to_one_product_only_when_the_actor_sees_it(product, other_product, member, admin,
                                                                            actor_for):  # fmt: skip
    viewer = actor_for(member(Role.VIEWER, "v"))
    assert permissions.visible_within(viewer, None) == {product.pk}
    assert permissions.visible_within(viewer, product.pk) == {product.pk}
    assert permissions.visible_within(viewer, other_product.pk) == set()
    assert permissions.visible_within(actor_for(admin), None) is None
    assert permissions.visible_within(actor_for(admin), other_product.pk) == {other_product.pk}


@pytest_db
def test_inactive_member_can_do_nothing(product, member, actor_for):
    user = member(Role.OWNER, "gone")
    user.is_active = False
    user.save()
    actor = actor_for(user)
    assert not can(actor, "products.view", product_id=product.pk)
    with pytest.raises(PermissionDenied) as exc:
        require(actor, "products.view", product_id=product.pk)
    assert exc.value.code == "unauthenticated"


@pytest_db
def test_roles_are_memoised_per_actor_and_forget_refreshes(
    product, make_user, owner, actor_for, django_assert_num_queries
):
    from pmloop.accounts import services

    user = make_user("late")
    actor = actor_for(user)
    with django_assert_num_queries(1):
        for _ in range(5):
            can(actor, "products.view", product_id=product.pk)
    services.add_member(actor=actor_for(owner), product_id=product.pk, user_id=user.pk, role="viewer")
    assert not can(actor, "products.view", product_id=product.pk)  # the memo is the actor's
    permissions.forget(actor)
    assert can(actor, "products.view", product_id=product.pk)
