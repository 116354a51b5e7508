"""A new organisation's schema is migrated like django-tenants would, minus the no-ops."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django_tenants.utils import schema_exists

from tenants.context import with_org
from tenants.models import Organisation
from tenants.services import OrgError, org_create, org_delete
from tests.support.committed import committed
from tests.tenants.test_create_org_command import assert_nothing_left

pytestmark = pytest.mark.django_db


def test_a_new_schema_holds_the_tenant_tables_and_counts_as_fully_migrated(
    orgs: object,
) -> None:
    org = org_create(slug="fresh", name="Fresh").org
    with with_org(org):
        executor = MigrationExecutor(connection)
        leaves = executor.loader.graph.leaf_nodes()
        assert executor.migration_plan(leaves) == []
        recorded = MigrationRecorder(connection).applied_migrations()
        assert set(recorded) == set(executor.loader.graph.nodes)
        with connection.cursor() as cursor:  # each recorded once
            cursor.execute("SELECT count(*) FROM django_migrations")
            assert cursor.fetchone() == (len(recorded),)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                [org.schema_name],
            )
            tables = {row[0] for row in cursor.fetchall()}
    assert {"auth_methods_user", "auth_methods_passkey", "api_apikey", "django_session"} <= tables
    # Shared-only apps stay out of org schemas: their migrations are recorded, not run.
    assert not tables & {"django_content_type", "auth_permission", "tenants_organisation"}


def test_a_migration_that_fails_leaves_no_org_and_no_schema(
    orgs: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: MigrationExecutor, targets: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(MigrationExecutor, "migrate", broken)
    before = Organisation.objects.count()
    with pytest.raises((RuntimeError, OrgError)):
        org_create(slug="doomed", name="Doomed")
    assert Organisation.objects.count() == before
    assert_nothing_left("doomed", ["doomed.localhost"])


def test_a_new_schema_is_created_in_one_transaction(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each commit waits for PostgreSQL's WAL flush: one per migration made creation slower
    and its times more spread out. Committed for real (on a connection of its own): the
    schema, then the hostnames, and nothing else."""
    worker: list[threading.Thread] = []
    commits: list[str] = []
    original = BaseDatabaseWrapper.commit

    def counting(self: BaseDatabaseWrapper) -> None:
        if worker and threading.current_thread() is worker[0]:
            commits.append(self.alias)
        original(self)

    monkeypatch.setattr(BaseDatabaseWrapper, "commit", counting)

    def create() -> Organisation:
        worker.append(threading.current_thread())
        return org_create(slug="one-commit", name="One commit").org

    org = committed(create)
    try:
        assert commits == ["default", "default"]
        assert schema_exists(org.schema_name)
    finally:
        committed(lambda: org_delete(Organisation.objects.get(pk=org.pk)))
    assert not schema_exists(org.schema_name)
