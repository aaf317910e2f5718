"""Seed the demo workspace through the services, exactly as people would build it.

The system actor creates the users (as a site admin would); from then on each user acts for
themself: 王敏 creates the products, their module trees and memberships. Every write is thus
permission-checked, guarded and in the operation log, and the chain verifies.

One seeder per domain, run in order; a later capability adds its own seeder to ``SEEDERS``
(customers, pool, requirements …) and reads what earlier ones made from the ``DemoContext``.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.test.utils import override_settings

from pmloop.accounts import selectors as accounts_selectors
from pmloop.accounts import services as accounts_services
from pmloop.accounts.roles import Role
from pmloop.core.actor import Actor, system_actor
from pmloop.core.errors import GuardFailed
from pmloop.deliverables import demo as launch_demo
from pmloop.demo import loop
from pmloop.plans import demo as plans_demo
from pmloop.products import services as products_services

DEMO_URL = "http://127.0.0.1:8000"
ADMIN_USERNAME = "admin"

# username, display name, role on IMSDK, role on CONSOLE (None: not a member)
DEMO_USERS: list[tuple[str, str, str, str | None]] = [
    ("wangmin", "王敏", Role.OWNER, Role.OWNER),
    ("liqiang", "李强", Role.REVIEWER, Role.REVIEWER),
    ("zhangwei", "张伟", Role.SALES, Role.SALES),
    ("chenjing", "陈静", Role.SUPPORT, None),
    ("liuyang", "刘洋", Role.DEVELOPER, Role.DEVELOPER),
    ("zhaolei", "赵磊", Role.VIEWER, None),
]
PRODUCT_OWNER = "wangmin"

# name, description, children (same shape)
Tree = list[tuple[str, str, list[Any]]]
PRODUCTS: list[dict[str, Any]] = [
    {
        "code": "IMSDK",
        "name": "IM 即时通讯 SDK",
        "description": (
            "面向 App 开发者的即时通讯 SDK 与云服务：单聊、群聊、消息必达、音视频通话、"
            "离线推送与内容审核，提供多端 SDK 与开放 API。"
        ),
        "review_rule": "all",
        "modules": [
            ("单聊", "一对一消息收发、已读回执、消息撤回与漫游。", []),
            (
                "群聊",
                "普通群、超大群（万人）与聊天室的消息收发。",
                [
                    ("群成员管理", "邀请、踢人、禁言、群主转让与管理员设置。", []),
                    ("群公告", "群主和管理员发布、置顶与撤回群公告。", []),
                ],
            ),
            ("消息必达", "弱网与离线场景下的消息可靠投递、去重与顺序保证。", []),
            (
                "音视频",
                "实时音视频通话能力。",
                [
                    ("一对一通话", "语音与视频一对一通话、通话记录。", []),
                    ("多人会议", "多人音视频会议、屏幕共享与会控。", []),
                ],
            ),
            ("推送", "iOS/Android 厂商通道离线推送与推送统计。", []),
            ("内容审核", "文本、图片与音视频的内容安全审核与自定义词库。", []),
            ("开放 API", "服务端 REST API 与消息回调（Webhook）。", []),
        ],
        "members": {u: role for u, _n, role, _c in DEMO_USERS},
    },
    {
        "code": "CONSOLE",
        "name": "PaaS 控制台",
        "description": "客户在这里创建应用、管理密钥与子账号、查看用量与账单、提交工单。",
        "review_rule": "majority",
        "modules": [
            ("应用管理", "创建与配置应用。", [("密钥管理", "AppKey 与 Secret 的生成、轮换与停用。", [])]),
            ("用量统计", "按应用与功能查看调用量、并发与峰值。", []),
            ("计费与账单", "套餐、按量计费、账单与发票。", []),
            ("子账号与权限", "企业子账号、角色与操作审计。", []),
            ("工单", "客户提交与跟踪技术支持工单。", []),
        ],
        "members": {u: role for u, _n, _r, role in DEMO_USERS if role is not None},
    },
]


@dataclass
class DemoInfo:
    """What ``pmloop demo`` tells the person who started it."""

    url: str
    admin_username: str
    admin_password: str
    user_password: str
    users: dict[str, str]  # username → display name
    products: list[str]  # product codes
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class DemoContext:
    """Shared by the seeders: passwords, the system actor, and what has been made so far."""

    admin_password: str
    user_password: str
    progress: Callable[[int, int, str], None] | None
    total: int
    done: int = 0
    system: Actor = field(default_factory=lambda: system_actor(via="system"))
    users: dict[str, Any] = field(default_factory=dict)  # username → User
    products: dict[str, Any] = field(default_factory=dict)  # code → Product
    modules: dict[str, dict[str, Any]] = field(default_factory=dict)  # code → {"群聊/群公告": Module}
    counts: dict[str, int] = field(default_factory=dict)

    def actor(self, username: str) -> Actor:
        """The real user acting (their roles apply), recorded as done by the system."""
        return Actor(user=self.users[username], via="system")

    def tick(self, message: str) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(min(self.done, self.total), self.total, message)

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n


@dataclass
class Seeder:
    name: str
    run: Callable[[DemoContext], None]
    steps: int  # progress ticks it makes (an estimate is fine)


def _tree_size(tree: Tree) -> int:
    return sum(1 + _tree_size(children) for _n, _d, children in tree)


def generate_password(length: int = 14) -> str:
    """Readable and strong enough for a demo: letters and digits, never all digits."""
    alphabet = string.ascii_letters + string.digits
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(length))
        if any(c.isalpha() for c in pw) and any(c.isdigit() for c in pw):
            return pw


# ---- seeders, one per domain ----------------------------------------------------------------
def seed_accounts(ctx: DemoContext) -> None:
    ctx.users[ADMIN_USERNAME] = accounts_services.create_user(
        actor=ctx.system, username=ADMIN_USERNAME, password=ctx.admin_password,
        email="admin@example.com", display_name="管理员", is_admin=True,
    )  # fmt: skip
    ctx.count("users")
    ctx.tick("user admin")
    for username, display_name, _imsdk, _console in DEMO_USERS:
        ctx.users[username] = accounts_services.create_user(
            actor=ctx.system, username=username, password=ctx.user_password,
            email=f"{username}@example.com", display_name=display_name,
        )  # fmt: skip
        ctx.count("users")
        ctx.tick(f"user {username} ({display_name})")


def _create_tree(ctx: DemoContext, actor: Actor, product, tree: Tree, parent=None, prefix: str = "") -> None:
    for name, description, children in tree:
        module = products_services.create_module(
            actor=actor, product_id=product.pk, name=name, description=description,
            parent_id=parent.pk if parent is not None else None,
        )  # fmt: skip
        path = f"{prefix}{name}"
        ctx.modules.setdefault(product.code, {})[path] = module
        ctx.count("modules")
        ctx.tick(f"module {product.code}: {path}")
        _create_tree(ctx, actor, product, children, module, prefix=f"{path}/")


def seed_products(ctx: DemoContext) -> None:
    owner = ctx.actor(PRODUCT_OWNER)
    for spec in PRODUCTS:
        product = products_services.create_product(
            actor=owner, code=spec["code"], name=spec["name"], description=spec["description"],
            review_rule=spec["review_rule"],
        )  # fmt: skip
        ctx.products[spec["code"]] = product
        ctx.count("products")
        ctx.tick(f"product {spec['code']}")
        _create_tree(ctx, owner, product, spec["modules"])
        for username, role in spec["members"].items():
            if username == PRODUCT_OWNER:
                continue  # the creator already owns it
            accounts_services.add_member(
                actor=owner, product_id=product.pk, user_id=ctx.users[username].pk, role=role
            )
            ctx.count("memberships")
            ctx.tick(f"member {spec['code']}: {username} as {role}")


SEEDERS: list[Seeder] = [
    Seeder("accounts", seed_accounts, steps=1 + len(DEMO_USERS)),
    Seeder(
        "products",
        seed_products,
        steps=sum(1 + _tree_size(p["modules"]) + len(p["members"]) - 1 for p in PRODUCTS),
    ),
    Seeder("customers", loop.seed_customers, steps=len(loop.CUSTOMERS)),
    Seeder("pool", loop.seed_pool, steps=200),
    Seeder("requirements", loop.seed_requirements, steps=len(loop.PLANNED)),
    Seeder("plans", plans_demo.seed_plans, steps=plans_demo.STEPS),
    Seeder("launch kits", launch_demo.seed_launch_kits, steps=launch_demo.STEPS),
]


def is_empty() -> bool:
    """True when the database holds no user yet (the demo seeds only such a database)."""
    return not accounts_selectors.list_users(actor=system_actor()).exists()


def seed_demo(
    progress: Callable[[int, int, str], None] | None = None,
    *,
    admin_password: str | None = None,
    user_password: str | None = None,
) -> DemoInfo:
    """Create the demo workspace in an empty database, all in one transaction.

    ``progress(done, total, message)`` is called after each object. Refused (GuardFailed,
    nothing written) when the database already has users."""
    ctx = DemoContext(
        admin_password=admin_password or generate_password(),
        user_password=user_password or generate_password(),
        progress=progress,
        total=sum(s.steps for s in SEEDERS),
    )
    # The demo's own reviews and releases would otherwise print dozens of e-mails to the console.
    with (
        override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
        transaction.atomic(),
    ):
        if not is_empty():
            raise GuardFailed(
                "The database already has users: the demo seeds only an empty database.", code="not_empty"
            )
        for seeder in SEEDERS:
            seeder.run(ctx)
    return DemoInfo(
        url=DEMO_URL,
        admin_username=ADMIN_USERNAME,
        admin_password=ctx.admin_password,
        user_password=ctx.user_password,
        users={u: str(ctx.users[u].display_name) for u, *_ in DEMO_USERS},
        products=list(ctx.products),
        counts=dict(ctx.counts),
    )
