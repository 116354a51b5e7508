"""A new schema is migrated with project states rendered once per process
(tenants.schema_setup): the schema is the one Django's own migrating makes, the states are not
rendered again, and another migration plan never replays stale states."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, models
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import AddField
from django.db.migrations.state import ModelState

from tenants import schema_setup
from tenants.services import org_create

pytestmark = pytest.mark.django_db

CATALOG = {
    "columns": """
        SELECT table_name, column_name, ordinal_position, data_type, udt_name,
               character_maximum_length, numeric_precision, column_default, is_nullable,
               is_identity, identity_generation
        FROM information_schema.columns WHERE table_schema = %s ORDER BY 1, 2""",
    "constraints": """
        SELECT t.relname, c.conname, c.contype, pg_get_constraintdef(c.oid), c.condeferrable,
               c.condeferred
        FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = %s ORDER BY 1, 2""",
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes "
    "WHERE schemaname = %s ORDER BY 1, 2",
    "sequences": """
        SELECT sequencename, data_type, start_value, min_value, max_value, increment_by, cycle
        FROM pg_sequences WHERE schemaname = %s ORDER BY 1""",
    "tables": "SELECT table_name, table_type FROM information_schema.tables "
    "WHERE table_schema = %s ORDER BY 1",
}


def catalog(schema: str) -> dict[str, list[tuple[Any, ...]]]:
    """The schema's catalog and migration rows, its own name written as ``<schema>``."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    with connection.cursor() as cursor:
        for name, sql in CATALOG.items():
            cursor.execute(sql, [schema])
            found[name] = [
                tuple(str(v).replace(schema, "<schema>") if v is not None else None for v in row)
                for row in cursor.fetchall()
            ]
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations ORDER BY id')  # noqa: S608
        found["django_migrations"] = cursor.fetchall()
    return found


def djangos_own_way(
    executor: MigrationExecutor, targets: list[tuple[str, str]], plan: schema_setup.Plan
) -> None:
    executor.migrate(targets, plan=plan)  # renders the states itself, before each migration


def test_a_schema_made_with_the_rendered_states_is_the_one_django_makes(
    orgs: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    org_create(slug="replay-warm", name="Warm")  # the states are rendered, if not already
    cached = org_create(slug="replay-cached", name="Cached").org
    with monkeypatch.context() as patch:
        patch.setattr(schema_setup, "_migrate_plan", djangos_own_way)
        plain = org_create(slug="replay-plain", name="Plain").org
    made = catalog(cached.schema_name)
    assert made == catalog(plain.schema_name)
    assert len(made["columns"]) > 50 and made["indexes"] and made["sequences"]
    assert len(made["django_migrations"]) > 20


def test_the_second_schema_renders_no_model(orgs: object, monkeypatch: pytest.MonkeyPatch) -> None:
    org_create(slug="render-first", name="First")
    renders: list[str] = []
    original = ModelState.render

    def counting(self: ModelState, apps: Any) -> Any:
        renders.append(self.name)
        return original(self, apps)

    monkeypatch.setattr(ModelState, "render", counting)
    org = org_create(slug="render-second", name="Second").org
    assert renders == []
    assert "auth_methods_user" in {row[0] for row in catalog(org.schema_name)["tables"]}


def test_a_changed_migration_file_is_never_replayed_from_stale_states(
    orgs: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same names, another class (an edited file reloaded): the new plan is rendered, and
    the schema gets the column the edited migration adds."""
    org_create(slug="stale-first", name="First")  # the current plan's states are cached
    build_graph = MigrationLoader.build_graph

    def edited(self: MigrationLoader) -> None:
        build_graph(self)
        key = ("auth_methods", "0005_user_session_epoch")
        old = self.graph.nodes[key]
        extra = AddField("user", "h6_extra", models.IntegerField(default=7))
        Edited = type("Migration", (type(old),), {"operations": [*old.operations, extra]})
        self.graph.nodes[key] = Edited(old.name, old.app_label)

    monkeypatch.setattr(MigrationLoader, "build_graph", edited)
    org = org_create(slug="stale-second", name="Second").org
    columns = {(row[0], row[1]) for row in catalog(org.schema_name)["columns"]}
    assert ("auth_methods_user", "h6_extra") in columns
