"""Celery wrappers for the OpenID Provider (beat runs them in every organisation)."""

from __future__ import annotations

from config.celery import app
from oidc.tokens_store import oidc_purge_expired


@app.task(name="oidc.purge_expired")  # type: ignore[untyped-decorator]
def purge_expired() -> int:
    return oidc_purge_expired()
