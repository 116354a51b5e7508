"""One throw-away PostgreSQL cluster for the fault tests (migrated, with the org ``acme``
and an admin API key), and Passgate processes started on it per test."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faults.services import (
    Http,
    PgCluster,
    Process,
    RedisServer,
    app_env,
    free_port,
    manage,
    wait_until,
)

pytestmark = pytest.mark.faults


@dataclass
class Stack:
    pg: PgCluster
    key: str


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    pg = PgCluster()
    try:
        pg.start()
        pg.create_database()
        env = app_env(pg, PASSGATE_DB_POOL_MAX="0", PASSGATE_DB_STATEMENT_TIMEOUT_MS="0")
        manage(env, "migrate_schemas", "--shared", "-v", "0")
        manage(env, "create_org", "acme", "--name", "Acme")
        out = manage(env, "create_api_key", "acme", "--name", "faults", "--scope", "admin")
        yield Stack(pg=pg, key=out.strip().splitlines()[-1])
    finally:
        pg.destroy()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


StartServer = Callable[..., tuple[Process, Http]]


@pytest.fixture
def start_server(stack: Stack, redis_server: RedisServer, tmp_path: Path) -> Iterator[StartServer]:
    """Start gunicorn as production runs it (infra/gunicorn.conf.py, threaded workers, a
    shared Redis cache)."""
    started: list[Process] = []

    def start(**extra: str) -> tuple[Process, Http]:
        port = free_port()
        metrics = tmp_path / f"metrics-{port}"
        env = app_env(
            stack.pg,
            PASSGATE_PUBLIC_PORT=str(port),
            GUNICORN_BIND=f"127.0.0.1:{port}",
            GUNICORN_WORKERS="2",
            GUNICORN_THREADS="4",
            PROMETHEUS_MULTIPROC_DIR=str(metrics),
            **{"PASSGATE_CACHE_URL": redis_server.url, **extra},
        )
        command = [sys.executable, "-m", "gunicorn", "config.wsgi", "-c", "infra/gunicorn.conf.py"]
        process = Process(command, env, tmp_path / f"gunicorn-{port}.log")
        started.append(process)
        http = Http(port, "acme.localhost", stack.key)

        def answers() -> bool:
            assert process.alive(), process.text()
            try:
                return http.call("GET", "/healthz", timeout=1)[0] == 200
            except OSError:
                return False

        wait_until("gunicorn", answers)
        return process, http

    yield start
    for process in started:
        process.stop()
