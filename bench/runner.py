"""bench/run: seed a scratch database, serve it with `pmloop serve --workers 2`, drive fixed
request counts at each workload from this process (httpx + asyncio), and write
bench/results/<stamp>.json, bench/results/latest.{json,md,svg}."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
PMLOOP = str(ROOT / ".venv" / "bin" / "pmloop")
PY = str(ROOT / ".venv" / "bin" / "python")
PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
API_WORKLOADS = ["floor", "get", "list", "list_module", "search_zh", "search_en", "create", "update", "stage"]
PAGE_WORKLOADS = ["page_list", "page_detail", "page_search", "page_pool_search"]
WORKLOADS = set(API_WORKLOADS + PAGE_WORKLOADS)  # --workloads narrows it (floor always runs)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * len(values) + 0.5) - 1))
    return values[k]


def cpu_calibration_ms() -> float:
    """Best of three: a fixed pure-Python loop (10 million additions). The same code measures
    differently on a slower or busier machine; this figure says how fast this one was."""
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        total = 0
        for i in range(10_000_000):
            total += i
        best = min(best, time.perf_counter() - t)
    return round(best * 1000, 1)


def pg_roundtrip_ms() -> float | None:
    """Median of 500 ``SELECT 1`` on one connection: the floor of every PostgreSQL query here."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN) as c:
            times = []
            for _ in range(500):
                t = time.perf_counter()
                c.execute("SELECT 1").fetchone()
                times.append((time.perf_counter() - t) * 1000)
        return round(statistics.median(times), 3)
    except Exception:
        return None


def machine() -> dict:
    mem = next(
        (
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        "0",
    )
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "",
    )
    pg = ""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN) as c:
            pg = c.execute("SHOW server_version").fetchone()[0]
    except Exception as exc:
        pg = f"unavailable: {exc.__class__.__name__}"
    return {"cpu": cpu, "cpus": os.cpu_count(), "memory_mb": int(mem) // 1024, "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "postgresql": pg, "platform": platform.platform(),
            "loadavg_start": open("/proc/loadavg").read().split()[:3],
            "python_loop_10m_ms": cpu_calibration_ms(), "pg_select1_ms": pg_roundtrip_ms()}  # fmt: skip


def _tree(pid: int) -> list[int]:
    """The process and all its descendants (granian main + workers)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                todo += [int(c) for c in Path(f"/proc/{p}/task/{t}/children").read_text().split()]
        except OSError:
            pass
    return found


def rss_mb(pid: int) -> float:
    """RSS of the server process and all its descendants (granian main + workers)."""
    total = 0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return round(total / 1024, 1)


def cpu_seconds(pid: int) -> dict[int, float]:
    """User + system CPU seconds of each process of the server (granian main + workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for p in _tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            out[p] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime (fields 14, 15)
        except (OSError, IndexError, ValueError):
            pass
    return out


def cpu_split(before: dict[int, float], after: dict[int, float]) -> list[float]:
    """Each busy process's share of the server CPU spent between two readings, largest first:
    [0.5, 0.5] = both workers shared the load; [1.0, 0.0] = one worker served every request
    (granian's workers share one socket, and keep-alive clients stay where they landed)."""
    spent = [after[p] - before.get(p, 0.0) for p in after]
    total = sum(spent)
    return sorted((round(x / total, 2) for x in spent if x > 0), reverse=True) if total else []


def prepare_db(db: str, scale: int, home: Path) -> dict:
    env = dict(os.environ, PMLOOP_HOME=str(home), PYTHONUNBUFFERED="1")
    env.pop("DATABASE_URL", None)
    if db == "postgres":
        import psycopg

        name = f"pmloop_bench_{scale}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            c.execute(f"CREATE DATABASE {name}")
        env["DATABASE_URL"] = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    return env


def sh(cmd: list[str], env: dict, **kw) -> str:
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, **kw)
    if out.returncode:
        raise RuntimeError(f"{cmd} failed: {out.stderr[-2000:]}")
    return out.stdout


