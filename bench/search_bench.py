"""Search benchmark: index 100k generated short zh/en texts, then time queries.

    .venv/bin/python bench/search_bench.py                 # SQLite and PostgreSQL, 100k documents
    .venv/bin/python bench/search_bench.py --docs 20000 --backends sqlite

Each backend runs in its own process against a scratch database (a temporary SQLite file; the
PostgreSQL database ``pmloop_bench_search``, dropped and re-created, at $BENCH_PG_URL or
postgres://postgres@127.0.0.1:5432/postgres). Texts are generated from a fixed seed, so both
backends index the same documents; the script checks that they find the same number of hits.
Figures go to bench/results/search.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "search.json"
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PG_DB = "pmloop_bench_search"
SEED = 20261121
PRODUCTS = 10

ZH = [
    "用户",
    "需要",
    "支持",
    "群组",
    "消息",
    "撤回",
    "推送",
    "配置",
    "角色",
    "管理员",
    "审批",
    "报表",
    "导出",
    "登录",
    "单点登录",
    "接口",
    "性能",
    "延迟",
    "离线",
    "同步",
    "客户",
    "反馈",
    "文件",
    "上传",
    "下载",
    "通知",
    "搜索",
    "标签",
    "成员",
    "上限",
    "会话",
    "已读",
    "回执",
    "音视频",
    "通话",
    "录制",
    "存储",
    "加密",
    "审计",
    "日志",
    "统计",
    "看板",
    "租户",
    "计费",
    "套餐",
    "网关",
    "限流",
    "告警",
    "监控",
    "部署",
    "私有化",
    "集成",
    "机器人",
    "表情",
    "翻译",
    "敏感词",
    "过滤",
    "历史",
    "漫游",
    "好友",
    "黑名单",
    "在线",
    "状态",
    "设备",
    "多端",
    "弱网",
    "重连",
    "安卓",
    "苹果",
    "小程序",
    "网页",
    "版本",
    "升级",
    "兼容",
    "迁移",
    "数据",
    "备份",
    "恢复",
]
ZH_GLUE = ["的", "了", "和", "与", "在", "时", "后", "可以", "希望", "无法", "偶尔", "经常", "以及"]
EN = [
    "user",
    "users",
    "need",
    "support",
    "group",
    "groups",
    "message",
    "messages",
    "recall",
    "push",
    "config",
    "role",
    "admin",
    "approval",
    "report",
    "export",
    "login",
    "sso",
    "api",
    "performance",
    "latency",
    "offline",
    "sync",
    "customer",
    "feedback",
    "file",
    "upload",
    "download",
    "notify",
    "search",
    "tag",
    "member",
    "limit",
    "session",
    "read",
    "receipt",
    "call",
    "record",
    "storage",
    "encrypt",
    "audit",
    "log",
    "dashboard",
    "tenant",
    "billing",
    "plan",
    "gateway",
    "throttle",
    "alert",
    "monitor",
    "deploy",
    "private",
    "integration",
    "bot",
    "emoji",
    "translate",
    "filter",
    "history",
    "roaming",
    "friend",
    "block",
    "online",
    "status",
    "device",
    "retry",
    "android",
    "ios",
    "web",
    "version",
    "upgrade",
    "migrate",
    "data",
]
EN_GLUE = [
    "the",
    "a",
    "to",
    "for",
    "when",
    "after",
    "can",
    "should",
    "cannot",
    "sometimes",
    "often",
    "and",
    "with",
    "of",
    "in",
]


def generate(n: int) -> list[tuple[int, int, str, str]]:
    """(object_id, product_index, title, text). 权限 in ~1 % of texts, permission(s) in ~1 %."""
    rnd = random.Random(SEED)
    docs = []
    for i in range(1, n + 1):
        lang = rnd.random()
        if lang < 0.5:  # Chinese
            words = [
                rnd.choice(ZH) if rnd.random() < 0.7 else rnd.choice(ZH_GLUE)
                for _ in range(rnd.randint(6, 18))
            ]
            if rnd.random() < 0.01:
                words.insert(rnd.randrange(len(words) + 1), "权限")
            body = "".join(words) + rnd.choice("。！，")
        elif lang < 0.8:  # English
            words = [
                rnd.choice(EN) if rnd.random() < 0.7 else rnd.choice(EN_GLUE)
                for _ in range(rnd.randint(5, 14))
            ]
            if rnd.random() < 0.01:
                words.insert(
                    rnd.randrange(len(words) + 1), rnd.choice(["permission", "permissions", "Permission"])
                )
            body = " ".join(words).capitalize() + "."
        else:  # mixed
            words = [
                rnd.choice(ZH) if rnd.random() < 0.6 else " " + rnd.choice(EN) + " "
                for _ in range(rnd.randint(5, 14))
            ]
            if rnd.random() < 0.01:
                words.insert(rnd.randrange(len(words) + 1), "权限")
            if rnd.random() < 0.01:
                words.insert(rnd.randrange(len(words) + 1), " permission ")
            body = "".join(words).strip() + f" #{rnd.randint(1, 9999)}"
        title = body[:24]
        docs.append((i, rnd.randrange(PRODUCTS), title, body))
    return docs


QUERIES = {
    "zh 2-char word, rare: 权限": "权限",
    "en word, rare: permission": "permission",
    "zh 2-char word, common: 消息": "消息",
    "en word, common: message": "message",
    "zh two words: 群组 消息": "群组 消息",
    "mixed: ios 推送": "ios 推送",
    "zh 1 char (prefix): 群": "群",
}


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def ms(values: list[float]) -> dict:
    return {
        "p50_ms": round(pct(values, 0.5) * 1e3, 3),
        "p95_ms": round(pct(values, 0.95) * 1e3, 3),
        "max_ms": round(max(values) * 1e3, 3),
    }


def run_backend(backend: str, n: int, repeats: int) -> dict:
    """In a child process: set up Django on a scratch database, index, query."""
    home = tempfile.mkdtemp(prefix="pmloop-search-bench-")
    os.environ["PMLOOP_HOME"] = home
    os.environ["DJANGO_SETTINGS_MODULE"] = "pmloop.config.settings"
    os.environ["PMLOOP_WARM_JIEBA"] = "1"
    if backend == "postgresql":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{PG_DB}"')
        os.environ["DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_DB
    else:
        os.environ.pop("DATABASE_URL", None)

    started = time.perf_counter()
    import django

    django.setup()
    setup_s = time.perf_counter() - started

    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    call_command("migrate", verbosity=0)

    from pmloop.accounts.models import User
    from pmloop.core import text
    from pmloop.products.models import Product
    from pmloop.search import selectors, services

    owner = User.objects.create(username="bench-owner")
    products = [
        Product.objects.create(code=f"P{i:02d}", name=f"Product {i}", owner=owner) for i in range(PRODUCTS)
    ]
    docs = generate(n)

    # bulk_index = tokenise every document, then upsert batches of rows. Timed apart here
    # (the same two steps services.bulk_index runs, through its own helpers).
    now = timezone.now()
    t = time.perf_counter()
    rows = [
        services._row(services.Doc("requirement", oid, products[p].pk, title, body), now)
        for oid, p, title, body in docs
    ]
    tokenise_s = time.perf_counter() - t
    t = time.perf_counter()
    with transaction.atomic():
        for k in range(0, len(rows), 1000):
            services._upsert(rows[k : k + 1000])
    write_s = time.perf_counter() - t
    bulk_s = tokenise_s + write_s
    if backend == "postgresql":
        with connection.cursor() as c:
            c.execute("VACUUM ANALYZE search_searchdocument")
    else:
        with connection.cursor() as c:
            c.execute("ANALYZE")
            c.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")

    # One document at a time, each in its own transaction: what a service pays per save.
    single = []
    rnd = random.Random(SEED + 1)
    for k in range(200):
        oid, p, title, body = docs[rnd.randrange(len(docs))]
        t = time.perf_counter()
        with transaction.atomic():
            services.index_document(
                kind="requirement",
                object_id=oid,
                product_id=products[p].pk,
                title=title,
                text=body + f" 修改{k}",
            )
        single.append(time.perf_counter() - t)

    visible = {products[i].pk for i in (0, 3, 7)}  # a member of 3 of the 10 products
    queries = {}
    for label, q in QUERIES.items():
        count_all = selectors.matching_documents(q=q, product_ids=None).count()
        for scope, ids in (("all_products", None), ("3_of_10_products", visible)):
            selectors.search(q=q, product_ids=ids)  # warm the cache
            times = []
            for _ in range(repeats):
                t = time.perf_counter()
                hits = selectors.search(q=q, product_ids=ids, limit=50)
                times.append(time.perf_counter() - t)
            queries[f"{label} / {scope}"] = {**ms(times), "hits_total": count_all if ids is None else None}
            if ids is not None:
                queries[f"{label} / {scope}"]["hits_total"] = selectors.matching_documents(
                    q=q, product_ids=ids
                ).count()
            queries[f"{label} / {scope}"]["first_page"] = len(hits)
        # matching_ids inside another query (a list page filtering by text + product)
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            list(
                Product.objects.filter(
                    pk__in=selectors.matching_documents(q=q, product_ids=visible).values("product_id")
                ).values_list("pk", flat=True)
            )
            times.append(time.perf_counter() - t)
        queries[f"{label} / matching subquery in another query"] = ms(times)

    if backend == "postgresql":
        with connection.cursor() as c:
            c.execute(
                "SELECT pg_total_relation_size('search_searchdocument'), pg_relation_size('search_doc_tsv_gin')"
            )
            total, gin = c.fetchone()
        size = {"table_with_indexes_mb": round(total / 2**20, 1), "gin_index_mb": round(gin / 2**20, 1)}
        with connection.cursor() as c:
            sql, params = __import__("pmloop.search.fulltext", fromlist=["x"]).ranked_sql(
                "postgresql",
                terms=["权限"],
                product_ids=sorted(visible),
                kinds=["requirement"],
                limit=50,
                offset=0,
            )
            c.execute("EXPLAIN " + sql, params)
            plan = [r[0] for r in c.fetchall()]
    else:
        connection.close()
        path = Path(home) / "pmloop.sqlite3"
        size = {
            "database_file_mb": round(
                sum(f.stat().st_size for f in Path(home).glob("pmloop.sqlite3*")) / 2**20, 1
            )
        }
        import sqlite3

        raw = sqlite3.connect(path)
        fts_pages = (
            raw.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'search_fts%'").fetchone()[0]
            if raw.execute("SELECT 1 FROM pragma_module_list WHERE name='dbstat'").fetchone()
            else None
        )
        raw.close()
        if fts_pages:
            size["fts_tables_mb"] = round(fts_pages / 2**20, 1)
        plan = None

    avg_terms = statistics.mean(len(text.index_terms(body)) for _, _, _, body in docs[:2000])
    return {
        "backend": backend,
        "server_version": connection.cursor().connection.info.server_version
        if backend == "postgresql"
        else __import__("sqlite3").sqlite_version,
        "documents": n,
        "django_setup_s_with_jieba_warm_up": round(setup_s, 2),
        "avg_terms_per_doc": round(avg_terms, 1),
        "bulk_index": {
            "tokenise_s": round(tokenise_s, 2),
            "tokenise_ms_per_doc": round(tokenise_s / n * 1e3, 3),
            "write_s": round(write_s, 2),
            "write_docs_per_s": round(n / write_s),
            "total_s": round(bulk_s, 2),
            "total_docs_per_s": round(n / bulk_s),
        },
        "index_document_single_upsert_in_own_transaction": ms(single),
        "queries": queries,
        "size": size,
        "plan_zh_rare_3_products": plan,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=100)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(run_backend(args.child, args.docs, args.repeats), ensure_ascii=False))
        return

    # jieba start-up cost, measured in a fresh process
    code = (
        "import time; t=time.perf_counter(); from pmloop.core import text; t1=time.perf_counter(); "
        "text.warm_up(); t2=time.perf_counter(); text.tokens('需要按角色配置群组的权限'); "
        "print(round(t1-t,3), round(t2-t1,3))"
    )
    import_s, warm_s = map(float, subprocess.check_output([sys.executable, "-c", code], text=True).split())

    out = {
        "what": "pmloop search benchmark (bench/search_bench.py)",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_1_5_15_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "seed": SEED,
        "jieba": {"import_core_text_s": import_s, "warm_up_s": warm_s},
        "backends": {},
    }
    for backend in args.backends.split(","):
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                backend,
                "--docs",
                str(args.docs),
                "--repeats",
                str(args.repeats),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode:
            sys.stderr.write(proc.stderr)
            raise SystemExit(f"{backend} run failed")
        out["backends"][backend] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{backend}: done", file=sys.stderr)

    out["machine"]["load_average_1_5_15_at_end"] = [round(x, 2) for x in os.getloadavg()]
    b = out["backends"]
    if "sqlite" in b and "postgresql" in b:
        out["same_hit_counts_on_both"] = all(
            b["sqlite"]["queries"][k].get("hits_total") == b["postgresql"]["queries"][k].get("hits_total")
            for k in b["sqlite"]["queries"]
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
