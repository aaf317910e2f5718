"""`pmloop serve` runs granian for real: it migrates, listens, and answers."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from pmloop.cli.tests.conftest import subprocess_env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310  (a local http URL)
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.mark.slow
def test_serve_answers_health(tmp_path):
    port = _free_port()
    log = (tmp_path / "serve.log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "pmloop", "serve", "--port", str(port), "--workers", "1", "--threads", "2"],
        env=subprocess_env(tmp_path),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        status, body = None, b""
        while time.monotonic() < deadline:
            assert proc.poll() is None, (
                f"serve exited {proc.returncode}: {(tmp_path / 'serve.log').read_text()}"
            )
            try:
                status, body = _get(f"http://127.0.0.1:{port}/api/v1/health")
                break
            except (ConnectionError, urllib.error.URLError, TimeoutError):
                time.sleep(0.3)
        assert status is not None, f"no answer within 90 s: {(tmp_path / 'serve.log').read_text()}"
        assert status == 200, f"{status} {body!r}\n{(tmp_path / 'serve.log').read_text()[-3000:]}"
        assert b'"ok": true' in body or b'"ok":true' in body
        login_status, _ = _get(f"http://127.0.0.1:{port}/accounts/login/")
        assert login_status == 200
        # Idle keep-alive connections (a browser keeps up to six per site) must not take the
        # server's request slots: with granian's backpressure tied to the 2 threads, the third
        # connection waited for one of these to close.
        idle = []
        for _ in range(12):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/health")
            assert conn.getresponse().read() and conn.sock is not None  # answered, kept open
            idle.append(conn)
        status, _ = _get(f"http://127.0.0.1:{port}/api/v1/health")
        assert status == 200
        for conn in idle:
            conn.close()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        log.close()
    assert (tmp_path / "pmloop.sqlite3").is_file()  # migrated before serving