async def drive(name: str, base: str, n: int, conc: int, ctx: dict, *, warm: int = 0,
                server_pid: int | None = None) -> tuple[list[float], float, int, dict]:  # fmt: skip
    """``warm`` requests, then ``n`` measured ones, from ``conc`` keep-alive clients; returns the
    latencies (ms), the wall time of the measured run, its error count and how the server's
    processes shared its CPU (``server_pid``: the server's main process)."""
    import httpx

    ids, token, session = ctx["ids"], ctx["token"], ctx["session"]
    pid, module = ids["product"], ids["module"]
    getter = itertools.cycle(ids["get"])
    headers = {"Authorization": f"Bearer {token}"}
    lat: list[float] = []
    errors = []
    counter = itertools.count()

    async def one(client: httpx.AsyncClient, slot: dict) -> None:
        i = next(counter)
        if name == "floor":
            req = client.build_request("GET", "/api/v1/health/auth")
        elif name == "get":
            req = client.build_request("GET", f"/api/v1/requirements/{next(getter)}")
        elif name == "list":
            st = ["active", "draft", "reviewing", "closed"][i % 4]
            req = client.build_request(
                "GET", f"/api/v1/requirements?product_id={pid}&status={st}&page_size=50"
            )
        elif name == "list_module":
            req = client.build_request(
                "GET", f"/api/v1/requirements?product_id={pid}&module_id={module}&page_size=50"
            )
        elif name == "search_zh":
            req = client.build_request("GET", "/api/v1/requirements?q=权限&page_size=50")
        elif name == "search_en":
            req = client.build_request("GET", "/api/v1/requirements?q=export&page_size=50")
        elif name == "create":
            req = client.build_request(
                "POST",
                "/api/v1/requirements",
                json={"product_id": pid, "title": f"压测需求 bench {i}", "module_id": module},
            )
        elif name == "update":
            req = client.build_request(
                "PATCH",
                f"/api/v1/requirements/{slot['id']}",
                json={"version": slot["version"], "title": f"修改标题 bench {i}"},
            )
        elif name == "stage":
            to = "developing" if slot["stage"] == "planned" else "planned"
            req = client.build_request(
                "POST",
                f"/api/v1/requirements/{slot['id']}/stage",
                json={"version": slot["version"], "stage": to, "note": "bench"},
            )
        elif name == "page_list":
            req = client.build_request("GET", f"/requirements/product/{pid}/?status=active")
        elif name == "page_detail":
            req = client.build_request("GET", f"/requirements/{next(getter)}/")
        elif name == "page_search":  # a search inside the requirement list: rows, count, status tabs
            req = client.build_request("GET", f"/requirements/product/{pid}/?q=权限")
        elif name == "page_pool_search":
            req = client.build_request("GET", f"/pool/?product={pid}&q=权限")
        t = time.perf_counter()
        resp = await client.send(req)
        lat.append((time.perf_counter() - t) * 1000)
        if resp.status_code >= 400:
            errors.append(f"{resp.status_code} {resp.text[:200]}")
        elif name in ("update", "stage"):
            body = resp.json()
            slot["version"], slot["stage"] = body["version"], body["stage"]

    async def open_clients() -> list[tuple[httpx.AsyncClient, dict]]:
        cookies = {"sessionid": session} if name.startswith("page") else None
        opened = []
        for k in range(conc):
            client = httpx.AsyncClient(base_url=base, headers=None if cookies else headers, cookies=cookies,
                                       timeout=30)  # fmt: skip
            slot = {}
            if name in ("update", "stage"):  # each client owns one requirement: versions never clash
                rid = ids[name][k]
                body = (await client.get(f"/api/v1/requirements/{rid}")).json()
                slot = {"id": rid, "version": body["version"], "stage": body["stage"]}
            opened.append((client, slot))
        return opened

    async def run(clients, total: int) -> float:
        per = [total // conc + (1 if k < total % conc else 0) for k in range(conc)]

        async def worker(client, slot, quota: int) -> None:
            for _ in range(quota):
                await one(client, slot)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(c, slot, q) for (c, slot), q in zip(clients, per, strict=True)))
        return time.perf_counter() - t0

    # granian's workers share one socket and a keep-alive connection stays with the worker that
    # accepted it, so two clients can both land on one worker (granian issue #849) and the run
    # would measure that worker's GIL, not pmloop. The warm-up shows where they landed: until
    # the busiest process did at most 75 % of the work, reconnect (at most 5 tries; the split
    # of the measured run is recorded either way).
    for attempt in range(5):
        clients = await open_clients()
        before = cpu_seconds(server_pid) if server_pid else {}
        await run(clients, warm)
        lat.clear()
        errors.clear()
        split = cpu_split(before, cpu_seconds(server_pid)) if server_pid else []
        if conc < 2 or not split or split[0] <= 0.75 or attempt == 4:
            break
        for c, _slot in clients:
            await c.aclose()
    before = cpu_seconds(server_pid) if server_pid else {}
    wall = await run(clients, n)
    split = cpu_split(before, cpu_seconds(server_pid)) if server_pid else []
    for c, _slot in clients:
        await c.aclose()
    if errors:
        print(f"  {name}: {len(errors)} errors, first: {errors[0]}", file=sys.stderr)
    return lat, wall, len(errors), {"server_cpu_split": split, "connect_tries": attempt + 1}


