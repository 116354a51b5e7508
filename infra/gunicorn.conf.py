"""gunicorn settings for production (behind the buffering proxy in infra/nginx).

Threaded workers: a request waiting on PostgreSQL or SMTP holds a thread, not a whole
process, and the proxy buffers slow clients so no worker ever waits on a socket. Every
wait inside a request is bounded far below ``timeout`` (database pool 3 s, statements
15 s, cache 0.5 s); ``timeout`` only catches a worker that hangs anyway.
"""

import os
import shutil

from prometheus_client import multiprocess

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")  # noqa: S104 (inside the container)
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = 30
graceful_timeout = 25
keepalive = 5
accesslog = "-"
# Recycled now and then, staggered, so a slow leak never builds up.
max_requests = 5000
max_requests_jitter = 500

_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def on_starting(server: object) -> None:
    # The directory holds the workers' counters; a fresh start must not add up old files.
    if _metrics_dir:
        shutil.rmtree(_metrics_dir, ignore_errors=True)
        os.makedirs(_metrics_dir, exist_ok=True)


def child_exit(server: object, worker: object) -> None:
    if _metrics_dir:
        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined,no-untyped-call]
