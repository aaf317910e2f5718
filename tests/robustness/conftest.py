"""Fixtures for the robustness tests: a module-wide world, rolled back when the module ends."""

from __future__ import annotations

import pytest
from django.db import transaction


@pytest.fixture(scope="module")
def fuzz_world(django_db_setup, django_db_blocker):
    """Built once per module inside a transaction rolled back at the end; each test runs in a
    savepoint inside it (the ``db`` fixture), so no test sees another's writes."""
    from tests.robustness.world import build_world

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
