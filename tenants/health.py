"""Liveness and readiness probes: no organisation data, so every host may serve them."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

_migrated = False


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _pending_migrations() -> int:
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    # Once the public schema is migrated it stays so for this process; skip the graph load.
    global _migrated  # noqa: PLW0603
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        if not _migrated:
            pending = _pending_migrations()
            if pending:
                return JsonResponse(
                    {"status": "unready", "detail": f"{pending} migrations not applied"},
                    status=503,
                )
            _migrated = True
    except DatabaseError as exc:
        return JsonResponse({"status": "unready", "detail": type(exc).__name__}, status=503)
    return JsonResponse({"status": "ready"})
