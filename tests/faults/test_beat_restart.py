"""Beat keeps scheduling through a PostgreSQL restart: a tick that cannot list the
organisations is logged and skipped, and the next ticks work again."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tests.faults.conftest import Stack
from tests.faults.services import Process, RedisServer, app_env, redis_llen, wait_until


def test_beat_survives_a_database_restart(
    stack: Stack, redis_server: RedisServer, tmp_path: Path
) -> None:
    env = app_env(
        stack.pg,
        CELERY_BROKER_URL=redis_server.url,
        PASSGATE_CACHE_URL=redis_server.url.removesuffix("/0") + "/1",
        PASSGATE_DB_POOL_MAX="0",
        PASSGATE_OUTBOX_SWEEP_SECONDS="1",
    )
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "beat",
        "-l",
        "info",
        "-s",
        str(tmp_path / "schedule"),
    ]
    beat = Process(command, env, tmp_path / "beat.log")
    try:
        # Each due sweep puts one task per organisation on the (unconsumed) queue.
        wait_until("beat's first sweeps", lambda: redis_llen(redis_server.port, "celery") >= 2)
        stack.pg.stop()
        time.sleep(2.5)  # a few ticks while the database is gone
        stack.pg.start()
        wait_until("the database", stack.pg.is_ready)
        queued = redis_llen(redis_server.port, "celery")
        wait_until(
            "sweeps after the restart",
            lambda: redis_llen(redis_server.port, "celery") >= queued + 2,
        )
        assert beat.alive(), beat.text()
        assert "could not list organisations" in beat.text()
    finally:
        beat.stop()
