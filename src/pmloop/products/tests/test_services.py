"""products.services: products and the module tree.

Every refusal: the error (type, code, field), the object reloaded unchanged, no new
operation-log entry. Every success: the entry's action, actor, before and after.
"""

from __future__ import annotations

import random

import pytest
from django.db import transaction

from pmloop.accounts import services as accounts_services
from pmloop.accounts.models import Membership
from pmloop.accounts.roles import Role
from pmloop.audit.models import AuditEntry
from pmloop.core.errors import Conflict, GuardFailed, InvalidInput, NotFound, PermissionDenied
from pmloop.products import services
from pmloop.products.models import Module, Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_mark():
    start = AuditEntry.objects.count()
    return lambda: AuditEntry.objects.count() - start


def last_entry() -> AuditEntry:
    return AuditEntry.objects.order_by("-seq").first()


def state(obj) -> dict:
    """Every column of the row, read fresh from the database."""
    return type(obj).objects.filter(pk=obj.pk).values().get()


def modules_state(product) -> list[tuple]:
    return list(
        Module.objects.filter(product=product)
        .order_by("pk")
        .values_list("pk", "parent_id", "name", "description", "position", "version")
    )


@pytest.fixture
def a(owner, actor_for):
    """The owner's actor."""
    return actor_for(owner)


# ---- create -------------------------------------------------------------------------------
def test_create_product_makes_creator_owner_and_audits(owner, actor_for, log_mark):
    product = services.create_product(
        actor=actor_for(owner), code=" imsdk ", name="  IM SDK ", review_rule="majority"
    )
    assert (product.code, product.name, product.review_rule, product.version) == (
        "IMSDK",
        "IM SDK",
        "majority",
        1,
    )
    assert product.owner == owner
    assert Membership.objects.get(product=product, user=owner).role == Role.OWNER
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [e.action for e in entries] == ["products.created", "accounts.member_added"] and log_mark() == 2
    created = entries[0]
    assert created.actor_id == owner.pk and created.product_id == product.pk and created.before is None
    assert created.after["code"] == "IMSDK" and created.after["owner_id"] == owner.pk


def test_create_product_emits_event_on_commit(owner, actor_for, django_capture_on_commit_callbacks):
    from pmloop.core import events

    seen = []

    def handler(name, **payload):
        seen.append(payload)

    events.subscribe("products.created", handler)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            product = services.create_product(actor=actor_for(owner), code="EVT", name="Evented")
        assert seen == []  # nothing leaves before commit
        for callback in callbacks:
            callback()
    finally:
        events._subscribers["products.created"].remove(handler)
    assert {"product_id": product.pk} in seen


@pytest.mark.parametrize(
    "code",
    ["", "A", "1ABC", "AB CD", "AB.CD", "A" * 21, "中文", "-AB"],
)
def test_create_product_refuses_bad_code(owner, actor_for, log_mark, code):
    with pytest.raises(InvalidInput) as exc:
        services.create_product(actor=actor_for(owner), code=code, name="x")
    assert exc.value.field == "code" and "capital" in exc.value.message
    assert not Product.objects.exists() and log_mark() == 0


@pytest.mark.parametrize("code", ["AB", "A_1", "X-2", "A" * 20, "im_sdk"])
def test_create_product_accepts_good_codes(owner, actor_for, code):
    assert services.create_product(actor=actor_for(owner), code=code, name="x").code == code.upper()


def test_create_product_refuses_duplicate_code_case_insensitively(product, owner, actor_for, log_mark):
    with pytest.raises(InvalidInput) as exc:
        services.create_product(actor=actor_for(owner), code="imsdk", name="Again")
    assert exc.value.field == "code" and "IMSDK" in exc.value.message
    assert Product.objects.count() == 1 and log_mark() == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"review_rule": "unanimous"}, "review_rule"), ({"name": "  "}, "name"), ({"name": "n" * 101}, "name")],
)
def test_create_product_refuses_bad_fields(owner, actor_for, log_mark, kwargs, field):
    with pytest.raises(InvalidInput) as exc:
        services.create_product(actor=actor_for(owner), **{"code": "OK", "name": "ok", **kwargs})
    assert exc.value.field == field
    assert not Product.objects.exists() and not Membership.objects.exists() and log_mark() == 0


