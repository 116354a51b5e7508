"""`make run` starts, again and again, on a database that already holds several orgs.

It used to hang: `migrate_schemas --executor=multiprocessing` forked workers that inherited
the connection pool's open sockets (tenants/migration_executors.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

from tests.infra.newcomer import REPO, free_port, newcomer_env, run, scratch_database, wait_for

ORGS = ("north", "south", "east", "west", "centre")


def test_make_run_starts_three_times_on_a_database_with_five_orgs() -> None:
    with scratch_database() as url:
        env = newcomer_env(url)
        setup = run(
            "./passgate migrate_schemas -v 0 && "
            + " && ".join(f"./passgate create_org {slug} --name {slug}" for slug in ORGS),
            env,
        )
        assert setup.returncode == 0, setup.stderr
        for attempt in range(3):
            port = free_port()
            server = subprocess.Popen(
                ["make", "--no-print-directory", "run", f"PORT={port}"],
                cwd=REPO,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                deadline = time.monotonic() + 90
                base = f"http://127.0.0.1:{port}"
                assert wait_for(f"{base}/healthz", f"127.0.0.1:{port}", deadline, server) == 200
                assert wait_for(f"{base}/login", f"acme.localhost:{port}", deadline, server) == 200
                assert wait_for(f"{base}/login", f"west.localhost:{port}", deadline, server) == 200
            finally:
                os.killpg(server.pid, signal.SIGINT)
                output = server.communicate(timeout=30)[0].decode(errors="replace")
            assert "Traceback" not in output, f"start {attempt + 1}:\n{output}"
