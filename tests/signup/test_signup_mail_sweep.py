"""An organisation sign-up whose confirmation mail was lost (the broker was down) is answered
and kept, and beat's platform sweep sends the mail later, once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone
from kombu.exceptions import OperationalError

from auth_methods.org_signup import MAIL_SWEEP_AFTER, signup_mails_sweep
from auth_methods.tasks import send_signup_mail
from config.beat import ResilientTenantScheduler
from config.celery import app
from tenants.models import SignupRequest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _open_signup_and_no_earlier_requests(settings: Any) -> None:
    settings.SIGNUP_MODE = "open"
    SignupRequest.objects.all().delete()


def test_a_sign_up_made_while_the_broker_is_down_is_mailed_by_the_sweep(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with (
        mock.patch.object(send_signup_mail, "delay", side_effect=OperationalError("down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = Client(HTTP_HOST="localhost").post(
            "/signup", {"org_name": "Lost Co", "slug": "lostco", "email": "a@lostco.test"}
        )
    assert response.status_code == 200
    (request,) = SignupRequest.objects.all()
    assert request.mail_sent_at is None and mail.outbox == []

    assert signup_mails_sweep() == 0  # its task may still be on its way
    SignupRequest.objects.filter(pk=request.pk).update(
        created_at=timezone.now() - MAIL_SWEEP_AFTER - timedelta(seconds=1)
    )
    assert signup_mails_sweep() == 1
    (sent,) = mail.outbox
    assert sent.to == ["a@lostco.test"] and f"/signup/confirm/{request.pk}/" in str(sent.body)
    assert signup_mails_sweep() == 0  # sent: never again
    assert len(mail.outbox) == 1


def test_an_expired_or_confirmed_request_is_not_mailed_again() -> None:
    old = timezone.now() - MAIL_SWEEP_AFTER - timedelta(seconds=1)
    common = {"org_name": "Co", "email": "a@co.test", "nonce": "n"}
    SignupRequest.objects.create(slug="gone", expires_at=timezone.now(), **common)
    SignupRequest.objects.create(
        slug="done", state=SignupRequest.State.DONE, expires_at=old + timedelta(hours=2), **common
    )
    SignupRequest.objects.filter(slug__in=["gone", "done"]).update(created_at=old)
    assert signup_mails_sweep() == 0
    assert mail.outbox == []


def test_beat_sends_the_platform_sweep_to_the_public_schema() -> None:
    scheduler = ResilientTenantScheduler(app=app)
    entry = scheduler.schedule["sweep-signup-mails@public"]
    seen: list[str] = []
    with mock.patch.object(
        scheduler,
        "apply_async",
        side_effect=lambda *a, **k: seen.append(getattr(connection, "schema_name", "")),
    ):
        scheduler.apply_entry(entry)
    assert seen == ["public"]
