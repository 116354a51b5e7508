"""Ceremony races decided by the database: real concurrent requests, each thread on its own
PostgreSQL connection, committed for real (see ``tests/support/committed.py``), many trials
each."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connections

from auth_methods.models import AuditEvent, Passkey, User
from tenants.context import with_org
from tenants.models import Organisation
from tests.api.conftest import Api, make_api
from tests.support.authenticator import b64url_decode
from tests.support.committed import committed, emptied_afterwards

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(orgs: dict[str, Organisation]) -> Iterator[Api]:
    """An integrator whose calls are made through ``committed`` (the races need their rows
    visible to every connection); the org is left as clean as it was found."""
    with emptied_afterwards(orgs["acme"]):
        yield committed(lambda: make_api(orgs["acme"], ["admin"]))


TRIALS = 30


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run every call at once, each in its own thread (so on its own connection)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = calls[index]()
        finally:
            connections.close_all()  # this thread's connection, not the test's

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def outcome(response: Any) -> str:
    return "ok" if response.status_code == 200 else str(response.json()["code"])


def prepared_assertions(api: Api, user_id: str, counters: tuple[int, ...]) -> list[Any]:
    """One signed assertion per counter, each over its own fresh challenge."""
    made = []
    for counter in counters:
        options = committed(
            lambda: api.post("/webauthn/authenticate/options", {"user": {"id": user_id}})
        )
        assert options.status_code == 200, options.json()
        made.append(api.authenticator.get(options.json(), origin=api.origin, sign_count=counter))
    return made


def sign_in_call(api: Api, credential: Any) -> Callable[[], Any]:
    client = type(api.client)(HTTP_HOST=f"{api.org.slug}.localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api.secret}")
    return lambda: client.post("/webauthn/authenticate", {"credential": credential}, format="json")


def enrolled_passkey(api: Api, user_id: str) -> bytes:
    response = committed(lambda: api.register(user_id, f"{user_id}@acme.test"))
    assert response.status_code == 201, response.json()
    return b64url_decode(response.json()["passkey"]["id"])


def in_org(api: Api, rows: Any) -> list[Any]:
    with with_org(api.org):
        return list(rows)


def stored(api: Api, credential_id: bytes) -> Passkey:
    def read() -> Passkey:
        with with_org(api.org):
            return Passkey.objects.get(credential_id=credential_id)

    return committed(read)


def test_of_two_clones_with_one_counter_exactly_one_signs_in(api: Api) -> None:
    for trial in range(TRIALS):
        user_id = f"clone-{trial}"
        credential_id = enrolled_passkey(api, user_id)
        first, second = prepared_assertions(api, user_id, (5, 5))
        results = race(sign_in_call(api, first), sign_in_call(api, second))
        assert sorted(outcome(r) for r in results) == ["ok", "sign_count_regressed"], trial
        passkey = stored(api, credential_id)
        assert passkey.flagged and passkey.flagged_at is not None, trial
        assert passkey.sign_count == 5, trial


def test_two_growing_counters_at_once_never_lower_the_stored_one(api: Api) -> None:
    for trial in range(TRIALS):
        user_id = f"grow-{trial}"
        credential_id = enrolled_passkey(api, user_id)
        low, high = prepared_assertions(api, user_id, (1, 2))
        results = race(sign_in_call(api, low), sign_in_call(api, high))
        passkey = stored(api, credential_id)
        assert passkey.sign_count == 2, trial
        assert outcome(results[1]) == "ok", trial
        # The lower one either came first (accepted) or came second and is, by the contract's
        # rule (1 <= 2), a regression: refused, and the credential flagged.
        assert outcome(results[0]) in {"ok", "sign_count_regressed"}, trial
        assert passkey.flagged is (outcome(results[0]) == "sign_count_regressed"), trial


def test_a_refused_clone_is_audited_as_a_failure(api: Api) -> None:
    user_id = "clone-audit"
    enrolled_passkey(api, user_id)
    first, second = prepared_assertions(api, user_id, (3, 3))
    race(sign_in_call(api, first), sign_in_call(api, second))

    def events() -> list[tuple[str, str]]:
        with with_org(api.org):
            rows = AuditEvent.objects.filter(action="passkey.authenticate")
            return sorted(rows.values_list("outcome", "code"))

    assert committed(events) == [
        ("failure", "sign_count_regressed"),
        ("success", ""),
    ]


def register_options_call(api: Api, user_id: str, name: str) -> Callable[[], Any]:
    client = type(api.client)(HTTP_HOST=f"{api.org.slug}.localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api.secret}")
    body = {"user": {"id": user_id, "name": name}}
    return lambda: client.post("/webauthn/register/options", body, format="json")


def users_where(api: Api, **lookup: str) -> list[User]:
    return committed(lambda: in_org(api, User.objects.filter(**lookup)))


def test_two_register_options_for_one_new_user_both_get_that_users_options(api: Api) -> None:
    for trial in range(TRIALS):
        user_id, name = f"new-{trial}", f"new-{trial}@acme.test"
        results = race(*(register_options_call(api, user_id, name) for _ in range(2)))
        details = [r.json().get("detail") for r in results]
        assert [r.status_code for r in results] == [200, 200], (trial, details)
        [user] = users_where(api, external_id=user_id)
        handles = {r.json()["publicKey"]["user"]["id"] for r in results}
        assert {b64url_decode(h) for h in handles} == {bytes(user.webauthn_user_handle)}
        assert {r.json()["publicKey"]["user"]["name"] for r in results} == {user.email}


def test_a_name_taken_meanwhile_by_another_id_is_still_refused(api: Api) -> None:
    for trial in range(10):
        name = f"taken-{trial}@acme.test"
        results = race(*(register_options_call(api, f"{who}-{trial}", name) for who in "ab"))
        assert sorted(r.status_code for r in results) == [200, 400], trial
        refused = next(r for r in results if r.status_code == 400).json()
        assert refused["code"] == "invalid_request" and "user.name" in refused["detail"]
        assert len(users_where(api, email=name)) == 1