def run_scale(db: str, scale: int, pool: int, requests: int, conc: int, log) -> dict:
    home = Path(tempfile.mkdtemp(prefix=f"pmloop-bench-{db}-"))
    server = None
    try:
        env = prepare_db(db, scale, home)
        sh([PMLOOP, "init", "--no-input"], env)
        t = time.perf_counter()
        sh([PMLOOP, "bench", "seed", "--requirements", str(scale), "--pool", str(pool), "--output",
            str(home / "seed.json")], env)  # fmt: skip
        seed = json.loads((home / "seed.json").read_text())
        log(f"[{db} {scale}] seeded {seed['total_rows']} rows in {time.perf_counter() - t:.0f} s "
            f"({seed['rows_per_second']} rows/s)")  # fmt: skip
        probe = json.loads(sh([PY, str(HERE / "probe.py"), str(home / "seed.json"), str(conc)], env))
        log(f"[{db} {scale}] queries per request: {probe['queries']}")
        port = free_port()
        server = subprocess.Popen([PMLOOP, "serve", "--workers", "2", "--port", str(port), "--no-migrate"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        import httpx

        for _ in range(200):
            try:
                if httpx.get(base + "/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        ctx = {"ids": probe["ids"], "token": seed["token"], "session": probe["session"]}
        figures = {}
        for name in [w for w in API_WORKLOADS + PAGE_WORKLOADS if w in WORKLOADS]:
            lat, wall, errors, spread = asyncio.run(drive(name, base, requests, conc, ctx,
                                                          warm=max(conc * 2, requests // 10), server_pid=server.pid))  # fmt: skip
            figures[name] = {
                "requests": len(lat), "errors": errors, "rps": round(len(lat) / wall, 1),
                "p50_ms": round(statistics.median(lat), 2), "p95_ms": round(pct(lat, 95), 2),
                "p99_ms": round(pct(lat, 99), 2), "queries": probe["queries"].get(name),
                "rss_mb": rss_mb(server.pid), **spread,
            }  # fmt: skip
            log(f"[{db} {scale}] {name}: {figures[name]}")
        floor = figures["floor"]["p95_ms"]
        for f in figures.values():
            f["ratio_to_floor_p95"] = round(f["p95_ms"] / floor, 2) if floor else None
        return {"db": db, "requirements": scale, "pool_items": pool, "seed": {k: v for k, v in seed.items()
                if k not in ("token", "password")}, "workloads": figures,
                "queries_by_page_size": {n: probe["queries"][f"list_page_size_{n}"] for n in (10, 50, 200)},
                "loadavg": open("/proc/loadavg").read().split()[:3]}  # fmt: skip
    finally:
        if server is not None:
            try:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(server.pid, signal.SIGKILL)
        shutil.rmtree(home, ignore_errors=True)


def markdown(doc: dict) -> str:
    lines = [f"# pmloop request-path benchmark — {doc['started']}", "",
             f"commit `{doc['commit'][:10]}` · {doc['machine']['cpus']} CPUs ({doc['machine']['cpu']}) · "
             f"{doc['machine']['memory_mb']} MB · Python {doc['machine']['python']} · SQLite {doc['machine']['sqlite']} · "
             f"PostgreSQL {doc['machine']['postgresql']} · load average at start {' '.join(doc['machine']['loadavg_start'])} · "
             f"{doc['requests']} requests per workload, {doc['concurrency']} concurrent"
             + (f" · CPU calibration: 10M Python additions in {doc['machine']['python_loop_10m_ms']} ms, "
                f"PostgreSQL SELECT 1 round trip {doc['machine'].get('pg_select1_ms')} ms"
                if "python_loop_10m_ms" in doc["machine"] else "")
             + (" (merged runs: each section names its own commit and request count)" if doc.get("merged_from") else ""),
             ""]  # fmt: skip
    for run in doc["runs"]:
        s = run["seed"]
        lines += [f"## {run['db']}, {run['requirements']:,} requirements, {run['pool_items']:,} pool items", "",
                  f"Seeded {s['total_rows']:,} rows in {s['total_seconds']} s ({s['rows_per_second']:,} rows/s). "
                  f"SQL queries per list request at page_size 10 / 50 / 200: "
                  f"{' / '.join(str(v) for v in run['queries_by_page_size'].values())}. "
                  f"Load average after: {' '.join(run['loadavg'])}."
                  + (f" Run {run['started']}, commit `{run['commit'][:10]}`, {run['requests']} requests per workload."
                     if "commit" in run else ""), "",
                  "| workload | req/s | p50 ms | p95 ms | p99 ms | × floor (p95) | SQL queries | server RSS MB | errors | server CPU split |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]  # fmt: skip
        for name, f in run["workloads"].items():
            lines.append(f"| {name} | {f['rps']} | {f['p50_ms']} | {f['p95_ms']} | {f['p99_ms']} | "
                         f"{f['ratio_to_floor_p95']} | {f['queries']} | {f['rss_mb']} | {f['errors']} | "
                         f"{' / '.join(str(x) for x in f.get('server_cpu_split', [])) or '—'} |")  # fmt: skip
        lines.append("")
    return "\n".join(lines) + "\n"


def svg(doc: dict) -> str:
    """Grouped horizontal bars: p95 per workload, one bar per (db, scale) run. No dependencies."""
    runs = doc["runs"]
    names = list(runs[0]["workloads"]) if runs else []
    colours = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#9d755d", "#bab0ac"]
    top = max((f["p95_ms"] for r in runs for f in r["workloads"].values()), default=1) or 1
    bar, gap, left, width = 10, 10, 110, 520
    height = 40 + len(names) * (len(runs) * bar + gap) + 20 * len(runs)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 80}" height="{height}" '
           'font-family="sans-serif" font-size="11">',
           f'<text x="10" y="16" font-size="13">p95 latency (ms) by workload — '
           f'{"merged runs, commit per run below" if doc.get("merged_from") else "commit " + doc["commit"][:10]}</text>']  # fmt: skip
    y = 30
    for name in names:
        out.append(f'<text x="{left - 6}" y="{y + len(runs) * bar / 2 + 4}" text-anchor="end">{name}</text>')
        for i, r in enumerate(runs):
            if name not in r["workloads"]:  # a run of a subset (--workloads)
                y += bar
                continue
            v = r["workloads"][name]["p95_ms"]
            w = max(1, v / top * width)
            out.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar - 1}" fill="{colours[i % len(colours)]}"/>'
                       f'<text x="{left + w + 4:.1f}" y="{y + bar - 2}" font-size="9">{v}</text>')  # fmt: skip
            y += bar
        y += gap
    for i, r in enumerate(runs):
        run_of = f" · commit {r['commit'][:7]} · {r['started']}" if "commit" in r else ""
        out.append(f'<rect x="{left}" y="{y + 20 * i}" width="12" height="12" fill="{colours[i % len(colours)]}"/>'
                   f'<text x="{left + 18}" y="{y + 20 * i + 10}">{r["db"]} {r["requirements"]:,} requirements{run_of}</text>')  # fmt: skip
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="~2-minute smoke: 2,000 requirements on SQLite")
    ap.add_argument("--scales", default="10000,100000")
    ap.add_argument("--dbs", default="sqlite,postgres")
    ap.add_argument("--pool", type=int, default=None, help="pool items (default: 2 × requirements)")
    ap.add_argument("--requests", type=int, default=400, help="measured requests per workload")
    ap.add_argument(
        "--concurrency", type=int, default=2, help="clients in flight (2 = one per server worker)"
    )
    ap.add_argument("--out", default=None, help="results name (default: a UTC time stamp)")
    ap.add_argument(
        "--merge",
        nargs="+",
        metavar="JSON",
        help="only combine the runs of earlier result files into latest.{json,md,svg}",
    )
    ap.add_argument("--workloads", default="", help="comma-separated subset (the floor always runs)")
    a = ap.parse_args()
    try:
        import httpx  # noqa: F401 (the load generator; checked before minutes of seeding)
    except ImportError:
        sys.exit("bench/run needs httpx: .venv/bin/pip install -e '.[bench]'")
    if a.workloads:
        WORKLOADS.intersection_update({"floor", *a.workloads.split(",")})
    if a.merge:
        docs = [json.loads(Path(f).read_text()) for f in a.merge]
        runs = [dict(r, commit=r.get("commit", d["commit"]), requests=r.get("requests", d["requests"]),
                     started=r.get("started", d["started"])) for d in docs for r in d["runs"]]  # fmt: skip
        doc = dict(docs[-1], runs=runs, merged_from=[Path(f).name for f in a.merge])
        text = json.dumps(doc, ensure_ascii=False, indent=1)
        (RESULTS / "latest.json").write_text(text)
        (RESULTS / "latest.md").write_text(markdown(doc))
        (RESULTS / "latest.svg").write_text(svg(doc))
        print(markdown(doc))
        return
    if a.quick:
        a.scales, a.dbs, a.requests = "2000", "sqlite", 100
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    doc = {"started": started, "commit": commit, "machine": machine(), "requests": a.requests,
           "concurrency": a.concurrency, "server": "pmloop serve --workers 2 (granian, 4 threads each)", "runs": []}  # fmt: skip
    RESULTS.mkdir(exist_ok=True)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    def save() -> None:
        stamp = a.out or started.replace(":", "")
        text = json.dumps(doc, ensure_ascii=False, indent=1)
        (RESULTS / f"requests-{stamp}.json").write_text(text)
        (RESULTS / "latest.json").write_text(text)
        (RESULTS / "latest.md").write_text(markdown(doc))
        (RESULTS / "latest.svg").write_text(svg(doc))

    for scale in [int(s) for s in a.scales.split(",")]:
        for db in a.dbs.split(","):
            pool = a.pool if a.pool is not None else 2 * scale
            doc["runs"].append(run_scale(db, scale, pool, a.requests, a.concurrency, log))
            save()  # keep what is measured even if a later run is interrupted
    print(markdown(doc))


if __name__ == "__main__":
    main()
