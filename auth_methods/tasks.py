"""Celery tasks: thin, idempotent wrappers over services. The tenant-aware app runs each in
the schema of the organisation that sent it (or, from beat, of every organisation)."""

from __future__ import annotations

from auth_methods.org_signup import signup_mail_send, signup_mails_sweep
from auth_methods.outbox import SEND_ERRORS, outbox_send, outbox_sweep
from auth_methods.passkeys.challenges import challenges_purge_expired
from auth_methods.recovery import recovery_links_purge_expired
from auth_methods.sessions import sessions_purge_expired
from config.celery import app


@app.task(name="auth_methods.purge_expired_challenges")  # type: ignore[untyped-decorator]
def purge_expired_challenges() -> int:
    return challenges_purge_expired()


@app.task(name="auth_methods.purge_expired_recovery_links")  # type: ignore[untyped-decorator]
def purge_expired_recovery_links() -> int:
    return recovery_links_purge_expired()


@app.task(name="auth_methods.purge_expired_sessions")  # type: ignore[untyped-decorator]
def purge_expired_sessions() -> int:
    return sessions_purge_expired()


@app.task(  # type: ignore[untyped-decorator]
    name="auth_methods.send_outbox_message",
    # Transport errors only: anything else is a bug that retrying would not fix.
    autoretry_for=SEND_ERRORS,
    max_retries=8,
    retry_backoff=True,  # 1 s, 2 s, 4 s ... about 4 minutes in all, with jitter
    retry_backoff_max=600,
    retry_jitter=True,
)
def send_outbox_message(message_id: int) -> bool:
    return outbox_send(message_id)


@app.task(name="auth_methods.sweep_outbox")  # type: ignore[untyped-decorator]
def sweep_outbox() -> int:
    return outbox_sweep()


@app.task(  # type: ignore[untyped-decorator]
    name="auth_methods.send_signup_mail",
    autoretry_for=SEND_ERRORS,
    max_retries=8,
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
)
def send_signup_mail(request_id: str) -> bool:
    return signup_mail_send(request_id)


@app.task(name="auth_methods.sweep_signup_mails")  # type: ignore[untyped-decorator]
def sweep_signup_mails() -> int:
    return signup_mails_sweep()
