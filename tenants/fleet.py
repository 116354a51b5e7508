"""Migrating every organisation's schema at once: parallel, resumable, one failure isolated.

Each schema is migrated in one transaction holding an advisory lock named for the schema
(``tenants.schema_setup.schema_migrate_locked``): a schema is fully migrated or untouched, and
a run started after another was killed finds the finished schemas up to date and does the rest.

Workers are *spawned* processes, never forked: a forked child would share the parent's open
PostgreSQL sockets (Django's connection pool among them) and corrupt both sides' sessions.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field

from tenants import fleet_worker
from tenants.migration_executors import release_connections
from tenants.models import Organisation


@dataclass(frozen=True)
class SchemaOutcome:
    schema: str
    applied: tuple[str, ...] = ()  # migrations run now, as ``app.name``
    error: str = ""  # one line; empty when the schema is up to date


@dataclass
class FleetReport:
    total: int
    migrated: list[str] = field(default_factory=list)
    up_to_date: list[str] = field(default_factory=list)
    failed: list[SchemaOutcome] = field(default_factory=list)

    @property
    def done(self) -> int:
        return len(self.migrated) + len(self.up_to_date) + len(self.failed)

    def add(self, outcome: SchemaOutcome) -> None:
        if outcome.error:
            self.failed.append(outcome)
        elif outcome.applied:
            self.migrated.append(outcome.schema)
        else:
            self.up_to_date.append(outcome.schema)


def org_schemas() -> list[str]:
    return list(Organisation.objects.order_by("schema_name").values_list("schema_name", flat=True))


def fleet_migrate(
    schemas: Sequence[str],
    *,
    workers: int,
    on_outcome: Callable[[SchemaOutcome, FleetReport], None] = lambda *_: None,
) -> FleetReport:
    """Migrate ``schemas`` in ``workers`` spawned processes; a schema that fails is reported
    in the result and the others go on."""
    report = FleetReport(total=len(schemas))
    if not schemas:
        return report
    release_connections()  # the parent's sessions stay out of the workers' way
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=max(1, min(workers, len(schemas))),
        mp_context=context,
        initializer=fleet_worker.start,
        initargs=(os.getpid(),),
    ) as pool:
        pending: dict[Future[list[str]], str] = {
            pool.submit(fleet_worker.migrate, schema): schema for schema in schemas
        }
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                outcome = _outcome(pending.pop(future), future)
                report.add(outcome)
                on_outcome(outcome, report)
    return report


def _outcome(schema: str, future: Future[list[str]]) -> SchemaOutcome:
    # A worker's exception arrives here as a value; the schema's transaction was rolled back.
    error = future.exception()
    if error is not None:
        first_line = (str(error).strip().splitlines() or [""])[0]
        return SchemaOutcome(schema, error=f"{type(error).__name__}: {first_line}"[:500])
    return SchemaOutcome(schema, applied=tuple(future.result()))
