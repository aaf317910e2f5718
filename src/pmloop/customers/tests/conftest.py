from __future__ import annotations

import pytest


@pytest.fixture
def po(owner, actor_for):
    """The product owner's actor."""
    return actor_for(owner)


@pytest.fixture
def customer(product, po):
    from pmloop.customers import services

    return services.create_customer(
        actor=po, product_id=product.pk, name="招商银行", industry="finance", tier="key"
    )


@pytest.fixture
def outsider(other_product):
    """The owner of another product: sees nothing of ``product``."""
    return other_product.owner


@pytest.fixture
def wired():
    from pmloop.customers.tests.support import require_wiring

    require_wiring()
