"""A worker killed mid-send leaves no mail unsent: each attempt is on record before the
SMTP conversation, the sweep hands out what a dead sender held, and every copy of one mail
carries the same Message-ID so a receiver drops repeats."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

from tests.faults.conftest import Stack
from tests.faults.services import Process, RedisServer, app_env, manage, wait_until

MAILS = 6
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
        ids = manage(env, "shell", "-c", ENQUEUE % MAILS).strip().split(",")
        assert len(ids) == MAILS
        wait_until("a first mail", lambda: len(list(mail_dir.iterdir())) >= 1)
        first.kill()  # SIGKILL to the whole group, sends in flight
        sent_before = stack.pg.sql(
            "SELECT count(*) FROM org_acme.auth_methods_outboxmessage WHERE sent_at IS NOT NULL"
        )
        assert int(sent_before) < MAILS  # some were left in flight or queued
        # The sweep only looks at mails older than a minute: age them.
        stack.pg.sql(
            "UPDATE org_acme.auth_methods_outboxmessage"
            " SET created_at = created_at - interval '5 minutes'"
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
            unsent = stack.pg.sql(
                "SELECT count(*) FROM org_acme.auth_methods_outboxmessage WHERE sent_at IS NULL"
            )
            return unsent == "0"

        wait_until("every mail sent", all_sent, timeout=60)
        time.sleep(0.5)
    finally:
        for process in processes:
            process.stop()

    rows = stack.pg.sql(
        "SELECT message_id || ' ' || attempts || ' ' || length(body)"
        " FROM org_acme.auth_methods_outboxmessage ORDER BY id"
    ).splitlines()
    expected = {row.split()[0] for row in rows}
    delivered = _message_ids(mail_dir)
    assert set(delivered) == expected  # every mail arrived, under its own Message-ID
    assert all(row.endswith(" 0") for row in rows)  # bodies purged once sent
    # Repeats (a send the killed worker finished but never recorded) reuse the Message-ID.
    assert len(delivered) >= MAILS
