from __future__ import annotations

import os
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from tenants.fleet import FleetReport, SchemaOutcome, fleet_migrate, org_schemas


class Command(BaseCommand):
    help = (
        "Apply pending migrations to the public schema, then to every organisation's schema "
        "in parallel processes. "
        "Safe to run again after an interruption: finished schemas are skipped. A schema "
        "that fails is reported and left untouched; the others go on (exit status 1)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--workers", type=int, default=os.cpu_count() or 1, help="processes (default: cores)"
        )
        parser.add_argument(
            "--schema", action="append", default=[], dest="schemas", help="only these (repeat)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1.")
        verbosity = options["verbosity"]
        # The shared apps first, as migrate_schemas does: org schemas may rely on them, and
        # the organisation table itself may have changed.
        call_command("migrate_schemas", shared=True, verbosity=max(0, verbosity - 2))
        known = org_schemas()
        unknown = sorted(set(options["schemas"]) - set(known))
        if unknown:
            raise CommandError(f"No organisation has the schema {unknown[0]!r}.")
        schemas = options["schemas"] or known
        started = time.monotonic()
        last_line = started

        def progress(outcome: SchemaOutcome, report: FleetReport) -> None:
            nonlocal last_line
            if outcome.error:
                self.stderr.write(f"{outcome.schema}: FAILED {outcome.error}")
            elif verbosity >= 2:
                done = ", ".join(outcome.applied) or "up to date"
                self.stdout.write(f"[{report.done}/{report.total}] {outcome.schema}: {done}")
            now = time.monotonic()
            if verbosity == 1 and now - last_line >= 2 and report.done < report.total:
                last_line = now
                self.stdout.write(_summary(report, now - started))

        if verbosity:
            self.stdout.write(f"Migrating {len(schemas)} schemas with {options['workers']} workers")
        report = fleet_migrate(schemas, workers=options["workers"], on_outcome=progress)
        if verbosity:
            self.stdout.write(_summary(report, time.monotonic() - started))
        if report.failed:
            names = ", ".join(outcome.schema for outcome in report.failed)
            raise CommandError(f"{len(report.failed)} schemas failed (left unchanged): {names}")


def _summary(report: FleetReport, seconds: float) -> str:
    return (
        f"{report.done}/{report.total} schemas in {seconds:.1f} s: {len(report.migrated)} "
        f"migrated, {len(report.up_to_date)} up to date, {len(report.failed)} failed"
    )
