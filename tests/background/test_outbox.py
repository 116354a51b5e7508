"""The transactional outbox: written with the change, sent after the commit, exactly once."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from auth_methods import notifications, outbox
from auth_methods.models import OutboxMessage, User
from auth_methods.outbox import outbox_enqueue, outbox_send
from auth_methods.tasks import send_outbox_message, sweep_outbox
from config.celery import app
from tenants.models import Organisation

pytestmark = pytest.mark.django_db

Mailbox = list[mail.EmailMessage]


def _message(subject: str = "Hello") -> OutboxMessage:
    # Not committed (the test transaction never is), so its on_commit send never runs.
    return outbox_enqueue(kind="test", to_email="ann@example.com", subject=subject, body="Hi.")


def _fail_with(exc: Exception) -> Callable[..., int]:
    def send_mail(*args: Any, **kwargs: Any) -> int:
        raise exc

    return send_mail


class Boom(Exception):
    pass


def test_it_writes_the_message_with_the_change_and_sends_it_after_the_commit(
    in_acme: Organisation, django_capture_on_commit_callbacks: Any, mailoutbox: Mailbox
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            user = User.objects.create_user("ann@example.com")
            message = notifications.notify_totp_enabled(user)
            assert message is not None and mailoutbox == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    assert [m.to for m in mailoutbox] == [["ann@example.com"]]
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 1


def test_it_sends_nothing_when_the_change_rolls_back(
    in_acme: Organisation, django_capture_on_commit_callbacks: Any, mailoutbox: Mailbox
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Boom), transaction.atomic():
            user = User.objects.create_user("ann@example.com")
            notifications.notify_passkey_added(user, "YubiKey")
            raise Boom
    assert callbacks == []
    assert mailoutbox == []
    assert not OutboxMessage.objects.exists()
    assert not User.objects.filter(email="ann@example.com").exists()


def test_a_failed_send_counts_the_attempt_without_secrets_and_a_later_send_succeeds(
    in_acme: Organisation, monkeypatch: pytest.MonkeyPatch, mailoutbox: Mailbox
) -> None:
    message = _message()
    refused = smtplib.SMTPAuthenticationError(535, b"password hunter2 rejected")
    monkeypatch.setattr(mail.EmailMessage, "send", _fail_with(refused))
    with pytest.raises(smtplib.SMTPAuthenticationError):
        outbox_send(message.pk)
    message.refresh_from_db()
    assert (message.sent_at, message.attempts) == (None, 1)
    assert message.last_error == "SMTPAuthenticationError (535)"
    assert "hunter2" not in message.last_error

    monkeypatch.undo()
    assert outbox_send(message.pk) is True
    message.refresh_from_db()
    assert message.sent_at is not None
    assert (message.attempts, message.last_error) == (2, "")
    assert [m.subject for m in mailoutbox] == ["Hello"]


def test_it_sends_a_message_once_however_often_it_is_asked(
    in_acme: Organisation, mailoutbox: Mailbox
) -> None:
    message = _message()
    assert send_outbox_message.delay(message.pk).get() is True
    assert send_outbox_message.delay(message.pk).get() is False
    assert outbox_send(message.pk) is False
    assert outbox_send(10**9) is False  # deleted or never written: nothing to do
    assert len(mailoutbox) == 1


def test_the_task_retries_transport_errors_until_its_budget_is_spent(
    in_acme: Organisation, monkeypatch: pytest.MonkeyPatch, mailoutbox: Mailbox
) -> None:
    message = _message()
    monkeypatch.setattr(
        mail.EmailMessage, "send", _fail_with(ConnectionRefusedError(111, "refused"))
    )
    # Eager and not propagating: each retry runs at once instead of after its backoff.
    monkeypatch.setitem(app.conf, "task_eager_propagates", False)
    result = send_outbox_message.delay(message.pk)
    assert isinstance(result.result, ConnectionRefusedError)
    message.refresh_from_db()
    assert message.attempts == 9  # the first try and 8 retries
    assert message.last_error == "ConnectionRefusedError (111)"
    assert message.sent_at is None and mailoutbox == []


def test_the_task_does_not_retry_a_programming_error(
    in_acme: Organisation, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = _message()
    monkeypatch.setattr(mail.EmailMessage, "send", _fail_with(Boom()))
    with pytest.raises(Boom):
        send_outbox_message.delay(message.pk)
    message.refresh_from_db()
    # The attempt was on record before the send began; the message stays held until its
    # claim lapses, then the sweep hands it out again.
    assert (message.attempts, message.sent_at) == (1, None)
    assert message.claimed_until is not None and message.claimed_until > timezone.now()


def test_the_sweep_queues_again_only_unsent_messages_older_than_a_minute(
    in_acme: Organisation, mailoutbox: Mailbox
) -> None:
    now = timezone.now()
    lost = _message("lost")
    fresh = _message("fresh")
    done = _message("done")
    stale = _message("stale")
    OutboxMessage.objects.filter(pk__in=[lost.pk, done.pk]).update(
        created_at=now - timedelta(minutes=2)
    )
    OutboxMessage.objects.filter(pk=done.pk).update(sent_at=now - timedelta(minutes=1))
    OutboxMessage.objects.filter(pk=stale.pk).update(created_at=now - timedelta(days=2))

    assert sweep_outbox.delay().get() == 1
    assert [m.subject for m in mailoutbox] == ["lost"]
    assert OutboxMessage.objects.get(pk=lost.pk).sent_at is not None
    assert OutboxMessage.objects.get(pk=fresh.pk).sent_at is None


def test_the_sweep_of_one_org_leaves_another_orgs_outbox_alone(
    acme: Organisation, globex: Organisation, mailoutbox: Mailbox
) -> None:
    from tenants.context import with_org

    for org in (acme, globex):
        with with_org(org):
            old = _message(f"lost at {org.slug}")
            OutboxMessage.objects.filter(pk=old.pk).update(
                created_at=timezone.now() - timedelta(minutes=5)
            )
    with with_org(acme):
        assert sweep_outbox.delay().get() == 1
    assert [m.subject for m in mailoutbox] == ["lost at acme"]
    with with_org(globex):
        assert OutboxMessage.objects.get().sent_at is None


NOTIFY: list[tuple[str, Callable[[User], OutboxMessage | None]]] = [
    ("passkey_added", lambda u: notifications.notify_passkey_added(u, "Work\nlaptop")),
    ("passkey_removed", lambda u: notifications.notify_passkey_removed(u, "Work\nlaptop")),
    ("totp_enabled", notifications.notify_totp_enabled),
    ("totp_disabled", notifications.notify_totp_disabled),
    ("recovery_codes_regenerated", notifications.notify_recovery_codes_regenerated),
    (
        "recovery_link",
        lambda u: notifications.notify_recovery_link(u, "https://acme.example/recover/t0k3n"),
    ),
]


@pytest.mark.parametrize(("kind", "notify"), NOTIFY, ids=[k for k, _ in NOTIFY])
def test_each_security_email_goes_to_the_user_in_plain_text(
    in_acme: Organisation, kind: str, notify: Callable[[User], OutboxMessage | None]
) -> None:
    user = User.objects.create_user("ann@example.com", display_name="Ann")
    message = notify(user)
    assert message is not None
    assert (message.kind, message.to_email) == (kind, "ann@example.com")
    assert message.subject.startswith("[Acme Corp] ") and "\n" not in message.subject
    assert (
        outbox.outbox_body(message).startswith("Hello Ann,")
        and "ann@example.com at Acme Corp" in message.body
    )
    assert "t0k3n" not in message.body  # a link is kept encrypted until it is sent
    assert ("t0k3n" in outbox.outbox_body(message)) == (kind == "recovery_link")
    if kind.startswith("passkey"):
        assert '"Work laptop"' in message.body  # a label cannot break the layout


def test_a_sign_in_name_that_is_not_an_address_gets_no_email(in_acme: Organisation) -> None:
    user = User.objects.create_user("employee-4711")
    assert notifications.notify_totp_enabled(user) is None
    assert not OutboxMessage.objects.exists()
