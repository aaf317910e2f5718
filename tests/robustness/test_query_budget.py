"""Query budget: every list endpoint and list page runs a fixed number of SQL queries, whatever
the number of rows it shows (no N+1), measured with 5 rows and again with 60 rows of the listed
kind (each row with its related objects: customer, module, owner, reviewers, links), plus a hard
ceiling per request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.robustness.world import SPEC, act, make_user

CEILING = 40  # no list request may need more queries than this


@dataclass
class Env:
    owner: object
    pm: object
    sales: object
    reviewers: list
    product: object
    module: object
    customer: object
    n: int = 0


@pytest.fixture
def env(db):
    from pmloop.accounts import services as accounts
    from pmloop.customers import services as customers
    from pmloop.products import services as products

    owner, pm, sales, r1, r2 = (make_user(n) for n in ("owner", "pm", "sales", "rev1", "rev2"))
    o = act(owner)
    product = products.create_product(actor=o, code="IMSDK", name="IM SDK")
    for user, role in ((pm, "pm"), (sales, "sales"), (r1, "reviewer"), (r2, "reviewer")):
        accounts.add_member(actor=o, product_id=product.pk, user_id=user.pk, role=role)
    module = products.create_module(actor=o, product_id=product.pk, name="群聊")
    customer = customers.create_customer(actor=o, product_id=product.pk, name="好未来", owner_id=sales.pk)
    return Env(owner, pm, sales, [r1, r2], product, module, customer)


# ---- growing each kind of row --------------------------------------------------------------
def grow_requirements(e: Env, n: int) -> None:
    from pmloop.pool import services as pool
    from pmloop.requirements import services as reqs

    for _ in range(n):
        e.n += 1
        item = pool.create_item(actor=act(e.sales), product_id=e.product.pk, customer_id=e.customer.pk,
                                text=f"客户反馈 {e.n}", importance="high")  # fmt: skip
        req = reqs.create_requirement(actor=act(e.pm), product_id=e.product.pk, title=f"需求 {e.n}", spec=SPEC,
                                      module_id=e.module.pk, owner_id=e.pm.pk, pool_item_ids=[item.pk],
                                      reviewer_ids=[r.pk for r in e.reviewers])  # fmt: skip
        if e.n % 3 == 0:
            reqs.submit_for_review(actor=act(e.pm), requirement_id=req.pk, expected_version=req.version)


def grow_pool_items(e: Env, n: int) -> None:
    from pmloop.customers import services as customers
    from pmloop.pool import services as pool

    for _ in range(n):
        e.n += 1
        customer = customers.create_customer(actor=act(e.owner), product_id=e.product.pk, name=f"客户 {e.n}",
                                             owner_id=e.sales.pk)  # fmt: skip
        item = pool.create_item(actor=act(e.sales), product_id=e.product.pk, customer_id=customer.pk,
                                text=f"希望支持 {e.n}", importance="high", module_id=e.module.pk)  # fmt: skip
        if e.n % 2 == 0:
            pool.triage_item(
                actor=act(e.pm), item_id=item.pk, expected_version=item.version, module_id=e.module.pk
            )


def grow_customers(e: Env, n: int) -> None:
    from pmloop.customers import services as customers
    from pmloop.pool import services as pool

    for _ in range(n):
        e.n += 1
        c = customers.create_customer(actor=act(e.owner), product_id=e.product.pk, name=f"客户 {e.n}",
                                      owner_id=e.sales.pk)  # fmt: skip
        customers.add_contact(actor=act(e.owner), customer_id=c.pk, name=f"联系人 {e.n}")
        pool.create_item(actor=act(e.sales), product_id=e.product.pk, customer_id=c.pk, text=f"反馈 {e.n}")


def grow_products(e: Env, n: int) -> None:
    from pmloop.accounts import services as accounts
    from pmloop.products import services as products

    for _ in range(n):
        e.n += 1
        p = products.create_product(actor=act(e.owner), code=f"P{e.n}", name=f"产品 {e.n}")
        accounts.add_member(actor=act(e.owner), product_id=p.pk, user_id=e.pm.pk, role="pm")
        products.create_module(actor=act(e.owner), product_id=p.pk, name="模块")


def grow_audit(e: Env, n: int) -> None:
    from pmloop.products import services as products

    for _ in range(n):
        e.n += 1
        products.create_module(actor=act(e.pm if e.n % 2 else e.owner), product_id=e.product.pk,
                               name=f"模块 {e.n}")  # fmt: skip


def grow_notifications(e: Env, n: int) -> None:
    from pmloop.notifications.services import notify

    for _ in range(n):
        e.n += 1
        notify(user_ids=[e.owner.pk], kind="review_requested", title=f"通知 {e.n}", url="/requirements/",
               product_id=e.product.pk, obj=e.customer)  # fmt: skip


def grow_plans(e: Env, n: int) -> None:
    from pmloop.plans import services as plans

    for _ in range(n):
        e.n += 1
        start = date(2026, 1, 1) + timedelta(days=e.n)
        p = plans.create_plan(actor=act(e.owner), product_id=e.product.pk, title=f"计划 {e.n}", start_date=start,
                              end_date=start + timedelta(days=30), capacity=10, owner_id=e.pm.pk)  # fmt: skip
        plans.add_milestone(actor=act(e.owner), plan_id=p.pk, name="冻结", date=start + timedelta(days=10))


def grow_releases(e: Env, n: int) -> None:
    from pmloop.plans import services as plans

    for _ in range(n):
        e.n += 1
        plans.create_release(actor=act(e.owner), product_id=e.product.pk, version_name=f"v{e.n}.0",
                             planned_date=date(2026, 6, 1) + timedelta(days=e.n), manager_id=e.pm.pk)  # fmt: skip


# (name, grow, url template; {p} = product id)
LISTS = [
    ("api requirements", grow_requirements, "/api/v1/requirements?product_id={p}"),
    ("page requirements", grow_requirements, "/requirements/product/{p}/"),
    ("page matrix", grow_requirements, "/requirements/product/{p}/matrix/"),
    ("api pool items", grow_pool_items, "/api/v1/pool/items?product={p}"),
    ("page pool", grow_pool_items, "/pool/?product={p}"),
    ("api customers", grow_customers, "/api/v1/customers?product_id={p}"),
    ("page customers", grow_customers, "/customers/?product={p}"),
    ("api products", grow_products, "/api/v1/products"),
    ("page products", grow_products, "/products/"),
    ("api audit", grow_audit, "/api/v1/audit/entries?product_id={p}"),
    ("page audit", grow_audit, "/audit/"),
    ("api notifications", grow_notifications, "/api/v1/notifications"),
    ("page inbox", grow_notifications, "/inbox/"),
    ("api plans", grow_plans, "/api/v1/plans?product_id={p}"),
    ("page plans", grow_plans, "/plans/product/{p}/"),
    ("api releases", grow_releases, "/api/v1/releases?product_id={p}"),
    ("page releases", grow_releases, "/plans/product/{p}/releases/"),
]


def count_queries(client: Client, url: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code} {response.content[:300]!r}"
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize(("name", "grow", "url"), LISTS, ids=[x[0] for x in LISTS])
def test_list_queries_do_not_grow_with_rows(env, name, grow, url, django_assert_max_num_queries):
    client = Client()
    client.force_login(env.owner)
    url = url.format(p=env.product.pk)
    grow(env, 5)
    client.get(url)  # warm up: session, per-process caches
    few, few_sql = count_queries(client, url)
    grow(env, 55)
    many, many_sql = count_queries(client, url)
    extra = "\n".join(q for q in many_sql if q not in few_sql)[:4000]
    assert many == few, f"{name}: {few} queries with 5 rows, {many} with 60 — N+1? New queries:\n{extra}"
    with django_assert_max_num_queries(CEILING):
        client.get(url)
