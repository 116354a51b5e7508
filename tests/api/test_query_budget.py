"""A passkey ceremony's SQL statements, counted (savepoints aside): a sign-in (options +
verify, with an API key) costs 5, two of them the per-request ``SET search_path``; a new
user's first registration 12, the user's creation and the outbox row of the "passkey added"
email included. Raising a budget needs a reason."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import Api
from tests.support.authenticator import SoftAuthenticator

pytestmark = pytest.mark.django_db

SIGN_IN_BUDGET = 5
REGISTRATION_BUDGET = 12


def _statements(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]


def _within(budget: int, call: Any) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = call()
    assert response.status_code in (200, 201), response.json()
    statements = _statements(queries)
    assert len(statements) <= budget, "\n".join(statements)


def test_a_sign_in_ceremony_stays_within_the_query_budget(api: Api) -> None:
    assert api.register().status_code == 201
    assert api.sign_in().status_code == 200  # warm: signing key made, last_used_at written
    _within(SIGN_IN_BUDGET, api.sign_in)


def test_a_usernameless_sign_in_stays_within_the_query_budget(api: Api) -> None:
    assert api.register().status_code == 201
    assert api.sign_in(None).status_code == 200
    _within(SIGN_IN_BUDGET, lambda: api.sign_in(None))


def test_a_new_users_registration_stays_within_the_query_budget(api: Api) -> None:
    assert api.register().status_code == 201  # warm: the key, the policy and the hosts cached
    _within(
        REGISTRATION_BUDGET,
        lambda: api.register("u2", "bob@acme.test", authenticator=SoftAuthenticator()),
    )
