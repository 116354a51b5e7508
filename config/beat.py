"""Celery beat's scheduler: sends each periodic task to every organisation (or, for the
platform's own entries, to the public schema), and outlives database outages.

tenant-schemas-celery lists the organisations from the database at every due entry. Its
own scheduler lets a database error escape the tick, which stops beat for good, and a
connection broken by a PostgreSQL restart stays broken in a long-lived process. Here a
tick that fails on the database is logged, counted, and skipped: the connection is dropped
so the next tick opens a fresh one, and the entry runs again at its next due time.
"""

from __future__ import annotations

import logging
from typing import Any

from celery.beat import ScheduleEntry
from django.db import DatabaseError, close_old_connections, connection
from django_tenants.utils import get_public_schema_name, schema_context
from tenant_schemas_celery.scheduler import TenantAwareScheduler

from config.metrics import SCHEDULER_ERRORS

logger = logging.getLogger("passgate.beat")


class ResilientTenantScheduler(TenantAwareScheduler):  # type: ignore[misc]
    def apply_entry(self, entry: ScheduleEntry, producer: Any = None) -> None:
        close_old_connections()
        try:
            headers = (entry.options or {}).get("headers") or {}
            if headers.get("_schema_name") == get_public_schema_name():
                # The library sends an entry only to schemas with an organisation row; the
                # public schema has none, so the platform's own entries are sent here.
                with schema_context(get_public_schema_name()):
                    self.apply_async(entry, producer=producer, advance=False)
                return
            super().apply_entry(entry, producer=producer)
        except DatabaseError as exc:
            SCHEDULER_ERRORS.inc()
            logger.error(
                "beat could not list organisations for %s (%s: %s); retrying at its next due time",
                entry.name,
                type(exc).__name__,
                exc,
            )
            connection.close()