def test_create_product_refuses_anonymous_and_read_only(owner, actor_for, log_mark):
    with pytest.raises(PermissionDenied) as anon:
        services.create_product(actor=actor_for(None), code="AN", name="x")
    with pytest.raises(PermissionDenied) as ro:
        services.create_product(actor=actor_for(owner, read_only=True), code="RO", name="x")
    assert (anon.value.code, ro.value.code) == ("unauthenticated", "read_only_token")
    assert not Product.objects.exists() and log_mark() == 0


def test_system_actor_creates_product_for_first_admin(admin):
    from pmloop.core.actor import system_actor

    product = services.create_product(actor=system_actor(), code="SYS", name="Seeded")
    assert product.owner == admin
    assert Membership.objects.get(product=product).user == admin
    assert last_entry().actor_label == "system"


# ---- update -------------------------------------------------------------------------------
def test_update_product_bumps_version_and_audits_before_after(product, a, log_mark):
    updated = services.update_product(
        actor=a, product_id=product.pk, expected_version=1, name="IM SDK 2", review_rule="majority"
    )
    assert (updated.name, updated.review_rule, updated.version) == ("IM SDK 2", "majority", 2)
    entry = last_entry()
    assert (entry.action, entry.actor_id, entry.object_id) == ("products.updated", a.user.pk, str(product.pk))
    assert entry.before["name"] == "IM SDK" and entry.after["name"] == "IM SDK 2"
    assert entry.before["version"] == 1 and entry.after["version"] == 2
    assert log_mark() == 1


@pytest.mark.parametrize(
    ("version", "code"), [(None, "version_required"), (0, "stale_version"), (2, "stale_version")]
)
def test_update_product_refuses_stale_or_missing_version(product, a, log_mark, version, code):
    before = state(product)
    with pytest.raises(Conflict) as exc:
        services.update_product(actor=a, product_id=product.pk, expected_version=version, name="Lost update")
    assert exc.value.code == code and exc.value.field == "version" and exc.value.status == 409
    assert state(product) == before and log_mark() == 0


def test_stale_version_after_a_concurrent_change(product, a, make_user, actor_for, log_mark):
    services.update_product(actor=a, product_id=product.pk, expected_version=1, name="First")
    before, mark = state(product), log_mark()
    with pytest.raises(Conflict) as exc:
        services.update_product(actor=a, product_id=product.pk, expected_version=1, name="Second")
    assert "version 1" in exc.value.message and "now 2" in exc.value.message
    assert state(product) == before and log_mark() == mark


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"review_rule": "x"}, "review_rule"), ({"name": ""}, "name"), ({"name": "n" * 101}, "name")],
)
def test_update_product_refuses_bad_fields(product, a, log_mark, kwargs, field):
    before = state(product)
    with pytest.raises(InvalidInput) as exc:
        services.update_product(actor=a, product_id=product.pk, expected_version=1, **kwargs)
    assert exc.value.field == field
    assert state(product) == before and log_mark() == 0


@pytest.mark.parametrize("role", Role.values)
def test_update_product_by_role(product, member, actor_for, log_mark, role):
    actor = actor_for(member(role, "m"))
    before, mark = state(product), log_mark()
    if role in (Role.OWNER, Role.PM):
        services.update_product(actor=actor, product_id=product.pk, expected_version=1, name="Renamed")
        assert log_mark() == mark + 1
    else:
        with pytest.raises(PermissionDenied) as exc:
            services.update_product(actor=actor, product_id=product.pk, expected_version=1, name="Renamed")
        assert exc.value.code == "role_forbidden" and "products.edit" in exc.value.message
        assert state(product) == before and log_mark() == mark


def test_update_product_by_non_member_is_not_found(product, other_product, actor_for, log_mark):
    outsider = other_product.owner
    before = state(product)
    with pytest.raises(NotFound) as exc:
        services.update_product(
            actor=actor_for(outsider), product_id=product.pk, expected_version=1, name="x"
        )
    assert exc.value.code == "product_not_found"
    assert state(product) == before and log_mark() == 0


