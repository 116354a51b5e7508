"""What the outbox keeps at rest: no usable sign-in link, no body once sent, one Message-ID
per email whatever the number of attempts."""

from __future__ import annotations

import smtplib
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from auth_methods import outbox
from auth_methods.audit import Actor
from auth_methods.models import OutboxMessage, User
from auth_methods.outbox import outbox_enqueue, outbox_send, outbox_sweep
from auth_methods.recovery import recovery_link_request, registration_link_send
from tenants.models import Organisation, OrgOutboxStatus
from tests.support.at_rest import tables_holding

pytestmark = pytest.mark.django_db

Mailbox = list[mail.EmailMessage]
ACTOR = Actor(ip="203.0.113.9", user_agent="pytest")


def _token_of(mailbox: Mailbox) -> str:
    (sent,) = mailbox
    line = next(w for w in sent.body.split() if "/recover/" in w or "/invitation/" in w)
    return line.rsplit("/", 1)[1]


@pytest.fixture
def ann(in_acme: Organisation) -> User:
    return User.objects.create_user("ann@example.com", display_name="Ann")


def test_no_table_of_the_org_holds_an_issued_recovery_link(
    ann: User, acme: Organisation, django_capture_on_commit_callbacks: Any, mailoutbox: Mailbox
) -> None:
    with django_capture_on_commit_callbacks() as queued:
        recovery_link_request(actor=ACTOR, email=ann.email, base_url="http://acme.localhost")
    message = OutboxMessage.objects.get(kind="recovery_link")
    # Before sending: the link is in no table, yet the sender can still write it out.
    plain = outbox.outbox_body(message)
    token = plain.split("/recover/", 1)[1].split()[0]
    assert len(token) >= 43
    assert tables_holding(acme.schema_name, token) == []
    assert tables_holding("public", token) == []
    for callback in queued:
        callback()
    assert _token_of(mailoutbox) == token  # the mail that left has the working link
    assert tables_holding(acme.schema_name, token) == []
    message.refresh_from_db()
    assert message.sent_at is not None and message.body == "" and message.link_encrypted is None
    assert (message.kind, message.to_email, message.attempts) == ("recovery_link", ann.email, 1)


def test_no_table_of_the_org_holds_an_admins_registration_link(
    ann: User, acme: Organisation, mailoutbox: Mailbox
) -> None:
    registration_link_send(actor=ACTOR, user=ann)
    message = OutboxMessage.objects.get(kind="registration_link")
    token = outbox.outbox_body(message).split("/invitation/", 1)[1].split()[0]
    assert tables_holding(acme.schema_name, token) == []
    assert outbox_send(message.pk) is True
    assert _token_of(mailoutbox) == token
    assert tables_holding(acme.schema_name, token) == []


def test_every_attempt_of_one_email_carries_the_same_message_id(
    in_acme: Organisation, monkeypatch: pytest.MonkeyPatch, mailoutbox: Mailbox
) -> None:
    message = outbox_enqueue(kind="test", to_email="bo@example.com", subject="Hi", body="Hi.")
    seen: list[str] = []
    real_send = mail.EmailMessage.send

    def flaky(self: mail.EmailMessage, fail_silently: bool = False) -> int:
        seen.append(self.extra_headers["Message-ID"])
        if len(seen) == 1:
            raise smtplib.SMTPServerDisconnected("gone")
        return real_send(self, fail_silently)

    monkeypatch.setattr(mail.EmailMessage, "send", flaky)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        outbox_send(message.pk)
    assert outbox_send(message.pk) is True
    assert seen[0] == seen[1] == message.message_id
    assert message.message_id.startswith("<") and message.message_id.endswith(">")
    assert mailoutbox[0].message()["Message-ID"] == message.message_id
    other = outbox_enqueue(kind="test", to_email="bo@example.com", subject="Hi", body="Hi.")
    assert other.message_id != message.message_id


def test_the_attempt_is_committed_before_sending_and_holds_off_a_second_sender(
    in_acme: Organisation, monkeypatch: pytest.MonkeyPatch, mailoutbox: Mailbox
) -> None:
    message = outbox_enqueue(kind="test", to_email="bo@example.com", subject="Hi", body="Hi.")
    during: list[tuple[int, bool]] = []

    def observe(self: mail.EmailMessage, fail_silently: bool = False) -> int:
        row = OutboxMessage.objects.get(pk=message.pk)
        # A second sender (a sweep re-queue, a retry) finds the message taken.
        during.append((row.attempts, outbox_send(message.pk)))
        return 1

    monkeypatch.setattr(mail.EmailMessage, "send", observe)
    assert outbox_send(message.pk) is True
    assert during == [(1, False)]


def test_a_sender_that_died_mid_send_lets_the_sweep_hand_the_message_out_again(
    in_acme: Organisation, acme: Organisation, mailoutbox: Mailbox
) -> None:
    message = outbox_enqueue(kind="test", to_email="bo@example.com", subject="Hi", body="Hi.")
    past = timezone.now() - timedelta(minutes=5)
    # As a worker killed after claiming leaves it: an attempt, a claim, no sent_at.
    OutboxMessage.objects.filter(pk=message.pk).update(
        attempts=1, created_at=past, claimed_until=timezone.now() + timedelta(seconds=60)
    )
    assert outbox_sweep() == 0  # still held: the sender may be alive
    OutboxMessage.objects.filter(pk=message.pk).update(claimed_until=past)
    assert outbox_sweep() == 1  # eager: queued and sent at once
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 2
    assert len(mailoutbox) == 1


def test_the_sweep_reports_the_backlog_for_the_metrics(
    in_acme: Organisation, acme: Organisation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "_queue", lambda *args: None)  # a broker that never delivers
    old = outbox_enqueue(kind="test", to_email="bo@example.com", subject="A", body="A.")
    outbox_enqueue(kind="test", to_email="bo@example.com", subject="B", body="B.")
    created = timezone.now() - timedelta(minutes=10)
    OutboxMessage.objects.filter(pk=old.pk).update(created_at=created)
    assert outbox_sweep() == 1
    status = OrgOutboxStatus.objects.get(org=acme)
    assert status.backlog == 2 and status.oldest_unsent_at == created
    assert timezone.now() - status.swept_at < timedelta(seconds=5)


def test_a_message_given_up_after_a_day_loses_its_body(
    in_acme: Organisation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "_queue", lambda *args: None)
    user = User.objects.create_user("cy@example.com")
    from auth_methods.notifications import notify_recovery_link

    message = notify_recovery_link(user, "http://acme.localhost/recover/s3cr3t")
    assert message is not None
    OutboxMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(days=2)
    )
    assert outbox_sweep() == 0
    message.refresh_from_db()
    assert (message.body, message.link_encrypted, message.sent_at) == ("", None, None)
