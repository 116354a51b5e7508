"""Liveness and readiness probes: no organisation data, so every host may serve them.

``/healthz`` touches nothing: it says the process can answer. ``/readyz`` asks each
dependency, each within about a second, and names every one in its body. A load balancer
that should keep serving sign-ins through a cache or broker outage asks only for the
database: ``/readyz?checks=database`` (see docs/operations.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse

from config.problems import probe_method_not_allowed, problem_response
from tenants.context import use_public_schema
from tenants.schema_setup import direct_migrations_table_check

CHECK_TIMEOUT_SECONDS = 1
_migrated = False


def healthz(request: HttpRequest) -> HttpResponse:
    if request.method not in {"GET", "HEAD"}:
        return probe_method_not_allowed(request)
    return JsonResponse({"status": "ok"})


def _pending_migrations() -> int:
    # Django's own "is django_migrations there?" lists every table, all organisations' included
    # (~0.5 s at 2,000): a probe must not grow with the fleet.
    with direct_migrations_table_check():
        executor = MigrationExecutor(connection)
        return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def check_database() -> str:
    # Once the public schema is migrated it stays so for this process; skip the graph load.
    global _migrated  # noqa: PLW0603
    use_public_schema()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        if not _migrated:
            pending = _pending_migrations()
            if pending:
                return f"{pending} migrations not applied"
            _migrated = True
    except DatabaseError as exc:
        return f"down ({type(exc.__cause__ or exc).__name__})"
    return "ok"


def check_cache() -> str:
    cache = caches["routing"]
    ping = getattr(cache, "ping", None)
    if ping is None:
        return "ok"  # the per-process memory cache: nothing to reach
    from config.cache import OUTAGE_ERRORS

    try:
        ping()
    except OUTAGE_ERRORS as exc:
        return f"down ({type(exc).__name__})"
    return "ok"


def check_broker() -> str:
    url = settings.CELERY_BROKER_URL
    if not url:
        return "ok"  # tasks run in-process: there is no broker to reach
    from kombu import Connection
    from kombu.exceptions import OperationalError as BrokerError

    options = {"socket_timeout": CHECK_TIMEOUT_SECONDS}
    try:
        with Connection(
            url, connect_timeout=CHECK_TIMEOUT_SECONDS, transport_options=options
        ) as broker:
            broker.ensure_connection(max_retries=0, timeout=CHECK_TIMEOUT_SECONDS)
    except (OSError, BrokerError) as exc:
        return f"down ({type(exc).__name__})"
    return "ok"


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
}


def readyz(request: HttpRequest) -> HttpResponse:
    if request.method not in {"GET", "HEAD"}:
        return probe_method_not_allowed(request)
    wanted = [name for name in request.GET.get("checks", "").split(",") if name] or list(CHECKS)
    unknown = [name for name in wanted if name not in CHECKS]
    if unknown:
        return problem_response(
            code="invalid_request",
            detail=f"Unknown check {unknown[0][:40]!r}.",
        )
    started = time.monotonic()
    checks = {name: CHECKS[name]() for name in wanted}
    elapsed_ms = round((time.monotonic() - started) * 1000)
    down = [name for name, state in checks.items() if state != "ok"]
    if down:
        return problem_response(
            code="service_unavailable",
            detail=f"Not ready: {', '.join(down)}.",
            extensions={"checks": checks},
        )
    return JsonResponse({"status": "ready", "checks": checks, "elapsed_ms": elapsed_ms})