def test_update_product_missing_product_is_not_found(a):
    with pytest.raises(NotFound):
        services.update_product(actor=a, product_id=987654, expected_version=1, name="x")


def test_owner_change_to_an_owner_member(product, a, member, log_mark):
    second = member(Role.OWNER, "second")
    updated = services.update_product(actor=a, product_id=product.pk, expected_version=1, owner_id=second.pk)
    assert updated.owner_id == second.pk and state(product)["owner_id"] == second.pk
    entry = last_entry()
    assert entry.before["owner_id"] == a.user.pk and entry.after["owner_id"] == second.pk


@pytest.mark.parametrize("kind", ["pm", "outsider", "missing"])
def test_owner_change_refused_unless_new_owner_holds_owner_role(
    product, a, member, make_user, log_mark, kind
):
    target = {
        "pm": lambda: member(Role.PM, "pm").pk,
        "outsider": lambda: make_user("x").pk,
        "missing": lambda: 987654,
    }[kind]()
    before, mark = state(product), log_mark()
    with pytest.raises(InvalidInput) as exc:
        services.update_product(actor=a, product_id=product.pk, expected_version=1, owner_id=target)
    assert exc.value.field == "owner_id" and "owner role" in exc.value.message
    assert state(product) == before and log_mark() == mark


def test_update_with_no_change_writes_nothing(product, a, log_mark):
    before = state(product)
    services.update_product(actor=a, product_id=product.pk, expected_version=1)
    services.update_product(actor=a, product_id=product.pk, expected_version=1, owner_id=a.user.pk)
    assert state(product) == before and log_mark() == 0


def test_failure_after_the_write_rolls_back_change_and_audit(product, a, log_mark, monkeypatch):
    """The audit entry and the change share one transaction: an error after both undoes both."""

    def boom(*args, **kwargs):
        raise RuntimeError("subscriber queue down")

    monkeypatch.setattr(services.events, "emit", boom)
    before = state(product)
    with pytest.raises(RuntimeError):
        services.update_product(actor=a, product_id=product.pk, expected_version=1, name="Never")
    assert state(product) == before and log_mark() == 0


def test_outer_rollback_takes_the_audit_entry_with_it(product, a, log_mark):
    before = state(product)
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        services.update_product(actor=a, product_id=product.pk, expected_version=1, name="Rolled back")
        assert log_mark() == 1
        _ = 1 / 0
    assert state(product) == before and log_mark() == 0


# ---- archive ------------------------------------------------------------------------------
def test_archive_and_restore(product, a, log_mark):
    archived = services.set_product_archived(
        actor=a, product_id=product.pk, expected_version=1, archived=True
    )
    assert archived.archived and archived.version == 2
    entry = last_entry()
    assert (
        entry.action == "products.archived" and entry.before["archived"] is False and entry.after["archived"]
    )
    restored = services.set_product_archived(
        actor=a, product_id=product.pk, expected_version=2, archived=False
    )
    assert not restored.archived and last_entry().action == "products.restored" and log_mark() == 2


def test_archive_refusals(product, a, member, actor_for, log_mark):
    pm = actor_for(member(Role.PM, "pm"))
    before, mark = state(product), log_mark()
    with pytest.raises(PermissionDenied) as by_pm:
        services.set_product_archived(actor=pm, product_id=product.pk, expected_version=1, archived=True)
    assert by_pm.value.code == "role_forbidden"
    with pytest.raises(GuardFailed) as no_change:
        services.set_product_archived(actor=a, product_id=product.pk, expected_version=1, archived=False)
    assert no_change.value.code == "no_change"
    with pytest.raises(Conflict):
        services.set_product_archived(actor=a, product_id=product.pk, expected_version=7, archived=True)
    assert state(product) == before and log_mark() == mark


