"""django-tenants' migration executors, made safe for Django's psycopg connection pool.

The multiprocessing executor forks its workers after running the public schema in the parent.
With a pool, the parent still holds open pooled connections (and the pool's threads) at that
moment; every child inherits the same sockets, so the children talk over one another on them
and the run hangs or fails with protocol errors. Closing the pool before the fork gives each
child its own connections.
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django_tenants.migration_executors import get_executor as tenants_get_executor
from django_tenants.migration_executors.base import run_migrations
from django_tenants.migration_executors.multiproc import MultiprocessingExecutor


def release_connections() -> None:
    """Close every connection and pool of this process (before a fork)."""
    for connection in connections.all(initialized_only=True):
        connection.close()
        close_pool = getattr(connection, "close_pool", None)
        if close_pool is not None:
            close_pool()


class PoolSafeMultiprocessingExecutor(MultiprocessingExecutor):  # type: ignore[misc]
    def run_migrations(self, tenants: Any = None) -> None:
        schemas = list(tenants or [])
        if self.PUBLIC_SCHEMA_NAME in schemas:
            run_migrations(self.args, self.options, self.codename, self.PUBLIC_SCHEMA_NAME)
            schemas.remove(self.PUBLIC_SCHEMA_NAME)
        if schemas:
            release_connections()
            super().run_migrations(schemas)

    def run_multi_type_migrations(self, tenants: Any) -> None:
        rows = list(tenants or [])
        release_connections()
        super().run_multi_type_migrations(rows)


def get_executor(codename: str | None = None) -> type[Any]:
    """Settings' GET_EXECUTOR_FUNCTION: django-tenants' choice, with the pool-safe fork."""
    if codename == MultiprocessingExecutor.codename:
        return PoolSafeMultiprocessingExecutor
    executor: type[Any] = tenants_get_executor(codename)
    return executor
