"""System endpoints: health (the benchmark floor) and version."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest
from ninja import Router, Schema

import pmloop
from pmloop.core.http import READ_ERRORS

router = Router(tags=["system"])


class HealthOut(Schema):
    ok: bool
    version: str
    database: str


def _health() -> dict:
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
        cur.fetchone()
    return {"ok": True, "version": pmloop.__version__, "database": connection.vendor}


@router.get(
    "/health", auth=None, response={200: HealthOut}, summary="Health check for load balancers (no login)"
)
def health(request: HttpRequest):
    return _health()


@router.get("/health/auth", response={200: HealthOut, **READ_ERRORS},
            summary="Authenticated health check: the cheapest authenticated call (the benchmark floor)")  # fmt: skip
def health_authenticated(request: HttpRequest):
    return _health()