# ---- modules: create and rename -----------------------------------------------------------
@pytest.fixture
def tree(product, a):
    """IM SDK
    ├── 单聊 (0)
    │   ├── 消息 (0)
    │   │   └── 撤回 (0)
    │   └── 已读 (1)
    ├── 群聊 (1)
    └── 推送 (2)
    """

    def make(name, parent=None):
        return services.create_module(
            actor=a, product_id=product.pk, name=name, parent_id=parent and parent.pk
        )

    single = make("单聊")
    msg = make("消息", single)
    recall = make("撤回", msg)
    read = make("已读", single)
    group = make("群聊")
    push = make("推送")
    return {m.name: m for m in (single, msg, recall, read, group, push)}


def fresh(m: Module) -> Module:
    return Module.objects.get(pk=m.pk)


def positions(product, parent) -> list[tuple[str, int]]:
    qs = Module.objects.filter(product=product, parent_id=parent and parent.pk).order_by("position", "id")
    return list(qs.values_list("name", "position"))


def test_create_module_appends_and_audits(product, tree, log_mark):
    assert positions(product, None) == [("单聊", 0), ("群聊", 1), ("推送", 2)]
    assert positions(product, tree["单聊"]) == [("消息", 0), ("已读", 1)]
    entry = last_entry()
    assert entry.action == "products.module_created" and entry.product_id == product.pk
    assert entry.after["name"] == "推送" and entry.after["position"] == 2


def test_create_module_at_a_position_shifts_siblings(product, tree, a):
    services.create_module(actor=a, product_id=product.pk, name="首位", position=0)
    services.create_module(actor=a, product_id=product.pk, name="远处", position=99)
    assert positions(product, None) == [("首位", 0), ("单聊", 1), ("群聊", 2), ("推送", 3), ("远处", 4)]


def test_duplicate_name_at_the_same_level_is_refused(product, tree, a, log_mark):
    before = modules_state(product)
    for name, parent in (("群聊", None), (" 群聊 ", None), ("已读", tree["单聊"])):
        with pytest.raises(InvalidInput) as exc:
            services.create_module(actor=a, product_id=product.pk, name=name, parent_id=parent and parent.pk)
        assert exc.value.field == "name" and name.strip() in exc.value.message
    assert modules_state(product) == before and log_mark() == 0


def test_same_name_under_another_parent_or_product_is_allowed(product, other_product, tree, a, actor_for):
    services.create_module(actor=a, product_id=product.pk, name="已读", parent_id=tree["群聊"].pk)
    services.create_module(actor=a, product_id=product.pk, name="群聊", parent_id=tree["单聊"].pk)
    services.create_module(actor=actor_for(other_product.owner), product_id=other_product.pk, name="群聊")


def test_create_module_refusals(product, other_product, tree, a, member, actor_for, log_mark):
    foreign = services.create_module(
        actor=actor_for(other_product.owner), product_id=other_product.pk, name="X"
    )
    dev = actor_for(member(Role.DEVELOPER, "dev"))
    before, mark = modules_state(product), log_mark()
    with pytest.raises(InvalidInput) as foreign_parent:
        services.create_module(actor=a, product_id=product.pk, name="n", parent_id=foreign.pk)
    assert foreign_parent.value.field == "parent_id"
    with pytest.raises(InvalidInput) as missing_parent:
        services.create_module(actor=a, product_id=product.pk, name="n", parent_id=987654)
    assert missing_parent.value.field == "parent_id"
    with pytest.raises(InvalidInput):
        services.create_module(actor=a, product_id=product.pk, name="")
    with pytest.raises(PermissionDenied):
        services.create_module(actor=dev, product_id=product.pk, name="n")
    with pytest.raises(NotFound):
        services.create_module(actor=actor_for(other_product.owner), product_id=product.pk, name="n")
    assert modules_state(product) == before and log_mark() == mark


def test_rename_module(tree, a, log_mark):
    m = services.update_module(actor=a, module_id=tree["群聊"].pk, expected_version=1, name="群组")
    assert (m.name, m.version) == ("群组", 2)
    entry = last_entry()
    assert entry.action == "products.module_updated"
    assert (entry.before["name"], entry.after["name"]) == ("群聊", "群组") and log_mark() == 1


