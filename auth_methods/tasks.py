"""Celery tasks: thin, idempotent wrappers over services. The tenant-aware app runs each in
the schema of the organisation that sent it (or, from beat, of every organisation)."""

from __future__ import annotations

from auth_methods.passkeys.challenges import challenges_purge_expired
from config.celery import app


@app.task(name="auth_methods.purge_expired_challenges")  # type: ignore[untyped-decorator]
def purge_expired_challenges() -> int:
    return challenges_purge_expired()
