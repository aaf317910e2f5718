"""Per-product numbers stay unique when many people file at once (PostgreSQL: real
concurrent connections; SQLite serialises writers, so there is nothing to race)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from pmloop.pool import services
from pmloop.pool.models import PoolItem


@pytest.mark.django_db(transaction=True)
def test_concurrent_filers_get_distinct_numbers(product, po):
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL); SQLite serialises writers anyway")
    start = threading.Barrier(6)
    errors: list[BaseException] = []

    def file(n: int) -> None:
        try:
            start.wait(timeout=10)
            for i in range(5):
                services.create_item(actor=po, product_id=product.pk, text=f"thread {n} item {i}")
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=file, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    numbers = sorted(PoolItem.objects.filter(product=product).values_list("number", flat=True))
    assert numbers == list(range(1, 31))
