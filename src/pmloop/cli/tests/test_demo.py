"""The demo workspace: who and what it creates, through services, with a verifying log."""

from __future__ import annotations

import pytest

from pmloop.accounts.models import Membership, User
from pmloop.audit.models import AuditEntry
from pmloop.audit.selectors import verify_chain
from pmloop.core.errors import GuardFailed
from pmloop.demo import seed_demo
from pmloop.products.models import Module, Product

IMSDK_TREE = {
    "单聊": [],
    "群聊": ["群成员管理", "群公告"],
    "消息必达": [],
    "音视频": ["一对一通话", "多人会议"],
    "推送": [],
    "内容审核": [],
    "开放 API": [],
}


def test_seed_demo_creates_the_workspace(db):
    calls = []
    info = seed_demo(progress=lambda done, total, message: calls.append((done, total, message)))

    assert info.admin_username == "admin" and len(info.admin_password) >= 12
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(info.admin_password)
    people = {"wangmin": "王敏", "liqiang": "李强", "zhangwei": "张伟", "chenjing": "陈静", "liuyang": "刘洋",
              "zhaolei": "赵磊"}  # fmt: skip
    assert info.users == people
    for username, name in people.items():
        user = User.objects.get(username=username)
        assert user.display_name == name and not user.is_superuser
        assert user.check_password(info.user_password)

    imsdk = Product.objects.get(code="IMSDK")
    assert imsdk.name == "IM 即时通讯 SDK" and imsdk.owner.username == "wangmin"
    roots = Module.objects.filter(product=imsdk, parent=None).order_by("position")
    assert [m.name for m in roots] == list(IMSDK_TREE)
    for root in roots:
        assert [c.name for c in root.children.order_by("position")] == IMSDK_TREE[root.name]
    console = Product.objects.get(code="CONSOLE")
    assert console.name == "PaaS 控制台" and console.modules.count() >= 3

    roles = dict(Membership.objects.filter(product=imsdk).values_list("user__username", "role"))
    assert roles == {"wangmin": "owner", "liqiang": "reviewer", "zhangwei": "sales", "chenjing": "support",
                     "liuyang": "developer", "zhaolei": "viewer"}  # fmt: skip
    # Permissions are per product: the viewer of IMSDK is not a member of CONSOLE.
    assert not Membership.objects.filter(product=console, user__username="zhaolei").exists()

    # Everything went through services: each write is in the log, and the chain verifies.
    assert AuditEntry.objects.filter(action="products.module_created").count() == Module.objects.count()
    assert AuditEntry.objects.filter(action="accounts.user_created").count() == 7
    assert set(
        AuditEntry.objects.filter(action="products.created").values_list("actor_label", flat=True)
    ) == {"wangmin"}
    result = verify_chain()
    assert result.ok and result.checked == AuditEntry.objects.count()

    assert calls and calls[-1][0] == calls[-1][1]  # progress reached its total
    assert {k: info.counts[k] for k in ("users", "products", "modules", "memberships")} == {
        "users": 7, "products": 2, "modules": Module.objects.count(), "memberships": Membership.objects.count() - 2}  # fmt: skip


def test_seed_demo_fills_the_loop(db):
    """Issue 3's demo: customers of several industries, ~200 pool items with merged duplicates,
    requirements in every status and most stages, pool items linked to them."""
    from pmloop.customers.models import Customer
    from pmloop.pool.models import PoolItem, PoolLink
    from pmloop.requirements.models import Requirement

    seed_demo()
    assert Customer.objects.values("industry").distinct().count() >= 8
    assert PoolItem.objects.count() == 200
    assert set(PoolItem.objects.values_list("status", flat=True)) == {
        "new",
        "triaged",
        "linked",
        "merged",
        "declined",
    }
    assert set(Requirement.objects.values_list("status", flat=True)) == {"draft", "reviewing", "active", "changing",
                                                                         "closed"}  # fmt: skip
    assert {"planned", "developing", "testing", "released", "accepted"} <= set(
        Requirement.objects.values_list("stage", flat=True))  # fmt: skip
    assert set(Requirement.objects.filter(status="closed").values_list("close_reason", flat=True)) >= {
        "done", "duplicate", "postponed", "will_not_do"}  # fmt: skip
    assert PoolLink.objects.count() >= 20
    assert verify_chain().ok


def test_seed_demo_only_seeds_an_empty_database(db, admin):
    before = AuditEntry.objects.count()
    with pytest.raises(GuardFailed):
        seed_demo()
    assert AuditEntry.objects.count() == before and not Product.objects.exists()


def test_demo_command_seeds_once_and_prints_the_login(cli, db, settings, tmp_path):
    settings.PMLOOP_HOME = tmp_path
    res = cli("demo", "--no-serve")
    assert res.exit_code == 0, res.stderr
    assert "http://127.0.0.1:8000" in res.stdout
    creds = (tmp_path / "demo-login.txt").read_text()
    admin_line = next(line for line in creds.splitlines() if line.startswith("Admin:"))
    password = admin_line.split("/")[-1].strip()
    assert User.objects.get(username="admin").check_password(password)
    assert password in res.stdout
    assert oct((tmp_path / "demo-login.txt").stat().st_mode & 0o777) == "0o600"

    again = cli("demo", "--no-serve", "--port", "9000", "--json")
    assert again.exit_code == 0
    assert again.json == {"url": "http://127.0.0.1:9000", "seeded": False}
    assert User.objects.filter(username="admin").count() == 1
