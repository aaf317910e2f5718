"""In-process half of bench/run: picks ids for the workloads and counts SQL queries per request
with django.test.utils.CaptureQueriesContext over the same request through the test Client
against the same database. Prints JSON on stdout."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmloop.config.settings")
import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402

from pmloop.accounts.models import User  # noqa: E402
from pmloop.requirements.models import Requirement  # noqa: E402


def build_calls(seed: dict, workers: int) -> tuple[dict, dict, str, Client, int, int]:
    """The workloads as in-process calls through the test Client: (calls, ids, session cookie,
    api client, the draft and the staged requirement the update/stage calls use)."""
    p = seed["products"][0]
    pid, module = p["id"], p["modules"][0]
    rng_ids = list(Requirement.objects.order_by("?").values_list("pk", flat=True)[:2000])
    drafts = list(Requirement.objects.filter(status="draft").values_list("pk", flat=True)[: workers + 1])
    staged = list(Requirement.objects.filter(status="active", stage__in=["planned", "developing"])
                  .values_list("pk", flat=True)[: workers + 1])  # fmt: skip
    user = User.objects.get(username=seed["username"])
    ids = {"product": pid, "module": module, "get": rng_ids, "update": drafts[1:], "stage": staged[1:]}
    token = {"HTTP_AUTHORIZATION": f"Bearer {seed['token']}"}
    api, web = Client(**token), Client()
    web.force_login(user)
    session = web.cookies["sessionid"].value
    draft, staged_one = drafts[0], staged[0]

    def patch():
        v = api.get(f"/api/v1/requirements/{draft}").json()["version"]
        return api.patch(f"/api/v1/requirements/{draft}", {"version": v, "title": "改标题 probe"},
                         content_type="application/json")  # fmt: skip

    def stage():
        r = api.get(f"/api/v1/requirements/{staged_one}").json()
        to = "developing" if r["stage"] == "planned" else "planned"
        return api.post(f"/api/v1/requirements/{staged_one}/stage", {"version": r["version"], "stage": to, "note": "bench"},
                        content_type="application/json")  # fmt: skip

    calls = {
        "floor": lambda: api.get("/api/v1/health/auth"),
        "get": lambda: api.get(f"/api/v1/requirements/{rng_ids[0]}"),
        "list": lambda: api.get(f"/api/v1/requirements?product_id={pid}&status=active&page_size=50"),
        "list_module": lambda: api.get(f"/api/v1/requirements?product_id={pid}&module_id={module}&page_size=50"),
        "search_zh": lambda: api.get("/api/v1/requirements?q=权限&page_size=50"),
        "search_en": lambda: api.get("/api/v1/requirements?q=export&page_size=50"),
        "create": lambda: api.post("/api/v1/requirements", {"product_id": pid, "title": "新需求 probe",
                                   "module_id": module}, content_type="application/json"),
        "update": patch,
        "stage": stage,
        "page_list": lambda: web.get(f"/requirements/product/{pid}/?status=active"),
        "page_detail": lambda: web.get(f"/requirements/{rng_ids[0]}/"),
        "page_search": lambda: web.get(f"/requirements/product/{pid}/?q=权限"),
        "page_pool_search": lambda: web.get(f"/pool/?product={pid}&q=权限"),
    }  # fmt: skip
    for n in (10, 50, 200):
        calls[f"list_page_size_{n}"] = lambda n=n: api.get(
            f"/api/v1/requirements?product_id={pid}&status=active&page_size={n}"
        )
    return calls, ids, session, api, draft, staged_one


def main() -> None:
    seed = json.loads(Path(sys.argv[1]).read_text())
    workers = int(sys.argv[2])
    with override_settings(ALLOWED_HOSTS=["*"]):
        calls, ids, session, api, draft, staged_one = build_calls(seed, workers)
        queries, status = {}, {}
        for name, call in calls.items():
            call()  # warm caches (first-request imports, translations)
            pre = 0
            if name in ("update", "stage"):  # these read the version first: count the write only
                with CaptureQueriesContext(connection) as pre_ctx:
                    api.get(f"/api/v1/requirements/{draft if name == 'update' else staged_one}")
                pre = len(pre_ctx.captured_queries)
            with CaptureQueriesContext(connection) as ctx:
                resp = call()
            queries[name] = len(ctx.captured_queries) - pre
            status[name] = resp.status_code
    print(json.dumps({"ids": ids, "session": session, "queries": queries, "status": status}))


if __name__ == "__main__":
    main()
