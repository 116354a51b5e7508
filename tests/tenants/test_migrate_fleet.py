"""manage.py migrate_fleet, run for real as a subprocess on a small fleet of committed orgs:
a failing schema is reported while the others migrate, and a run killed halfway resumes
without applying anything twice. The new migration is tests/tenants/fleet_app's."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import connection

from tenants.context import use_schema
from tenants.models import Organisation
from tenants.services import org_create, org_delete
from tests.support.committed import committed
from tests.support.db_url import database_url

# django_db makes pytest-django create the test database; the fleet's rows are committed on
# connections of their own (the subprocess must see them) and removed afterwards.
pytestmark = pytest.mark.django_db

MIGRATION = ("fleet_app", "0001_initial")


@pytest.fixture
def fleet(request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """Committed organisations, one per slug the test passes (indirect parametrize)."""
    slugs: list[str] = request.param
    made = committed(lambda: [org_create(slug=slug, name=slug).org for slug in slugs])
    try:
        yield [org.schema_name for org in made]
    finally:

        def delete() -> None:
            for org in made:
                org_delete(Organisation.objects.get(pk=org.pk))

        committed(delete)


def migrate_fleet(*args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "manage.py", "migrate_fleet", *args],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.tenants.fleet_settings",
            "DATABASE_URL": database_url(connection.settings_dict),
            **env,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the test can see its workers go
    )


def state(schema: str) -> tuple[int, int]:
    """(times the migration is recorded, marker rows its code wrote); (0, 0) if untouched."""

    def read() -> tuple[int, int]:
        use_schema(schema, include_public=False)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM django_migrations WHERE app = %s AND name = %s", MIGRATION
            )
            recorded = cursor.fetchone()[0]
            cursor.execute("SELECT to_regclass('fleet_app_marker')")
            if cursor.fetchone()[0] is None:
                return recorded, 0
            cursor.execute("SELECT count(*) FROM fleet_app_marker")
            return recorded, cursor.fetchone()[0]

    return committed(read)


def schema_args(schemas: list[str]) -> list[str]:
    return [arg for schema in schemas for arg in ("--schema", schema)]


@pytest.mark.parametrize(
    "fleet", [["fleet-a", "fleet-broken", "fleet-b", "fleet-c"]], indirect=True
)
def test_a_failing_schema_is_reported_while_the_others_migrate(fleet: list[str]) -> None:
    run = migrate_fleet("--workers", "2", *schema_args(fleet))
    out, err = run.communicate(timeout=120)

    assert run.returncode == 1, (out, err)
    assert "org_fleet_broken: FAILED RuntimeError: refusing to migrate org_fleet_broken" in err
    assert "1 schemas failed (left unchanged): org_fleet_broken" in err
    assert "4/4 schemas in" in out and "3 migrated, 0 up to date, 1 failed" in out
    assert {schema: state(schema) for schema in fleet} == {
        "org_fleet_a": (1, 1),
        "org_fleet_broken": (0, 0),  # rolled back whole: no table, no record
        "org_fleet_b": (1, 1),
        "org_fleet_c": (1, 1),
    }


SIX = [f"fleet-k{i}" for i in range(6)]


@pytest.mark.parametrize("fleet", [SIX], indirect=True)
def test_a_run_killed_halfway_resumes_and_applies_nothing_twice(fleet: list[str]) -> None:
    run = migrate_fleet("-v", "2", "--workers", "2", *schema_args(fleet), FLEET_TEST_SLEEP="0.5")
    assert run.stdout is not None
    done = 0
    while done < 2:  # really halfway: two schemas committed, others mid-transaction or queued
        line = run.stdout.readline()
        assert line, run.communicate(timeout=30)
        done += bool(re.match(r"\[\d+/6\] org_fleet_k\d: fleet_app\.0001_initial$", line))
    os.kill(run.pid, signal.SIGKILL)  # the parent only: its workers must die with it
    run.wait(timeout=30)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and _group_alive(run.pid):
        time.sleep(0.1)
    assert not _group_alive(run.pid), "a worker outlived the killed run"

    after_kill = {schema: state(schema) for schema in fleet}
    finished = [schema for schema, seen in after_kill.items() if seen == (1, 1)]
    assert 2 <= len(finished) < len(fleet), after_kill
    assert set(after_kill.values()) == {(1, 1), (0, 0)}  # no schema half-migrated

    rerun = migrate_fleet("--workers", "2", *schema_args(fleet))
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, (out, err)
    left = len(fleet) - len(finished)
    assert "6/6 schemas in" in out
    assert f"{left} migrated, {len(finished)} up to date, 0 failed" in out
    assert {state(schema) for schema in fleet} == {(1, 1)}  # each applied exactly once


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
