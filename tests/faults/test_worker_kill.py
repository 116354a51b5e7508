"""A worker killed mid-send leaves no mail unsent: each attempt is on record before the
SMTP conversation, the sweep hands out what a dead sender held, and every copy of one mail
carries the same Message-ID so a receiver drops repeats."""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from pathlib import Path

from tests.faults.conftest import Stack
from tests.faults.services import Process, RedisServer, app_env, manage, wait_until

MAILS = 4
ENQUEUE = """
from django.db import transaction
from auth_methods.outbox import outbox_enqueue
from tenants.context import with_org
from tenants.models import Organisation
with with_org(Organisation.objects.get(slug="acme")), transaction.atomic():
    ids = [
        outbox_enqueue(kind="test", to_email=f"u{n}@example.com", subject=f"Mail {n}",
                       body="Hello.").pk
        for n in range(%d)
    ]
print(",".join(map(str, ids)))
"""


def _enqueue(env: dict[str, str], count: int) -> list[int]:
    """Write ``count`` emails through the outbox (as a request would); their ids."""
    output = manage(env, "shell", "-c", ENQUEUE % count)
    return [int(n) for n in output.strip().splitlines()[-1].split(",")]


def _message_ids(mail_dir: Path) -> list[str]:
    found = []
    for path in mail_dir.iterdir():
        found += re.findall(r"^Message-ID: (<[^>]+>)$", path.read_text(), flags=re.M)
    return found


def test_a_killed_worker_leaves_no_mail_unsent(
    stack: Stack, redis_server: RedisServer, tmp_path: Path
) -> None:
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = app_env(
        stack.pg,
        CELERY_BROKER_URL=redis_server.url,
        PASSGATE_CACHE_URL=redis_server.url.removesuffix("/0") + "/1",
        PASSGATE_DB_POOL_MAX="0",
        PASSGATE_EMAIL_BACKEND="tests.support.slow_mail.SlowFileBackend",
        PASSGATE_EMAIL_FILE_PATH=str(mail_dir),
        PASSGATE_TEST_MAIL_DELAY="1.5",
        PASSGATE_OUTBOX_CLAIM_SECONDS="3",
        PASSGATE_OUTBOX_SWEEP_SECONDS="1",
    )
    worker_command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool",
        "threads",
        "--concurrency",
        "2",
        "-l",
        "info",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    first = Process(worker_command, env, tmp_path / "worker-1.log")
    processes = [first]
    try:
        wait_until("the worker", lambda: " ready." in first.text(), timeout=30)
        ids = _enqueue(env, MAILS)
        assert len(ids) == MAILS
        # Only this test's mails (earlier tests wrote to the same outbox); integers in SQL.
        mine = f"FROM org_acme.auth_methods_outboxmessage WHERE id IN ({','.join(map(str, ids))})"
        wait_until("a first mail", lambda: len(list(mail_dir.iterdir())) >= 1)
        first.kill()  # SIGKILL to the whole group, sends in flight
        sent_before = stack.pg.sql(f"SELECT count(*) {mine} AND sent_at IS NOT NULL")
        assert int(sent_before) < MAILS  # some were left in flight or queued
        # The sweep only looks at mails older than a minute: age them.
        stack.pg.sql(
            "UPDATE org_acme.auth_methods_outboxmessage"  # noqa: S608 (integer ids)
            " SET created_at = created_at - interval '5 minutes'"
            f" WHERE id IN ({','.join(map(str, ids))})"
        )
        second = Process(worker_command, env, tmp_path / "worker-2.log")
        beat = Process(
            [
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
            ],
            env,
            tmp_path / "beat.log",
        )
        processes += [second, beat]

        def all_sent() -> bool:
            return stack.pg.sql(f"SELECT count(*) {mine} AND sent_at IS NULL") == "0"

        wait_until("every mail sent", all_sent, timeout=60)
        time.sleep(0.5)
    finally:
        for process in processes:
            process.stop()

    rows = stack.pg.sql(
        f"SELECT message_id || ' ' || attempts || ' ' || length(body) {mine} ORDER BY id"
    ).splitlines()
    expected = {row.split()[0] for row in rows}
    delivered = [found for found in _message_ids(mail_dir) if found in expected]
    assert set(delivered) == expected  # every mail arrived, under its own Message-ID
    assert all(row.endswith(" 0") for row in rows)  # bodies purged once sent
    # Repeats (a send the killed worker finished but never recorded) reuse the Message-ID.
    assert len(delivered) >= MAILS


def test_a_stop_signal_to_the_worker_group_finishes_the_sends_in_flight(
    stack: Stack, redis_server: RedisServer, tmp_path: Path
) -> None:
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = app_env(
        stack.pg,
        CELERY_BROKER_URL=redis_server.url,
        PASSGATE_CACHE_URL=redis_server.url.removesuffix("/0") + "/1",
        PASSGATE_DB_POOL_MAX="0",
        PASSGATE_EMAIL_BACKEND="tests.support.slow_mail.SlowFileBackend",
        PASSGATE_EMAIL_FILE_PATH=str(mail_dir),
        PASSGATE_TEST_MAIL_DELAY="3",
    )
    worker = Process(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "threads",
            "--concurrency",
            "2",
            "-l",
            "info",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env,
        tmp_path / "worker.log",
    )
    try:
        wait_until("the worker", lambda: " ready." in worker.text(), timeout=30)
        ids = ",".join(map(str, _enqueue(env, 2)))  # integers: safe to put in SQL
        mine = f"FROM org_acme.auth_methods_outboxmessage WHERE id IN ({ids})"
        in_flight = f"SELECT count(*) {mine} AND attempts = 1 AND sent_at IS NULL"
        wait_until("a send under way", lambda: stack.pg.sql(in_flight) != "0")
        os.killpg(worker.popen.pid, signal.SIGTERM)  # as `kill -TERM -<pgid>` does
        worker.popen.wait(timeout=30)
    finally:
        worker.kill()
    rows = [
        row.split("|")
        for row in stack.pg.sql(
            f"SELECT message_id, attempts, sent_at IS NOT NULL {mine} ORDER BY id"
        ).splitlines()
    ]
    sent = [message_id for message_id, _, done in rows if done == "t"]
    # What was being sent finished and was recorded before the worker left; what had not
    # started was handed back untouched (the broker or the sweep sends it later). Nothing
    # was cut off mid-send, and nothing went out twice.
    assert sent, rows
    assert all(done == "t" or attempts == "0" for _, attempts, done in rows), rows
    assert sorted(_message_ids(mail_dir)) == sorted(sent)
