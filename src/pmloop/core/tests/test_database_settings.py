"""The database settings built from the environment (pmloop.config.settings._database)."""

import pytest

from pmloop.config import settings as pmloop_settings

PG = "postgres://pm@db.example:5432/pmloop"


@pytest.fixture
def env(monkeypatch):
    for name in ("DATABASE_URL", "PMLOOP_PG_PREPARE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_postgres_binds_on_the_server_and_prepares_repeated_statements(env):
    env.setenv("DATABASE_URL", PG)
    db = pmloop_settings._database()
    assert db["ENGINE"] == "django.db.backends.postgresql" and db["NAME"] == "pmloop"
    assert db["OPTIONS"]["server_side_binding"] is True and db["OPTIONS"]["prepare_threshold"] == 5
    assert db["CONN_MAX_AGE"] == 60 and db["CONN_HEALTH_CHECKS"] is True


@pytest.mark.parametrize("off", ["0", "false", "no", "off"])
def test_preparing_can_be_turned_off_for_a_transaction_pooler(env, off):
    env.setenv("DATABASE_URL", PG)
    env.setenv("PMLOOP_PG_PREPARE", off)
    options = pmloop_settings._database()["OPTIONS"]
    assert "server_side_binding" not in options and "prepare_threshold" not in options


def test_sqlite_has_no_postgres_options(env):
    db = pmloop_settings._database()
    assert db["ENGINE"] == "pmloop.core.sqlite_backend"  # Django's, with the writer queue
    assert "server_side_binding" not in db["OPTIONS"] and db["CONN_MAX_AGE"] is None
