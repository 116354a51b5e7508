"""A real Celery worker, over Redis, sends an outbox email in the schema of the org that
queued the task. The worker has its own database connection, so the test's rows are written
and read on a connection of their own, committed (and removed afterwards), outside the
usual per-test transaction."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection, connections

from auth_methods.models import OutboxMessage
from auth_methods.tasks import send_outbox_message
from config.celery import app
from tenants.context import with_org
from tenants.models import Organisation

# django_db makes pytest-django create the test database; the test's own writes bypass the
# per-test transaction through ``committed``.
pytestmark = [pytest.mark.worker, pytest.mark.django_db]

BROKER_URL = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
TIMEOUT = 30.0
T = TypeVar("T")


def committed(org: Organisation, work: Callable[[], T]) -> T:
    """Run ``work`` in ``org``'s schema on a fresh connection in autocommit mode, as the
    worker will see it."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            with with_org(org):
                box["value"] = work()
        except BaseException as exc:  # noqa: BLE001 (re-raised in the test's thread)
            box["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=TIMEOUT)
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


def _require_redis() -> None:
    """Fail, never skip: a missing broker must not pass CI silently."""
    client = redis.Redis.from_url(BROKER_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
        problem = ""
    except redis.RedisError as exc:
        problem = str(exc)
    finally:
        client.close()
    if problem:
        pytest.fail(
            f"Redis is not reachable at {BROKER_URL} ({problem}). The worker test needs it: "
            "start Redis (.ci/run does) or point CELERY_TEST_BROKER_URL at one.",
            pytrace=False,
        )


def _database_url(db: dict[str, Any]) -> str:
    """pytest-django's test database, as a DATABASE_URL for the worker process."""
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    host, port = db["HOST"] or "", str(db["PORT"] or "")
    name = quote(db["NAME"], safe="")
    if host.startswith("/"):  # a unix socket directory
        return f"postgres://{auth}@/{name}?host={quote(host, safe='')}&port={port}"
    return f"postgres://{auth}@{host}{':' + port if port else ''}/{name}"


def _wait_for(
    what: str, check: Callable[[], bool], log: Path, worker: subprocess.Popen[bytes]
) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if check():
            return
        if worker.poll() is not None:
            pytest.fail(f"The worker exited ({worker.returncode}):\n{log.read_text()}")
        time.sleep(0.2)
    pytest.fail(
        f"Timed out after {TIMEOUT:.0f} s waiting for {what}. Worker log:\n{log.read_text()}"
    )


@contextmanager
def running_worker(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A worker process of our app on a queue of its own, writing emails to files."""
    queue = f"passgate-test-{uuid.uuid4().hex}"
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(connection.settings_dict),
        "CELERY_BROKER_URL": BROKER_URL,
        "PASSGATE_SECRET_KEY": settings.SECRET_KEY,
        "PASSGATE_DB_POOL_MAX": "0",
        "PASSGATE_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "PASSGATE_EMAIL_FILE_PATH": str(mail_dir),
    }
    command = [
        *(sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo"),
        *("-Q", queue, "--hostname", f"{queue}@%h", "--loglevel=INFO"),
        *("--without-heartbeat", "--without-gossip", "--without-mingle"),
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _wait_for("the worker to start", lambda: " ready." in log.read_text(), log, process)
        yield {"queue": queue, "mail_dir": mail_dir, "log": log, "process": process}
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        _forget_queue(queue)


def _forget_queue(queue: str) -> None:
    """Remove what kombu left in Redis for the one-off queue, so runs do not pile up keys."""
    client = redis.Redis.from_url(BROKER_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    finally:
        client.close()


def test_a_real_worker_sends_the_message_in_the_schema_of_the_org_that_queued_it(
    orgs: dict[str, Organisation],
    django_db_blocker: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    _require_redis()
    acme, globex = orgs["acme"], orgs["globex"]
    with django_db_blocker.unblock(), running_worker(tmp_path) as worker:
        subject = f"Worker check {worker['queue']}"
        message = committed(
            acme,
            lambda: OutboxMessage.objects.create(
                kind="test", to_email="worker@example.com", subject=subject, body="Hello."
            ),
        )
        try:
            # The same id in another org: the worker must leave this one alone.
            committed(
                globex,
                lambda: OutboxMessage.objects.create(
                    pk=message.pk, kind="test", to_email="decoy@example.com", subject="Decoy"
                ),
            )
            monkeypatch.setitem(app.conf, "task_always_eager", False)
            with app.connection_for_write(BROKER_URL) as broker, with_org(acme):
                send_outbox_message.apply_async(
                    (message.pk,), queue=worker["queue"], connection=broker
                )

            def sent() -> bool:
                return committed(
                    acme,
                    lambda: OutboxMessage.objects.filter(
                        pk=message.pk, sent_at__isnull=False
                    ).exists(),
                )

            _wait_for("the message to be marked sent", sent, worker["log"], worker["process"])
            files = list(worker["mail_dir"].iterdir())
            assert len(files) == 1, files
            text = files[0].read_text()
            assert f"Subject: {subject}" in text and "To: worker@example.com" in text
            decoy = committed(globex, lambda: OutboxMessage.objects.get(pk=message.pk))
            assert (decoy.sent_at, decoy.attempts) == (None, 0)
        finally:
            for org in (acme, globex):
                committed(org, lambda: OutboxMessage.objects.filter(pk=message.pk).delete())