def test_rename_refusals(product, tree, a, log_mark):
    before = modules_state(product)
    with pytest.raises(InvalidInput) as clash:
        services.update_module(actor=a, module_id=tree["群聊"].pk, expected_version=1, name="推送")
    assert clash.value.field == "name"
    with pytest.raises(Conflict) as stale:
        services.update_module(actor=a, module_id=tree["群聊"].pk, expected_version=2, name="新")
    assert stale.value.code == "stale_version"
    with pytest.raises(Conflict) as missing:
        services.update_module(actor=a, module_id=tree["群聊"].pk, expected_version=None, name="新")
    assert missing.value.code == "version_required"
    assert modules_state(product) == before and log_mark() == 0


def test_module_of_another_product_is_not_found(tree, other_product, actor_for, log_mark):
    outsider = actor_for(other_product.owner)
    with pytest.raises(NotFound) as exc:
        services.update_module(actor=outsider, module_id=tree["群聊"].pk, expected_version=1, name="x")
    assert exc.value.code == "module_not_found"
    assert fresh(tree["群聊"]).name == "群聊" and log_mark() == 0


# ---- modules: move ------------------------------------------------------------------------
def test_move_with_children_keeps_the_subtree(product, tree, a, log_mark):
    services.move_module(actor=a, module_id=tree["消息"].pk, expected_version=1, parent_id=tree["群聊"].pk)
    assert fresh(tree["消息"]).parent_id == tree["群聊"].pk
    assert fresh(tree["撤回"]).parent_id == tree["消息"].pk  # the child came along
    assert positions(product, tree["单聊"]) == [("已读", 0)]  # old siblings closed the gap
    assert positions(product, tree["群聊"]) == [("消息", 0)]
    entry = last_entry()
    assert entry.action == "products.module_moved" and log_mark() == 1
    assert entry.before["parent_id"] == tree["单聊"].pk and entry.after["parent_id"] == tree["群聊"].pk


def test_reorder_among_siblings_keeps_positions_contiguous(product, tree, a):
    services.move_module(actor=a, module_id=tree["推送"].pk, expected_version=1, parent_id=None, position=0)
    assert positions(product, None) == [("推送", 0), ("单聊", 1), ("群聊", 2)]
    services.move_module(actor=a, module_id=tree["推送"].pk, expected_version=2, parent_id=None, position=1)
    assert positions(product, None) == [("单聊", 0), ("推送", 1), ("群聊", 2)]
    services.move_module(actor=a, module_id=tree["单聊"].pk, expected_version=1, parent_id=None, position=50)
    assert positions(product, None) == [("推送", 0), ("群聊", 1), ("单聊", 2)]


def test_move_to_top_level_and_back(product, tree, a):
    services.move_module(actor=a, module_id=tree["撤回"].pk, expected_version=1, parent_id=None, position=1)
    assert positions(product, None) == [("单聊", 0), ("撤回", 1), ("群聊", 2), ("推送", 3)]
    assert positions(product, tree["消息"]) == []
    services.move_module(actor=a, module_id=tree["撤回"].pk, expected_version=2, parent_id=tree["消息"].pk)
    assert positions(product, None) == [("单聊", 0), ("群聊", 1), ("推送", 2)]


@pytest.mark.parametrize("target", ["单聊", "消息", "撤回"])
def test_move_under_itself_or_a_descendant_is_refused(product, tree, a, log_mark, target):
    before = modules_state(product)
    with pytest.raises(GuardFailed) as exc:
        services.move_module(
            actor=a, module_id=tree["单聊"].pk, expected_version=1, parent_id=tree[target].pk
        )
    assert exc.value.code == "module_cycle" and exc.value.field == "parent_id"
    assert modules_state(product) == before and log_mark() == 0


