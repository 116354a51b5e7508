"""A complete passkey sign-in (options + verify, with an API key) costs at most 8 queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import Api

pytestmark = pytest.mark.django_db

BUDGET = 8


def test_a_sign_in_ceremony_stays_within_the_query_budget(api: Api) -> None:
    assert api.register().status_code == 201
    assert api.sign_in().status_code == 200  # warm: signing key made, last_used_at written
    with CaptureQueriesContext(connection) as queries:
        response = api.sign_in()
    assert response.status_code == 200
    statements = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    assert len(statements) <= BUDGET, "\n".join(statements)


def test_a_usernameless_sign_in_stays_within_the_query_budget(api: Api) -> None:
    assert api.register().status_code == 201
    assert api.sign_in(None).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert api.sign_in(None).status_code == 200
    statements = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    assert len(statements) <= BUDGET, "\n".join(statements)
