"""Two finishes racing with one challenge: exactly one gets it (real concurrent connections)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections

from auth_methods.errors import AuthError
from auth_methods.models import Challenge
from auth_methods.passkeys.challenges import PendingCeremony, challenge_consume, challenge_issue
from auth_methods.passkeys.registration_statements import consume_and_load_user
from auth_methods.passkeys.sign_in_statements import consume_and_load
from tenants.context import with_org
from tenants.models import Organisation


def _in_thread(org: Organisation, work: Any) -> Any:
    """Run ``work`` on a fresh connection of its own, committed (outside the test transaction)."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            with with_org(org):
                result["value"] = work()
        except AuthError as exc:
            result["error"] = exc.code
        finally:
            connections.close_all()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=30)
    return result


# The ceremonies consume through the statements that also load what they need: each one must
# keep the single winner.
CONSUMERS: dict[str, tuple[str, Callable[[bytes, str], PendingCeremony]]] = {
    "challenge_consume": ("authentication", lambda v, p: challenge_consume(v, purpose=p)),
    "sign-in": ("authentication", lambda v, p: consume_and_load(v, b"cred", purpose=p)[0]),
    "registration": ("registration", lambda v, p: consume_and_load_user(v, purpose=p)[0]),
}


@pytest.mark.django_db
@pytest.mark.parametrize("consumer", CONSUMERS)
def test_only_one_of_two_concurrent_finishes_consumes_a_challenge(
    orgs: dict[str, Organisation], consumer: str
) -> None:
    acme = orgs["acme"]
    purpose, consume = CONSUMERS[consumer]
    value = _in_thread(
        acme, lambda: challenge_issue(purpose=purpose, user_id=None, ttl_seconds=60)
    )["value"]
    barrier = threading.Barrier(2)
    outcomes: list[dict[str, Any]] = []

    def finish() -> None:
        def work() -> str:
            barrier.wait(timeout=10)
            return str(consume(value, purpose).purpose)

        outcomes.append(_in_thread(acme, work))

    racers = [threading.Thread(target=finish) for _ in range(2)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(timeout=30)
    assert sorted(str(o) for o in outcomes) == sorted(
        [str({"value": purpose}), str({"error": "challenge_invalid"})]
    )
    with with_org(acme):
        assert not Challenge.objects.filter(challenge=value).exists()