def test_move_refusals(product, other_product, tree, a, actor_for, log_mark):
    foreign = services.create_module(
        actor=actor_for(other_product.owner), product_id=other_product.pk, name="X"
    )
    services.create_module(actor=a, product_id=product.pk, name="已读", parent_id=tree["群聊"].pk)
    before, mark = modules_state(product), log_mark()
    with pytest.raises(InvalidInput) as foreign_parent:
        services.move_module(actor=a, module_id=tree["群聊"].pk, expected_version=1, parent_id=foreign.pk)
    assert foreign_parent.value.field == "parent_id"
    with pytest.raises(InvalidInput) as name_clash:  # 群聊 already has an 已读
        services.move_module(
            actor=a, module_id=tree["已读"].pk, expected_version=1, parent_id=tree["群聊"].pk
        )
    assert name_clash.value.field == "name"
    with pytest.raises(InvalidInput) as negative:
        services.move_module(
            actor=a, module_id=tree["推送"].pk, expected_version=1, parent_id=None, position=-1
        )
    assert negative.value.field == "position"
    with pytest.raises(Conflict):
        services.move_module(
            actor=a, module_id=tree["推送"].pk, expected_version=3, parent_id=None, position=0
        )
    assert modules_state(product) == before and log_mark() == mark


def assert_tree_valid(product):
    rows = list(Module.objects.filter(product=product).values("pk", "parent_id", "position"))
    by_id = {r["pk"]: r for r in rows}
    children: dict = {}
    for r in rows:
        assert r["parent_id"] is None or r["parent_id"] in by_id, "parent in another product or missing"
        children.setdefault(r["parent_id"], []).append(r["position"])
    for parent_id, pos in children.items():
        assert sorted(pos) == list(range(len(pos))), f"positions under {parent_id} are {sorted(pos)}"
    for r in rows:  # every node reaches the top without a cycle
        seen, cur = set(), r
        while cur["parent_id"] is not None:
            assert cur["pk"] not in seen, "cycle"
            seen.add(cur["pk"])
            cur = by_id[cur["parent_id"]]


@pytest.mark.parametrize("seed", range(4))
def test_random_moves_keep_the_tree_valid(product, tree, a, seed):
    """A random walk of moves, reorders, creates and deletes (cycles and clashes included):
    every refused step changes nothing, and after every step the tree is valid."""
    rnd = random.Random(seed)
    made = 0
    for _ in range(40):
        mods = list(Module.objects.filter(product=product))
        m = rnd.choice(mods)
        op = rnd.random()
        before = modules_state(product)
        try:
            if op < 0.6:
                parent = rnd.choice([None, *mods])
                services.move_module(
                    actor=a, module_id=m.pk, expected_version=m.version, parent_id=parent and parent.pk,
                    position=rnd.choice([None, 0, 1, 2, 9]),
                )  # fmt: skip
            elif op < 0.8:
                made += 1
                parent = rnd.choice([None, *mods])
                services.create_module(
                    actor=a, product_id=product.pk, name=f"m{made}", parent_id=parent and parent.pk,
                    position=rnd.choice([None, 0, 3]),
                )  # fmt: skip
            else:
                services.delete_module(actor=a, module_id=m.pk, expected_version=m.version)
        except (GuardFailed, InvalidInput):
            assert modules_state(product) == before
        assert_tree_valid(product)


# ---- modules: delete ----------------------------------------------------------------------
def test_delete_module_with_children_is_refused(product, tree, a, log_mark):
    before = modules_state(product)
    with pytest.raises(GuardFailed) as exc:
        services.delete_module(actor=a, module_id=tree["单聊"].pk, expected_version=1)
    assert exc.value.code == "module_has_children"
    assert sorted(exc.value.missing) == ["已读", "消息"]
    assert "2" in exc.value.message
    assert modules_state(product) == before and log_mark() == 0


def test_delete_module_still_in_use_is_refused(product, tree, a, log_mark):
    """Requirements filed under a module keep it (PROTECT): a refusal, not a 500."""
    from django.apps import apps

    requirement = apps.get_model("requirements", "Requirement")
    requirement.objects.create(product=product, number=1, title="撤回", module=tree["推送"])
    before = modules_state(product)
    with pytest.raises(GuardFailed) as exc:
        services.delete_module(actor=a, module_id=tree["推送"].pk, expected_version=1)
    assert exc.value.code == "module_in_use"
    assert modules_state(product) == before and log_mark() == 0


