"""Every shell block of the README runs verbatim, as a newcomer would run it after `make run`."""

from __future__ import annotations

import json
import re
import subprocess
import time

from tests.infra.newcomer import REPO, newcomer_env, port_is_free, run, scratch_database, wait_for

BLOCKS = re.findall(r"^```sh\n(.*?)^```", (REPO / "README.md").read_text(), flags=re.M | re.S)
# `make run` itself has tests/infra/test_make_run.py; `make test` is what CI runs.
MAKE_BLOCK = BLOCKS[0]
COMMAND_BLOCKS = BLOCKS[1:]


def test_the_first_block_is_make_run_and_make_test() -> None:
    commands = [line.split("#")[0].strip() for line in MAKE_BLOCK.splitlines()]
    assert [c for c in commands if c] == ["make run", "make test"]
    assert len(COMMAND_BLOCKS) >= 2


def test_every_readme_command_runs_verbatim() -> None:
    # The README's curl names acme.localhost:8000: serve exactly there, as `make run` does.
    assert port_is_free(8000), "port 8000 is taken (a `make run` of yours?): stop it first"
    with scratch_database() as url:
        env = newcomer_env(url)
        setup = run("./passgate migrate_schemas -v 0 && ./passgate seed_demo", env)
        assert setup.returncode == 0, setup.stderr
        server = subprocess.Popen(
            ["./passgate", "runserver", "127.0.0.1:8000", "--noreload"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            assert wait_for("http://127.0.0.1:8000/healthz", "127.0.0.1:8000", deadline, server)
            for block in COMMAND_BLOCKS:
                result = run(block, env)
                assert result.returncode == 0, f"{block}\n{result.stdout}\n{result.stderr}"
                assert "Traceback" not in result.stderr, result.stderr
                if "curl" in block:
                    assert "publicKey" in json.loads(result.stdout), result.stdout
                if "create_org globex" in block:
                    assert "http://globex.localhost:8000" in result.stdout
        finally:
            server.terminate()
            server.wait(timeout=30)
