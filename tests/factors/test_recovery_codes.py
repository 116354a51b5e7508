from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from auth_methods import ratelimit
from auth_methods.audit import Actor
from auth_methods.errors import AuthError
from auth_methods.models import AuditEvent, RecoveryCodeSet, User
from auth_methods.recovery_codes import codes
from auth_methods.recovery_codes.services import (
    recovery_code_consume,
    recovery_codes_generate,
    recovery_codes_left,
)
from auth_methods.users import user_create
from tenants.context import with_org
from tenants.models import Organisation

pytestmark = pytest.mark.django_db

ACTOR = Actor(label="test")


@pytest.fixture
def user(acme: Organisation) -> Iterator[User]:
    with with_org(acme):
        yield user_create(email="ada@acme.test")


def refused(user: User, code: str) -> AuthError:
    with pytest.raises(AuthError) as caught:
        recovery_code_consume(actor=ACTOR, user=user, code=code)
    return caught.value


def test_it_makes_ten_distinct_well_formed_codes(user: User) -> None:
    made = recovery_codes_generate(actor=ACTOR, user=user)
    assert len(made) == len(set(made)) == 10
    assert all(re.fullmatch(r"[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}", c) for c in made)
    assert recovery_codes_left(user) == 10


def test_the_alphabet_gives_at_least_50_bits() -> None:
    assert len(set(codes.ALPHABET)) ** codes.LENGTH >= 2**50
    assert not set("ilou") & set(codes.ALPHABET)


def test_it_stores_only_keyed_hashes(user: User) -> None:
    made = recovery_codes_generate(actor=ACTOR, user=user)
    row = RecoveryCodeSet.objects.get(user=user)
    stored = repr((row.hashes, row.used))
    for code in made:
        assert code not in stored and code.replace("-", "") not in stored
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in row.hashes)


def test_each_code_works_once(user: User, monkeypatch: pytest.MonkeyPatch) -> None:
    # Twenty attempts in a row: lift the brute-force budget, which is tested on its own.
    monkeypatch.setattr(ratelimit, "RECOVERY_CODE_PER_USER", (100, 300))
    made = recovery_codes_generate(actor=ACTOR, user=user)
    for used, code in enumerate(made, start=1):
        recovery_code_consume(actor=ACTOR, user=user, code=code)
        assert recovery_codes_left(user) == 10 - used
        assert refused(user, code).code == "invalid_request"
    assert RecoveryCodeSet.objects.get(user=user).used == [True] * 10


def test_a_used_code_is_refused(user: User) -> None:
    made = recovery_codes_generate(actor=ACTOR, user=user)
    recovery_code_consume(actor=ACTOR, user=user, code=made[0])
    error = refused(user, made[0])
    assert (error.code, error.field, error.detail) == (
        "invalid_request",
        "code",
        "That code is not valid.",
    )
    assert recovery_codes_left(user) == 9


def test_a_new_set_voids_the_old_one(user: User) -> None:
    old = recovery_codes_generate(actor=ACTOR, user=user)
    new = recovery_codes_generate(actor=ACTOR, user=user)
    assert not set(old) & set(new)
    assert refused(user, old[0]).code == "invalid_request"
    recovery_code_consume(actor=ACTOR, user=user, code=new[0])
    assert RecoveryCodeSet.objects.filter(user=user).count() == 1


@pytest.mark.parametrize(
    "typed",
    [
        lambda c: c.upper(),
        lambda c: c.replace("-", ""),
        lambda c: f"  {c[:3]} {c[3:]}  ",
        lambda c: c.replace("-", " - "),
    ],
)
def test_it_normalises_what_is_typed(user: User, typed: Callable[[str], str]) -> None:
    made = recovery_codes_generate(actor=ACTOR, user=user)
    recovery_code_consume(actor=ACTOR, user=user, code=typed(made[0]))
    assert recovery_codes_left(user) == 9


def test_it_reads_look_alike_letters_as_digits() -> None:
    assert codes.normalise("O1234-5678L") == "0123456781"
    assert codes.normalise("i0000-00000") == "1000000000"


@pytest.mark.parametrize("typed", ["", "abcd", "abcde-abcdef", "abcde-abcdu", "abcdé-abcde"])
def test_it_refuses_malformed_input(user: User, typed: str) -> None:
    recovery_codes_generate(actor=ACTOR, user=user)
    assert refused(user, typed).code == "invalid_request"
    assert recovery_codes_left(user) == 10


def test_it_refuses_a_user_without_codes(user: User) -> None:
    assert refused(user, "abcde-abcde").code == "invalid_request"
    assert recovery_codes_left(user) == 0


def test_the_sixth_attempt_in_the_window_is_rate_limited(user: User) -> None:
    made = recovery_codes_generate(actor=ACTOR, user=user)
    for _ in range(5):
        assert refused(user, "zzzzz-zzzzz").code == "invalid_request"
    assert refused(user, made[0]).code == "rate_limited"
    assert recovery_codes_left(user) == 10


def test_every_action_is_audited(user: User) -> None:
    made = recovery_codes_generate(actor=ACTOR, user=user)
    recovery_code_consume(actor=ACTOR, user=user, code=made[0])
    refused(user, made[0])
    events = list(
        AuditEvent.objects.filter(subject=user)
        .order_by("id")
        .values_list("action", "outcome", "code", "data")
    )
    assert events == [
        ("recovery_codes.generate", "success", "", {"count": 10}),
        ("recovery_codes.consume", "success", "", {"left": 9}),
        ("recovery_codes.consume", "failure", "invalid_request", {}),
    ]
    assert all(c not in str(events) for c in made)


def test_another_orgs_user_cannot_use_the_codes(
    user: User, acme: Organisation, globex: Organisation
) -> None:
    made = recovery_codes_generate(actor=ACTOR, user=user)
    with with_org(globex):
        # The same email and likely the same pk, in another organisation's schema.
        stranger = user_create(email="ada@acme.test")
        recovery_codes_generate(actor=ACTOR, user=stranger)
        for code in made[:3]:
            assert refused(stranger, code).code == "invalid_request"
        assert recovery_codes_left(stranger) == 10
    assert recovery_codes_left(user) == 10