def test_delete_leaf_closes_the_gap_and_audits(product, tree, a, log_mark):
    services.delete_module(actor=a, module_id=tree["群聊"].pk, expected_version=1)
    assert not Module.objects.filter(pk=tree["群聊"].pk).exists()
    assert positions(product, None) == [("单聊", 0), ("推送", 1)]
    entry = last_entry()
    assert entry.action == "products.module_deleted" and entry.after == {}
    assert entry.before["name"] == "群聊" and entry.object_id == str(tree["群聊"].pk) and log_mark() == 1


def test_delete_refusals(product, tree, a, member, actor_for, log_mark):
    viewer = actor_for(member(Role.VIEWER, "v"))
    before, mark = modules_state(product), log_mark()
    with pytest.raises(Conflict):
        services.delete_module(actor=a, module_id=tree["推送"].pk, expected_version=None)
    with pytest.raises(PermissionDenied):
        services.delete_module(actor=viewer, module_id=tree["推送"].pk, expected_version=1)
    with pytest.raises(PermissionDenied) as ro:
        services.delete_module(
            actor=actor_for(a.user, read_only=True), module_id=tree["推送"].pk, expected_version=1
        )
    assert ro.value.code == "read_only_token"
    assert modules_state(product) == before and log_mark() == mark


def test_removed_member_loses_access_at_once(product, member, owner, actor_for, log_mark):
    pm = member(Role.PM, "pm")
    accounts_services.remove_member(actor=actor_for(owner), product_id=product.pk, user_id=pm.pk)
    with pytest.raises(NotFound):
        services.update_product(actor=actor_for(pm), product_id=product.pk, expected_version=1, name="x")


def test_update_module_with_no_change_writes_nothing(product, tree, a, log_mark):
    """Like update_product: a PATCH that changes nothing bumps no version (which would make
    everyone else's copy stale for nothing) and writes no operation-log entry."""
    before = modules_state(product)
    services.update_module(actor=a, module_id=tree["群聊"].pk, expected_version=1)
    services.update_module(
        actor=a, module_id=tree["群聊"].pk, expected_version=1, name="群聊", description=""
    )
    assert modules_state(product) == before and log_mark() == 0


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_updates_with_the_same_version_one_wins(owner, actor_for):
    """No lost update under real concurrency: the row lock makes the second writer see the
    new version and get 409."""
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL); SQLite serialises writers anyway")
    product = services.create_product(actor=actor_for(owner), code="RACE", name="Race")
    barrier = threading.Barrier(2)
    results: list[str] = []

    def writer(name):
        try:
            barrier.wait()
            services.update_product(
                actor=actor_for(owner), product_id=product.pk, expected_version=1, name=name
            )
            results.append("ok")
        except Conflict as exc:
            results.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("left", "right")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok", "stale_version"]
    product.refresh_from_db()
    assert product.version == 2
    assert AuditEntry.objects.filter(action="products.updated").count() == 1


def test_a_failing_subscriber_does_not_undo_the_change(owner, actor_for, django_capture_on_commit_callbacks):
    from pmloop.core import events

    def broken(name, **payload):
        raise RuntimeError("mail server down")

    events.subscribe("products.created", broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            product = services.create_product(actor=actor_for(owner), code="SUB", name="Subscribed")
    finally:
        events._subscribers["products.created"].remove(broken)
    assert Product.objects.filter(pk=product.pk).exists()


def test_system_actor_needs_an_admin_to_own_the_product(db, log_mark):
    from pmloop.core.actor import system_actor

    with pytest.raises(GuardFailed) as exc:
        services.create_product(actor=system_actor(), code="SYS", name="Seeded")
    assert exc.value.code == "no_admin"
    assert not Product.objects.exists() and log_mark() == 0


def test_update_description_only(product, a):
    updated = services.update_product(actor=a, product_id=product.pk, expected_version=1, description="说明")
    assert updated.description == "说明" and updated.version == 2
    assert last_entry().after["description"] == "说明"
