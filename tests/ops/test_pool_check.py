"""The pool hands out no connection the server has ended, without a round trip per use."""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from psycopg_pool import ConnectionPool

from config.postgresql_pool.base import _has_input, check_unless_quiet


def _conninfo() -> str:
    params = connection.get_connection_params()
    keys = ("dbname", "user", "host", "port", "password")
    return psycopg.conninfo.make_conninfo(**{k: params[k] for k in keys if params.get(k)})


def _terminate(pid: int) -> None:
    with psycopg.connect(_conninfo(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(100):
            gone = admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            if gone.fetchone() == (0,):
                return
            time.sleep(0.02)
    raise AssertionError(f"backend {pid} still runs")


@pytest.fixture
def full_checks(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Records each time the pool's full (round-trip) check runs."""
    seen: list[Any] = []
    original = ConnectionPool.check_connection

    def spy(conn: Any) -> None:
        seen.append(conn)
        original(conn)

    monkeypatch.setattr(ConnectionPool, "check_connection", staticmethod(spy))
    return seen


@pytest.fixture
def pool() -> Iterator[ConnectionPool]:
    with ConnectionPool(
        _conninfo(), min_size=1, max_size=1, check=check_unless_quiet, kwargs={"autocommit": True}
    ) as opened:
        yield opened


def _backend(conn: psycopg.Connection) -> int:
    return conn.info.backend_pid


def test_a_quiet_connection_is_handed_out_without_a_round_trip(
    pool: ConnectionPool, full_checks: list[Any]
) -> None:
    with pool.connection() as conn:
        first = _backend(conn)
    with pool.connection() as conn:
        assert _backend(conn) == first
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert full_checks == []


def test_a_connection_the_server_ended_is_replaced_before_use(
    pool: ConnectionPool, full_checks: list[Any]
) -> None:
    with pool.connection() as conn:
        ended = _backend(conn)
    _terminate(ended)
    with pool.connection() as conn:
        assert _backend(conn) != ended
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert len(full_checks) == 1  # the ended one, whose socket had the FATAL message to read


def test_without_the_check_the_ended_connection_would_fail_the_request() -> None:
    # The case the check exists for is real: the same pool without it hands the dead one out.
    with ConnectionPool(_conninfo(), min_size=1, max_size=1, kwargs={"autocommit": True}) as bare:
        with bare.connection() as conn:
            ended = _backend(conn)
        _terminate(ended)
        with pytest.raises(psycopg.OperationalError), bare.connection() as conn:
            conn.execute("SELECT 1")


def test_a_connection_left_in_a_transaction_is_refused(full_checks: list[Any]) -> None:
    with psycopg.connect(_conninfo()) as conn:
        conn.execute("SELECT 1")  # opens a transaction: not idle
        with pytest.raises(psycopg.OperationalError):
            check_unless_quiet(conn)
    assert full_checks == []


def test_a_closed_connection_is_refused_outright(full_checks: list[Any]) -> None:
    conn = psycopg.connect(_conninfo())
    conn.close()
    with pytest.raises(psycopg.OperationalError):
        check_unless_quiet(conn)
    assert full_checks == []


def test_the_production_pool_uses_this_check() -> None:
    code = (
        "import django; django.setup(); from django.db import connection;"
        "print(connection.pool._check.__name__)"
    )
    env = {
        "PASSGATE_DEBUG": "1",
        "PATH": "/usr/bin:/bin",
        "PASSGATE_DB_POOL_MAX": "10",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == ["check_unless_quiet"]


def test_a_descriptor_above_1023_is_checked_like_any_other() -> None:
    high = 1500  # above select()'s limit of 1023
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft <= high:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    reader, writer = socket.socketpair()
    os.dup2(reader.fileno(), high)
    try:
        assert _has_input(high) is False
        writer.send(b"E")
        assert _has_input(high) is True
        writer.close()
        reader.recv(1)
        assert _has_input(high) is True  # end of file: a closed peer reads
    finally:
        os.close(high)
        reader.close()
