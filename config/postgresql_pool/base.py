"""Django's PostgreSQL backend, with a pool that checks connections without a round trip.

django-tenants builds its backend on this one (ORIGINAL_BACKEND in config/settings.py).

psycopg_pool's own check (`ConnectionPool.check_connection`, what Django installs for
CONN_HEALTH_CHECKS) sends an empty query every time a request takes a connection: one round
trip per request, two per passkey ceremony, on a server that shares the machine's cores. A
connection the server has ended is one whose socket has something to read: PostgreSQL sends
a FATAL message before it closes a session (restart, `pg_terminate_backend`,
`idle_session_timeout`), and a killed backend's socket reads as end of file. An idle
connection with nothing to read is handed out as it is; one with anything to read gets the
full check, which raises for a dead one so that the pool replaces it. What neither check
catches (a backend ending between the check and the first statement, or a silently dropped
network path) fails that request with a 503 problem either way.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base as postgresql
from psycopg import Connection, OperationalError
from psycopg.pq import ConnStatus, TransactionStatus
from psycopg_pool import ConnectionPool


class DatabaseWrapper(postgresql.DatabaseWrapper):
    @property
    def pool(self) -> ConnectionPool | None:
        pool: ConnectionPool | None = super().pool
        # Django builds the pool with psycopg_pool's check when CONN_HEALTH_CHECKS is on and
        # offers no way to pass another; tests/ops/test_pool_check.py fails if this stops
        # taking effect (a private attribute of psycopg_pool, pinned in requirements.lock).
        if pool is not None and pool._check is ConnectionPool.check_connection:
            pool._check = check_unless_quiet
        return pool


def check_unless_quiet(conn: Connection) -> None:
    if conn.closed or conn.broken or conn.pgconn.status != ConnStatus.OK:
        raise OperationalError("the pooled connection is closed")
    if conn.info.transaction_status != TransactionStatus.IDLE:
        # The pool rolls back what it takes back, so this is not expected; refusing makes
        # the pool reset the connection and try again rather than hand out an open transaction.
        raise OperationalError("the pooled connection is not idle")
    if _has_input(conn.fileno()):
        ConnectionPool.check_connection(conn)


def _has_input(fd: int) -> bool:
    # poll, not select: select() refuses descriptors above 1023, which a process holding many
    # files reaches, and every connection would then fail its check and be replaced.
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))  # a hang-up or an error counts too: then the full check
