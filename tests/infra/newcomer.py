"""What a newcomer's shell has: a scratch database and the repository's own commands.

The commands run as a newcomer runs them: in a fresh process, with none of the test
settings (no DJANGO_SETTINGS_MODULE, no PASSGATE_* overrides such as a disabled pool).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import psycopg
from django.conf import settings

REPO = Path(__file__).resolve().parents[2]


def _conninfo(database: str) -> dict[str, str]:
    db = settings.DATABASES["default"]
    info = {"dbname": database, "user": str(db["USER"] or "postgres"), "host": str(db["HOST"])}
    if db.get("PORT"):
        info["port"] = str(db["PORT"])
    if db.get("PASSWORD"):
        info["password"] = str(db["PASSWORD"])
    return info


def _url(info: dict[str, str]) -> str:
    auth = quote(info["user"], safe="")
    if "password" in info:
        auth += ":" + quote(info["password"], safe="")
    query = f"host={quote(info['host'], safe='/')}"
    if "port" in info:
        query += f"&port={info['port']}"
    return f"postgres://{auth}@/{quote(info['dbname'], safe='')}?{query}"


@contextmanager
def scratch_database() -> Iterator[str]:
    """A new, empty database on the test server; yields its DATABASE_URL, drops it after."""
    name = f"passgate_newcomer_{uuid.uuid4().hex[:8]}"
    admin = _conninfo("postgres")
    with psycopg.connect(**admin, autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _url(_conninfo(name))
    finally:
        with psycopg.connect(**admin, autocommit=True) as conn:  # type: ignore[arg-type]
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def newcomer_env(database_url: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PASSGATE_", "DJANGO_", "PYTEST_"))
    }
    env["DATABASE_URL"] = database_url
    return env


def run(
    command: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", command],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        # As the servers do: a connection in TIME_WAIT does not make the port busy.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def wait_for(url: str, host: str, deadline: float, alive: subprocess.Popen[bytes]) -> int:
    """Poll ``url`` (with the ``Host`` header) until it answers; its status, or 0 on time-out."""
    request = urllib.request.Request(url, headers={"Host": host})  # noqa: S310 (http only)
    while time.monotonic() < deadline and alive.poll() is None:
        try:
            with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            time.sleep(0.3)
    return 0
