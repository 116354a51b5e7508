"""A throw-away database for a benchmark run, on the server that DATABASE_URL names."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql


@contextmanager
def scratch_database(suffix: str) -> Iterator[str]:
    """Create the database named like DATABASE_URL's plus ``_suffix`` (dropping a leftover),
    point DATABASE_URL at it, drop it after. Named after the configured database so that
    benchmarks run against different databases of one server never drop each other's."""
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/passgate")
    parts = urlsplit(base)
    # Nested scratch databases see DATABASE_URL pointing at the outer one: name by the first.
    configured = os.environ.setdefault("BENCH_CONFIGURED_DATABASE", parts.path.lstrip("/"))
    name = f"{configured or 'passgate'}_{suffix}"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    bench_url = urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(_conninfo(admin_url), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    os.environ["DATABASE_URL"] = bench_url
    try:
        yield bench_url
    finally:
        os.environ["DATABASE_URL"] = base
        with psycopg.connect(_conninfo(admin_url), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _conninfo(url: str) -> str:
    from config.env import database_from_url

    db = database_from_url(url)
    options = db.get("OPTIONS") or {}
    assert isinstance(options, dict)
    parts = {
        "dbname": db["NAME"],
        "user": db["USER"],
        "password": db["PASSWORD"],
        "host": db["HOST"],
        "port": db["PORT"],
        **options,
    }
    return " ".join(f"{k}='{v}'" for k, v in parts.items() if v)
