"""Profile one workload in-process against a seeded database (what bench/run serves).

    PMLOOP_HOME=/tmp/b100 .venv/bin/python bench/profile_workload.py /tmp/b100/seed.json get 200
    ... --sql        print each SQL statement of one request with its time instead
    ... --time       only the time: best and median of five batch means (no profile)

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
        batches = []  # five batches: the best and the median resist a busy neighbour on the machine
        for _ in range(5):
            t = time.perf_counter()
            for _ in range(max(1, n // 5)):
                call()
            batches.append((time.perf_counter() - t) / max(1, n // 5) * 1000)
        batches.sort()
        plain = batches[2]
        if "--time" in sys.argv:
            print(f"{name}: {batches[0]:.2f} ms best, {plain:.2f} ms median of 5 batches of {max(1, n // 5)}")
            return
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(n):
            call()
        prof.disable()
    print(f"{name}: {plain:.2f} ms per request in-process (median of 5 batch means, no profiler)")
    top = next((int(a) for a in sys.argv[4:] if a.isdigit()), 40)
    pstats.Stats(prof).sort_stats("cumulative").print_stats(top)


if __name__ == "__main__":
    main()
