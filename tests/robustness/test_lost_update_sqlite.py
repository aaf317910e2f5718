"""No lost update on the SQLite file database, with two real processes.

The suite's own concurrent test (requirements/tests/test_api.py) runs on PostgreSQL only: the
SQLite test database is in memory with a shared cache, where a second writer fails at once
instead of waiting. Here the database is a real file in a temporary PMLOOP_HOME (WAL,
BEGIN IMMEDIATE, busy_timeout — the production settings), and two processes update the same
product naming the same version at the same instant. Each holds its write transaction open a
second longer (the operation-log write is slowed), so the two really overlap: one must win, the
other must wait for the lock, then see the new version and get Conflict ``stale_version``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest

from pmloop.cli.tests.conftest import subprocess_env

pytestmark = pytest.mark.slow

WRITER = textwrap.dedent(
    """
    import sys, time
    import django
    django.setup()
    from pmloop.accounts.models import User
    from pmloop.audit import services as audit
    from pmloop.core.actor import Actor
    from pmloop.core.errors import Conflict
    from pmloop.products import services
    from pmloop.products.models import Product

    name, go_at = sys.argv[1], float(sys.argv[2])
    original = audit.record

    def slow_record(*args, **kwargs):  # keeps the write transaction open: the other writer must wait
        entry = original(*args, **kwargs)
        time.sleep(1.0)
        return entry

    audit.record = slow_record
    actor = Actor(user=User.objects.get(username="root"), via="cli")
    product = Product.objects.get(code="IMSDK")
    version = product.version
    while time.time() < go_at:
        time.sleep(0.001)
    started = time.time()
    try:
        p = services.update_product(actor=actor, product_id=product.pk, expected_version=version,
                                    name=f"written by {name}")
        print("OK", version, p.version, round(time.time() - started, 2))
    except Conflict as exc:
        print("CONFLICT", exc.code, version, round(time.time() - started, 2))
    """
)


def test_two_processes_update_the_same_version_on_a_sqlite_file(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = subprocess_env(home)

    def pmloop(*args):
        res = subprocess.run([sys.executable, "-m", "pmloop", *args], env=env, capture_output=True, text=True,
                             timeout=240, stdin=subprocess.DEVNULL, check=False)  # fmt: skip
        assert res.returncode == 0, res.stdout + res.stderr
        return res.stdout

    pmloop("init", "--admin-user", "root", "--admin-password", "pw-Secret-123", "--no-input")
    pmloop("products", "create", "IMSDK", "IM SDK")
    go_at = time.time() + 6  # both processes are booted by then
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-c", WRITER, name, str(go_at)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    }
    out = {}
    for name, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr[-3000:]
        out[name] = stdout.split()
    assert time.time() > go_at, "a writer finished before the start signal"
    outcomes = sorted(o[0] for o in out.values())
    assert outcomes == ["CONFLICT", "OK"], out
    winner = next(n for n, o in out.items() if o[0] == "OK")
    loser = next(n for n, o in out.items() if o[0] == "CONFLICT")
    assert out[loser][1] == "stale_version"
    assert out[winner][1] == out[loser][2], "both read the same version before writing"
    assert float(out[loser][3]) >= 0.5, f"the loser did not wait for the winner's lock: {out}"

    import sqlite3

    conn = sqlite3.connect(home / "pmloop.sqlite3")
    name, version = conn.execute("SELECT name, version FROM products_product WHERE code = 'IMSDK'").fetchone()
    updates = conn.execute(
        "SELECT COUNT(*) FROM audit_auditentry WHERE action = 'products.updated'"
    ).fetchone()[0]
    conn.close()
    assert name == f"written by {winner}" and version == int(out[winner][2])
    assert updates == 1
    assert "OK" in pmloop("audit", "verify").upper()
