"""The transactional outbox: an email is a row written with the change it reports, and a
Celery task sends it after the commit. A rolled-back change therefore sends nothing, and a
lost task (broker down, worker killed) is picked up again by the periodic sweep.

Delivery is at least once, made safe to repeat: each attempt is committed before the SMTP
conversation starts, and every attempt of one email carries the same ``Message-ID``, so a
mail sent again after a worker died between the server's "accepted" and our commit is
dropped as a duplicate by the receiving side. A sign-in link is kept encrypted until the
moment of sending, and the body is emptied once the mail is out (the row stays, for the
audit: who was mailed what kind of email, when, after how many attempts).
"""

from __future__ import annotations

import smtplib
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import Min, Q
from django.utils import timezone

from auth_methods.crypto import decrypt, encrypt
from auth_methods.models import OutboxMessage
from auth_methods.sql_rows import Columns
from tenants.context import current_org
from tenants.outbox_status import outbox_status_report

# What a retry can cure: the SMTP server said no for now, or the network failed.
SEND_ERRORS: tuple[type[Exception], ...] = (smtplib.SMTPException, OSError)
SMTP_TIMEOUT_SECONDS = 30
# The sweep leaves a task a minute to do its job before queueing the message again, and
# gives up after a day: by then the email is stale, and last_error tells an operator why.
SWEEP_AFTER = timedelta(minutes=1)
SWEEP_GIVE_UP_AFTER = timedelta(days=1)
SWEEP_BATCH = 500
# Stands for the link in a stored body. Control characters never survive into a body from
# user input (notifications strip them), so no label or name can fake it.
LINK_PLACEHOLDER = "\x1elink\x1e"


def _message_id() -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "passgate.localhost"
    return f"<{uuid.uuid4().hex}@{domain}>"


def outbox_enqueue(
    *, kind: str, to_email: str, subject: str, body: str, link: str | None = None
) -> OutboxMessage:
    """Write one email to the outbox; call it inside the transaction of the change it reports.

    ``link`` (a sign-in link) is stored encrypted and stands in the body as
    ``LINK_PLACEHOLDER`` until it is sent. The send is queued only when that transaction
    commits, ``robust``: a broker that is down then must not turn a committed change into an
    error; the sweep sends it later.
    """
    if (link is None) != (LINK_PLACEHOLDER not in body):
        raise ValueError("a link and its placeholder go together")
    message = OutboxMessage.objects.create(
        kind=kind,
        to_email=to_email,
        subject=subject[:200],
        body=body,
        link_encrypted=encrypt(link.encode()) if link is not None else None,
        message_id=_message_id(),
    )
    schema: str = connection.schema_name  # type: ignore[attr-defined]  # django-tenants
    transaction.on_commit(lambda: _queue(message.pk, schema), robust=True)
    return message


def _queue(message_id: int, schema_name: str) -> None:
    from auth_methods.tasks import send_outbox_message  # tasks.py imports this module

    # The schema goes with the id explicitly: ids are per organisation, and the connection
    # may have moved to another schema by the time the transaction commits.
    send_outbox_message.apply_async((message_id,), headers={"_schema_name": schema_name})


def outbox_body(message: OutboxMessage) -> str:
    """The text to send: the stored body with its link decrypted into place."""
    if message.link_encrypted is None:
        return message.body
    link = decrypt(bytes(message.link_encrypted)).decode()
    return message.body.replace(LINK_PLACEHOLDER, link)


def _describe(exc: BaseException) -> str:
    # The class and the numeric code only: SMTP replies and OS messages can echo addresses,
    # credentials or the message itself, and this column is shown to operators.
    code = getattr(exc, "smtp_code", None) or getattr(exc, "errno", None)
    return type(exc).__name__ + (f" ({code})" if code else "")


_ROW = Columns(OutboxMessage, "m")
# One statement: it decides, counts the attempt and reads the message back, and commits on its
# own (no transaction around it).
_CLAIM_SQL = (
    f"UPDATE {OutboxMessage._meta.db_table} AS m "  # noqa: S608 (our table and columns)
    "SET attempts = m.attempts + 1, claimed_until = %s "
    "WHERE m.id = %s AND m.sent_at IS NULL "
    "AND (m.claimed_until IS NULL OR m.claimed_until < %s) "
    f"RETURNING {_ROW.sql}"
)


def _claim(message_id: int) -> OutboxMessage | None:
    """Take the message for one attempt, committed before any SMTP traffic: of two senders
    (a retry and a sweep re-queue) only one gets it, and the attempt is on record even if
    this process dies mid-send."""
    now = timezone.now()
    # Past it, a sender that died is presumed gone and the sweep hands the message to another
    # (settings.OUTBOX_CLAIM_SECONDS outlasts any SMTP call).
    until = now + timedelta(seconds=settings.OUTBOX_CLAIM_SECONDS)
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL, [until, message_id, now])
        row = cursor.fetchone()
    return None if row is None else _ROW.build(row)


def outbox_send(message_id: int) -> bool:
    """Send one outbox message; True if this call sent it, False if there was nothing to do
    (already sent, deleted, or held by another sender right now).

    A failure keeps ``last_error``, lets the message go and is re-raised, so the task
    retries.
    """
    message = _claim(message_id)
    if message is None:
        return False
    email = EmailMessage(
        message.subject,
        outbox_body(message),
        None,  # DEFAULT_FROM_EMAIL
        [message.to_email],
        headers={"Message-ID": message.message_id} if message.message_id else None,
        connection=get_connection(
            timeout=getattr(settings, "EMAIL_TIMEOUT", None) or SMTP_TIMEOUT_SECONDS
        ),
    )
    try:
        email.send()
    except SEND_ERRORS as exc:
        OutboxMessage.objects.filter(pk=message_id).update(
            claimed_until=None, last_error=_describe(exc)
        )
        raise
    # Sent: the body (and the link in it) has done its job and must not stay at rest.
    OutboxMessage.objects.filter(pk=message_id).update(
        sent_at=timezone.now(), claimed_until=None, last_error="", body="", link_encrypted=None
    )
    return True


def outbox_sweep() -> int:
    """Queue again every unsent, unclaimed message of this organisation older than a minute
    (and younger than a day); empty the bodies of those given up; report the backlog for
    the metrics. Returns how many were queued. Sending stays idempotent, so a message whose
    task is merely slow is not sent twice."""
    now = timezone.now()
    unsent = OutboxMessage.objects.filter(sent_at__isnull=True)
    unsent.filter(created_at__lt=now - SWEEP_GIVE_UP_AFTER).exclude(body="").update(
        body="", link_encrypted=None
    )
    live = unsent.filter(created_at__gte=now - SWEEP_GIVE_UP_AFTER)
    ids = list(
        live.filter(created_at__lt=now - SWEEP_AFTER)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    schema: str = connection.schema_name  # type: ignore[attr-defined]  # django-tenants
    for message_id in ids:
        _queue(message_id, schema)
    org = current_org()
    if org is not None:
        figures = live.aggregate(oldest=Min("created_at"))
        outbox_status_report(org=org, backlog=live.count(), oldest_unsent_at=figures["oldest"])
    return len(ids)
