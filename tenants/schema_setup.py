"""Creating a new organisation's schema: only the tenant apps' migrations run.

django-tenants migrates a new schema with the whole project's migration plan. In an org schema
the router makes every shared-only app's migration a no-op, yet each still renders the model
state to find that out: of ~22 migrations, 17 do nothing but cost 40% of org creation. Here
the plan targets the tenant apps (and whatever they depend on), then the other migrations are
recorded as applied, which is exactly what running them would leave behind: a schema that
``migrate_schemas`` later sees as fully migrated. Django's pre/post_migrate handlers are
skipped too; the ones installed (contenttypes, permissions) write nothing in org schemas.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.migration import Migration
from django.db.migrations.recorder import MigrationRecorder
from django.db.migrations.state import ProjectState

from tenants.context import use_public_schema, use_schema

_LOCK = "passgate.migrate-schema:"

Plan = list[tuple[Migration, bool]]


def tenant_app_labels() -> set[str]:
    return {
        config.label for config in apps.get_app_configs() if config.name in settings.TENANT_APPS
    }


def schema_create(schema_name: str) -> None:
    """Create the schema ``schema_name`` and bring it to the project's latest migrations;
    the connection is back on the public schema afterwards, whatever happened.

    One transaction for all of it: each migration and each recorded no-op would otherwise
    commit on its own, ~40 commits each waiting for a WAL flush (at 2,000 organisations the
    p99 dropped in every A/B run, the median in most; docs/benchmarks.md); and a failure
    leaves no schema behind.
    Every tenant migration must be atomic, as for ``schema_migrate_locked``."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA {connection.ops.quote_name(schema_name)}")
        schema_migrate(schema_name)


def schema_migrate(schema_name: str) -> list[str]:
    """Bring the existing schema ``schema_name`` to the latest migrations, the same way as at
    creation; returns the tenant migrations it ran (``app.name``). The connection is back on
    the public schema afterwards."""
    try:
        with direct_migrations_table_check():
            return _migrate(schema_name)
    finally:
        use_public_schema()


@contextmanager
def direct_migrations_table_check() -> Iterator[None]:
    """Django asks "does django_migrations exist?" by listing every table visible on the
    search path, a query over all of pg_class: 19 ms with one organisation, 476 ms with
    2,000 (measured, loaded machine), three or four times per schema created or migrated.
    Asking PostgreSQL for that one table in the connection's schema gives the same answer."""
    original = MigrationRecorder.has_table

    def has_table(recorder: MigrationRecorder) -> bool:
        schema = getattr(recorder.connection, "schema_name", None)
        if not schema:
            return original(recorder)
        name = f"{recorder.connection.ops.quote_name(schema)}.django_migrations"
        with recorder.connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
            row = cursor.fetchone()
        return bool(row and row[0])

    MigrationRecorder.has_table = has_table  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        MigrationRecorder.has_table = original  # type: ignore[method-assign]


def _migrate(schema_name: str) -> list[str]:
    # The migrations table must be made in the new schema, not found in public.
    use_schema(schema_name, include_public=False)
    MigrationRecorder(connection).ensure_schema()
    use_schema(schema_name)
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    ours = tenant_app_labels()
    targets = [node for node in leaves if node[0] in ours]
    plan = executor.migration_plan(targets)
    if plan:
        _migrate_plan(executor, targets, plan)
    planned = {migration for migration, _ in plan}
    for migration, _ in executor.migration_plan(leaves):
        if migration in planned:
            continue
        if migration.app_label in ours:  # cannot happen: every tenant leaf was just applied
            raise RuntimeError(f"{migration} was left unapplied in {schema_name}")
        # A shared app: the router keeps its operations out of org schemas.
        executor.recorder.record_applied(migration.app_label, migration.name)
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


