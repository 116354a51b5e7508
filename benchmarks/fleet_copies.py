"""Filling a benchmark database with thousands of organisations in minutes, not an hour.

Creating 2,000 organisations one after another through ``org_create`` takes 10+ minutes on an
idle machine (each schema is migrated) and far longer on a loaded one. Only the last few
creations are what the benchmark times; the others only have to exist. So one organisation is
created the real way, its schema (tables, indexes, constraints, sequences and the
django_migrations rows) is dumped once with ``pg_dump`` and replayed under each new schema
name by one ``psql``, and the organisation and hostname rows are inserted in bulk.
Benchmark-only: it needs the PostgreSQL client tools, and production never copies schemas
this way.
"""

from __future__ import annotations

import os
import subprocess

from django.conf import settings
from django.db import connection, transaction

from tenants.hosts import default_host
from tenants.models import Domain, Organisation
from tenants.services import schema_for_slug


def _libpq_env() -> dict[str, str]:
    db = settings.DATABASES["default"]
    env = {"PGDATABASE": str(db["NAME"]), "PGUSER": str(db.get("USER") or "postgres")}
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[var] = str(db[key])
    return env


def copy_org(template_slug: str, slugs: list[str], *, batch: int = 100) -> None:
    """Make an organisation for each of ``slugs``, its schema a copy of ``template_slug``'s
    (which must be freshly created: its rows are copied too)."""
    env = {**os.environ, **_libpq_env()}
    template = schema_for_slug(template_slug)
    dump = subprocess.run(
        ["pg_dump", "--schema", template, "--no-owner", "--no-privileges"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    assert template in dump
    connection.close()  # psql below must not wait on a lock this process holds
    for start in range(0, len(slugs), batch):
        chunk = slugs[start : start + batch]
        # One transaction per schema, without waiting for each commit's WAL flush: a crash
        # loses a scratch database, and the flushes were most of the time.
        script = "SET synchronous_commit TO off;\n" + "".join(
            f"BEGIN;\n{dump.replace(template, schema_for_slug(slug))}\nCOMMIT;\n" for slug in chunk
        )
        subprocess.run(
            ["psql", "-q", "-X", "-v", "ON_ERROR_STOP=1"],
            input=script,
            check=True,
            capture_output=True,
            text=True,
            env=env,
        )
        with transaction.atomic():
            orgs = Organisation.objects.bulk_create(
                Organisation(schema_name=schema_for_slug(slug), slug=slug, name=slug)
                for slug in chunk
            )
            Domain.objects.bulk_create(
                Domain(domain=default_host(org.slug), tenant=org, is_primary=True) for org in orgs
            )
