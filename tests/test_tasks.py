from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from auth_methods.models import Challenge, RecoveryLink, User
from auth_methods.passkeys.challenges import challenge_issue
from auth_methods.session_store import SessionStore
from auth_methods.tasks import (
    purge_expired_challenges,
    purge_expired_recovery_links,
    purge_expired_sessions,
)
from tenants.context import with_org
from tenants.models import Organisation

pytestmark = pytest.mark.django_db


def test_the_purge_task_removes_only_expired_challenges_of_the_org(
    acme: Organisation, globex: Organisation
) -> None:
    for org in (acme, globex):
        with with_org(org):
            challenge_issue(purpose="registration", user_id=None, ttl_seconds=60)
            old = challenge_issue(purpose="registration", user_id=None, ttl_seconds=60)
            Challenge.objects.filter(challenge=old).update(
                expires_at=timezone.now() - timedelta(seconds=1)
            )
    with with_org(acme):
        assert purge_expired_challenges.delay().get() == 1
        assert Challenge.objects.count() == 1
    with with_org(globex):
        assert Challenge.objects.count() == 2  # another org's schema is untouched


def test_the_purge_task_removes_only_expired_recovery_links_of_the_org(
    acme: Organisation, globex: Organisation
) -> None:
    now = timezone.now()
    for org in (acme, globex):
        with with_org(org):
            user = User.objects.create_user(email=f"r@{org.slug}.test")
            for i, (expires, used) in enumerate(
                [
                    (now + timedelta(minutes=5), None),
                    (now - timedelta(seconds=1), None),
                    (now - timedelta(hours=1), now - timedelta(hours=2)),
                ]
            ):
                RecoveryLink.objects.create(
                    user=user, token_hash=f"{org.slug}-{i}", expires_at=expires, used_at=used
                )
    with with_org(acme):
        assert purge_expired_recovery_links.delay().get() == 2
        assert list(RecoveryLink.objects.values_list("token_hash", flat=True)) == ["acme-0"]
    with with_org(globex):
        assert RecoveryLink.objects.count() == 3  # another org's schema is untouched


def test_the_purge_task_removes_only_expired_sessions_of_the_org(
    acme: Organisation, globex: Organisation
) -> None:
    for org in (acme, globex):
        with with_org(org):
            for expiry in (3600, -1):
                store = SessionStore()
                store["n"] = expiry
                store.set_expiry(expiry)
                store.save()
    with with_org(acme):
        assert purge_expired_sessions.delay().get() == 1
        assert Session.objects.count() == 1
    with with_org(globex):
        assert Session.objects.count() == 2  # another org's schema is untouched
