"""The inside of a fleet-migration worker process (see tenants.fleet).

Imported by freshly spawned interpreters before Django is set up: Django and the models are
imported inside the functions, after ``start`` has run ``django.setup()``.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1
# A PostgreSQL backend keeps a cache entry for every table it has touched, schema after
# schema, for as long as it lives: a fresh session every so many schemas keeps it small.
SCHEMAS_PER_SESSION = 100
_migrated = 0


def start(parent_pid: int) -> None:
    """Die with the parent: a killed run must leave no worker migrating on its own (the
    killed worker's open transaction is rolled back by PostgreSQL). Then load Django."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before the line above took effect
        os._exit(1)
    import django

    django.setup()


def migrate(schema_name: str) -> list[str]:
    from django.db import connection

    from tenants.schema_setup import schema_migrate_locked

    global _migrated  # noqa: PLW0603 (one counter per worker process)
    _migrated += 1
    if connection.connection is not None and (
        _migrated % SCHEMAS_PER_SESSION == 0 or not connection.is_usable()
    ):
        connection.close()  # also after a failed schema, which may have broken the session
    return schema_migrate_locked(schema_name)