# The project states a schema goes through while a plan runs, by migration graph and applied
# set. Rendering the models before each operation was ~0.17 s of every org creation, the same
# for every new schema (and for every schema of a fleet at one applied set): each plan's
# states are rendered once per process. The key holds each migration's class, so a changed or
# reloaded migration file, or another plan, never replays stale states.
_ReplayKey = tuple[
    tuple[tuple[str, str, type[Migration]], ...], frozenset[tuple[str, str]], frozenset[str]
]
# Per migration, the state before and after each of its operations; all rendered.
_Replay = dict[tuple[str, str], list[tuple[ProjectState, ProjectState]]]
_REPLAYS: OrderedDict[_ReplayKey, tuple[ProjectState, _Replay]] = OrderedDict()


def _migrate_plan(executor: MigrationExecutor, targets: list[tuple[str, str]], plan: Plan) -> None:
    start, replay = _replay_for(executor, plan)
    for migration, _ in plan:
        # The executor calls ``apply`` on these very objects (the loader's, made for this
        # executor alone); everything else it does (schema editor, recording) is unchanged.
        steps = replay[(migration.app_label, migration.name)]
        migration.apply = partial(_apply_replayed, migration, steps)  # type: ignore[method-assign]
    executor.migrate(targets, plan=plan, state=start)


def _apply_replayed(
    migration: Migration,
    steps: list[tuple[ProjectState, ProjectState]],
    project_state: ProjectState,
    schema_editor: BaseDatabaseSchemaEditor,
    collect_sql: bool = False,
) -> ProjectState:
    """``Migration.apply`` with each operation's states taken from the cache rather than
    rendered again; operations only read the states they are given."""
    if collect_sql:
        raise NotImplementedError("replayed migrations only run against a database")
    for operation, (before, after) in zip(migration.operations, steps, strict=True):
        atomic_operation = operation.atomic or (migration.atomic and operation.atomic is not False)
        if not schema_editor.atomic_migration and atomic_operation:
            with transaction.atomic(schema_editor.connection.alias):
                operation.database_forwards(migration.app_label, schema_editor, before, after)
        else:
            operation.database_forwards(migration.app_label, schema_editor, before, after)
    return steps[-1][1] if steps else project_state


def _replay_for(executor: MigrationExecutor, plan: Plan) -> tuple[ProjectState, _Replay]:
    loader = executor.loader
    full_plan = executor.migration_plan(loader.graph.leaf_nodes(), clean_start=True)
    applied = frozenset(loader.applied_migrations or ())
    key: _ReplayKey = (
        tuple((m.app_label, m.name, type(m)) for m, _ in full_plan),
        applied,
        frozenset(loader.unmigrated_apps),
    )
    cached = _REPLAYS.get(key)
    if cached is None:
        state = ProjectState(real_apps=loader.unmigrated_apps)
        for migration, _ in full_plan:
            if (migration.app_label, migration.name) in applied:
                migration.mutate_state(state, preserve=False)
        cached = (_rendered(state), _replay(plan, state))
        _REPLAYS[key] = cached
        while len(_REPLAYS) > 4:
            _REPLAYS.popitem(last=False)
    return cached


def _replay(plan: Plan, state: ProjectState) -> _Replay:
    """Each state is rendered on its own, into a registry nothing changes afterwards: a state
    shared with the next operation's (as ``Migration.apply`` does) would see its models
    re-rendered under it."""
    replay: _Replay = {}
    before = _rendered(state)
    for migration, backwards in plan:
        if backwards:
            raise ValueError(f"{migration} would be unapplied; only forward plans replay")
        steps = replay[(migration.app_label, migration.name)] = []
        for operation in migration.operations:
            operation.state_forwards(migration.app_label, state)
            after = _rendered(state)
            steps.append((before, after))
            before = after
    return replay


def _rendered(state: ProjectState) -> ProjectState:
    copy = ProjectState(
        models={key: model.clone() for key, model in state.models.items()},
        real_apps=state.real_apps,
    )
    copy.apps  # noqa: B018 (renders the models, the part worth keeping)
    return copy


def schema_migrate_locked(schema_name: str) -> list[str]:
    """``schema_migrate`` in one transaction that first takes an advisory lock named for the
    schema and only then reads its django_migrations: the schema ends fully migrated or
    untouched, and two runs never migrate it at once (the second finds nothing to do). Every
    pending migration must be atomic, Django's default on PostgreSQL."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [_LOCK + schema_name])
        return schema_migrate(schema_name)
