"""Profile one workload in-process against a seeded database (what bench/run serves).

    PMLOOP_HOME=/tmp/b100 .venv/bin/python bench/profile_workload.py /tmp/b100/seed.json get 200
    ... --sql        print each SQL statement of one request with its time instead

Prints the mean time per request through the Django test Client (no server, no network) and
the top functions by cumulative time (cProfile). The SQL listing shows where the database time
goes; the profile shows where Python's goes.
"""

from __future__ import annotations

import cProfile
import json
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from probe import build_calls


def main() -> None:
    seed = json.loads(Path(sys.argv[1]).read_text())
    name, n = sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 100
    with override_settings(ALLOWED_HOSTS=["*"], DEBUG=False):
        calls = build_calls(seed, 2)[0]
        call = calls[name]
        for _ in range(5):
            assert call().status_code < 400, call().content[:300]
        if "--sql" in sys.argv:
            with CaptureQueriesContext(connection) as ctx:
                call()
            for q in ctx.captured_queries:
                print(f"{float(q['time']) * 1000:8.2f} ms  {q['sql'][:600]}")
            return
        t = time.perf_counter()
        for _ in range(n):
            call()
        plain = (time.perf_counter() - t) / n * 1000
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(n):
            call()
        prof.disable()
    print(f"{name}: {plain:.2f} ms per request in-process (mean of {n}, no profiler)")
    pstats.Stats(prof).sort_stats("cumulative").print_stats(int(dict(enumerate(sys.argv)).get(4, 40)))


if __name__ == "__main__":
    main()
