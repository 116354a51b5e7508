"""Work that commits for real, so requests on other connections (threads) see it.

pytest-django's ``transaction=True`` is not used: its teardown flushes the tables of the
connection's current schema, which at that point is the shared one, and so deletes every
organisation and hostname the session-scoped ``orgs`` fixture made. Instead each piece of
work runs in a thread of its own (its own connection, autocommit, outside the test's
transaction), and ``emptied_afterwards`` empties the organisation's tables at the end. Read
the organisation's tables through ``committed`` as well: a read on the test's connection holds
a lock until the test ends, which the final TRUNCATE would wait for.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.db import connection, connections

from tenants.context import with_org
from tenants.models import Organisation

T = TypeVar("T")


def committed(work: Callable[[], T]) -> T:
    """Run ``work`` on a connection of its own and return its result (or raise its error)."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # noqa: BLE001 (handed back to the test's thread)
            outcome["error"] = exc
        finally:
            connections.close_all()  # this thread's connection only

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=120)
    if "error" in outcome:
        raise outcome["error"]
    value: T = outcome["value"]
    return value


def _empty_tables(schema: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = %s AND table_type = 'BASE TABLE' ORDER BY table_name",
            [schema],
        )
        names = [row[0] for row in cursor.fetchall()]
        empty = []
        for name in names:
            cursor.execute(f'SELECT NOT EXISTS (SELECT 1 FROM "{schema}"."{name}")')  # noqa: S608
            if cursor.fetchone()[0]:
                empty.append(name)
    return empty


def _truncate(org: Organisation, tables: list[str]) -> None:
    with with_org(org), connection.cursor() as cursor:
        # Fails fast if the test's own connection still holds a lock on one of these tables
        # (read them through ``committed`` too).
        cursor.execute("SET lock_timeout = '10s'")
        quoted = ", ".join(f'"{org.schema_name}"."{name}"' for name in tables)
        cursor.execute(f"TRUNCATE {quoted} CASCADE")


@contextmanager
def emptied_afterwards(org: Organisation) -> Iterator[None]:
    """Afterwards, empty again every table of ``org``'s schema that was empty before."""
    tables = committed(lambda: _empty_tables(org.schema_name))
    try:
        yield
    finally:
        committed(lambda: _truncate(org, tables))
