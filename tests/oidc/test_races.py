"""A code or a refresh token presented twice at once: the database lets exactly one through."""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connections, transaction
from django.utils import timezone

from auth_methods.audit import Actor
from auth_methods.models import AuditEvent, User
from auth_methods.session_revocation import end_other_sessions
from auth_methods.users import user_create
from oidc.clients import client_create
from oidc.models import AuthorizationCode, Client, Token, digest
from oidc.tokens_store import code_claim, refresh_claim, token_save
from tenants.context import with_org
from tenants.models import Organisation

pytestmark = pytest.mark.django_db


def committed(org: Organisation, work: Callable[[], Any]) -> Any:
    """``work`` on a connection of its own, committed at once (outside the test transaction)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            with with_org(org):
                box["value"] = work()
        finally:
            connections.close_all()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=30)
    return box.get("value")


def race(org: Organisation, work: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def racer() -> None:
        def go() -> Any:
            barrier.wait(timeout=10)
            return work()

        outcomes.append(committed(org, go))

    threads = [threading.Thread(target=racer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.fixture
def setup(orgs: dict[str, Organisation]) -> Iterator[tuple[Organisation, Client, User]]:
    acme = orgs["acme"]
    email = f"race-{secrets.token_hex(4)}@acme.test"
    last_event = (
        committed(
            acme, lambda: AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
        )
        or 0
    )

    def make() -> tuple[Client, User]:
        client = client_create(
            actor=Actor(label="test"), name="Race", redirect_uris=["https://r.example/cb"]
        ).client
        return client, user_create(email=email)

    client, user = committed(acme, make)
    yield acme, client, user

    def clean() -> None:
        Client.objects.filter(pk=client.pk).delete()
        User.objects.filter(pk=user.pk).delete()
        # Committed rows outlive the test: later tests count audit events in this org.
        AuditEvent.objects.filter(id__gt=last_event).delete()

    committed(acme, clean)


def test_two_exchanges_of_one_code_get_it_once(setup: tuple[Organisation, Client, User]) -> None:
    org, client, user = setup
    code = secrets.token_urlsafe(32)
    committed(
        org,
        lambda: AuthorizationCode.objects.create(
            code_digest=digest(code),
            client=client,
            user=user,
            redirect_uri="https://r.example/cb",
            scope="openid",
            auth_time=int(time.time()),
            expires_at=timezone.now() + timedelta(seconds=60),
        ),
    )
    outcomes = race(org, lambda: code_claim(code=code, client=client) is not None)
    assert sorted(outcomes) == [False, True]


def test_two_refreshes_with_one_token_get_it_once_and_end_the_family(
    setup: tuple[Organisation, Client, User],
) -> None:
    org, client, user = setup
    refresh = secrets.token_urlsafe(32)
    family = uuid.uuid4()
    committed(
        org,
        lambda: Token.objects.create(
            client=client,
            user=user,
            scope="openid offline_access",
            access_digest=digest(secrets.token_urlsafe(32)),
            refresh_digest=digest(refresh),
            issued_at=int(time.time()),
            expires_in=900,
            family=family,
            auth_time=int(time.time()),
        ),
    )
    outcomes = race(org, lambda: refresh_claim(refresh_token=refresh, client=client) is not None)
    assert sorted(outcomes) == [False, True]
    live = committed(org, lambda: Token.objects.filter(family=family, revoked_at=None).count())
    assert live == 0  # the loser's replay ended what the winner held


def test_a_refresh_in_flight_when_the_sessions_end_is_revoked_with_the_rest(
    setup: tuple[Organisation, Client, User],
) -> None:
    """The refresh claims its token, then the user's sessions end, then it saves the new
    token: the new one must not outlive the end (the claim holds the user's row locked)."""
    org, client, user = setup
    refresh = secrets.token_urlsafe(32)
    committed(
        org,
        lambda: Token.objects.create(
            client=client,
            user=user,
            scope="openid offline_access",
            access_digest=digest(secrets.token_urlsafe(32)),
            refresh_digest=digest(refresh),
            issued_at=int(time.time()),
            expires_in=900,
            family=uuid.uuid4(),
            auth_time=int(time.time()),
        ),
    )
    claimed = threading.Event()
    saved: list[int] = []

    def refresh_slowly() -> None:
        with transaction.atomic():  # as the token endpoint runs it
            found = refresh_claim(refresh_token=refresh, client=client)
            assert found is not None
            claimed.set()
            time.sleep(0.5)  # meanwhile the user's sessions end
            new = {"access_token": secrets.token_urlsafe(32), "expires_in": 900}
            saved.append(token_save(token=new, client=client, user=user, source=found).pk)

    def end_sessions() -> None:
        assert claimed.wait(timeout=10)
        end_other_sessions(User.objects.get(pk=user.pk))

    threads = [
        threading.Thread(target=committed, args=(org, work))
        for work in (refresh_slowly, end_sessions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(saved) == 1
    assert committed(org, lambda: Token.objects.get(pk=saved[0]).revoked_at) is not None
