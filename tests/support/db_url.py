"""pytest-django's test database as a DATABASE_URL, for the subprocesses some tests start."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote


def database_url(db: dict[str, Any]) -> str:
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    host, port = db["HOST"] or "", str(db["PORT"] or "")
    name = quote(db["NAME"], safe="")
    if host.startswith("/"):  # a unix socket directory
        return f"postgres://{auth}@/{name}?host={quote(host, safe='')}&port={port}"
    return f"postgres://{auth}@{host}{':' + port if port else ''}/{name}"
