"""The transactional outbox: an email is a row written with the change it reports, and a
Celery task sends it after the commit. A rolled-back change therefore sends nothing, and a
lost task (broker down, worker killed) is picked up again by the periodic sweep."""

from __future__ import annotations

import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.db import connection, transaction
from django.utils import timezone

from auth_methods.models import OutboxMessage

# What a retry can cure: the SMTP server said no for now, or the network failed.
SEND_ERRORS: tuple[type[Exception], ...] = (smtplib.SMTPException, OSError)
# Holding the row lock on a hung SMTP connection would block every other sender of the row.
SMTP_TIMEOUT_SECONDS = 30
# The sweep leaves a task a minute to do its job before queueing the message again, and
# gives up after a day: by then the email is stale, and last_error tells an operator why.
SWEEP_AFTER = timedelta(minutes=1)
SWEEP_GIVE_UP_AFTER = timedelta(days=1)
SWEEP_BATCH = 500


def outbox_enqueue(*, kind: str, to_email: str, subject: str, body: str) -> OutboxMessage:
    """Write one email to the outbox; call it inside the transaction of the change it reports.

    The send is queued only when that transaction commits. ``robust``: a broker that is down
    at that moment must not turn a committed change into an error; the sweep sends it later.
    """
    message = OutboxMessage.objects.create(
        kind=kind, to_email=to_email, subject=subject[:200], body=body
    )
    schema: str = connection.schema_name  # type: ignore[attr-defined]  # django-tenants
    transaction.on_commit(lambda: _queue(message.pk, schema), robust=True)
    return message


def _queue(message_id: int, schema_name: str) -> None:
    from auth_methods.tasks import send_outbox_message  # tasks.py imports this module

    # The schema goes with the id explicitly: ids are per organisation, and the connection
    # may have moved to another schema by the time the transaction commits.
    send_outbox_message.apply_async((message_id,), headers={"_schema_name": schema_name})


def _describe(exc: BaseException) -> str:
    # The class and the numeric code only: SMTP replies and OS messages can echo addresses,
    # credentials or the message itself, and this column is shown to operators.
    code = getattr(exc, "smtp_code", None) or getattr(exc, "errno", None)
    return type(exc).__name__ + (f" ({code})" if code else "")


def outbox_send(message_id: int) -> bool:
    """Send one outbox message; True if this call sent it, False if there was nothing to do
    (already sent, deleted, or being sent right now by another worker).

    A failure counts the attempt, keeps ``last_error`` and is re-raised, so the task retries.
    The row stays locked while sending: a retry and a sweep re-queue of the same message
    cannot both send it.
    """
    failure: Exception | None = None
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, sent_at__isnull=True)
            .first()
        )
        if message is None:
            return False
        message.attempts += 1
        try:
            send_mail(
                message.subject,
                message.body,
                None,  # DEFAULT_FROM_EMAIL
                [message.to_email],
                connection=get_connection(
                    timeout=getattr(settings, "EMAIL_TIMEOUT", None) or SMTP_TIMEOUT_SECONDS
                ),
            )
        except SEND_ERRORS as exc:
            failure = exc
            message.last_error = _describe(exc)
        else:
            message.sent_at = timezone.now()
            message.last_error = ""
        message.save(update_fields=["attempts", "last_error", "sent_at"])
    if failure is not None:
        raise failure  # after the commit above, so the failed attempt stays counted
    return True


def outbox_sweep() -> int:
    """Queue again every unsent message of this organisation older than a minute (and
    younger than a day); returns how many. Sending stays idempotent, so a message whose
    task is merely slow is not sent twice."""
    now = timezone.now()
    ids = list(
        OutboxMessage.objects.filter(
            sent_at__isnull=True,
            created_at__lt=now - SWEEP_AFTER,
            created_at__gte=now - SWEEP_GIVE_UP_AFTER,
        )
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    schema: str = connection.schema_name  # type: ignore[attr-defined]  # django-tenants
    for message_id in ids:
        _queue(message_id, schema)
    return len(ids)
