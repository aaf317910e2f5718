from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest


@pytest.fixture
def po(owner, actor_for):
    """The product owner's actor."""
    return actor_for(owner)


@pytest.fixture
def outsider(other_product):
    return other_product.owner


@pytest.fixture
def wired():
    from pmloop.customers.tests.support import require_wiring

    require_wiring()


@dataclass
class World:
    product: Any
    po: Any
    customers: dict[str, Any] = field(default_factory=dict)
    modules: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def world(product, po):
    """IMSDK with two customers and a small module tree (群聊 › 群公告, 推送)."""
    from pmloop.customers import services as customer_services
    from pmloop.products import services as product_services

    w = World(product=product, po=po)
    w.customers["bank"] = customer_services.create_customer(
        actor=po, product_id=product.pk, name="招商银行", industry="finance", tier="strategic"
    )
    w.customers["shop"] = customer_services.create_customer(
        actor=po, product_id=product.pk, name="Shopline", industry="retail", tier="small"
    )
    group = product_services.create_module(actor=po, product_id=product.pk, name="群聊")
    w.modules["群聊"] = group
    w.modules["群公告"] = product_services.create_module(
        actor=po, product_id=product.pk, name="群公告", parent_id=group.pk
    )
    w.modules["推送"] = product_services.create_module(actor=po, product_id=product.pk, name="推送")
    return w


@pytest.fixture
def file_item(product, po):
    """file_item(text, **kwargs) → a new pool item of ``product`` filed by the owner."""
    from pmloop.pool import services

    def make(text: str = "群聊需要支持 10000 人。", *, actor=None, product_id=None, **kwargs):
        return services.create_item(
            actor=actor or po, product_id=product_id or product.pk, text=text, **kwargs
        )

    return make


@pytest.fixture
def events_seen(django_capture_on_commit_callbacks):
    """Run the test body's on-commit callbacks and collect the pool events delivered:
    ``with events_seen() as seen: …`` then ``seen`` is a list of (name, payload)."""
    from contextlib import contextmanager

    from pmloop.core import events

    @contextmanager
    def capture():
        seen: list[tuple[str, dict]] = []

        def handler(name, **payload):
            if name.startswith("pool."):
                seen.append((name, payload))

        events.subscribe("*", handler)
        try:
            with django_capture_on_commit_callbacks(execute=True):
                yield seen
        finally:
            events._subscribers["*"].remove(handler)

    return capture
