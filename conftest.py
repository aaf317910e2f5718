"""Root fixtures for every test: database choice, users, actors, API clients.

The suite runs on SQLite by default. With DATABASE_URL=postgres://… it runs on PostgreSQL;
when that server cannot be reached the database tests are skipped with the reason shown,
except under CI=true, where that is an error (CI must run them).
"""

from __future__ import annotations

import os

import pytest

_PG_PROBLEM: str | None = None


def _probe_postgres() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3):
            return None
    except Exception as exc:
        return f"PostgreSQL at {url.split('@')[-1]} not reachable: {exc.__class__.__name__}: {exc}".strip()


def pytest_configure(config):
    global _PG_PROBLEM
    _PG_PROBLEM = _probe_postgres()
    if _PG_PROBLEM and os.environ.get("CI", "").lower() == "true":
        raise pytest.UsageError(f"CI must run the PostgreSQL tests, but: {_PG_PROBLEM}")


def pytest_report_header(config):
    url = os.environ.get("DATABASE_URL", "")
    db = "PostgreSQL " + url.split("@")[-1] if url.startswith("postgres") else "SQLite"
    return f"pmloop database: {db}" + (f" — SKIPPING database tests: {_PG_PROBLEM}" if _PG_PROBLEM else "")


def pytest_collection_modifyitems(config, items):
    if not _PG_PROBLEM:
        return
    skip = pytest.mark.skip(reason=_PG_PROBLEM)
    for item in items:
        if "django_db" in item.keywords or "db" in getattr(item, "fixturenames", ()):
            item.add_marker(skip)


# ---- people and products ----------------------------------------------------------------
@pytest.fixture
def make_user(db):
    from pmloop.accounts.models import User

    counter = {"n": 0}

    def make(username: str | None = None, *, admin: bool = False, password: str = "pw-Secret-123", **extra):
        counter["n"] += 1
        user = User(username=username or f"user{counter['n']}", is_superuser=admin, is_staff=admin, **extra)
        user.set_password(password)
        user.save()
        return user

    return make


@pytest.fixture
def actor_for():
    from pmloop.core.actor import Actor

    def make(user, via: str = "cli", read_only: bool = False):
        return Actor(user=user, via=via, read_only=read_only)

    return make


@pytest.fixture
def admin(make_user):
    return make_user("admin", admin=True)


@pytest.fixture
def owner(make_user):
    return make_user("owner")


@pytest.fixture
def product(owner, actor_for):
    from pmloop.products import services

    return services.create_product(actor=actor_for(owner), code="IMSDK", name="IM SDK")


@pytest.fixture
def other_product(make_user, actor_for):
    from pmloop.products import services

    outsider = make_user("other_owner")
    return services.create_product(actor=actor_for(outsider), code="OTHER", name="Other product")


@pytest.fixture
def member(make_user, product, owner, actor_for):
    """member(role) → a new user holding ``role`` on ``product``."""
    from pmloop.accounts import services

    def make(role: str, username: str | None = None):
        user = make_user(username)
        services.add_member(actor=actor_for(owner), product_id=product.pk, user_id=user.pk, role=role)
        return user

    return make


@pytest.fixture
def api_client(client):
    """api_client(user) → a Django test client logged in as ``user`` (session auth)."""

    def make(user=None):
        from django.test import Client

        c = Client()
        if user is not None:
            c.force_login(user)
        return c

    return make


@pytest.fixture
def token_client(db):
    """token_client(user, scope) → (Client sending Authorization: Bearer …, token)."""

    def make(user, scope: str = "write"):
        from django.test import Client

        from pmloop.accounts import services
        from pmloop.core.actor import Actor

        new = services.create_api_token(actor=Actor(user=user, via="cli"), name=f"t-{scope}", scope=scope)
        return Client(HTTP_AUTHORIZATION=f"Bearer {new.raw}"), new

    return make


@pytest.fixture(autouse=True)
def _rows_seeded_by_migrations(request):
    """A transactional test flushes the database, which also drops the rows data migrations
    seed (the built-in pool sources). Put them back before it and after its flush, so every
    test sees a database as a fresh install has it."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (
        "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
        or (marker is not None and marker.kwargs.get("transaction"))
    )
    if not transactional:
        yield
        return
    from importlib import import_module

    from django.apps import apps

    seed = import_module("pmloop.pool.migrations.0002_seed_sources").seed
    request.getfixturevalue("transactional_db")
    seed(apps, None)
    yield
    # transactional_db's teardown (a flush) has run by now: leave the rows for the tests after.
    seed(apps, None)


@pytest.fixture(autouse=True)
def _default_language_per_test():
    """A request through the test client activates its language in this thread and leaves it
    active (a server thread's next request activates its own). Each test starts from the
    default language, as a new process would: the CLI's messages were Chinese after a page
    test that had activated zh-hans."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()
